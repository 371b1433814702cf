"""Which cells validation trains, and what the benchmark predicted for them: the comparison's
results and table, the top-k distinct final incumbents (de-duplicated by table row), and the
predicted mean, spread and winner's-curse-corrected expectation of each cell."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..tables.benchmark import Benchmark, FreshRunPrediction

from .config import ValidateError


def _open_results(path: str):
    from ..search.runner import ConfigError, open_results

    p = Path(path)
    if not p.is_dir():
        raise ValidateError(f"no results directory {p}")
    try:
        res = open_results(p)
        frame = res.frame()
    except ConfigError as exc:
        raise ValidateError(f"{str(exc)}; run `nasbench compare --out {p}` first") from None
    except Exception as exc:  # an empty results.csv, unreadable JSON
        raise ValidateError(f"{p} holds no readable runs ({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
    if frame.empty or not {"strategy", "run", "step", "incumbent"} <= set(frame.columns):
        raise ValidateError(f"{p} holds no runs")
    return res, frame


def _load_bench(table: str, results_path: str | None = None, verify: bool | None = None):
    from ..search.runner import load_benchmark

    candidates = [table]
    if results_path is not None and not Path(table).is_absolute():
        candidates.append(str(Path(results_path) / table))
    err = None
    for t in candidates:
        try:
            return load_benchmark(t, verify)
        except Exception as exc:  # TableError and friends
            err = err or exc
    raise ValidateError(f"cannot load table {table!r}: {str(err).splitlines()[0]} (give --table)")


def select_top(frame: Any, bench: Benchmark, k: int, metric: str = "valid_acc") -> tuple[list[int], dict[int, dict]]:
    """The best `k` distinct final incumbents of a comparison.

    Incumbents are de-duplicated by table row and ranked by the benchmark's seed mean of `metric`
    (last epoch), ties by lower index.

    Args:
        frame: the comparison's tidy results frame.
        bench: the benchmark that ranks them.
        k: how many cells.
        metric: the ranking metric.

    Returns:
        The cells and, per cell, how often and by which strategies it was the final incumbent.

    Raises:
        ValidateError: no final incumbents, fewer than `k` distinct ones, or a metric the
            benchmark cannot give for them.
    """
    from ..search.runner import final_rows

    fin = final_rows(frame)
    groups: dict[int, dict[str, Any]] = {}
    for cell, strat in zip(fin["incumbent"].astype(int), fin["strategy"].astype(str)):
        key = bench.result_key(cell) if cell >= 0 else -1
        if key < 0:  # not (or no longer) covered by the table
            continue
        g = groups.setdefault(key, {"cells": {}, "strategies": set()})
        g["cells"][cell] = g["cells"].get(cell, 0) + 1
        g["strategies"].add(strat)
    if not groups:
        raise ValidateError("the comparison has no final incumbents")
    if k > len(groups):
        raise ValidateError(f"--top-k {k} but the comparison's final incumbents are only {len(groups)} distinct "
                            f"cell(s); use --top-k {len(groups)} or less")
    reps = []
    for key, g in groups.items():
        cell = min(g["cells"], key=lambda c: (-g["cells"][c], c))  # most often found, then lowest index
        reps.append((cell, key, g))
    vals = np.asarray(bench.query_many(np.array([r[0] for r in reps]), metric, None, "mean"), dtype=np.float64)
    order = sorted(range(len(reps)), key=lambda i: (-(vals[i] if np.isfinite(vals[i]) else -np.inf), reps[i][0]))
    chosen = [reps[i] for i in order[:k]]
    info = {c: {"found_by_runs": sum(g["cells"].values()), "strategies": ",".join(sorted(g["strategies"]))}
            for c, _, g in chosen}
    return [c for c, _, _ in chosen], info


# -- what the benchmark predicted ------------------------------------------------------------
def _predictions(bench: Benchmark, cells: Sequence[int], metric: str) -> FreshRunPrediction:
    """pred_mean, pred_sd (the cell's own), pred_runs (inf for a surrogate), the sd the
    differences are measured in with its source, and (for a table) the winner's-curse-corrected
    expectation of each cell."""
    cells_a = np.asarray(cells, dtype=np.int64)
    try:
        return bench.fresh_run_prediction(cells_a, metric)
    except Exception as exc:  # QueryError and friends: one line
        raise ValidateError(f"cannot predict {metric} for the cells: {str(exc).splitlines()[0]}") from None
