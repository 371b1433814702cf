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

from ..space import N_CELLS, SpaceError, to_cell
from .nats_keys import (DATASET_TABLES, DATASETS, EPOCHS, HPS, SIMULATE_DATASETS, NATSCompatError, check_dataset,
                        check_hp, check_iepoch, check_index)
from .nats_records import NATSTrial, cell_runs, cell_trials, pick_run, train_time

__all__ = ["DATASETS", "DATASET_TABLES", "HPS", "NATSCompat", "NATSCompatError", "NATSTrial", "SIMULATE_DATASETS",
           "create"]


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


class NATSCompat:
    """NATS-Bench's topology API (`NATStopology`) answered from the embedded tables.

    The methods take NATS-Bench's arguments and return its keys, restricted to what the tables hold
    (see the module's docstring and `info`). Each table is loaded on first use.

    Args:
        seed: seeds the generator behind `is_random=True` and `random` (NATS-Bench uses
            Python's global `random`); None: fresh entropy.
        verbose: accepted for NATS-Bench's signature; this object prints nothing.
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
        """The search space's name, `'topology'`."""
        return "topology"

    @property
    def avaliable_hps(self) -> list[str]:  # NATS-Bench's spelling
        """The training schedules held, `['12', '200']` (NATS-Bench's spelling; also `available_hps`)."""
        return list(HPS)

    available_hps = avaliable_hps

    @property
    def used_time(self) -> float:
        """Simulated seconds accounted by `simulate_train_eval(account_time=True)` since `reset_time`."""
        return self._used_time

    def reset_time(self) -> None:
        """Set `used_time` back to 0."""
        self._used_time = 0.0

    @staticmethod
    def info() -> str:
        """What differs from NATS-Bench.

        Returns:
            The module's docstring.
        """
        return __doc__ or ""

    def random(self) -> int:
        """A random architecture index.

        Returns:
            An index drawn uniformly over the 15,625 cells.
        """
        return self._rng.randint(0, N_CELLS - 1)

    def arch(self, index: int) -> str:
        """The arch string of a cell.

        Args:
            index: the cell's index.

        Returns:
            NATS-Bench's arch string, e.g. `|nor_conv_3x3~0|+|...|`.

        Raises:
            NATSCompatError: `index` is not an integer in `[0, 15625)`.
        """
        return to_cell(check_index(index)).to_str()

    # -- the tables -----------------------------------------------------------------------------
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
            return check_index(arch)
        if not isinstance(arch, str) and hasattr(arch, "tostr"):
            arch = arch.tostr()
        if not isinstance(arch, str):
            raise NATSCompatError(f"arch must be an index, an arch string or an object with tostr(), "
                                  f"got {type(arch).__name__}")
        try:
            return to_cell(arch).index
        except SpaceError as exc:
            raise NATSCompatError(f"unknown arch string {arch!r}: {str(exc).splitlines()[0]}") from None

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
        dataset, hp = check_dataset(dataset), check_hp(hp)
        check_iepoch(iepoch, EPOCHS[hp])
        vals, seeds, per_run = cell_runs(self._table(dataset), index, dataset, hp)
        acc = pick_run(index, dataset, vals, seeds, per_run, is_random, self._rng)
        out: dict[str, float] = {}
        t = train_time(self._table(dataset), index, dataset, hp)
        if t is not None:
            out["train-per-time"] = t / EPOCHS[hp]
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
        dataset, hp = check_dataset(dataset), check_hp(hp)
        bench = self._table(dataset)
        cells = np.array([index])
        out = {"flops": float(bench.objective_many(cells, "flops")[0]),
               "params": float(bench.objective_many(cells, "params")[0])}
        t = train_time(bench, index, dataset, hp)
        if t is not None:
            out["T-train@epoch"] = t / EPOCHS[hp]
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
        self.query_index_by_arch(index), check_dataset(dataset), check_hp(hp)
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

        Raises:
            NATSCompatError: an unknown architecture, dataset (one of `cifar10`, `cifar100`,
                `ImageNet16-120`), schedule or epoch.
        """
        index = self.query_index_by_arch(arch)
        dataset = check_dataset(dataset, SIMULATE_DATASETS)
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

        Raises:
            NATSCompatError: an unknown architecture, dataset or schedule.
        """
        index = self.query_index_by_arch(arch_index)
        hp = check_hp(hp)
        if dataname is None:
            return {ds: self.query_by_index(index, ds, hp) for ds in DATASETS}
        dataset = check_dataset(dataname)
        return cell_trials(self._table(dataset), index, dataset, hp)
