"""Random search: uniform cells, with replacement (NAS-Bench-201's RANDOM.py repeats cells and pays again)."""
from __future__ import annotations

from dataclasses import dataclass

from .base import Params, Strategy


@dataclass(frozen=True)
class RandomParams(Params):
    #: never ask a cell twice (a real search would not retrain a cell); NAS-Bench-201's baseline does
    """The parameters of `random` and `mo_random`."""

    dedupe: bool = False


class RandomSearch(Strategy):
    name = "random"
    Params = RandomParams

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        self._seen: set[int] = set()

    def ask(self) -> int:
        i = self.random_index()
        if self.params.dedupe:
            for _ in range(1000):
                if i not in self._seen:
                    break
                i = self.random_index()
            self._seen.add(i)
        return i

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Ignored: random search learns nothing.

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).
        """
        pass
