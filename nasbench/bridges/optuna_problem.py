"""A benchmark as an OptunaHub-style problem: ``search_space``, ``directions``, ``evaluate(params)``
and ``__call__(trial)``, so that ``study.optimize(problem)`` runs on it.

Objectives keep their natural sense: an accuracy metric (``valid_acc``) is maximised as it stands
(no conversion to error), ``cost`` (training seconds), ``params`` (millions), ``flops`` (millions)
and ``latency:<device>`` (ms) are minimised. Give one objective for a single-objective study, more
for a multi-objective one (``directions`` has one entry per objective, in order).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..benchmark import Benchmark, QueryError
from ..space import N_CELLS, OPS
from .cellspace import EDGE_NAMES, config_to_cell, optuna_distributions
from .extras import quiet_optuna

_PROPERTIES = ("params", "flops")


def _seed_arg(seed: Any) -> Any:
    if seed is None or seed == "mean":
        return "mean"
    if seed == "random":
        return "random"
    if isinstance(seed, (bool, float)) or not isinstance(seed, (int, np.integer)):
        raise QueryError(f"seed {seed!r} not allowed; use None (the mean of the runs), 'random' or a seed number")
    return int(seed)


class OptunaProblem:
    """``OptunaProblem(nasbench.load("nb201-cifar10"), objectives=("valid_acc", "params"))``.

    ``seed``: ``'mean'`` (the mean of the recorded runs, default), ``'random'`` (one recorded run
    drawn with ``rng`` per evaluation, as a real training gives one) or a seed number.
    ``epoch``: the epoch read (default: the last).
    """

    def __init__(self, bench: Benchmark, objectives: Sequence[str] = ("valid_acc",), epoch: int | None = None,
                 seed: Any = "mean", rng: np.random.Generator | int | None = None) -> None:
        self._optuna = quiet_optuna()
        if isinstance(objectives, str):
            objectives = (objectives,)
        if not objectives:
            raise QueryError("objectives: give at least one")
        if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer))
                                  or int(epoch) not in set(bench.epochs.tolist())):
            raise bench.unknown_epoch(epoch)
        self.bench, self.objectives, self.epoch = bench, tuple(objectives), epoch
        self.seed = _seed_arg(seed)
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self._props: dict[str, np.ndarray] = {}
        for name in self.objectives:
            if name in bench.metric_names or name == "cost":
                continue
            arr = self._property(name)
            self._props[name] = arr

    def _property(self, name: str) -> np.ndarray:
        allowed = f"metrics ({', '.join(self.bench.metric_names)}), cost, params, flops, latency:<device>"
        if not (name in _PROPERTIES or name.startswith("latency:")):
            raise QueryError(f"objective {name!r} unknown; allowed: {allowed}")
        if not self.bench.has_objective(name):
            raise QueryError(f"objective {name!r}: this benchmark records no such values; allowed: {allowed}")
        arr = np.full(N_CELLS, np.nan)  # per cell, official index order
        cov = np.asarray(self.bench.covered, dtype=np.int64)
        arr[cov] = self.bench.objective_many(cov, name)
        return arr

    @property
    def search_space(self) -> dict[str, Any]:
        return optuna_distributions()

    @property
    def directions(self) -> list[Any]:
        d = self._optuna.study.StudyDirection
        return [d.MAXIMIZE if self._maximised(n) else d.MINIMIZE for n in self.objectives]

    @staticmethod
    def _maximised(name: str) -> bool:
        return name.endswith("acc") or "_acc" in name

    def evaluate(self, params: Mapping[str, Any]) -> float | tuple[float, ...]:
        cell = config_to_cell(params)
        out = []
        for name in self.objectives:
            if name == "cost":
                out.append(float(self.bench.cost(cell, self.epoch)))
            elif name in self._props:
                out.append(float(self._props[name][cell]))
            else:
                out.append(float(self.bench.query(cell, name, epoch=self.epoch, seed=self.seed, rng=self.rng)))
        return out[0] if len(out) == 1 else tuple(out)

    def __call__(self, trial: Any) -> float | tuple[float, ...]:
        return self.evaluate({n: trial.suggest_categorical(n, list(OPS)) for n in EDGE_NAMES})

    def create_study(self, sampler: Any = None, **kwargs: Any) -> Any:
        """``optuna.create_study`` with this problem's directions."""
        return self._optuna.create_study(sampler=sampler, directions=self.directions, **kwargs)
