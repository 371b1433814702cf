"""A benchmark kind in one module: answers from a pandas DataFrame of seed means, one row per
cell (indexed by official cell index), one column per metric, optional ``params`` / ``flops``
objective columns -- e.g. ``TabularBenchmark.to_frame()`` or published results kept as a frame.

It holds one epoch and no per-seed runs (every metric is mean-only), so ``seed='random'``
answers the mean and a seed number is refused, as a table does for its mean-only metrics. It
exists to show (``tests/test_contract.py``) that implementing :class:`nasbench.tables.benchmark.Benchmark`
(its lookups, given queries the base class has checked) is all a new kind needs to run through
the comparison runner, ``nasbench.load``'s consumers and validation's prediction step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable

import numpy as np

from nasbench.tables.benchmark import Benchmark, FreshRunPrediction, Query, TableMeta
from nasbench.space import N_CELLS, get_space

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

    # the lookups: the contract has checked the cell, metric, epoch and seed
    def _locate(self, idx: np.ndarray) -> np.ndarray:
        return self._pos[idx]

    def _lookup(self, pos: np.ndarray, q: Query) -> np.ndarray:
        return self._cols[q.metric][pos]  # every metric mean-only: 'random' answers the mean

    def _runs(self, pos: np.ndarray, q: Query) -> np.ndarray:
        return self._lookup(pos, q)[:, None]

    @property
    def objective_names(self) -> tuple[str, ...]:
        return tuple(o for o in OBJECTIVES if o in self._cols)

    def _objective(self, pos: np.ndarray, name: str) -> np.ndarray:
        return self._cols[name][pos]

    def _fresh_run_prediction(self, pos: np.ndarray, q: Query) -> FreshRunPrediction:
        mean = self._lookup(pos, q)
        nan = np.full(len(mean), np.nan)
        return FreshRunPrediction(mean=mean, sd=nan, runs=np.ones(len(mean)), pooled=nan, pooled_src="",
                                  expected=nan, pred_model_sd=np.zeros(len(mean)), n_sd_rows=0)

    def summary(self) -> FrameSummary:
        return FrameSummary({"frame": self.name, "dataset": self.dataset, "cells": len(self._cells),
                             "metrics": ", ".join(self._metrics), "epoch": int(self.epochs[0])})
