"""One cell's results on one NATS-Bench dataset and schedule, read from an embedded table.

`cell_runs` reads the accuracies a table holds for a cell, one value per recorded run (one slot
for a seed mean); `pick_run` reduces them to one run or to their mean, as NATS-Bench's
`is_random` asks; `train_time` gives the schedule's training time. `NATSTrial` is one recorded
run in the shape of NATS-Bench's `ResultsCount`, and `cell_trials` lists a cell's runs as
`query_by_index` returns them. Nothing the table lacks is invented: missing
keys are absent, and asking for them raises `NATSCompatError`.
"""
from __future__ import annotations

import random
from typing import Any

import numpy as np

from ..space import to_cell
from .nats_keys import ACCURACY, EPOCHS, EVAL_SETS, TIMED_DATASETS, NATSCompatError, check_iepoch


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
        """The evaluation sets this run holds an accuracy on.

        Returns:
            NATS-Bench's set names, e.g. `['x-valid', 'ori-test']`.
        """
        return [k for k, v in EVAL_SETS[self.name].items() if v in self._acc and k != "valid"]

    def get_total_epoch(self) -> int:
        """The schedule's length.

        Returns:
            The number of epochs.
        """
        return self.epochs

    def _iepoch(self, iepoch: int | None) -> int:
        return check_iepoch(iepoch, self.epochs)

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
        key = EVAL_SETS[self.name].get(name)
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


def cell_runs(bench: Any, index: int, dataset: str, hp: str) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    """The accuracies a table holds for one cell on a dataset and schedule.

    Args:
        bench: the table holding `dataset` (a `TabularBenchmark`).
        index: the cell's index.
        dataset: NATS-Bench's dataset name.
        hp: the schedule, `'12'` or `'200'`.

    Returns:
        `(values, seeds, per_run)`: per NATS-Bench key the values per run slot (one slot for a seed
        mean, NaN where a slot is not recorded), the run seeds of the cell (negative where not
        recorded), and which keys are per run.
    """
    cells = np.array([index])
    vals, per_run = {}, []
    for key, metric in ACCURACY[(dataset, hp)].items():
        vals[key] = bench.runs(cells, metric)[0]
        if metric not in bench.mean_only:
            per_run.append(key)
    seeds = bench.run_seed[bench.arch_row[index]]
    return vals, seeds, per_run


def train_time(bench: Any, index: int, dataset: str, hp: str) -> float | None:
    """The training time of one cell under a schedule.

    The tables record the 200-epoch run's time; the 12-epoch schedule is charged that time x 12/200
    (`Protocol.cost_factor` of the NAS-Bench-201 presets).

    Args:
        bench: the table holding `dataset`.
        index: the cell's index.
        dataset: NATS-Bench's dataset name.
        hp: the schedule, `'12'` or `'200'`.

    Returns:
        Seconds, or None where the table records no training time (`cifar10`).
    """
    if dataset not in TIMED_DATASETS:
        return None
    t200 = float(bench.query(index, "time"))
    if hp == "200":
        return t200
    from ..strategies.protocol import NB201_PROTOCOL

    return t200 * NB201_PROTOCOL.cost_factor


def pick_run(index: int, dataset: str, vals: dict[str, np.ndarray], seeds: np.ndarray, per_run: list[str],
             is_random: Any, rng: random.Random) -> dict[str, float]:
    """The accuracies of one run, or their means, as NATS-Bench's `is_random` asks.

    Keys held only as a seed mean give that mean whichever run is picked.

    Args:
        index: the cell's index (for messages).
        dataset: the dataset (for messages).
        vals: per key the values per run slot, as `cell_runs` returns them.
        seeds: the run seeds of the cell, as `cell_runs` returns them.
        per_run: the keys recorded per run.
        is_random: True: one recorded run drawn with `rng`; False: the mean of the runs; a seed
            number: the run with that seed.
        rng: the generator behind `is_random=True`.

    Returns:
        NATS-Bench key -> accuracy (percent).

    Raises:
        NATSCompatError: `is_random` is neither a bool nor a seed, or no run records that seed.
    """
    out: dict[str, float] = {}
    slot = None
    if per_run:
        recorded = np.flatnonzero(~np.isnan(vals[per_run[0]]))
        if isinstance(is_random, bool):
            if is_random:
                slot = int(recorded[rng.randrange(len(recorded))])
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


def cell_trials(bench: Any, index: int, dataset: str, hp: str) -> dict[Any, NATSTrial]:
    """One cell's recorded runs on a dataset and schedule, as NATS-Bench's `query_by_index` keys them.

    Args:
        bench: the table holding `dataset`.
        index: the cell's index.
        dataset: NATS-Bench's dataset name.
        hp: the schedule, `'12'` or `'200'`.

    Returns:
        Seed -> `NATSTrial`; a run whose seed is not recorded is keyed `'run-1'`, `'run-2'` ...;
        a schedule held only as the seed mean (`hp='12'`) gives one trial keyed `'mean'`.
    """
    vals, seeds, per_run = cell_runs(bench, index, dataset, hp)
    arch_str = to_cell(index).to_str()
    cells = np.array([index])
    params = float(bench.objective_many(cells, "params")[0])
    flop = float(bench.objective_many(cells, "flops")[0])
    t = train_time(bench, index, dataset, hp)
    epochs = EPOCHS[hp]
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
