"""A benchmark in HPOBench's shape (its NAS-Bench-201 benchmarks' conventions).

``objective_function(configuration, fidelity=None, seed=None)`` returns ``{'function_value',
'cost', 'info'}``, to be minimised: ``function_value = 100 - accuracy`` (percent error, as
HPOBench's NAS-Bench-201 benchmarks give it); ``cost`` = the benchmark's training seconds up to
``fidelity['epoch']`` (the table's recorded time; HPOBench also adds evaluation time, which these
tables do not record). ``objective_function_test`` gives the test metric at the last epoch.
``seed``: ``None`` = the mean of the recorded runs (HPOBench averages the runs 777, 888, 999 by
default), ``'random'`` = one recorded run drawn with ``rng``, or a seed number.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..benchmark import Benchmark, QueryError
from .cellspace import config_to_cell, configuration_space, epoch_list, fidelity_space


def _seed_arg(seed: Any) -> Any:
    if seed is None or seed == "mean":
        return "mean"
    if seed == "random":
        return "random"
    if isinstance(seed, (bool, float)) or not isinstance(seed, (int, np.integer)):
        raise QueryError(f"seed {seed!r} not allowed; use None (the mean of the runs), 'random' or a seed number")
    return int(seed)


class HPOBenchBenchmark:
    """Any benchmark ``nasbench.load`` returns (table or surrogate file), HPOBench-style.

    >>> b = HPOBenchBenchmark(nasbench.load("nb201-cifar100"))
    >>> cs = b.get_configuration_space(seed=0)
    >>> b.objective_function(cs.sample_configuration(), fidelity={"epoch": 200})["function_value"]
    """

    def __init__(self, bench: Benchmark, metric: str = "valid_acc", test_metric: str = "test_acc",
                 rng: np.random.Generator | int | None = None) -> None:
        for m in (metric, test_metric):
            if m not in bench.metric_names:
                raise QueryError(f"metric {m!r} not in the benchmark; it has: {', '.join(bench.metric_names)}")
        if "test" in metric.split("_"):
            raise QueryError(f"metric {metric!r} is a test metric; objective_function reports validation, "
                             "objective_function_test the test metric")
        self.bench, self.metric, self.test_metric = bench, metric, test_metric
        self.epochs = epoch_list(bench)
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    # -- spaces ------------------------------------------------------------------------------
    @staticmethod
    def get_configuration_space(seed: int | None = None) -> Any:
        return configuration_space(seed)

    def get_fidelity_space(self, seed: int | None = None) -> Any:
        return fidelity_space(self.bench, seed)

    def get_meta_information(self) -> dict[str, Any]:
        return {"name": f"nasbench {self.bench.name}".strip(),
                "dataset": self.bench.meta.dataset, "source": self.bench.meta.source,
                "function_value": f"100 - {self.metric} (percent error, minimise)",
                "cost": "training seconds up to the fidelity's epoch, as the benchmark records them",
                "fidelity": {"epoch": self.epochs}}

    # -- evaluation --------------------------------------------------------------------------
    def _epoch(self, fidelity: Mapping[str, Any] | None) -> int:
        if fidelity is None:
            return self.epochs[-1]
        if isinstance(fidelity, (str, bytes)) or not (hasattr(fidelity, "keys") and hasattr(fidelity, "get")):
            raise QueryError(f"fidelity must be a mapping like {{'epoch': {self.epochs[-1]}}} or None, "
                             f"got {type(fidelity).__name__}")
        e = fidelity.get("epoch", self.epochs[-1])
        extra = [k for k in fidelity.keys() if k != "epoch"]
        if extra:
            raise QueryError(f"fidelity {extra[0]!r} unknown; the only fidelity is 'epoch'")
        try:
            ok = not isinstance(e, bool) and float(e) == int(e) and int(e) in self.epochs
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise QueryError(f"fidelity epoch {e!r} not held; allowed: {self._allowed()}")
        return int(e)

    def _allowed(self) -> str:
        ep = self.epochs
        return f"{ep[0]}..{ep[-1]}" if ep == list(range(ep[0], ep[-1] + 1)) and len(ep) > 1 else ", ".join(map(str, ep))

    def _rng(self, rng: np.random.Generator | int | None) -> np.random.Generator:
        if rng is None:
            return self.rng
        return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    def objective_function(self, configuration: Mapping[str, Any], fidelity: Mapping[str, Any] | None = None,
                           seed: Any = None, rng: np.random.Generator | int | None = None,
                           **kwargs: Any) -> dict[str, Any]:
        cell = config_to_cell(configuration)
        e = self._epoch(fidelity)
        s = _seed_arg(seed)
        acc = self.bench.query(cell, self.metric, epoch=e, seed=s, rng=self._rng(rng))
        cost = float(self.bench.cost(cell, e))
        return {"function_value": float(100.0 - acc), "cost": cost,
                "info": {self.metric: float(acc), "cell": int(cell), "fidelity": {"epoch": e},
                         "seed": "mean" if s == "mean" else s}}

    def objective_function_test(self, configuration: Mapping[str, Any], fidelity: Mapping[str, Any] | None = None,
                                seed: Any = None, rng: np.random.Generator | int | None = None,
                                **kwargs: Any) -> dict[str, Any]:
        cell = config_to_cell(configuration)
        e = self._epoch(fidelity)
        if e != self.epochs[-1]:
            raise QueryError(f"objective_function_test is the last epoch only ({self.epochs[-1]}), got {e}")
        s = _seed_arg(seed)
        acc = self.bench.query(cell, self.test_metric, epoch=None, seed=s, rng=self._rng(rng))
        return {"function_value": float(100.0 - acc), "cost": float(self.bench.cost(cell, e)),
                "info": {self.test_metric: float(acc), "cell": int(cell), "fidelity": {"epoch": e},
                         "seed": "mean" if s == "mean" else s}}
