"""A benchmark kind in one module: answers from a pandas DataFrame of seed means, one row per
cell (indexed by official cell index), one column per metric, optional ``params`` / ``flops``
objective columns -- e.g. ``TabularBenchmark.to_frame()`` or published results kept as a frame.

It holds one epoch and no per-seed runs (every metric is mean-only), so ``seed='random'``
answers the mean and a seed number is refused, as a table does for its mean-only metrics. It
exists to show (``tests/test_contract.py``) that implementing :class:`nasbench.benchmark.Benchmark`
is all a new kind needs to run through the comparison runner, ``nasbench.load``'s consumers and
validation's prediction step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable

import numpy as np

from nasbench.benchmark import Benchmark, QueryError, SeedLike, TableMeta
from nasbench.space import N_CELLS, CellLike, get_space, to_indices

OBJECTIVES = ("params", "flops")


@dataclass(frozen=True)
class FrameSummary:
    facts: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.facts)

    def lines(self) -> list[str]:
        return [f"{k:<10}{v}" for k, v in self.facts.items()]


class FrameBenchmark(Benchmark):
    kind: ClassVar[str] = "frame"

    def __init__(self, frame: Any, meta: TableMeta, epoch: int, metrics: Iterable[str], name: str = "") -> None:
        self.meta = meta
        self.space_name = meta.space
        self.space = get_space(meta.space)
        self.name = name or f"frame-{meta.dataset}"
        self.epochs = np.array([int(epoch)], dtype=np.int64)
        self.seeds = np.array([], dtype=np.int64)
        self._metrics = tuple(metrics)
        self.mean_only = frozenset(self._metrics)
        cells = np.asarray(frame.index, dtype=np.int64)
        self._pos = np.full(N_CELLS, -1, dtype=np.int64)
        self._pos[cells] = np.arange(len(cells))
        self._cells = np.sort(cells)
        self._cols = {c: frame[c].to_numpy(dtype=np.float64)
                      for c in self._metrics + tuple(o for o in OBJECTIVES if o in frame)}

    @property
    def metric_names(self) -> tuple[str, ...]:
        return self._metrics

    @property
    def covered(self) -> np.ndarray:
        return self._cells

    def _rows(self, cells: Iterable[CellLike] | np.ndarray) -> np.ndarray:
        idx = to_indices(cells)
        pos = self._pos[idx]
        if pos.size and pos.min() < 0:
            raise QueryError(f"cell {int(idx[pos < 0][0])} is not covered by this frame ({len(self._cells)} cells are)")
        return pos

    def query_many(self, cells: Iterable[CellLike] | np.ndarray, metric: str = "valid_acc",
                   epoch: int | None = None, seed: SeedLike = "mean",
                   rng: np.random.Generator | None = None) -> np.ndarray:
        if metric not in self._metrics:
            raise self.unknown_metric(metric)
        if epoch is not None and epoch != int(self.epochs[0]):
            raise self.unknown_epoch(epoch)
        if seed == "random":
            self.need_rng(rng)
        elif isinstance(seed, str) and seed != "mean":
            raise self.bad_seed_word(seed)
        elif seed != "mean":
            raise self.mean_only_seed(metric)
        return self._cols[metric][self._rows(cells)]

    def query(self, cell: CellLike, metric: str = "valid_acc", epoch: int | None = None,
              seed: SeedLike = "mean", rng: np.random.Generator | None = None) -> float:
        return float(self.query_many([cell], metric, epoch, seed, rng)[0])

    def runs(self, cells: np.ndarray, metric: str, epoch: int | None = None) -> np.ndarray:
        return self.query_many(cells, metric, epoch)[:, None]

    def cost_many(self, cells: Iterable[CellLike] | np.ndarray, epoch: int | None = None) -> np.ndarray:
        return self.query_many(cells, "time", epoch)

    @property
    def objective_names(self) -> tuple[str, ...]:
        return tuple(o for o in OBJECTIVES if o in self._cols)

    def objective_many(self, cells: np.ndarray, name: str) -> np.ndarray:
        if name not in self.objective_names:
            raise self.no_objective(name)
        return self._cols[name][self._rows(cells)]

    def fresh_run_prediction(self, cells: np.ndarray, metric: str) -> dict[str, Any]:
        mean = self.query_many(cells, metric)
        nan = np.full(len(mean), np.nan)
        return {"mean": mean, "sd": nan, "runs": np.ones(len(mean)), "pooled": nan, "pooled_src": "",
                "expected": nan, "pred_model_sd": np.zeros(len(mean)), "n_sd_rows": 0}

    def summary(self) -> FrameSummary:
        return FrameSummary({"frame": self.name, "dataset": self.dataset, "cells": len(self._cells),
                             "metrics": ", ".join(self._metrics), "epoch": int(self.epochs[0])})
