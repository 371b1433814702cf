"""A strategy added as one module, the way a contributor adds one: first-improvement hill climbing.

Start at a random cell; each ask tries a random neighbour (one op of one edge changed) of the best
cell seen; every ``restart`` asks without improvement it jumps to a random cell. Importing this
module registers ``hill_climb``; nothing else in the package changes."""
from __future__ import annotations

from dataclasses import dataclass

from nasbench.strategies.base import Params, Strategy, check_positive


@dataclass(frozen=True)
class HillClimbParams(Params):
    #: asks without improvement before a random restart
    restart: int = 20

    def check(self) -> None:
        check_positive(self, "restart")


class HillClimb(Strategy):
    """First-improvement hill climbing with random restarts."""

    name = "hill_climb"
    Params = HillClimbParams

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        self._best, self._best_v, self._stale = -1, float("-inf"), 0

    def ask(self) -> int:
        if self._best < 0 or self._stale >= self.params.restart:
            self._best, self._best_v, self._stale = -1, float("-inf"), 0
            return self.random_index()
        return self.mutate(self._best)

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        if value > self._best_v:
            self._best, self._best_v, self._stale = index, value, 0
        else:
            self._stale += 1
