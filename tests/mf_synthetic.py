"""SYNTHETIC learning-curve tables with a known answer, for testing multi-fidelity strategies.

Invented numbers (never results of training): 625 cells (the NAS-Bench-201 cells whose last two
edges are ``none``; the other four edges take all five ops, so every covered cell has 16 covered
one-op neighbours), 27 epochs (rungs 1, 3, 9, 27 with eta = 3), three seeds.

A cell's final accuracy is additive in its ops, ``70 + sum_e W[e, op_e]``, with one op per edge
clearly best, so the best cell is unique and sits well above the second best (:data:`GAP`).

* ``kind="predictive"``: every curve is the final accuracy scaled by the same rising function of the
  epoch, so the ranking at epoch 1 is the final ranking (up to seed noise far below the gaps):
  early stopping loses nothing, and a multi-fidelity search must beat full-fidelity random search
  at equal simulated time.
* ``kind="crossing"``: the curves cross. Early in training a cell's accuracy follows the *reverse*
  of its final quality; the final ranking takes over only in the last epochs (weight ``(e/27)^4``),
  so a rung at epoch 1, 3 or 9 ranks the best cell among the worst and early stopping kills it.

Training time: ``1 + 0.25 x (number of conv ops)`` seconds per epoch, cumulative per epoch, the
same in every seed (cells differ in cost, so parallel workers finish out of step).
"""
from __future__ import annotations

import numpy as np

from nasbench.tables.benchmark import TableMeta
from nasbench.tables.tabular import TabularBenchmark
from nasbench.space import N_CELLS, ops_table

EPOCHS = 27
#: the op weights per free edge (ops: none, skip, conv1x1, conv3x3, avgpool); op 3 best everywhere
W = np.array([[-3.0, -1.0, 1.0, 4.0, 0.0],
              [-2.0, 0.0, 1.5, 3.5, -0.5],
              [-3.5, -1.5, 0.5, 3.0, 1.0],
              [-2.5, 0.5, 1.0, 4.5, -1.0]])
#: the final mean accuracy of the best cell minus that of the second best
GAP = float(min(np.sort(w)[-1] - np.sort(w)[-2] for w in W))
NOISE = 0.05


def covered_cells() -> np.ndarray:
    """Official indices of the 625 covered cells, sorted."""
    ops = ops_table()
    return np.flatnonzero((ops[:, 4] == 0) & (ops[:, 5] == 0))


def final_accuracy(cells: np.ndarray) -> np.ndarray:
    ops = ops_table()[cells].astype(np.int64)
    return 70.0 + W[np.arange(4), ops[:, :4]].sum(axis=1)


def best_cell() -> int:
    """The official index of the known best cell (every free edge conv3x3)."""
    cells = covered_cells()
    return int(cells[np.argmax(final_accuracy(cells))])


def curves(kind: str, cells: np.ndarray) -> np.ndarray:
    """(cells, epochs) mean validation accuracy of each cell at epochs 1..27."""
    f = final_accuracy(cells)[:, None]
    e = np.arange(1, EPOCHS + 1)[None, :]
    rise = 1.0 - 0.4 * np.exp(-(e - 1) / 6.0)
    if kind == "predictive":
        return f * rise
    if kind == "crossing":
        w = (e / EPOCHS) ** 4
        mirrored = 2 * f.mean() - f  # the final ranking reversed
        return (w * f + (1 - w) * mirrored) * rise
    raise ValueError(f"curve kind {kind!r}; valid: predictive, crossing")


def mf_table(kind: str = "predictive", seed: int = 0) -> TabularBenchmark:
    """The table of ``kind`` (see the module docstring); ``seed`` draws only the seed noise."""
    rng = np.random.default_rng(seed)
    cells = covered_cells()
    n = len(cells)
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    arch_row[cells] = np.arange(n)
    mean = curves(kind, cells)
    valid = mean[:, None, :] + rng.normal(0, NOISE, (n, 3, EPOCHS))
    test = mean[:, None, :] - 0.5 + rng.normal(0, NOISE, (n, 3, EPOCHS))
    conv = np.isin(ops_table()[cells], (2, 3)).sum(axis=1)
    per_epoch = 1.0 + 0.25 * conv
    time = np.broadcast_to((per_epoch[:, None] * np.arange(1, EPOCHS + 1))[:, None, :], valid.shape).copy()
    meta = TableMeta(space="nb201", dataset="digits", split_sizes={}, recipe={"epochs": EPOCHS},
                     code_version="synthetic", source=f"SYNTHETIC {kind} learning curves (tests only)",
                     notes="invented numbers with a known best cell, for testing multi-fidelity search")
    return TabularBenchmark(meta=meta, arch_row=arch_row, row_arch=cells, seeds=np.array([1, 2, 3]),
                            epochs=np.arange(1, EPOCHS + 1), metrics={"valid_acc": valid, "test_acc": test,
                                                                      "time": time},
                            name=f"mf-{kind}")


def found_best(kind: str, strategy: str, seconds: float = 1200, workers: int = 4, runs: int = 20) -> int:
    """In how many of ``runs`` seeded runs ``strategy`` ends with the known best cell as incumbent."""
    from nasbench.search.runner import prepare_search, run_one
    from nasbench.search.config import ExperimentConfig, StrategySpec
    from nasbench.strategies import Budget, Protocol

    cfg = ExperimentConfig(table=f"mf-{kind}", strategies=(StrategySpec(strategy),), runs=runs,
                           budget=Budget("seconds", seconds), protocol=Protocol(), workers=workers, progress=False)
    shared = prepare_search(mf_table(kind), cfg)
    return sum(run_one(shared, cfg.strategies[0], r)["incumbent"][-1] == best_cell() for r in range(runs))


if __name__ == "__main__":  # the counts the README quotes: python tests/mf_synthetic.py
    for kind in ("predictive", "crossing"):
        counts = {s: found_best(kind, s) for s in ("random", "hyperband", "bohb", "asha", "async-evolution")}
        print(f"{kind}: runs (of 20) that find the best cell at 1,200 simulated s on 4 workers: "
              + ", ".join(f"{s} {n}" for s, n in counts.items()))
