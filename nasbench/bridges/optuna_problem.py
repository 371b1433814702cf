"""A benchmark as an OptunaHub problem, so that `study.optimize(problem)` runs on it.

The problem has OptunaHub's shape: `search_space`, `directions`, `metric_names`,
`evaluate(params)`, `reseed(seed)` and `__call__(trial)`. Where `optunahub` is installed
(`pip install 'nasbench[optunahub]'`) the problem is an `optunahub.benchmarks.BaseProblem`;
without it the same object, duck-typed.

Objectives keep their natural sense: an accuracy metric (`valid_acc`) is maximised as it stands
(no conversion to error), `cost` (training seconds), `params` (millions), `flops` (millions)
and `latency:<device>` (ms) are minimised. Give one objective for a single-objective study, more
for a multi-objective one (`directions` has one entry per objective, in order). A test metric is
refused as an objective (as in the HPOBench bridge): `__call__` records it beside the cell and the
training cost in the trial's user attributes (`cell`, `arch`, `cost`, `test_acc` and
`test_metric`, the table's metric it was read from).

Nothing here changes Optuna's global state: no logging verbosity, no warning filter.
"""
from __future__ import annotations

import abc
from typing import Any, Mapping, Sequence

import numpy as np

from ..tables.benchmark import Benchmark, QueryError
from ..tables.query_errors import UnknownEpoch
from ..space import N_CELLS, OPS, to_cell
from ..strategies.cellspace import EDGE_NAMES, config_to_cell, optuna_distributions
from ..util.extras import require

_PROPERTIES = ("params", "flops")


def _seed_arg(seed: Any) -> Any:
    if seed is None or seed == "mean":
        return "mean"
    if seed == "random":
        return "random"
    if isinstance(seed, (bool, float)) or not isinstance(seed, (int, np.integer)):
        raise QueryError(f"seed {seed!r} not allowed; use None (the mean of the runs), 'random' or a seed number")
    return int(seed)


def _is_test(name: str) -> bool:
    """Whether a metric is measured on test images.

    `test_acc`, `valid_test_acc` and `valtest_acc` (the validation and test images of CIFAR-100 /
    ImageNet16-120 together) are.
    """
    return "test" in name


def _test_pair(bench: Benchmark, metric: str) -> str | None:
    metrics = bench.meta.details.training_metrics
    pair = (metrics.get(metric) or {}).get("test_pair")
    if pair in bench.metric_names:
        return pair
    return "test_acc" if "test_acc" in bench.metric_names else None


_HUB_CLASS: Any = None


def _hub_class() -> Any:
    """`OptunaProblem` with `optunahub.benchmarks.BaseProblem` as a base where optunahub is installed.

    Built once, on first use, so that importing the bridges does not import optunahub.
    """
    global _HUB_CLASS
    if _HUB_CLASS is None:
        try:
            from optunahub.benchmarks import BaseProblem
        except ImportError:
            _HUB_CLASS = OptunaProblem
        else:
            _HUB_CLASS = abc.ABCMeta("OptunaHubProblem", (OptunaProblem, BaseProblem),
                                     {"__module__": __name__, "__qualname__": "OptunaHubProblem",
                                      "__doc__": OptunaProblem.__doc__})
    return _HUB_CLASS


def __getattr__(name: str) -> Any:
    if name == "OptunaHubProblem":  # pickle finds the class built by _hub_class by this name
        cls = _hub_class()
        if cls is not OptunaProblem:
            return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class OptunaProblem:
    """A benchmark as an OptunaHub problem.

    `OptunaProblem(nasbench.load("nb201-cifar10"), objectives=("valid_acc", "params"))`; an
    `optunahub.benchmarks.BaseProblem` where optunahub is installed.

    Args:
        bench: the benchmark.
        objectives: the values a trial returns: metrics of the benchmark, `cost`, `params`,
            `flops` or `latency:<device>` (never a test metric).
        epoch: the epoch read (default: the last).
        seed: `'mean'` (the mean of the recorded runs, default), `'random'` (one recorded run
            drawn with `rng` per evaluation, as a real training gives one) or a seed number.
        rng: the generator (or its seed) of `seed='random'` (`reseed` recreates it).

    Raises:
        MissingExtra: Optuna is not installed.
        QueryError: no objective, a test metric, an objective the benchmark does not record, or an
            epoch it does not hold.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> "OptunaProblem":
        if cls is OptunaProblem:
            cls = _hub_class()
        return object.__new__(cls)

    def __init__(self, bench: Benchmark, objectives: Sequence[str] = ("valid_acc",), epoch: int | None = None,
                 seed: Any = "mean", rng: np.random.Generator | int | None = None) -> None:
        require("optuna")
        if isinstance(objectives, str):
            objectives = (objectives,)
        if not objectives:
            raise QueryError("objectives: give at least one")
        for name in objectives:
            if _is_test(name):
                raise QueryError(f"objective {name!r} is a test metric; a study optimises validation, and each "
                                 "trial records the test accuracy in its user attributes (test_acc)")
        if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer))
                                  or int(epoch) not in set(bench.epochs.tolist())):
            raise UnknownEpoch(epoch, bench.kind, bench.held, bench.epochs)
        self.bench, self.objectives, self.epoch = bench, tuple(objectives), epoch
        self.seed = _seed_arg(seed)
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self._props: dict[str, np.ndarray] = {}
        for name in self.objectives:
            if name in bench.metric_names or name == "cost":
                continue
            self._props[name] = self._property(name)
        accs = [n for n in self.objectives if n in bench.metric_names]
        self.test_metric = _test_pair(bench, accs[0] if accs else "valid_acc")

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
    def _optuna(self) -> Any:
        return require("optuna")

    # -- OptunaHub's BaseProblem ---------------------------------------------------------------
    @property
    def search_space(self) -> dict[str, Any]:
        """Optuna's distributions of the six edges (`optuna_distributions`)."""
        return optuna_distributions()

    @property
    def directions(self) -> list[Any]:
        """Maximise for accuracies, minimise for the others, in the order of `objectives`."""
        d = self._optuna.study.StudyDirection
        return [d.MAXIMIZE if self._maximised(n) else d.MINIMIZE for n in self.objectives]

    @property
    def metric_names(self) -> list[str]:
        """The objectives, in the order of `directions` and of the values `evaluate` returns."""
        return list(self.objectives)

    @staticmethod
    def _maximised(name: str) -> bool:
        return name.endswith("acc") or "_acc" in name

    def reseed(self, seed: int | None = None) -> None:
        """Recreate the generator that `seed='random'` draws the recorded runs with.

        Args:
            seed: the new generator's seed.
        """
        self.rng = np.random.default_rng(seed)

    def evaluate(self, params: Mapping[str, Any]) -> float | tuple[float, ...]:
        """The objectives of a configuration.

        Args:
            params: a mapping of the six edge names to op names (`config_to_cell`).

        Returns:
            The value of the single objective, or a tuple in the order of `objectives`.

        Raises:
            QueryError: a value is not recorded.
        """
        return self._evaluate(config_to_cell(params))

    def _evaluate(self, cell: int) -> float | tuple[float, ...]:
        out = []
        for name in self.objectives:
            if name == "cost":
                out.append(float(self.bench.cost(cell, self.epoch)))
            elif name in self._props:
                out.append(float(self._props[name][cell]))
            else:
                out.append(float(self.bench.query(cell, name, epoch=self.epoch, seed=self.seed, rng=self.rng)))
        if any(np.isnan(out)):
            raise QueryError(f"cell {cell}: {dict(zip(self.objectives, out))} has a value not recorded")
        return out[0] if len(out) == 1 else tuple(out)

    def __call__(self, trial: Any) -> float | tuple[float, ...]:
        """Evaluate an Optuna trial.

        Suggests the six edges, and records `cell`, `arch`, `cost` and (where the benchmark has one)
        `test_acc` and `test_metric` in the trial's user attributes.

        Args:
            trial: the Optuna trial.

        Returns:
            As `evaluate`.

        Raises:
            QueryError: a value is not recorded.
        """
        params = {n: trial.suggest_categorical(n, list(OPS)) for n in EDGE_NAMES}
        cell = config_to_cell(params)
        values = self._evaluate(cell)
        trial.set_user_attr("cell", int(cell))
        trial.set_user_attr("arch", to_cell(cell).to_str())
        trial.set_user_attr("cost", float(self.bench.cost(cell, self.epoch)))
        if self.test_metric is not None:
            trial.set_user_attr("test_acc", float(self.bench.query(cell, self.test_metric)))
            trial.set_user_attr("test_metric", self.test_metric)
        return values

    def create_study(self, sampler: Any = None, **kwargs: Any) -> Any:
        """`optuna.create_study` with this problem's directions.

        Args:
            sampler: the Optuna sampler (None: Optuna's default).
            **kwargs: passed to `optuna.create_study`.

        Returns:
            The study.
        """
        return self._optuna.create_study(sampler=sampler, directions=self.directions, **kwargs)
