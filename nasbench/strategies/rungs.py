"""The rung ladder of the asynchronous multi-fidelity strategies (ASHA, async evolution).

Rungs at ``r, r*eta, r*eta**2, ...`` epochs below the maximum ``R``, then ``R`` itself (the
schedule of syne-tune's and Ray Tune's ASHA: ``grace_period * eta**k < max_t``, then ``max_t``),
each taken to the highest fidelity level whose epochs do not exceed it, repeats dropped. On our CPU
tables (a level per epoch 1..12, eta 3): epochs 1, 3, 9, 12. On NAS-Bench-201 CIFAR-10 (a 12-epoch
and a 200-epoch schedule): 12 and 200, the top 1/eta of the 12-epoch rung being trained afresh
with the 200-epoch schedule.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import StrategyError

if TYPE_CHECKING:
    from .fidelity import Fidelities


@dataclass(frozen=True)
class Rungs:
    """``levels``: the fidelity level index of each rung, lowest first; ``epochs``: their epochs."""

    levels: tuple[int, ...]
    epochs: tuple[int, ...]

    def rung_of(self, level: int) -> int:
        """The rung whose fidelity level is ``level`` (ValueError if none is)."""
        return self.levels.index(level)

    @property
    def top(self) -> int:
        return len(self.levels) - 1


def rung_ladder(fid: Fidelities | None, eta: float, min_epochs: int, max_epochs: int, who: str) -> Rungs:
    """The rungs of ``fid`` for reduction factor ``eta`` from ``min_epochs`` (0: the lowest level)
    to ``max_epochs`` (0: the highest level); ``who`` names the strategy in errors."""
    if fid is None:
        raise StrategyError(f"{who}: needs a table with fidelities (several epochs or schedules)")
    epochs = fid.epochs
    lo = epochs[0] if not min_epochs else min_epochs
    hi = epochs[-1] if not max_epochs else max_epochs
    if hi not in epochs or lo not in epochs or lo >= hi:
        raise StrategyError(f"{who}: min_epochs {min_epochs} and max_epochs {max_epochs} must be two levels of "
                            f"the table, min below max (0: lowest / highest); the levels are epochs "
                            f"{', '.join(map(str, epochs))}")
    budgets = []
    b = float(lo)
    while b < hi:
        budgets.append(b)
        b *= eta
    budgets.append(float(hi))
    levels: list[int] = []
    for b in budgets:
        k = max(i for i, e in enumerate(epochs) if e <= b + 1e-9)
        if not levels or k != levels[-1]:
            levels.append(k)
    return Rungs(tuple(levels), tuple(epochs[k] for k in levels))
