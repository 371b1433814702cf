"""Fidelities: the levels to which a multi-fidelity search may train a cell on a table.

`Fidelities` is what a multi-fidelity strategy is given (`SearchContext.fidelities`): per
level (`FidelityLevel`) a name, the training epochs it stands for (the budget unit of
successive halving, Hyperband, ASHA), the validation signal read there, whether a trial at the
level below can be *resumed* to it charged only the extra time, and what reaching it costs per
cell. `FidelityView` is the runner's door to the values (never given to strategies): like
`SearchView` it answers validation signals and costs only.

How levels come from a table and a protocol (`build_fidelities`):

* a table recording several epochs (our CPU tables: epochs 1..12): one level per recorded epoch
  up to the protocol's signal epoch; the signal is the protocol's metric at that epoch, the cost
  the recorded cumulative training `time` at that epoch (x `cost_factor`); every level is
  resumable from the one below (training continues, charged the difference of cumulative times);
* the NAS-Bench-201 tables (one recorded epoch, 200, plus the 12-epoch schedule's `*_s12`
  metrics): two levels, the 12-epoch schedule (`valid_acc_s12`, charged 12/200 of the 200-epoch
  time) and the 200-epoch schedule (`valid_acc` at 200, charged the 200-epoch time). They are
  different trainings (each schedule anneals its learning rate to zero at its own end), so going
  from 12 to 200 is a fresh 200-epoch training, charged in full: the 200-epoch level is NOT
  resumable;
* any other single-epoch table: one level, the protocol's own signal (multi-fidelity strategies
  refuse such a table).

`protocol_level` is the level whose signal and cost are exactly the protocol's, the one every
single-fidelity strategy sees (the 12-epoch level on the NAS-Bench-201 tables under their presets, the last
epoch on the CPU tables).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .protocol import Protocol, ProtocolError, SearchView

if TYPE_CHECKING:
    from ..tables.benchmark import Benchmark

#: epochs of NAS-Bench-201's short schedule (its `hp='12'` results, the `*_s12` metrics)
S12_EPOCHS = 12
_S12 = "_s12"


@dataclass(frozen=True)
class FidelityLevel:
    """One fidelity level.

    Attributes:
        name: how the level is named in messages, e.g. `epoch 12`.
        epochs: training epochs it stands for (the unit of eta arithmetic).
        metric: the validation metric read there.
        epoch: the epoch read there.
        resumable: a trial at the level below can continue to this one, charged only the extra
            time (False for the first level).
    """

    name: str
    epochs: int
    metric: str
    epoch: int
    resumable: bool


@dataclass(frozen=True)
class Fidelities:
    """The levels of a table under a protocol, lowest first, and their costs (no values).

    Attributes:
        levels: the levels, lowest first.
        protocol_level: the index of the protocol's own level.
        table: the table's name.
        mean_cost: `mean_cost[k]` is the mean over the table's cells of the cost of training a
            cell to level `k` from scratch (seconds); per-cell costs: `cost`.
    """

    levels: tuple[FidelityLevel, ...]
    protocol_level: int
    table: str
    mean_cost: tuple[float, ...]
    _costs: tuple[tuple[float, ...], ...] = dataclasses.field(repr=False, compare=False, default=())

    @property
    def top(self) -> int:
        """Index of the highest level."""
        return len(self.levels) - 1

    @property
    def epochs(self) -> tuple[int, ...]:
        """The training epochs of each level."""
        return tuple(lv.epochs for lv in self.levels)

    def cost(self, level: int, index: int) -> float:
        """Seconds to train a cell to a level from scratch.

        Args:
            level: index of the level.
            index: official index of the cell.

        Returns:
            The seconds (NaN where not covered).
        """
        return self._costs[level][index]

    def resumable(self, start: int, level: int) -> bool:
        """Whether a trial paused at one level continues to another.

        Args:
            start: the level reached.
            level: the level wanted.

        Returns:
            True where `level > start` and every level between is resumable.
        """
        return level > start and all(self.levels[k].resumable for k in range(start + 1, level + 1))

    def resume_cost(self, start: int, level: int, index: int) -> float:
        """What taking a trial from one level to another is charged.

        Args:
            start: the level reached.
            level: the level wanted.
            index: official index of the cell.

        Returns:
            The extra seconds where resumable, else those of a fresh training to `level`.
        """
        if self.resumable(start, level):
            return self._costs[level][index] - self._costs[start][index]
        return self._costs[level][index]

    def resume_epochs(self, start: int, level: int) -> int:
        """Epochs charged for taking a trial from one level to another.

        Args:
            start: the level reached.
            level: the level wanted.

        Returns:
            The difference of the levels' epochs where resumable, else the epochs of `level`.
        """
        if self.resumable(start, level):
            return self.levels[level].epochs - self.levels[start].epochs
        return self.levels[level].epochs

    def describe(self) -> str:
        """One line: the levels' names (for errors and the README)."""
        n = len(self.levels)
        return f"{self.table} has {n} fidelity level{'s' if n > 1 else ''}: " + ", ".join(lv.name for lv in self.levels)


class FidelityView:
    """The runner's view of every level: `observe(level, index, slot) -> (value, cost)`.

    A trial draws its recorded training run (`slot`) once, at its first level, and reads that
    same run at every later level (a resumed training continues the same run); `draw_slot`
    draws it like `SearchView.observe` draws a run.

    Args:
        views: one search view per level, lowest first.
        fidelities: the levels and their costs.
    """

    def __init__(self, views: list[SearchView], fidelities: Fidelities) -> None:
        self.fidelities = fidelities
        self._views = views
        self._vals = [v._vals_l for v in views]
        self._stride = [v._stride for v in views]
        self._count = [v._count_l for v in views]
        self._mean = [v._mean_l for v in views]
        self._random = [v._random for v in views]
        self._cost = [v._cost_l for v in views]

    def draw_slot(self, level: int, index: int, rng: np.random.Generator) -> int:
        """Which recorded run a new trial sees.

        Args:
            level: the trial's first level.
            index: official index of the cell.
            rng: the run's random generator.

        Returns:
            The run's slot (0 where the signal is a mean).
        """
        if not self._random[level]:
            return 0
        n = self._count[level][index]
        return int(rng.random() * n) if n > 1 else 0

    def observe(self, level: int, index: int, slot: int) -> tuple[float, float]:
        """What a trial's run gives at a level.

        Args:
            level: index of the level.
            index: official index of the cell.
            slot: the trial's run, from `draw_slot`.

        Returns:
            `(validation value at level, cost of training to it from scratch)`.
        """
        if not self._random[level]:
            return self._mean[level][index], self._cost[level][index]
        n = self._count[level][index]
        return self._vals[level][index * self._stride[level] + (slot % n if n > 0 else 0)], self._cost[level][index]


def level_protocols(bench: Benchmark, protocol: Protocol) -> tuple[list[tuple[FidelityLevel, Protocol]], int]:
    """Each fidelity level of a table with the protocol that reads it.

    Args:
        bench: the table.
        protocol: the comparison's protocol.

    Returns:
        The `(level, protocol)` pairs, lowest first, and the index of the protocol's own level.
    """
    epochs = [int(e) for e in bench.epochs]
    metric = protocol.metric
    if len(epochs) > 1:
        top = epochs[-1] if protocol.epoch is None else int(protocol.epoch)
        out = []
        for k, e in enumerate(x for x in epochs if x <= top):
            lv = FidelityLevel(f"epoch {e}", e, metric, e, resumable=k > 0)
            out.append((lv, dataclasses.replace(protocol, epoch=e, cost_epoch=e, train_epochs=e)))
        return out, len(out) - 1
    last = epochs[-1]
    base = metric.removesuffix(_S12)
    names = bench.metric_names
    if base + _S12 in names and base in names:
        short = FidelityLevel(f"{S12_EPOCHS}-epoch schedule", S12_EPOCHS, base + _S12, last, resumable=False)
        long = FidelityLevel(f"{last}-epoch schedule", last, base, last, resumable=False)
        p_short = dataclasses.replace(protocol, metric=base + _S12, epoch=None, cost_epoch=None,
                                      cost_factor=S12_EPOCHS / last, train_epochs=S12_EPOCHS)
        p_long = dataclasses.replace(protocol, metric=base, epoch=None, cost_epoch=None, cost_factor=1.0,
                                     train_epochs=None)
        return [(short, p_short), (long, p_long)], 0 if metric.endswith(_S12) else 1
    lv = FidelityLevel(f"epoch {last}", last, metric, last, resumable=False)
    return [(lv, protocol)], 0


def build_fidelities(bench: Benchmark, protocol: Protocol, table: str = "") -> FidelityView:
    """The fidelity view of a table under a protocol (see the module docstring).

    Args:
        bench: the table.
        protocol: the comparison's protocol.
        table: the table's name in messages (default: `bench.name`).

    Returns:
        The view of every level.

    Raises:
        ProtocolError: a level the table cannot serve (the message names it).
    """
    pairs, plevel = level_protocols(bench, protocol)
    views = []
    for lv, p in pairs:
        try:
            views.append(SearchView(bench, p))
        except ProtocolError as exc:
            raise ProtocolError(f"fidelity level {lv.name!r}: {exc}") from None
    cov = views[0].candidates
    costs = tuple(tuple(v._cost_l) for v in views)
    mean_cost = tuple(float(np.nanmean(np.asarray(c)[cov])) if len(cov) else float("nan") for c in costs)
    fid = Fidelities(tuple(lv for lv, _ in pairs), plevel, table or bench.name, mean_cost, costs)
    return FidelityView(views, fid)
