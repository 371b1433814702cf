"""A small SYNTHETIC table for testing mechanics only: its numbers are invented (a smooth function of
the ops plus noise), never results of training."""
from __future__ import annotations

import dataclasses

import numpy as np

from nasbench.tables.benchmark import TableMeta
from nasbench.tables.tabular import TabularBenchmark
from nasbench.space import N_CELLS, ops_table


def synthetic_table(seed: int = 0, dataset: str = "digits", epochs: int = 4) -> TabularBenchmark:
    rng = np.random.default_rng(seed)
    ops = ops_table().astype(np.float64)
    w = rng.normal(size=(6, 5))
    base = 60 + 5 * w[np.arange(6), ops.astype(int)].sum(axis=1) / 3  # (N,)
    seeds = np.array([1, 2, 3])
    ep = np.arange(1, epochs + 1)
    frac = (ep / epochs)[None, None, :]
    valid = base[:, None, None] * (0.6 + 0.4 * frac) + rng.normal(0, 0.5, (N_CELLS, 3, epochs))
    test = valid + rng.normal(0, 0.3, valid.shape)
    per_epoch = 1.0 + ops.sum(axis=1)  # seconds per epoch
    time = np.broadcast_to(per_epoch[:, None, None] * ep[None, None, :], valid.shape).copy()
    meta = TableMeta(space="nb201", dataset=dataset, split_sizes={}, recipe={"epochs": epochs, "C": 2, "N": 1,
                     "batch_size": 128}, code_version="synthetic", source="SYNTHETIC test table",
                     notes="invented numbers, for tests of mechanics only")
    params = 0.1 + ops.sum(axis=1) / 10
    return TabularBenchmark(meta=meta, arch_row=np.arange(N_CELLS), row_arch=np.arange(N_CELLS), seeds=seeds,
                            epochs=ep, metrics={"valid_acc": valid, "test_acc": test, "time": time},
                            params=params, flops=params * 100, name="synthetic")


def curve_table(faithful: bool = True, epochs: int = 12, seed: int = 0) -> TabularBenchmark:
    """A SYNTHETIC table of learning curves with a known answer, for multi-fidelity tests.

    Every cell's final validation accuracy is ``base`` (a function of its ops); ``faithful``: at
    every epoch the curve is ``base`` scaled by the same rising factor, so low epochs rank cells as
    the last does (successive halving should find good cells cheaply); otherwise the ranking below
    the last epoch is reversed (low fidelity misleads). Small seed noise; test = final valid + noise;
    one epoch costs 1 + (sum of ops) seconds."""
    rng = np.random.default_rng(seed)
    ops = ops_table().astype(np.float64)
    w = rng.normal(size=(6, 5))
    base = 60 + 5 * w[np.arange(6), ops.astype(int)].sum(axis=1) / 3  # (N,)
    ep = np.arange(1, epochs + 1)
    frac = (ep / epochs)[None, :]
    if faithful:
        curve = base[:, None] * (0.5 + 0.5 * frac)
    else:
        curve = np.where(ep[None, :] < epochs, (120 - base)[:, None] * (0.5 + 0.5 * frac), base[:, None])
    valid = curve[:, None, :] + rng.normal(0, 0.05, (N_CELLS, 3, epochs))
    test = np.broadcast_to(base[:, None, None], valid.shape) + rng.normal(0, 0.05, valid.shape)
    per_epoch = 1.0 + ops.sum(axis=1)
    time = np.broadcast_to(per_epoch[:, None, None] * ep[None, None, :], valid.shape).copy()
    meta = TableMeta(space="nb201", dataset="digits", split_sizes={}, recipe={"epochs": epochs, "C": 2, "N": 1,
                     "batch_size": 128}, code_version="synthetic", source="SYNTHETIC learning-curve table",
                     notes="invented numbers, for tests of mechanics only")
    params = 0.1 + ops.sum(axis=1) / 10
    return TabularBenchmark(meta=meta, arch_row=np.arange(N_CELLS), row_arch=np.arange(N_CELLS), seeds=np.array([1, 2, 3]),
                            epochs=ep, metrics={"valid_acc": valid, "test_acc": test, "time": time},
                            params=params, flops=params * 100, name="curves")


def with_synthetic_proxies(bench: TabularBenchmark, *, informative: bool = True,
                           partial: str | None = None) -> TabularBenchmark:
    """``bench`` with invented proxies: ``oracle`` (the seed-mean final valid_acc: as informative as a
    proxy can be) or noise, and ``jacob_cov``/``naswot`` sharing one pass (0.25 s each, 0.5 s the
    pass), ``synflow`` at 0.1 s; ``partial`` names a proxy computed for half the cells only."""
    rng = np.random.default_rng(1)
    n = bench.n_rows
    acc = bench.query_many(bench.row_arch, "valid_acc", None, "mean")
    proxies = {"oracle": acc if informative else rng.normal(size=n), "synflow": rng.normal(size=n),
               "jacob_cov": rng.normal(size=n), "naswot": rng.normal(size=n)}
    seconds = {"oracle": np.full(n, 0.1), "synflow": np.full(n, 0.1), "jacob_cov": np.full(n, 0.25),
               "naswot": np.full(n, 0.25)}
    if partial:
        proxies[partial] = proxies[partial].copy()
        proxies[partial][n // 2:] = np.nan
        seconds[partial] = seconds[partial].copy()
        seconds[partial][n // 2:] = np.nan
    extra = {**bench.meta.extra, "proxies": {"passes": {"jacob": ["jacob_cov", "naswot"], "synflow": ["synflow"],
                                                        "oracle": ["oracle"]}}}
    return TabularBenchmark(meta=dataclasses.replace(bench.meta, extra=extra), arch_row=bench.arch_row,
                            row_arch=bench.row_arch, seeds=bench.seeds, epochs=bench.epochs, metrics=bench.metrics,
                            params=bench.params, flops=bench.flops, name=bench.name, proxies=proxies,
                            proxy_seconds=seconds)
