"""Zero-cost proxies in a table file: the `proxies/<name>` group.

`proxies/<name>`: float64, one value per row (like `params`), NaN where the proxy was not
computed for that row's cell or is undefined there. Being arrays of the file, they are covered by
its SHA-256.

`proxy_seconds/<name>`: float64, one per row, the wall seconds (one process, one thread) the
journal recorded for computing `<name>` for the row's functional class, NaN where not
recorded. One pass can yield several proxies (`nasbench.zero_cost.proxies.PASSES`: snip,
grad_norm and fisher come from one forward/backward pass; jacob_cov and naswot from one
forward and input-gradient pass); the journal splits a pass's wall time evenly among the proxies
that run computed, so the shares of a pass's proxies add up to the pass's time.
`extra["proxies"]["passes"]` records which proxies share a pass, and
`nasbench.tables.tabular.TabularBenchmark.proxy_cost_many` charges a pass once, in full (the sum
of its proxies' shares), whichever of its proxies a search uses. (Where a pass's proxies were
computed by separate runs, each run's pass is counted: an over-, never an under-charge.)

How they were computed (network seed, stand-in batch, how many classes) is recorded
in the metadata's `extra["proxies"]`. A table serves them through `query`/`query_many` as a
metric with no epoch and no seed dimension: `nasbench query nb201-cifar10 6111 --metric synflow`.
"""
from __future__ import annotations

import os

import numpy as np

from ..tables.tabular import TabularBenchmark
from ..errors import InputError
from .compute import per_cell, read_journal
from .proxies import PASSES


def per_cell_seconds(done: dict[int, dict], name: str) -> np.ndarray:
    """A journal's seconds of a proxy, one per official cell index.

    Every cell of a functional class gets its class's time (what scoring that cell costs).

    Args:
        done: the journal's classes.
        name: the proxy.

    Returns:
        float64 array, NaN where not recorded.
    """
    return per_cell(done, name, "seconds")


def with_proxies(bench: TabularBenchmark, journal: str | os.PathLike) -> TabularBenchmark:
    """A copy of a table holding every proxy of a journal as `proxies/<name>`.

    A proxy the table already has is replaced; how the proxies were computed goes into
    `meta.extra["proxies"]`.

    Args:
        bench: the table.
        journal: the proxy journal.

    Returns:
        The new table.

    Raises:
        InputError: the file has no journal header.
        ProxyError: the journal is damaged.
    """
    header, done = read_journal(journal)
    if header is None:
        raise InputError(f"{journal}: no proxy journal header (not a journal of nasbench.zero_cost)")
    names = sorted({n for rec in done.values() for n in rec["values"]})
    rows_cell = bench.row_arch
    proxies = dict(bench.proxies)
    seconds = dict(bench.proxy_seconds)
    info = {}
    for n in names:
        v = per_cell(done, n)[rows_cell]
        proxies[n] = v
        seconds[n] = per_cell_seconds(done, n)[rows_cell]
        info[n] = {"classes": sum(1 for r in done.values() if n in r["values"]),
                   "rows_with_value": int(np.isfinite(v).sum())}
    proxies_info = {
        "network": {"C": header["C"], "N": header["N"], "num_classes": header["num_classes"],
                    "init_seed": header["seed"], "pruned": True, "one network per functional class": True},
        "stand_in_batch": header["batch_describe"], "batch": header["batch"], "torch": header["torch_version"],
        "computed": info,
        "passes": {p: list(members) for p, members in PASSES.items() if any(m in proxies for m in members)},
        "seconds": "proxy_seconds/<name>: wall seconds per cell on one thread; a pass's time is split evenly "
                   "among the proxies it computed (proxy_cost_many charges a pass once)",
    }
    meta = bench.meta.with_extra(proxies=proxies_info)
    return TabularBenchmark(
        meta=meta, arch_row=bench.arch_row, row_arch=bench.row_arch, seeds=bench.seeds, epochs=bench.epochs,
        metrics=bench.metrics, run_seed=bench.run_seed, mean_only=sorted(bench.mean_only), params=bench.params,
        flops=bench.flops, latency=bench.latency, name=bench.name, proxies=proxies,
        proxy_seconds=seconds,
    )
