"""NATS-Bench's topology API (`nats_bench.create(None, 'tss')`) over the embedded NAS-Bench-201 tables.

Code written for NATS-Bench runs against `NATSCompat` with its calls unchanged:

    from nasbench.bridges.nats_compat import create
    api = create(None, 'tss')
    info = api.get_more_info(1234, 'cifar10-valid', hp='200')      # {'valid-accuracy': ..., ...}
    cost = api.get_cost_info(12, 'cifar10')                        # {'flops': ..., 'params': ...}
    acc, latency, time_cost, total = api.simulate_train_eval(1224, dataset='cifar10', hp='12')

Every number comes from the tables `nb201-cifar10` (datasets `cifar10-valid` and `cifar10`),
`nb201-cifar100` (`cifar100`) and `nb201-imagenet16-120` (`ImageNet16-120`). Where they
hold less than NATS-Bench's own files, this object says so instead of inventing a value:

* **keys**: only what a table holds is returned. There are no losses, no training accuracy, no
  evaluation times (`valid-per-time`, `T-x-valid@epoch` ...) and no latency in NATS-Bench's
  sense; `cifar10` (trained on all 50k) has no recorded training time. Such keys are absent from
  `get_more_info` / `get_cost_info`; `get_latency` raises `NATSCompatError`.
* `hp='12'`: the 12-epoch schedule is held as the **mean of its runs** (`valid_acc_s12`,
  `test_acc_s12`), so `is_random` does not change it; its training time is the 200-epoch
  run's recorded time x 12/200 (the rule nasbench's NAS-Bench-201 presets charge,
  `Protocol.cost_factor`), since the tables record no 12-epoch time.
* `hp='200'`: validation accuracy (and x-test / ori-test on CIFAR-100 and ImageNet16-120) per
  recorded run; `cifar10`'s test accuracy and `cifar10-valid`'s test accuracy are seed means
  only. `is_random=True` picks one recorded run (the same run for every per-run key);
  `is_random=<seed>` needs a seed the cell's runs record (7,456 cells list two runs whose seeds
  the source does not record). Training time is one value per cell (the recorded time).
* `simulate_train_eval` charges the training time only (no validation time is recorded) and
  returns `latency=None`.
* `iepoch`: only the final epoch is recorded (`None`, or 11 / 199 for `hp='12'` / `'200'`).
* `query_index_by_arch` raises on a string that is not a cell of the space (NATS-Bench returns
  -1), and every bad argument is one line naming what is allowed (`NATSCompatError`, a
  `NasbenchError` and a `ValueError`).
"""
from __future__ import annotations

import random as _random
from typing import Any

import numpy as np

from ..errors import NasbenchError
from ..space import N_CELLS, SpaceError, to_cell

#: NATS-Bench's dataset names -> the embedded table holding them
DATASET_TABLES: dict[str, str] = {
    "cifar10-valid": "nb201-cifar10", "cifar10": "nb201-cifar10",
    "cifar100": "nb201-cifar100", "ImageNet16-120": "nb201-imagenet16-120",
}
DATASETS = tuple(DATASET_TABLES)
#: the datasets ``simulate_train_eval`` takes (``cifar10`` is searched on ``cifar10-valid``, as in NATS-Bench)
SIMULATE_DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
HPS = ("12", "200")
_EPOCHS = {"12": 12, "200": 200}

#: (dataset, hp) -> NATS-Bench key -> table metric; the accuracies each table holds
_ACCURACY: dict[tuple[str, str], dict[str, str]] = {
    ("cifar10-valid", "200"): {"valid-accuracy": "valid_acc", "test-accuracy": "valid_test_acc"},
    ("cifar10", "200"): {"test-accuracy": "test_acc"},
    ("cifar10-valid", "12"): {"valid-accuracy": "valid_acc_s12"},
    ("cifar10", "12"): {"test-accuracy": "test_acc_s12"},
}
for _ds in ("cifar100", "ImageNet16-120"):
    _ACCURACY[(_ds, "200")] = {"valid-accuracy": "valid_acc", "test-accuracy": "test_acc",
                               "valtest-accuracy": "valtest_acc"}
    _ACCURACY[(_ds, "12")] = {"valid-accuracy": "valid_acc_s12", "test-accuracy": "test_acc_s12"}
#: NATS-Bench's evaluation-set names per dataset (``ResultsCount.get_eval``) -> key of ``_ACCURACY``
_EVAL_SETS: dict[str, dict[str, str]] = {
    "cifar10-valid": {"x-valid": "valid-accuracy", "valid": "valid-accuracy", "ori-test": "test-accuracy"},
    "cifar10": {"ori-test": "test-accuracy"},
    "cifar100": {"x-valid": "valid-accuracy", "valid": "valid-accuracy", "x-test": "test-accuracy",
                 "ori-test": "valtest-accuracy"},
}
_EVAL_SETS["ImageNet16-120"] = _EVAL_SETS["cifar100"]
#: datasets whose table records the training time (cifar10's 50k trainings have none in the data)
_TIMED = ("cifar10-valid", "cifar100", "ImageNet16-120")


class NATSCompatError(NasbenchError, ValueError):
    """A NATS-Bench call this object cannot answer: unknown dataset, hp, index, epoch or seed, or
    a value the tables do not hold (the message is one line naming what is allowed)."""


def create(file_path_or_dict: Any = None, search_space: str = "tss", fast_mode: bool = True,
           verbose: bool = False, seed: int | None = None) -> "NATSCompat":
    """`nats_bench.create` for the topology search space.

    Args:
        file_path_or_dict: ignored (the data is embedded).
        search_space: `'tss'` or `'topology'` (the size space is not held).
        fast_mode: accepted for NATS-Bench's signature.
        verbose: accepted for NATS-Bench's signature.
        seed: seeds the generator behind `is_random=True` and `random`.

    Returns:
        The API object.

    Raises:
        NATSCompatError: another search space.
    """
    if search_space not in ("tss", "topology"):
        raise NATSCompatError(f"search space {search_space!r} not held; allowed: 'tss' (or 'topology'); "
                              "NATS-Bench's size space (sss) is not embedded")
    return NATSCompat(seed=seed, verbose=verbose)


class NATSTrial:
    """One recorded run of a cell (NATS-Bench's `ResultsCount`), as far as the table holds it.

    `get_eval(name)` gives `{'iepoch', 'accuracy'}` (no loss, no time: not recorded);
    `get_train()` gives `{'iepoch', 'all_time', 'cur_time'}` where the training time is recorded
    (`cur_time`: the mean per-epoch time).

    Args:
        name: the dataset.
        arch_str: the cell's arch string.
        seed: the run's seed (None where the source does not record it, or for the seed mean of
            `hp='12'`).
        epochs: the schedule's length.
        accuracies: the final accuracies by evaluation key.
        train_time: the training time (s), None where not recorded.
        params: parameters (M).
        flop: FLOPs (M).
    """

    def __init__(self, name: str, arch_str: str, seed: int | None, epochs: int, accuracies: dict[str, float],
                 train_time: float | None, params: float, flop: float):
        self.name, self.arch_str, self.seed, self.epochs = name, arch_str, seed, epochs
        self._acc, self._time = accuracies, train_time
        self.params, self.flop = params, flop

    def __repr__(self) -> str:
        return (f"NATSTrial({self.name}, arch={self.arch_str}, seed={self.seed}, epochs={self.epochs}, "
                f"eval-sets: {', '.join(self.get_eval_set())})")

    def get_eval_set(self) -> list[str]:
        """The evaluation sets this run holds an accuracy on."""
        return [k for k, v in _EVAL_SETS[self.name].items() if v in self._acc and k != "valid"]

    def get_total_epoch(self) -> int:
        """The schedule's length in epochs."""
        return self.epochs

    def _iepoch(self, iepoch: int | None) -> int:
        return _check_iepoch(iepoch, self.epochs)

    def get_eval(self, name: str, iepoch: int | None = None) -> dict[str, Any]:
        """The accuracy on an evaluation set.

        Args:
            name: the evaluation set, e.g. `ori-test` or `x-valid`.
            iepoch: None or the last epoch (only the final epoch is recorded).

        Returns:
            `{'iepoch', 'accuracy'}`.

        Raises:
            NATSCompatError: the set or epoch is not recorded.
        """
        e = self._iepoch(iepoch)
        key = _EVAL_SETS[self.name].get(name)
        if key is None or key not in self._acc:
            raise NATSCompatError(f"evaluation set {name!r} not recorded for {self.name}; held: "
                                  f"{', '.join(self.get_eval_set()) or '(none)'}")
        return {"iepoch": e, "accuracy": self._acc[key]}

    def get_train(self, iepoch: int | None = None) -> dict[str, Any]:
        """The training time of the run.

        Args:
            iepoch: None or the last epoch.

        Returns:
            `{'iepoch', 'all_time', 'cur_time'}` (`cur_time`: the mean per-epoch time).

        Raises:
            NATSCompatError: the epoch or the training time is not recorded.
        """
        e = self._iepoch(iepoch)
        if self._time is None:
            raise NATSCompatError(f"no training time recorded for {self.name}; the tables hold no training loss "
                                  "or accuracy")
        return {"iepoch": e, "all_time": self._time, "cur_time": self._time / self.epochs}

    def get_latency(self) -> float:
        """Not held.

        Raises:
            NATSCompatError: always (the tables hold no NATS-Bench latency).
        """
        raise NATSCompatError("latency not recorded: the embedded tables hold no NATS-Bench latency")


def _check_iepoch(iepoch: Any, epochs: int) -> int:
    if iepoch is None or (not isinstance(iepoch, bool) and isinstance(iepoch, (int, np.integer))
                          and int(iepoch) == epochs - 1):
        return epochs - 1
    raise NATSCompatError(f"iepoch {iepoch!r} not recorded: the tables hold only the final epoch of the "
                          f"{epochs}-epoch schedule; use iepoch=None or {epochs - 1}")


class NATSCompat:
    """NATS-Bench's topology API (`NATStopology`) answered from the embedded tables.

    Args:
        seed: seeds the generator behind `is_random=True` and `random` (NATS-Bench uses
            Python's global `random`); None: fresh entropy.
        verbose: accepted for NATS-Bench's signature; this object prints nothing.

    The methods take NATS-Bench's arguments and return its keys, restricted to what the tables hold
    (see the module's docstring and `info`).
    """

    def __init__(self, seed: int | None = None, verbose: bool = False):
        self._rng = _random.Random(seed)
        self.verbose = verbose
        self._tables: dict[str, Any] = {}
        self._used_time = 0.0

    # -- NATS-Bench's bookkeeping ----------------------------------------------------------------
    def __len__(self) -> int:
        return N_CELLS

    def __repr__(self) -> str:
        tables = ", ".join(dict.fromkeys(DATASET_TABLES.values()))
        return f"NATSCompat({N_CELLS}/{N_CELLS} architectures, tables {tables})"

    def __getitem__(self, index: int) -> str:
        return self.arch(index)

    @property
    def search_space_name(self) -> str:
        """`'topology'`."""
        return "topology"

    @property
    def avaliable_hps(self) -> list[str]:  # NATS-Bench's spelling
        """The training schedules held, `['12', '200']` (NATS-Bench's spelling; also `available_hps`)."""
        return list(HPS)

    available_hps = avaliable_hps

    @property
    def used_time(self) -> float:
        """Simulated seconds accounted by `simulate_train_eval(account_time=True)`."""
        return self._used_time

    def reset_time(self) -> None:
        """Set `used_time` back to 0."""
        self._used_time = 0.0

    @staticmethod
    def info() -> str:
        """What differs from NATS-Bench (the module's docstring)."""
        return __doc__ or ""

    def random(self) -> int:
        """A random architecture index (uniform over the 15,625 cells)."""
        return self._rng.randint(0, N_CELLS - 1)

    def arch(self, index: int) -> str:
        """The arch string of cell `index`."""
        return to_cell(self._index(index)).to_str()

    # -- arguments -----------------------------------------------------------------------------
    @staticmethod
    def _index(index: Any) -> int:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise NATSCompatError(f"architecture index must be an integer in [0, {N_CELLS}), got {index!r}")
        if not 0 <= int(index) < N_CELLS:
            raise NATSCompatError(f"architecture index {int(index)} out of range; allowed: 0 .. {N_CELLS - 1}")
        return int(index)

    @staticmethod
    def _dataset(dataset: Any, allowed: tuple[str, ...] = DATASETS) -> str:
        if dataset not in allowed:
            raise NATSCompatError(f"unknown dataset {dataset!r}; allowed: {', '.join(allowed)}")
        return str(dataset)

    @staticmethod
    def _hp(hp: Any) -> str:
        h = str(hp)
        if h not in HPS:
            raise NATSCompatError(f"hp {hp!r} not held; allowed: '12' (the 12-epoch schedule) or '200'; "
                                  "NATS-Bench's '01' and '90' are not embedded")
        return h

    def _table(self, dataset: str):
        name = DATASET_TABLES[dataset]
        if name not in self._tables:
            from ..tables.registry import load

            self._tables[name] = load(name)
        return self._tables[name]

    def query_index_by_arch(self, arch: Any) -> int:
        """The index of an architecture.

        Unlike NATS-Bench (which returns -1), a string that is not a cell of the space is an error.

        Args:
            arch: an index (checked), an arch string, or an object with `tostr()`.

        Returns:
            The official index.

        Raises:
            NATSCompatError: `arch` is not a cell of the space.
        """
        if isinstance(arch, (int, np.integer)) and not isinstance(arch, bool):
            return self._index(arch)
        if not isinstance(arch, str) and hasattr(arch, "tostr"):
            arch = arch.tostr()
        if not isinstance(arch, str):
            raise NATSCompatError(f"arch must be an index, an arch string or an object with tostr(), "
                                  f"got {type(arch).__name__}")
        try:
            return to_cell(arch).index
        except SpaceError as exc:
            raise NATSCompatError(f"unknown arch string {arch!r}: {str(exc).splitlines()[0]}") from None

    # -- what a cell holds -------------------------------------------------------------------------
    def _runs(self, index: int, dataset: str, hp: str) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
        """Per NATS key: the values per run slot (one slot for a seed mean), the run seeds of the
        cell, and which keys are per run."""
        bench = self._table(dataset)
        cells = np.array([index])
        vals, per_run = {}, []
        for key, metric in _ACCURACY[(dataset, hp)].items():
            vals[key] = bench.runs(cells, metric)[0]
            if metric not in bench.mean_only:
                per_run.append(key)
        seeds = bench.run_seed[bench.arch_row[index]]
        return vals, seeds, per_run

    def _train_time(self, index: int, dataset: str, hp: str) -> float | None:
        """Training seconds of the schedule `hp` (None where the table records no time)."""
        if dataset not in _TIMED:
            return None
        t200 = float(self._table(dataset).query(index, "time"))
        if hp == "200":
            return t200
        from ..strategies.protocol import NB201_PROTOCOL

        return t200 * NB201_PROTOCOL.cost_factor

    def _pick(self, index: int, dataset: str, vals: dict[str, np.ndarray], seeds: np.ndarray,
              per_run: list[str], is_random: Any) -> dict[str, float]:
        """The accuracies of one run (`is_random` True or a seed) or their means (False)."""
        out: dict[str, float] = {}
        slot = None
        if per_run:
            recorded = np.flatnonzero(~np.isnan(vals[per_run[0]]))
            if isinstance(is_random, bool):
                if is_random:
                    slot = int(recorded[self._rng.randrange(len(recorded))])
            elif isinstance(is_random, (int, np.integer)):
                hit = [int(s) for s in recorded if seeds[s] == int(is_random)]
                if not hit:
                    known = [int(seeds[s]) for s in recorded if seeds[s] >= 0]
                    raise NATSCompatError(
                        f"seed {int(is_random)} not recorded for cell {index} on {dataset}; "
                        + (f"its runs have seeds {known}" if known else
                           f"its {len(recorded)} runs record no seed numbers; use is_random=True or False"))
                slot = hit[0]
            else:
                raise NATSCompatError(f"is_random must be True, False or a seed number, got {is_random!r}")
        elif not isinstance(is_random, (bool, int, np.integer)):
            raise NATSCompatError(f"is_random must be True, False or a seed number, got {is_random!r}")
        for key, v in vals.items():
            if key in per_run and slot is not None:
                out[key] = float(v[slot])
            else:
                out[key] = float(np.nanmean(v))
        return out

    # -- NATS-Bench's queries ----------------------------------------------------------------------
    def get_more_info(self, index: Any, dataset: str, iepoch: int | None = None, hp: Any = "12",
                      is_random: Any = True) -> dict[str, float]:
        """NATS-Bench's `get_more_info`: accuracies and training time of one run or their mean.

        No losses, no training accuracy, no evaluation times: not recorded.

        Args:
            index: an architecture, as `query_index_by_arch` reads it.
            dataset: the dataset.
            iepoch: None or the last epoch of the schedule.
            hp: the schedule, `'12'` or `'200'`.
            is_random: True: one recorded run drawn at random; False: the mean of the runs; a seed:
                that run.

        Returns:
            The keys the table holds among `train-all-time`, `train-per-time`, `valid-accuracy`,
            `test-accuracy` and `valtest-accuracy` (accuracies in percent, times in seconds).

        Raises:
            NATSCompatError: an unknown architecture, dataset, schedule, epoch or seed.
        """
        index = self.query_index_by_arch(index)
        dataset, hp = self._dataset(dataset), self._hp(hp)
        _check_iepoch(iepoch, _EPOCHS[hp])
        vals, seeds, per_run = self._runs(index, dataset, hp)
        acc = self._pick(index, dataset, vals, seeds, per_run, is_random)
        out: dict[str, float] = {}
        t = self._train_time(index, dataset, hp)
        if t is not None:
            out["train-per-time"] = t / _EPOCHS[hp]
            out["train-all-time"] = t
        out.update(acc)
        return out

    def get_cost_info(self, index: Any, dataset: str, hp: Any = "12") -> dict[str, float]:
        """NATS-Bench's `get_cost_info`.

        No latency (not recorded).

        Args:
            index: an architecture, as `query_index_by_arch` reads it.
            dataset: the dataset.
            hp: the schedule, `'12'` or `'200'`.

        Returns:
            `flops` (M), `params` (M) and, where the training time is recorded, `T-train@epoch` and
            `T-train@total` (s).

        Raises:
            NATSCompatError: an unknown architecture, dataset or schedule.
        """
        index = self.query_index_by_arch(index)
        dataset, hp = self._dataset(dataset), self._hp(hp)
        bench = self._table(dataset)
        cells = np.array([index])
        out = {"flops": float(bench.objective_many(cells, "flops")[0]),
               "params": float(bench.objective_many(cells, "params")[0])}
        t = self._train_time(index, dataset, hp)
        if t is not None:
            out["T-train@epoch"] = t / _EPOCHS[hp]
            out["T-train@total"] = t
        return out

    def get_latency(self, index: Any, dataset: str, hp: Any = "12") -> float:
        """Not held: NATS-Bench's latency (s per batch of 256 on its GPU) is not in the tables.

        Args:
            index: an architecture (checked).
            dataset: the dataset (checked).
            hp: the schedule (checked).

        Raises:
            NATSCompatError: always.
        """
        self.query_index_by_arch(index), self._dataset(dataset), self._hp(hp)
        raise NATSCompatError("latency not recorded: the embedded tables hold no NATS-Bench latency "
                              "(nb201-cifar10 holds HW-NAS-Bench device latencies: bench.objective_many(cells, "
                              "'latency:<device>'))")

    def simulate_train_eval(self, arch: Any, dataset: str, iepoch: int | None = None, hp: Any = "12",
                            account_time: bool = True) -> tuple[float, None, float, float]:
        """NATS-Bench's `simulate_train_eval`.

        `cifar10` is searched on `cifar10-valid` (as NATS-Bench does).

        Args:
            arch: an architecture, as `query_index_by_arch` reads it.
            dataset: the dataset.
            iepoch: None or the last epoch of the schedule.
            hp: the schedule, `'12'` or `'200'`.
            account_time: add `time_cost` to `used_time`.

        Returns:
            `(valid_accuracy, latency, time_cost, total_time)`: `time_cost` is the training time only
            (NATS-Bench adds `valid-per-time`, which the tables do not record); `latency` is None
            (not recorded).
        """
        index = self.query_index_by_arch(arch)
        dataset = self._dataset(dataset, SIMULATE_DATASETS)
        info = self.get_more_info(index, "cifar10-valid" if dataset == "cifar10" else dataset, iepoch, hp, True)
        time_cost = info["train-all-time"]
        if account_time:
            self._used_time += time_cost
        return info["valid-accuracy"], None, time_cost, self._used_time

    def query_by_index(self, arch_index: Any, dataname: str | None = None,
                       hp: Any = "12") -> dict[Any, NATSTrial] | dict[str, dict[Any, NATSTrial]]:
        """NATS-Bench's `query_by_index`.

        A run whose seed is not recorded is keyed `'run-1'`, `'run-2'` ...; `hp='12'` holds only the
        seed mean, keyed `'mean'`.

        Args:
            arch_index: an architecture, as `query_index_by_arch` reads it.
            dataname: the dataset; None: every dataset (NATS-Bench returns its `ArchResults` there).
            hp: the schedule, `'12'` or `'200'`.

        Returns:
            With `dataname`, the cell's runs on it keyed by seed (`NATSTrial`); without, that for
            every dataset.
        """
        index = self.query_index_by_arch(arch_index)
        hp = self._hp(hp)
        if dataname is None:
            return {ds: self.query_by_index(index, ds, hp) for ds in DATASETS}
        dataset = self._dataset(dataname)
        bench = self._table(dataset)
        vals, seeds, per_run = self._runs(index, dataset, hp)
        arch_str = to_cell(index).to_str()
        cells = np.array([index])
        params = float(bench.objective_many(cells, "params")[0])
        flop = float(bench.objective_many(cells, "flops")[0])
        t = self._train_time(index, dataset, hp)
        epochs = _EPOCHS[hp]
        if not per_run:
            acc = {k: float(np.nanmean(v)) for k, v in vals.items()}
            return {"mean": NATSTrial(dataset, arch_str, None, epochs, acc, t, params, flop)}
        out: dict[Any, NATSTrial] = {}
        recorded = np.flatnonzero(~np.isnan(vals[per_run[0]]))
        for n, slot in enumerate(recorded.tolist(), 1):
            acc = {k: float(v[slot]) if k in per_run else float(np.nanmean(v)) for k, v in vals.items()}
            seed = int(seeds[slot]) if seeds[slot] >= 0 else None
            out[seed if seed is not None else f"run-{n}"] = NATSTrial(dataset, arch_str, seed, epochs, acc, t,
                                                                       params, flop)
        return out
