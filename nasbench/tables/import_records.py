"""The per-cell records of the official files, which NATS-Bench's "simple" directory and the
NAS-Bench-201 `.pth` share: one record per cell and schedule, `all_results` keyed by
`(dataset, seed)`, each with per-epoch dicts. `runs_of_record` reads one record's runs,
`table_of_runs` builds the table of every imported cell.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .benchmark import TableMeta
from .import_common import METRIC_KEYS, ImportError_
from .tabular import TabularBenchmark
from ..space import N_CELLS


@dataclass
class Run:
    """One training run of one cell, per-epoch arrays of length `epochs`."""

    seed: int
    metrics: dict[str, np.ndarray]
    params: float
    flops: float
    latency_ms: float



def runs_of_record(record: Mapping[str, Any], dataset: str, epochs: int, source: str) -> list[Run]:
    """The runs of one cell's schedule record for `dataset` (NATS / NAS-Bench-201 structure).

    Args:
        record: the cell's record of one schedule.
        dataset: the dataset whose runs to read.
        epochs: the schedule's epochs; later epochs in the record are left out.
        source: the source, for the message.

    Returns:
        One run per seed recorded for `dataset` (none if it has no results there).

    Raises:
        ImportError_: the record lacks `all_results`.
    """
    try:
        results = record["all_results"]
    except (KeyError, TypeError):
        raise ImportError_(f"{source}: record lacks 'all_results'") from None
    runs = []
    for key, res in results.items():
        if not (isinstance(key, tuple) and len(key) == 2) or key[0] != dataset:
            continue
        seed = int(key[1])
        m = {k: np.full(epochs, np.nan) for k in METRIC_KEYS}
        for e, v in res.get("train_acc1es", {}).items():
            if int(e) < epochs:
                m["train_acc"][int(e)] = float(v)
        for e, v in res.get("train_losses", {}).items():
            if int(e) < epochs:
                m["train_loss"][int(e)] = float(v)
        times = np.full(epochs, np.nan)
        for e, v in res.get("train_times", {}).items():
            if int(e) < epochs:
                times[int(e)] = float(v)
        m["time"] = np.cumsum(times)
        names = list(res.get("eval_names", []))
        test_name = "x-test" if "x-test" in names else "ori-test"
        for k, v in res.get("eval_acc1es", {}).items():
            name, _, e = k.rpartition("@")
            if int(e) < epochs and name in ("x-valid", test_name):
                m["valid_acc" if name == "x-valid" else "test_acc"][int(e)] = float(v)
        for k, v in res.get("eval_losses", {}).items():
            name, _, e = k.rpartition("@")
            if int(e) < epochs and name in ("x-valid", test_name):
                m["valid_loss" if name == "x-valid" else "test_loss"][int(e)] = float(v)
        lat = res.get("latency") or [np.nan]
        runs.append(Run(seed, m, float(res.get("params", np.nan)), float(res.get("flop", np.nan)),
                         1000.0 * float(np.mean([float(x) for x in lat]))))
    return runs


def table_of_runs(per_cell: dict[int, list[Run]], epochs: int, meta: TableMeta) -> TabularBenchmark:
    """Build a table with one row per imported cell, seeds as the union of the runs' seeds.

    Args:
        per_cell: the runs of each imported cell, by official index.
        epochs: the schedule's epochs.
        meta: the table's metadata.

    Returns:
        The table; metrics the source never records (e.g. `valid_*` for `cifar10`) left out.

    Raises:
        ImportError_: no cell has results for the dataset.
    """
    if not per_cell:
        raise ImportError_(f"{meta.source}: no results for dataset {meta.dataset!r} were found")
    seeds = sorted({r.seed for runs in per_cell.values() for r in runs})
    pos = {s: i for i, s in enumerate(seeds)}
    cells = sorted(per_cell)
    n_rows = len(cells)
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    arch_row[cells] = np.arange(n_rows)
    metrics = {k: np.full((n_rows, len(seeds), epochs), np.nan) for k in METRIC_KEYS}
    run_seed = np.full((n_rows, len(seeds)), -1, dtype=np.int64)
    params = np.full(n_rows, np.nan)
    flops = np.full(n_rows, np.nan)
    latency = np.full(n_rows, np.nan)
    for r, idx in enumerate(cells):
        for run in per_cell[idx]:
            s = pos[run.seed]
            run_seed[r, s] = run.seed
            for k in METRIC_KEYS:
                metrics[k][r, s] = run.metrics[k]
        first = per_cell[idx][0]
        params[r], flops[r], latency[r] = first.params, first.flops, np.nanmean(
            [x.latency_ms for x in per_cell[idx]])
    # drop metrics that the source never records (e.g. valid_* for 'cifar10')
    metrics = {k: v for k, v in metrics.items() if not np.all(np.isnan(v))}
    return TabularBenchmark(
        meta=meta, arch_row=arch_row, row_arch=np.array(cells), seeds=np.array(seeds),
        epochs=np.arange(1, epochs + 1), metrics=metrics, run_seed=run_seed,
        params=params, flops=flops, latency={"nats_gpu_ms": latency},
    )
