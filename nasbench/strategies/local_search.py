"""Local search (White et al. 2021, "Local search is state of the art for NAS benchmarks").

Start from a random cell; train its one-op neighbours in random order; move to the first that
beats the current cell (first improvement); at a local optimum (no neighbour better) restart from
a fresh random cell. Cells already trained in this run are not retrained: their observed value is
reused.

With several workers (asked again before earlier results are told) each neighbour is handed out
once: a neighbour in flight is not asked again, and its result, whenever it comes, is weighed
against the walk's current cell (it may move the walk); a scan whose neighbours are all handed out
ends without waiting for the ones in flight. With one worker this is the sequential algorithm.
"""
from __future__ import annotations

from dataclasses import dataclass

from .base import Params, Strategy, StrategyError


@dataclass(frozen=True)
class LocalSearchParams(Params):
    #: random cells trained before the first walk; the walk starts from the best of them
    """The parameters of `local_search`."""

    n_init: int = 1
    #: True: move at the first improving neighbour; False: train all neighbours, move to the best
    first_improvement: bool = True

    def check(self) -> None:
        from ..util.checks import check_positive_int

        check_positive_int(self.n_init, "local_search: n_init", StrategyError)


class LocalSearch(Strategy):
    name = "local_search"
    Params = LocalSearchParams

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        self._seen: dict[int, float] = {}
        self._current: int | None = None
        self._current_v = float("-inf")
        self._queue: list[int] = []
        self._init_left = self.params.n_init
        self._best_of_scan: tuple[int, float] | None = None
        self._inflight: set[int] = set()  # neighbours handed out and not yet told

    def _start_walk(self, index: int, value: float) -> None:
        self._current, self._current_v = index, value
        nb = [int(x) for x in self.context.space.neighbour_table()[index] if self.is_candidate(int(x))]
        order = self.rng.permutation(len(nb))
        self._queue = [nb[k] for k in order]
        self._best_of_scan = None

    def ask(self) -> int:
        while True:
            if self._current is None or self._init_left > 0:
                for _ in range(1000):
                    i = self.random_index()
                    if i not in self._seen:
                        return i
                return self.random_index()
            while self._queue:
                nxt = self._queue.pop()
                if nxt in self._seen:  # reuse the value we already have
                    if self._consider(nxt, self._seen[nxt]):
                        break
                    continue
                if nxt in self._inflight:
                    continue
                self._inflight.add(nxt)
                return nxt
            else:
                self._finish_scan()

    def _consider(self, index: int, value: float) -> bool:
        """True if the walk moved."""
        if self.params.first_improvement:
            if value > self._current_v:
                self._start_walk(index, value)
                return True
            return False
        if self._best_of_scan is None or value > self._best_of_scan[1]:
            self._best_of_scan = (index, value)
        return False

    def _finish_scan(self) -> None:
        b = self._best_of_scan
        if b is not None and b[1] > self._current_v:
            self._start_walk(*b)
        else:  # local optimum: restart
            self._current = None
            self._init_left = 1

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Start or move the walk: a better cell during the initial samples starts a walk from it, a
        neighbour handed out by the walk is considered as its next step.

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).
        """
        self._seen[index] = value
        handed_out = index in self._inflight
        self._inflight.discard(index)
        if self._current is None or self._init_left > 0:
            self._init_left -= 1
            if self._current is None or value > self._current_v:
                self._start_walk(index, value)
            return
        if handed_out:
            self._consider(index, value)
