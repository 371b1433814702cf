"""What a search observes and what it is charged: the protocol, the budget, and the restricted view.

`SearchView` is the only door from a search to the table. It answers, for a cell index,
the protocol's validation signal (one recorded training run drawn at random by default, as a real
search sees one training run) and its cost; it refuses every other metric. Test values are looked
up by the runner for the report, never through the view.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..space import N_CELLS
from ..errors import NasbenchError
from .. import defaults

if TYPE_CHECKING:
    from ..tables.benchmark import Benchmark

BUDGET_KINDS = ("queries", "seconds", "epochs", "worker-seconds")
SEED_MODES = ("random", "mean")
#: the most queries one run may make, whatever the budget kind (a budget that could need more is refused)
MAX_QUERIES = 1_000_000


class ProtocolError(NasbenchError, ValueError):
    """A protocol or budget that the table cannot serve, or a forbidden look-up."""


@dataclass(frozen=True)
class Budget:
    """How much a run may spend; a query that would overrun the budget is not made and ends the run.

    `kind`: `queries` (trainings), `seconds` (simulated training seconds, the sum of the table's
    cost of every queried cell, NAS-Bench-201's protocol), `worker-seconds` or `epochs` (training
    epochs charged per query); `amount`: positive and finite, at most the query cap for `queries`
    (else a `ProtocolError`).

    With several simulated workers (`ExperimentConfig.workers`): `seconds` is simulated
    wall-clock (a job is started only if it finishes by the budget; the first that would not
    retires its worker), `worker-seconds` the total busy time of all workers (the sum of charged
    costs; the same as `seconds` with one worker), `queries` the number of jobs run and
    `epochs` the training epochs charged over all workers (a job that would overrun either
    retires its worker).
    """

    kind: str = defaults.FALLBACK_BUDGET_KIND
    amount: float = defaults.FALLBACK_BUDGET_AMOUNT

    def __post_init__(self) -> None:
        if self.kind not in BUDGET_KINDS:
            raise ProtocolError(f"budget kind {self.kind!r} unknown; valid: {', '.join(BUDGET_KINDS)}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, (int, float)) or not self.amount > 0 \
                or not math.isfinite(self.amount):
            raise ProtocolError(f"budget amount must be a positive finite number, got {self.amount!r}")
        if self.kind == "queries" and self.amount > MAX_QUERIES:
            raise ProtocolError(f"budget of {self.amount:g} queries is beyond the cap of {MAX_QUERIES:,} queries "
                                "per run")

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (for `config.json`)."""
        return asdict(self)


@dataclass(frozen=True)
class Protocol:
    """How a query is answered and charged.

    * `metric`/`epoch`: the validation signal (`epoch=None`: the table's last epoch; a test
      metric is refused);
    * `seed`: `random` (one recorded run per query, drawn afresh each time) or `mean`;
    * `cost_epoch`: the epoch whose cumulative training time is charged (default: `epoch`);
      `cost_factor` scales it (e.g. 12/200 to charge a 12-epoch schedule from 200-epoch times);
    * `train_epochs`: epochs charged per query by an `epochs` budget (default: the epoch read);
    * `test_metric`: what the report shows for the incumbent (never visible to strategies);
    * `objectives`: extra per-cell properties to minimise in multi-objective runs
      (`params`, `flops` or `latency:<device>`), known without training.

    A bad value is a `ProtocolError`.
    """

    metric: str = "valid_acc"
    epoch: int | None = None
    seed: str = "random"
    cost_epoch: int | None = None
    cost_factor: float = 1.0
    train_epochs: int | None = None
    test_metric: str = "test_acc"
    objectives: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.seed not in SEED_MODES:
            raise ProtocolError(f"protocol seed {self.seed!r} not allowed; valid: {', '.join(SEED_MODES)}")
        if not self.cost_factor > 0:
            raise ProtocolError(f"cost_factor must be > 0, got {self.cost_factor!r}")
        if self.metric.startswith("test") or "test" in self.metric.split("_"):
            raise ProtocolError(f"the search signal {self.metric!r} is a test metric; searches see validation only")
        object.__setattr__(self, "objectives", tuple(self.objectives))

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (for `config.json`; `objectives` as a list)."""
        d = asdict(self)
        d["objectives"] = list(self.objectives)
        return d


@dataclass(frozen=True)
class Preset:
    """A table's published search protocol: the protocol and budget a comparison on that table uses
    when its config names neither (`ExperimentConfig` resolves them), and where they come from."""

    protocol: Protocol
    budget: Budget
    source: str


# NAS-Bench-201 (Dong & Yang, ICLR 2020; the official scripts scripts-search/algos/*.sh and
# exps/algos/*.py): each query "trains" a cell with the 12-epoch schedule and observes its
# validation accuracy (hp='12'), charged the simulated training time of those 12 epochs, and the
# reported number is the 200-epoch test accuracy of the cell with the best observed validation
# value. The embedded tables hold the 12-epoch schedule of all three datasets as seed means (so
# every query sees the mean of the schedule's runs, not one run as in the paper) and only the
# 200-epoch training time, whose 12/200 is the 12-epoch time. On CIFAR-100 and ImageNet16-120 the
# validation set is x-valid and the reported test accuracy x-test (the two halves of the test set).
NB201_PROTOCOL = Protocol(metric="valid_acc_s12", seed="mean", cost_factor=12 / 200, train_epochs=12,
                          test_metric="test_acc")

#: the named preset families, all searching the 12-epoch signal charged 12/200 of the table's
#: 200-epoch time:
#:
#: * `nas-bench-201` (the default): NAS-Bench-201's budget of 12,000 simulated s
#:   (scripts-search/algos/*.sh, `--time_budget 12000`), which buys about 108 12-epoch trainings
#:   on CIFAR-10. The tables' training times (NATS-Bench's records) make a CIFAR-100 training cost
#:   2x and an ImageNet16-120 one 6x a CIFAR-10 one, so the budget is scaled by that ratio (24,000 /
#:   72,000 s) to buy the same number of trainings: the numbers then match the paper's (random search,
#:   30 runs: 71.23 +- 1.02 and 44.58 +- 1.20 against its 71.04 and 44.57), while 12,000 s flat buys 54
#:   and 17 and gives 70.79 +- 1.10 and 42.87 +- 2.78;
#: * `nas-bench-201-flat`: 12,000 s on every dataset, as the scripts' flag reads;
#: * `nats-bench`: NATS-Bench's budgets (exps/NATS-algos/run-all.sh: 20,000 / 40,000 / 120,000 s on
#:   CIFAR-10 / CIFAR-100 / ImageNet16-120).
DEFAULT_PRESET = defaults.PRESET
_SOURCES = {
    "nas-bench-201": "NAS-Bench-201's 12,000 s (scripts-search/algos/*.sh) on CIFAR-10, scaled by the training-time "
                     "ratio 1 : 2 : 6 of CIFAR-10 : CIFAR-100 : ImageNet16-120 to buy as many trainings",
    "nas-bench-201-flat": "NAS-Bench-201's scripts' --time_budget 12000 on every dataset",
    "nats-bench": "NATS-Bench's search scripts (exps/NATS-algos/run-all.sh: 20000 / 40000 / 120000 s on "
                  "CIFAR-10 / CIFAR-100 / ImageNet16-120)",
}
_SECONDS = {
    "nas-bench-201": {"nb201-cifar10": 12_000, "nb201-cifar100": 24_000, "nb201-imagenet16-120": 72_000},
    "nas-bench-201-flat": {"nb201-cifar10": 12_000, "nb201-cifar100": 12_000, "nb201-imagenet16-120": 12_000},
    "nats-bench": {"nb201-cifar10": 20_000, "nb201-cifar100": 40_000, "nb201-imagenet16-120": 120_000},
}
_REPORTED = {"nb201-cifar10": "200-epoch test accuracy (trained on all 50k)",
             "nb201-cifar100": "200-epoch x-test accuracy", "nb201-imagenet16-120": "200-epoch x-test accuracy"}


def _preset(family: str, table: str) -> Preset:
    seconds = _SECONDS[family][table]
    signal = "x-valid" if table != "nb201-cifar10" else "cifar10-valid validation"
    return Preset(NB201_PROTOCOL, Budget("seconds", seconds),
                  f"{family} preset: 12-epoch-schedule {signal} accuracy (seed mean here), charged 12/200 of the "
                  f"200-epoch time, {seconds:,} simulated s ({_SOURCES[family]}); reported: {_REPORTED[table]}")


#: family -> table name -> preset
NAMED_PRESETS: dict[str, dict[str, Preset]] = {f: {t: _preset(f, t) for t in tables} for f, tables in _SECONDS.items()}
PRESET_NAMES = tuple(NAMED_PRESETS)
#: the default family's presets, by table
PRESETS: dict[str, Preset] = NAMED_PRESETS[DEFAULT_PRESET]
NB201_CIFAR10 = PRESETS["nb201-cifar10"]
NB201_CIFAR100 = PRESETS["nb201-cifar100"]
NB201_IMAGENET16 = PRESETS["nb201-imagenet16-120"]


def check_preset_name(name: str) -> str:
    """`name` if it names a preset family.

    Args:
        name: one of `PRESET_NAMES`.

    Returns:
        The name.

    Raises:
        ProtocolError: any other name (the message lists the allowed ones).
    """
    if name not in NAMED_PRESETS:
        from ..util.suggest import did_you_mean

        raise ProtocolError(f"preset {name!r} unknown; allowed: {', '.join(PRESET_NAMES)}"
                            f"{did_you_mean(name, PRESET_NAMES)}")
    return name


def preset_for(table: str, family: str = DEFAULT_PRESET) -> Preset | None:
    """The preset of an embedded table name (or of a file named like one, `.../nb201-cifar10.h5`).

    Args:
        table: the table's name or path.
        family: the preset family (`PRESET_NAMES`).

    Returns:
        The table's preset in that family, or None for a table without one.
    """
    name = str(table).replace("\\", "/").rsplit("/", 1)[-1]
    if name.lower().endswith(".h5"):
        name = name[:-3]
    return NAMED_PRESETS[check_preset_name(family)].get(name)


def _is_test(metric: str) -> bool:
    return "test" in metric.split("_")


class SearchView:
    """The validation signal and the cost of every cell, precomputed as arrays.

    `observe(index, rng) -> (value, cost)` is a couple of array reads: the hot loop of the
    runner. `epochs_per_query`: what an `epochs` budget charges per query. Any attribute besides
    `observe` and `cost` that a search reaches for is a `ProtocolError`.

    Args:
        bench: the table.
        protocol: how queries are answered and charged.

    Raises:
        ProtocolError: a test metric, a metric or epoch the table does not hold.
    """

    def __init__(self, bench: Benchmark, protocol: Protocol) -> None:
        if _is_test(protocol.metric):
            raise ProtocolError(f"{protocol.metric!r} is a test metric; a search may only observe validation metrics")
        if protocol.metric not in bench.metric_names:
            raise ProtocolError(f"metric {protocol.metric!r} not in the table; it has: {', '.join(bench.metric_names)}")
        self.protocol = protocol
        cov = np.asarray(bench.covered, dtype=np.int64)
        self.candidates = cov
        e = protocol.epoch
        epochs = [int(x) for x in bench.epochs]
        if e is not None and e not in epochs:
            raise ProtocolError(f"epoch {e} not recorded; the table has {epochs[0]}..{epochs[-1]}")
        self.epoch = epochs[-1] if e is None else int(e)
        ce = self.epoch if protocol.cost_epoch is None else protocol.cost_epoch
        self.epochs_per_query = float(protocol.train_epochs if protocol.train_epochs is not None else self.epoch)
        # values: (N_CELLS, runs), available runs packed to the left; counts per cell
        runs = self._runs(bench, cov)
        order = np.argsort(np.isnan(runs), axis=1, kind="stable")
        packed = np.take_along_axis(runs, order, axis=1)
        self._values = np.full((N_CELLS, packed.shape[1]), np.nan)
        self._values[cov] = packed
        self._count = np.zeros(N_CELLS, dtype=np.int64)
        self._count[cov] = (~np.isnan(packed)).sum(axis=1)
        self._mean = np.full(N_CELLS, np.nan)
        with np.errstate(all="ignore"):
            self._mean[cov] = np.where(self._count[cov] > 0,
                                       np.nansum(packed, axis=1) / np.maximum(self._count[cov], 1), np.nan)
        self._cost = np.full(N_CELLS, np.nan)
        self._cost[cov] = np.asarray(bench.cost_many(cov, ce), dtype=np.float64) * protocol.cost_factor
        if protocol.seed == "random" and protocol.metric in bench.mean_only:
            self.note = f"{protocol.metric} holds seed means only in this table: seed='random' sees the mean"
        else:
            self.note = ""
        # plain lists are faster to index from Python than numpy arrays; the runs of cell i are
        # _vals_l[i * _stride:(i + 1) * _stride] (one flat list: no list per cell for the collector to track)
        self._stride = self._values.shape[1]
        self._vals_l = self._values.ravel().tolist()
        self._count_l = self._count.tolist()
        self._cost_l = self._cost.tolist()
        self._mean_l = self._mean.tolist()
        self._random = protocol.seed == "random"

    def _runs(self, bench: Benchmark, cov: np.ndarray) -> np.ndarray:
        return bench.runs(cov, self.protocol.metric, self.epoch)

    def observe(self, index: int, rng: np.random.Generator) -> tuple[float, float]:
        """One training of a cell.

        Args:
            index: official index of a covered cell.
            rng: draws the recorded run under `seed='random'`.

        Returns:
            `(validation value, cost in seconds)`.
        """
        if self._random:
            n = self._count_l[index]
            if n > 1:
                return self._vals_l[index * self._stride + int(rng.random() * n)], self._cost_l[index]
            return self._vals_l[index * self._stride], self._cost_l[index]
        return self._mean_l[index], self._cost_l[index]

    def cost(self, index: int) -> float:
        """What one training of a cell is charged.

        Args:
            index: official index of the cell.

        Returns:
            The charged seconds.
        """
        return self._cost_l[index]

    def mean_values(self) -> np.ndarray:
        """Seed-mean validation value per cell (NaN where not covered), for reports."""
        return self._mean.copy()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):  # protocol lookups (pickle's __setstate__): absent
            raise AttributeError(name)
        raise ProtocolError(f"a search view offers observe() and cost() only; {name!r} is not available to searches")


def objective_values(bench: Benchmark, names: tuple[str, ...]) -> np.ndarray:
    """Per-cell properties known without training.

    Args:
        bench: the table.
        names: `params`, `flops` or `latency:<device>`.

    Returns:
        Array (N_CELLS, len(names)), NaN where unknown.

    Raises:
        ProtocolError: an unknown objective, or one the table does not record.
    """
    out = np.full((N_CELLS, len(names)), np.nan)
    cov = np.asarray(bench.covered, dtype=np.int64)
    for j, name in enumerate(names):
        if not (name in ("params", "flops") or name.startswith("latency:")):
            devices = [o for o in bench.objective_names if o.startswith("latency:")]
            raise ProtocolError(f"objective {name!r} unknown; valid: params, flops, latency:<device> "
                                f"(devices: {', '.join(d.split(':', 1)[1] for d in devices) or 'none'})")
        if not bench.has_objective(name):
            devices = ", ".join(o for o in bench.objective_names if o.startswith("latency:"))
            raise ProtocolError(f"objective {name!r}: the table records no such values; it has: params, flops"
                                + (f", {devices}" if devices else ""))
        out[cov, j] = np.asarray(bench.objective_many(cov, name), dtype=np.float64)
    return out
