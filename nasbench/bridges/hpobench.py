"""A benchmark in HPOBench's exact shape (its NAS-Bench-201 benchmarks' interface and conventions).

`objective_function(configuration, fidelity=None, rng=None, **kwargs)` returns
`{'function_value', 'cost', 'info'}`, to be minimised: `function_value = 100 - accuracy`
(percent error, as HPOBench's NAS-Bench-201 benchmarks give it). The only keyword is HPOBench's
`data_seed`: a seed (777), a tuple of seeds (averaged; the default is all the table's seeds, so
the seed mean) or `None` (one recorded run drawn with `rng`). Any other keyword is refused in
one line (`UnknownKeyword`), a fidelity passed as a keyword too (HPOBench refuses it).

Fidelity `epoch`: the epochs the benchmark holds and, on the NAS-Bench-201 tables, the two
training schedules they record: `{'epoch': 200}` reads the 200-epoch runs (`valid_acc`),
`{'epoch': 12}` the final result of the separate 12-epoch schedule (`valid_acc_s12`, seed mean
only), charged 12/200 of the recorded 200-epoch training time (the suite's `cost_factor`
convention, `nasbench.strategies.protocol.NB201_PROTOCOL`). HPOBench reads epoch `e` of the
200-epoch curve instead; these tables hold no curves.

`cost`: the training seconds of one run at that fidelity, as the benchmark records them. HPOBench
sums the runs' times when it averages several seeds and adds evaluation time; the tables record one
training time per cell and no evaluation time. `info` has HPOBench's keys (`train_precision`,
`train_losses`, `train_cost`, `valid_precision`, `valid_losses`, `valid_cost`,
`test_precision`, `test_losses`, `test_cost`, `fidelity`); a value the benchmark does not
hold is `None` and `info['not_recorded']` names it, `objective_function` never shows a test
value (`test_precision` is `None`, `info['withheld']` says so: `objective_function_test`
gives it).

Never a silent NaN: NAS-Bench-201's tables list two runs without their seeds for 7,456 cells, and
the 12-epoch schedule holds the seed mean only. A `data_seed` that names a run the cell does not
record is an error by default (`missing_seed='error'`); `missing_seed='mean'` reads the mean of
the runs recorded instead and names that fallback in `info['fallback']` (HPOBench fills such runs
with another seed's values).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..tables.benchmark import Benchmark, QueryError
from ..space import N_CELLS
from ..strategies.cellspace import config_to_cell, configuration_space, epoch_list
from ..util.extras import require

#: the 12-epoch schedule of NAS-Bench-201 (its `hp='12'` results, the tables' `*_s12` metrics)
S12 = 12
_REFERENCES = [
    "@inproceedings{dong2020nasbench201, title = {{NAS-Bench-201}: Extending the Scope of Reproducible Neural "
    "Architecture Search}, author = {Dong, Xuanyi and Yang, Yi}, booktitle = {ICLR}, year = {2020}}",
    "https://openreview.net/forum?id=HJxyZkBKDr",
]
#: HPOBench's `info` keys of its NAS-Bench-201 benchmarks
INFO_KEYS = ("train_precision", "train_losses", "train_cost", "valid_precision", "valid_losses", "valid_cost",
             "test_precision", "test_losses", "test_cost", "fidelity")
_NOT_RECORDED = ("train_precision", "train_losses", "valid_losses", "test_losses")


class UnknownKeyword(QueryError, TypeError):
    """A keyword argument the HPOBench shape does not take (a TypeError too, as Python's own)."""


@dataclass(frozen=True)
class Schedule:
    """One fidelity value: the metrics read and how its cost is charged.

    Attributes:
        epoch: the fidelity value.
        metric: the validation metric read.
        test_metric: the test metric read; None: no test value at this fidelity.
        cost_epoch: the benchmark's epoch whose recorded time is charged.
        cost_factor: the share of that time charged.
        note: what the fidelity means, for `get_meta_information`.
    """

    epoch: int
    metric: str
    test_metric: str | None  # None: no test value at this fidelity
    cost_epoch: int | None  # the benchmark's epoch whose recorded time is charged
    cost_factor: float
    note: str


def _test_pair(bench: Benchmark, metric: str) -> str | None:
    metrics = bench.meta.details.training_metrics
    pair = (metrics.get(metric) or {}).get("test_pair")
    return pair if pair in bench.metric_names else None


def _rng(rng: Any) -> np.random.Generator:
    """HPOBench's `rng` (int, `numpy.random.RandomState` or None) or a `numpy.random.Generator`."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.RandomState):
        return np.random.default_rng(int(rng.randint(0, 2 ** 31 - 1)))
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(None if rng is None else int(rng))
    raise QueryError(f"rng must be an int, numpy.random.RandomState, numpy.random.Generator or None, "
                     f"got {type(rng).__name__}")


class HPOBenchBenchmark:
    """Any benchmark `nasbench.load` returns (table or surrogate file), HPOBench-style.

    ```python
    b = HPOBenchBenchmark(nasbench.load("nb201-cifar100"), rng=1)
    config = b.get_configuration_space(seed=1).sample_configuration()
    b.objective_function(configuration=config, fidelity={"epoch": 200}, rng=1)["function_value"]
    ```

    Args:
        bench: the benchmark.
        metric: the validation metric (default `valid_acc`; a test metric is refused).
        test_metric: what `objective_function_test` reads (default: the metric's test pair as the
            table records it, e.g. `valid_test_acc` on CIFAR-10, the test accuracy of the same
            cifar10-valid runs, as HPOBench's `Cifar10ValidNasBench201Benchmark`; else `test_acc`).
        rng: the generator (or its seed) that draws a run where `data_seed` is None.
        missing_seed: `'error'` or `'mean'` (see the module's docstring).

    Raises:
        QueryError: an unknown or test `metric`, an unknown `test_metric`, or another
            `missing_seed`.
    """

    def __init__(self, bench: Benchmark, metric: str = "valid_acc", test_metric: str | None = None,
                 rng: Any = None, missing_seed: str = "error") -> None:
        if metric not in bench.metric_names:
            raise QueryError(f"metric {metric!r} not in the benchmark; it has: {', '.join(bench.metric_names)}")
        if "test" in metric:  # test_acc, valid_test_acc, valtest_acc (validation + test images)
            raise QueryError(f"metric {metric!r} is a test metric; objective_function reports validation, "
                             "objective_function_test the test metric")
        if test_metric is None:
            test_metric = _test_pair(bench, metric) or "test_acc"
        if test_metric not in bench.metric_names:
            raise QueryError(f"metric {test_metric!r} not in the benchmark; it has: {', '.join(bench.metric_names)}")
        if missing_seed not in ("error", "mean"):
            raise QueryError(f"missing_seed {missing_seed!r} not allowed; use 'error' or 'mean'")
        self.bench, self.metric, self.test_metric, self.missing_seed = bench, metric, test_metric, missing_seed
        self.epochs = epoch_list(bench)
        self.seeds = tuple(int(s) for s in np.asarray(bench.seeds).tolist())
        self.schedules = self._schedules()
        self.rng = _rng(rng)
        self.configuration_space = self.get_configuration_space()
        self.fidelity_space = self.get_fidelity_space()

    def _schedules(self) -> dict[int, Schedule]:
        b, last = self.bench, self.epochs[-1]
        out: dict[int, Schedule] = {}
        s12 = f"{self.metric}_s12"
        if s12 in b.metric_names and S12 not in self.epochs and last > S12:
            t12 = _test_pair(b, s12) or ("test_acc_s12" if "test_acc_s12" in b.metric_names else None)
            out[S12] = Schedule(S12, s12, t12, None, S12 / last,
                                f"the separate {S12}-epoch schedule's final result ({s12}); cost: {S12}/{last} of "
                                f"the recorded {last}-epoch training time")
        for e in self.epochs:
            out[e] = Schedule(e, self.metric, self.test_metric if e == last else None, e, 1.0,
                              f"epoch {e} of the {last}-epoch runs ({self.metric})")
        return dict(sorted(out.items()))

    # -- spaces ------------------------------------------------------------------------------
    @staticmethod
    def get_configuration_space(seed: int | None = None) -> Any:
        """The cell as HPOBench names it.

        Six categoricals `1<-0` ... `3<-2` over the op names (our names `edge_1_0` ... are accepted
        on input too).

        Args:
            seed: the configuration space's seed.

        Returns:
            The ConfigSpace `ConfigurationSpace`.
        """
        return configuration_space(seed, hpobench_names=True)

    def get_fidelity_space(self, seed: int | None = None) -> Any:
        """The fidelity space: one hyperparameter, `epoch`.

        `epoch` is an integer range when the fidelities are every epoch 1..E, else an ordinal over
        them (`[12, 200]` on the NAS-Bench-201 tables); default the last (HPOBench's convention).

        Args:
            seed: the configuration space's seed.

        Returns:
            The ConfigSpace `ConfigurationSpace`.
        """
        cs_mod = require("ConfigSpace")
        eps = list(self.schedules)
        cs = cs_mod.ConfigurationSpace(name="nb201-fidelity", seed=seed)
        if len(eps) > 1 and eps == list(range(eps[0], eps[-1] + 1)):
            hp = cs_mod.UniformIntegerHyperparameter("epoch", lower=eps[0], upper=eps[-1], default_value=eps[-1])
        else:
            hp = cs_mod.OrdinalHyperparameter("epoch", sequence=eps, default_value=eps[-1])
        cs.add(hp)
        return cs

    def get_meta_information(self) -> dict[str, Any]:
        """HPOBench's meta information.

        Returns:
            Name, references, dataset, source, and what `function_value`, `cost`, the fidelities,
            `data_seed` and `missing_seed` mean here.
        """
        return {"name": f"NAS-Bench-201 ({self.bench.name or self.bench.meta.dataset}) via nasbench",
                "references": list(_REFERENCES), "code": "nasbench.bridges.HPOBenchBenchmark",
                "dataset": self.bench.meta.dataset, "source": self.bench.meta.source,
                "function_value": f"100 - {self.metric} (percent error, minimise)",
                "cost": "training seconds of one run at the fidelity, as the benchmark records them (no "
                        "evaluation time; not summed over the seeds averaged)",
                "fidelity": {"epoch": {e: s.note for e, s in self.schedules.items()}},
                "data_seed": f"a seed of {list(self.seeds)}, a tuple of them (averaged; default all: the seed "
                             f"mean) or None (one recorded run drawn with rng)",
                "missing_seed": self.missing_seed}

    # -- argument checks ---------------------------------------------------------------------
    def _schedule(self, fidelity: Any) -> Schedule:
        if type(fidelity) is dict and len(fidelity) == 1:  # the common call, checked fast
            e = fidelity.get("epoch")
            if type(e) is int and e in self.schedules:
                return self.schedules[e]
        last = list(self.schedules)[-1]
        if fidelity is None:
            return self.schedules[last]
        if isinstance(fidelity, (str, bytes)) or not (hasattr(fidelity, "keys") and hasattr(fidelity, "get")):
            raise QueryError(f"fidelity must be a mapping like {{'epoch': {last}}} or None, "
                             f"got {type(fidelity).__name__}")
        extra = [k for k in fidelity.keys() if k != "epoch"]
        if extra:
            raise QueryError(f"fidelity {extra[0]!r} unknown; the only fidelity is 'epoch'")
        e = fidelity.get("epoch", last)
        try:
            ok = not isinstance(e, bool) and float(e) == int(e) and int(e) in self.schedules
        except (TypeError, ValueError, OverflowError):
            ok = False
        if not ok:
            raise QueryError(f"fidelity epoch {e!r} not held; allowed: {self._allowed()}")
        return self.schedules[int(e)]

    def _allowed(self) -> str:
        ep = list(self.schedules)
        return f"{ep[0]}..{ep[-1]}" if ep == list(range(ep[0], ep[-1] + 1)) and len(ep) > 1 else ", ".join(map(str, ep))

    @staticmethod
    def _kwargs(kwargs: Mapping[str, Any], where: str) -> None:
        for k in kwargs:
            hint = (" (a fidelity: pass fidelity={'epoch': ...})" if k == "epoch" else
                    " (HPOBench's name is data_seed)" if k == "seed" else "")
            raise UnknownKeyword(f"{where}() got an unknown keyword {k!r}{hint}; it takes configuration, fidelity, "
                                 "rng, data_seed")

    def _data_seed(self, data_seed: Any) -> tuple[int, ...] | None:
        if data_seed is None:
            return None
        if isinstance(data_seed, (list, tuple)):
            if not data_seed:
                raise QueryError("data_seed must not be empty")
            items = list(data_seed)
        else:
            items = [data_seed]
        seeds = []
        for s in items:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or int(s) not in self.seeds:
                raise QueryError(f"data_seed {data_seed!r} not allowed; use one of {list(self.seeds)}, a tuple of "
                                 f"them, or None (one recorded run drawn with rng)")
            if int(s) not in seeds:
                seeds.append(int(s))
        return tuple(seeds)

    # -- reading -----------------------------------------------------------------------------
    def _recorded(self, cell: int, metric: str, epoch: int | None) -> np.ndarray:
        """The cell's runs per seed slot (NaN: not recorded); one value for a seed-mean-only metric."""
        if metric in self.bench.mean_only:
            return np.array([])
        return np.asarray(self.bench.runs(np.array([cell]), metric, epoch), dtype=np.float64)[0]

    def _n_recorded(self, cell: int, metric: str, epoch: int | None) -> int | None:
        """How many runs the cell records (None: a seed-mean-only metric); counted once per (metric, epoch)."""
        if metric in self.bench.mean_only:
            return None
        if not self.bench.measured_runs:  # a model's draws: every run there
            return len(self.seeds)
        cache = self.__dict__.setdefault("_counts", {})
        key = (metric, epoch)
        if key not in cache:
            cov = np.asarray(self.bench.covered, dtype=np.int64)
            r = np.asarray(self.bench.runs(cov, metric, epoch), dtype=np.float64)
            counts = np.zeros(N_CELLS, dtype=np.int64)
            counts[cov] = np.count_nonzero(~np.isnan(r), axis=1)
            cache[key] = counts
        return int(cache[key][cell])

    def _read(self, cell: int, metric: str, epoch: int | None, seeds: tuple[int, ...] | None,
              rng: np.random.Generator) -> tuple[float, Any, int | None, str | None]:
        """(value, data_seed used, runs read or None where unknown, fallback note)."""
        b = self.bench
        if seeds is not None and set(seeds) == set(self.seeds):  # HPOBench's default: every run
            n_rec = self._n_recorded(cell, metric, epoch)
            v = float(b.query(cell, metric, epoch=epoch, seed="mean"))
            fb = None
            if n_rec is not None and n_rec < len(self.seeds):
                fb = (f"cell {cell} records {n_rec} of the {len(self.seeds)} runs (their seeds unrecorded in the "
                      f"source): the mean of those {n_rec}")
            return v, list(seeds), n_rec, fb
        runs = self._recorded(cell, metric, epoch)
        n_rec = int(np.count_nonzero(~np.isnan(runs))) if runs.size else None
        mean_only = runs.size == 0
        if mean_only:
            why = f"metric {metric!r} holds only the mean over the seeds"
        else:
            if seeds is None:
                v = float(b.query(cell, metric, epoch=epoch, seed="random", rng=rng))
                if not np.isnan(v):
                    hit = np.flatnonzero(runs == v)
                    used = None
                    if hit.size:
                        used = int(b.run_seeds(np.array([cell]))[0, int(hit[0])])
                    label = "drawn" if not hit.size else "unrecorded" if used is None or used < 0 else used
                    return v, label, 1, None
                why = "no run recorded"  # not reached on a covered cell
            else:
                vals = [float(b.query(cell, metric, epoch=epoch, seed=s)) for s in seeds]
                if not any(np.isnan(vals)):
                    return float(np.mean(vals)), list(seeds), len(vals), None
                miss = [s for s, v in zip(seeds, vals) if np.isnan(v)]
                why = (f"cell {cell} records no run with seed {', '.join(map(str, miss))} ({n_rec} runs recorded, "
                       f"their seeds {'unrecorded' if n_rec else 'none'} in the source)")
        asked = "None" if seeds is None else (seeds[0] if len(seeds) == 1 else seeds)
        if self.missing_seed == "error":
            raise QueryError(f"data_seed={asked}: {why}; use data_seed={tuple(self.seeds)} (the seed mean, the "
                             "default) or HPOBenchBenchmark(..., missing_seed='mean')")
        v = float(b.query(cell, metric, epoch=epoch, seed="mean"))
        return v, list(self.seeds), n_rec, f"data_seed={asked}: {why}; read the mean of the runs recorded"

    def _cost(self, cell: int, sch: Schedule) -> float:
        return float(self.bench.cost(cell, sch.cost_epoch)) * sch.cost_factor

    def _cell(self, configuration: Any) -> int:
        cell = config_to_cell(configuration)
        if cell not in self._covered():
            raise QueryError(f"configuration (cell {cell}) not covered by this benchmark")
        return cell

    def _covered(self) -> set[int]:
        cov = getattr(self, "_cov", None)
        if cov is None:
            cov = self._cov = set(np.asarray(self.bench.covered).tolist())
        return cov

    def _result(self, cell: int, sch: Schedule, metric: str, value: float, used: Any, runs: int | None,
                fallback: str | None, test: bool) -> dict[str, Any]:
        if np.isnan(value):  # never a silent NaN
            raise QueryError(f"cell {cell}: {metric} at epoch {sch.epoch} not recorded")
        cost = self._cost(cell, sch)
        err = float(100.0 - value)
        info: dict[str, Any] = {k: None for k in INFO_KEYS}
        info.update(train_cost=cost, valid_cost=cost, test_cost=cost if sch.test_metric else None,
                    fidelity={"epoch": sch.epoch})
        if test:
            info["test_precision"] = err
        else:
            info["valid_precision"] = err
        info.update({metric: float(value), "cell": int(cell), "metric": metric, "data_seed": used, "runs": runs,
                     "schedule": sch.note,
                     "not_recorded": [k for k in _NOT_RECORDED] + (["test_cost"] if not sch.test_metric else []) +
                                     (["valid_precision"] if test else []),
                     "withheld": None if test else "test_precision: objective_function_test gives it"})
        if fallback:
            info["fallback"] = fallback
        return {"function_value": err, "cost": cost, "info": info}

    # -- HPOBench's calls --------------------------------------------------------------------
    def objective_function(self, configuration: Any, fidelity: Any = None, rng: Any = None,
                           data_seed: Any = "all", **kwargs: Any) -> dict[str, Any]:
        """`100 - validation accuracy` of a configuration at a fidelity.

        Args:
            configuration: a ConfigSpace `Configuration` or a mapping of edge names to op names.
            fidelity: `{'epoch': e}` (default: the last fidelity).
            rng: where given, becomes the benchmark's generator (as HPOBench's).
            data_seed: `'all'` (the seed mean, default), a seed, a tuple of seeds (averaged) or None
                (one recorded run drawn with `rng`).
            **kwargs: refused (`UnknownKeyword`), as HPOBench refuses them.

        Returns:
            `{'function_value', 'cost', 'info'}` (see the module's docstring).

        Raises:
            UnknownKeyword: a keyword argument HPOBench does not take.
            QueryError: a configuration the benchmark does not cover, an unknown fidelity or
                `data_seed`, or a run not recorded under `missing_seed='error'`.
        """
        self._kwargs(kwargs, "objective_function")
        cell = self._cell(configuration)
        sch = self._schedule(fidelity)
        seeds = self.seeds if isinstance(data_seed, str) and data_seed == "all" else self._data_seed(data_seed)
        if rng is not None:
            self.rng = _rng(rng)  # as HPOBench: a given rng becomes the benchmark's
        epoch = None if sch.cost_epoch is None else sch.epoch
        v, used, runs, fb = self._read(cell, sch.metric, epoch, seeds, self.rng)
        return self._result(cell, sch, sch.metric, v, used, runs, fb, test=False)

    def objective_function_test(self, configuration: Any, fidelity: Any = None, rng: Any = None,
                                data_seed: Any = "all", **kwargs: Any) -> dict[str, Any]:
        """`100 - test accuracy` at the end of a schedule.

        The end of a schedule is the last epoch, or 12 on the NAS-Bench-201 tables; the seed mean by
        default, as HPOBench's.

        Args:
            configuration: as for `objective_function`.
            fidelity: as for `objective_function`; must be the end of a schedule.
            rng: as for `objective_function`.
            data_seed: as for `objective_function`.
            **kwargs: refused (`UnknownKeyword`).

        Returns:
            `{'function_value', 'cost', 'info'}`.

        Raises:
            UnknownKeyword: a keyword argument HPOBench does not take.
            QueryError: a fidelity that is not the end of a schedule, or as `objective_function`.
        """
        self._kwargs(kwargs, "objective_function_test")
        cell = self._cell(configuration)
        sch = self._schedule(fidelity)
        if sch.test_metric is None:
            ends = [e for e, s in self.schedules.items() if s.test_metric]
            raise QueryError(f"objective_function_test is the end of a schedule only (epoch "
                             f"{', '.join(map(str, ends))}), got {sch.epoch}")
        seeds = self.seeds if isinstance(data_seed, str) and data_seed == "all" else self._data_seed(data_seed)
        if rng is not None:
            self.rng = _rng(rng)
        v, used, runs, fb = self._read(cell, sch.test_metric, None, seeds, self.rng)
        return self._result(cell, sch, sch.test_metric, v, used, runs, fb, test=True)

    def __call__(self, configuration: Any, **kwargs: Any) -> float:
        """`objective_function(configuration, **kwargs)['function_value']` (for SciPy-style optimisers).

        Args:
            configuration: as for `objective_function`.
            **kwargs: as for `objective_function`.

        Returns:
            The percent error.
        """
        return self.objective_function(configuration, **kwargs)["function_value"]


class _NB201(HPOBenchBenchmark):
    """HPOBench's NAS-Bench-201 classes by name on the embedded tables: its code runs with the import changed."""

    table = ""

    def __init__(self, rng: Any = None, **kwargs: Any) -> None:
        from ..tables.registry import load

        super().__init__(load(self.table), rng=rng, **kwargs)


class Cifar10ValidNasBench201Benchmark(_NB201):
    """HPOBench's `cifar10-valid` on the table `nb201-cifar10`.

    The objective is the 25k/25k split's validation accuracy (`valid_acc`); `objective_function_test`
    gives the test accuracy of the same runs (`valid_test_acc`).

    Args:
        rng: the generator (or its seed) that draws a run where `data_seed` is None, as HPOBench's.
        **kwargs: the other keywords of `HPOBenchBenchmark`.
    """

    table = "nb201-cifar10"


class Cifar100NasBench201Benchmark(_NB201):
    """HPOBench's `cifar100` on the table `nb201-cifar100`.

    HPOBench's objective there is `ori-test` (validation + test images); ours is the validation
    split (`valid_acc`), so that no test image steers the search; `objective_function_test` gives
    `test_acc`.

    Args:
        rng: the generator (or its seed) that draws a run where `data_seed` is None, as HPOBench's.
        **kwargs: the other keywords of `HPOBenchBenchmark`.
    """

    table = "nb201-cifar100"


class ImageNetNasBench201Benchmark(_NB201):
    """HPOBench's `ImageNet16-120` on the table `nb201-imagenet16-120`; objectives as for `cifar100`.

    Args:
        rng: the generator (or its seed) that draws a run where `data_seed` is None, as HPOBench's.
        **kwargs: the other keywords of `HPOBenchBenchmark`.
    """

    table = "nb201-imagenet16-120"
