"""Zero-cost proxies in a table file: the ``proxies/<name>`` group.

``proxies/<name>``: float64, one value per row (like ``params``), NaN where the proxy was not
computed for that row's cell or is undefined there. Being arrays of the file, they are covered by
its SHA-256. How they were computed (network seed, stand-in batch, how many classes) is recorded
in the metadata's ``extra["proxies"]``. A table serves them through ``query``/``query_many`` as a
metric with no epoch and no seed dimension: ``nasbench query nb201-cifar10 6111 --metric synflow``.
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np

from ..benchmark import TabularBenchmark
from .compute import per_cell, read_journal


def with_proxies(bench: TabularBenchmark, journal: str | os.PathLike) -> TabularBenchmark:
    """A copy of ``bench`` holding every proxy of ``journal`` as ``proxies/<name>``; a proxy
    the table already has is replaced."""
    header, done = read_journal(journal)
    if header is None:
        raise ValueError(f"{journal}: no proxy journal header (not a journal of nasbench.zero_cost)")
    names = sorted({n for rec in done.values() for n in rec["values"]})
    rows_cell = bench.row_arch
    proxies = dict(bench.proxies)
    info = {}
    for n in names:
        v = per_cell(done, n)[rows_cell]
        proxies[n] = v
        info[n] = {"classes": sum(1 for r in done.values() if n in r["values"]),
                   "rows_with_value": int(np.isfinite(v).sum())}
    extra = dict(bench.meta.extra)
    extra["proxies"] = {
        "network": {"C": header["C"], "N": header["N"], "num_classes": header["num_classes"],
                    "init_seed": header["seed"], "pruned": True, "one network per functional class": True},
        "stand_in_batch": header["batch_describe"], "batch": header["batch"], "torch": header["torch_version"],
        "computed": info,
    }
    meta = dataclasses.replace(bench.meta, extra=extra)
    return TabularBenchmark(
        meta=meta, arch_row=bench.arch_row, row_arch=bench.row_arch, seeds=bench.seeds, epochs=bench.epochs,
        metrics=bench.metrics, run_seed=bench.run_seed, mean_only=sorted(bench.mean_only), params=bench.params,
        flops=bench.flops, latency=bench.latency, name=bench.name, proxies=proxies,
    )
