"""The rungs of the asynchronous multi-fidelity strategies (ASHA, async evolution): the same
levels as successive halving and Hyperband use (`rung_levels`:
the table's levels nearest in log epochs to `top / eta**k`), so that the synchronous and the
asynchronous strategies compare on one ladder: epochs 1, 4, 12 on our CPU tables (eta 3), the 12-
and 200-epoch schedules on NAS-Bench-201 CIFAR-10.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import StrategyError
from .hyperband import rung_levels

if TYPE_CHECKING:
    from .fidelity import Fidelities


@dataclass(frozen=True)
class Rungs:
    """The rungs of an asynchronous multi-fidelity strategy.

    Attributes:
        levels: the fidelity level index of each rung, lowest first.
        epochs: their epochs.
    """

    levels: tuple[int, ...]
    epochs: tuple[int, ...]

    def rung_of(self, level: int) -> int:
        """The rung whose fidelity level is `level`.

        Args:
            level: a fidelity level index.

        Returns:
            The rung's position.

        Raises:
            ValueError: no rung is at that level.
        """
        return self.levels.index(level)

    @property
    def top(self) -> int:
        """Index of the highest rung."""
        return len(self.levels) - 1


def rung_ladder(fid: Fidelities | None, eta: int, who: str) -> Rungs:
    """The rungs of a table's fidelities for a reduction factor.

    Args:
        fid: the table's fidelity levels (None: none given).
        eta: the reduction factor.
        who: names the strategy in errors.

    Returns:
        The rungs.

    Raises:
        StrategyError: fewer than two fidelity levels.
    """
    if fid is None or len(fid.levels) < 2:
        raise StrategyError(f"{who} needs a table with several fidelity levels "
                            f"({'none given' if fid is None else fid.describe()})")
    levels = tuple(rung_levels(fid, eta))
    return Rungs(levels, tuple(fid.epochs[k] for k in levels))


def check_eta(who: str, eta: object) -> None:
    """Check the reduction factor: an integer >= 2 (as for `sh` and `hyperband`).

    Args:
        who: names the strategy in errors.
        eta: the value given.

    Raises:
        StrategyError: anything else.
    """
    if isinstance(eta, bool) or not isinstance(eta, int) or eta < 2:
        raise StrategyError(f"{who}: eta must be an integer >= 2, got {eta!r}")
