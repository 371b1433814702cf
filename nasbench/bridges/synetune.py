"""A benchmark as syne-tune's tabular blackbox, for its simulator backend and schedulers.

`to_blackbox(bench)` returns a `syne_tune.blackbox_repository.BlackboxTabular` in the shape of
syne-tune's own `nasbench201` blackbox: hyperparameters `hp_x0` ... `hp_x5` (the six edges in
arch-string order, the op names as choices), fidelity `hp_epoch`, objectives
`metric_valid_error` (`1 - accuracy / 100`, in [0, 1]), `metric_runtime` (seconds of this
fidelity step), `metric_elapsed_time` (cumulative seconds: the simulator's clock), and
`metric_params` / `metric_flops` / `metric_latency` where the benchmark records them.
`simulated_backend(bench)` wraps it in syne-tune's `UserBlackboxBackend`.

Fidelities: the epochs the benchmark holds and, on the NAS-Bench-201 tables, the separate 12-epoch
schedule: `hp_epoch` 12 reads `valid_acc_s12` at 12/200 of the recorded 200-epoch training time,
200 reads `valid_acc` at the whole of it (a trial resumed from 12 to 200 is charged the rest).
syne-tune's own blackbox holds the 200 epochs of the 200-epoch curve instead (these tables hold no
curves) and scores CIFAR-100 and ImageNet16-120 on validation + test images; ours on the
validation split.

Seeds: `runs=False` (default) gives one seed slot, the seed mean; `runs=True` one slot per
recorded seed, the simulator drawing one per trial; a run the cell does not record (7,456 cells of
the NAS-Bench-201 tables list two) is filled with the mean of the cell's recorded runs, as syne-tune's
own conversion of NAS-Bench-201 fills it, and `filled_runs` counts them. A metric held as the
seed mean only (`valid_acc_s12`) is that mean in every slot.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tables.benchmark import Benchmark, QueryError
from ..space import OPS, to_cell
from ..strategies.cellspace import EDGE_NAMES
from ..util.extras import require
from .hpobench import S12

#: syne-tune's names (those of its `nasbench201` blackbox)
CONFIG_KEYS: tuple[str, ...] = tuple(f"hp_x{i}" for i in range(6))
#: our edge name of each `hp_x<i>`
EDGE_NAMES_FROM_HP: tuple[str, ...] = EDGE_NAMES
RESOURCE_ATTR = "hp_epoch"
METRIC_VALID_ERROR = "metric_valid_error"
METRIC_TIME_THIS_RESOURCE = "metric_runtime"
METRIC_ELAPSED_TIME = "metric_elapsed_time"


def fidelities(bench: Benchmark, metric: str = "valid_acc") -> list[tuple[int, str, int | None, float]]:
    """The fidelities of the blackbox, in order of `hp_epoch`.

    Args:
        bench: the benchmark.
        metric: the validation metric read.

    Returns:
        `(hp_epoch, metric read, epoch read (None: last), share of that epoch's recorded time)`
        per fidelity.
    """
    epochs = [int(e) for e in np.asarray(bench.epochs)]
    out: list[tuple[int, str, int | None, float]] = []
    s12 = f"{metric}_s12"
    if s12 in bench.metric_names and S12 not in epochs and epochs[-1] > S12:
        out.append((S12, s12, None, S12 / epochs[-1]))
    out += [(e, metric, e, 1.0) for e in epochs]
    return sorted(out)


def _values(bench: Benchmark, cells: np.ndarray, metric: str, epoch: int | None, runs: bool) -> np.ndarray:
    """(cells, slots) of `metric`: the seed mean (one slot), or each recorded seed's run.

    Runs a cell does not record are filled with the cell's mean.
    """
    mean = np.asarray(bench.query_many(cells, metric, epoch, "mean"), dtype=np.float64)
    if not runs:
        return mean[:, None]
    n = max(len(np.asarray(bench.seeds)), 1)
    if metric in bench.mean_only:
        return np.repeat(mean[:, None], n, axis=1)
    r = np.asarray(bench.runs(cells, metric, epoch), dtype=np.float64)
    return np.where(np.isnan(r), mean[:, None], r)


def filled_runs(bench: Benchmark, metric: str = "valid_acc") -> int:
    """How many (cell, seed) runs `to_blackbox(bench, runs=True)` fills with the cell's mean.

    Args:
        bench: the benchmark.
        metric: the validation metric read.

    Returns:
        The number of runs filled (0 where the metric holds means only).
    """
    if metric in bench.mean_only:
        return 0
    cells = np.asarray(bench.covered, dtype=np.int64)
    return int(np.isnan(np.asarray(bench.runs(cells, metric, None), dtype=np.float64)).sum())


def to_blackbox(bench: Benchmark, metric: str = "valid_acc", runs: bool = False) -> Any:
    """syne-tune's `BlackboxTabular` of `bench` (see the module's docstring).

    Args:
        bench: the benchmark.
        metric: the validation metric read (its error is the objective).
        runs: one seed slot per recorded seed (missing runs filled with the cell's mean) instead of
            the seed mean.

    Returns:
        The blackbox.

    Raises:
        MissingExtra: syne-tune is not installed.
        QueryError: the metric is unknown or a test metric, or a covered cell has a value not
            recorded.
    """
    require("syne_tune")
    import pandas as pd
    from syne_tune.blackbox_repository.blackbox_tabular import BlackboxTabular
    from syne_tune.config_space import choice, randint

    if metric not in bench.metric_names:
        raise QueryError(f"metric {metric!r} not in the benchmark; it has: {', '.join(bench.metric_names)}")
    if "test" in metric:
        raise QueryError(f"metric {metric!r} is a test metric; the blackbox's objective is validation error")
    cells = np.asarray(bench.covered, dtype=np.int64)
    fids = fidelities(bench, metric)
    ops = np.array([to_cell(int(c)).ops for c in cells], dtype=np.int64)
    hps = pd.DataFrame({k: [OPS[o] for o in ops[:, j]] for j, k in enumerate(CONFIG_KEYS)})
    slots = _values(bench, cells[:1], metric, fids[-1][2], runs).shape[1]
    props = [(f"metric_{p}", p) for p in ("params", "flops") if bench.has_objective(p)]
    props += [("metric_latency", n) for n in bench.objective_names if n.startswith("latency:")][:1]
    names = [METRIC_VALID_ERROR, METRIC_TIME_THIS_RESOURCE, METRIC_ELAPSED_TIME] + [n for n, _ in props]
    y = np.empty((len(cells), slots, len(fids), len(names)), dtype=np.float32)
    prev = np.zeros(len(cells))
    for k, (_, m, epoch, share) in enumerate(fids):
        acc = _values(bench, cells, m, epoch, runs)
        y[:, :, k, 0] = (1.0 - acc / 100.0) if acc.shape[1] == slots else np.repeat(1.0 - acc / 100.0, slots, 1)
        elapsed = np.asarray(bench.cost_many(cells, epoch), dtype=np.float64) * share
        y[:, :, k, 1] = (elapsed - prev)[:, None]
        y[:, :, k, 2] = elapsed[:, None]
        prev = elapsed
        for j, (_, p) in enumerate(props):
            y[:, :, k, 3 + j] = np.asarray(bench.objective_many(cells, p), dtype=np.float64)[:, None]
    if np.isnan(y).any():
        raise QueryError("the benchmark leaves values unrecorded for some covered cells; the blackbox would "
                         "hold NaN")
    return BlackboxTabular(hyperparameters=hps, configuration_space={k: choice(list(OPS)) for k in CONFIG_KEYS},
                           fidelity_space={RESOURCE_ATTR: randint(lower=fids[0][0], upper=fids[-1][0])},
                           objectives_evaluations=y, fidelity_values=np.array([f[0] for f in fids]),
                           objectives_names=names)


def simulated_backend(bench: Benchmark, metric: str = "valid_acc", runs: bool = False,
                      seed: int | None = None, **kwargs: Any) -> Any:
    """syne-tune's `UserBlackboxBackend` on `to_blackbox`.

    `elapsed_time_attr` is set; run the `Tuner` with `callbacks=[SimulatorCallback()]`.

    Args:
        bench: the benchmark.
        metric: the validation metric read.
        runs: as for `to_blackbox`.
        seed: the seed slot read by every trial (default: one drawn per trial).
        **kwargs: passed to `UserBlackboxBackend`.

    Returns:
        The backend.

    Raises:
        QueryError: as `to_blackbox`.
    """
    from syne_tune.blackbox_repository.simulated_tabular_backend import UserBlackboxBackend

    return UserBlackboxBackend(blackbox=to_blackbox(bench, metric, runs), elapsed_time_attr=METRIC_ELAPSED_TIME,
                               seed=seed, **kwargs)
