"""Multi-objective search: maximise validation accuracy and minimise per-cell properties told
alongside it (params, FLOPs, latency; known without training).

* `mo_random`: random search; its result is the Pareto front of what it trained.
* `mo_evolution`: steady-state NSGA-II with aging. Parents by binary tournament on
  (non-domination rank, crowding distance); the child is a one-op mutation; when the population
  is full, the worst member by (rank, crowding) is removed (`aging=False`) or the oldest
  (`aging=True`, regularised evolution's rule).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Capabilities, Params, Strategy, StrategyError, check_positive
from .pareto import crowding_distance, nondominated_sort
from .random_search import RandomParams, RandomSearch


class MORandomSearch(RandomSearch):
    """Multi-objective random search; its result is the Pareto front of what it trained."""

    name = "mo_random"
    Params = RandomParams
    capabilities = Capabilities(multi_objective=True)


@dataclass(frozen=True)
class MOEvolutionParams(Params):
    """The parameters of `mo_evolution`."""

    population: int = 20
    tournament: int = 2
    aging: bool = False

    def check(self) -> None:
        check_positive(self, "population", "tournament")
        if not isinstance(self.population, int) or self.population < 2:
            raise StrategyError("mo_evolution: population must be an integer >= 2")


def _rank_crowd(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rank = nondominated_sort(points)
    crowd = np.zeros(len(points))
    for r in np.unique(rank):
        m = rank == r
        crowd[m] = crowding_distance(points[m])
    return rank, crowd


class MOEvolution(Strategy):
    """Multi-objective evolution: steady-state NSGA-II with aging (see the module docstring)."""

    name = "mo_evolution"
    Params = MOEvolutionParams
    capabilities = Capabilities(multi_objective=True)

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        self._cells: list[int] = []
        self._points: list[tuple[float, ...]] = []  # minimised: (-valid, objectives...)
        self._told = 0

    def ask(self) -> int:
        p = self.params
        if self._told < p.population:
            return self.random_index()
        pts = np.array(self._points)
        rank, crowd = _rank_crowd(pts)
        n = len(pts)
        best = None
        for _ in range(p.tournament):
            k = int(self.rng.random() * n)
            if best is None or (rank[k], -crowd[k]) < (rank[best], -crowd[best]):
                best = k
        return self.mutate(self._cells[best])

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Add the cell with its objectives to the population; once it is full, drop the oldest
        (`aging`) or the worst by Pareto rank, then crowding.

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).
        """
        self._cells.append(index)
        self._points.append((-value, *objectives))
        self._told += 1
        if len(self._cells) > self.params.population:
            if self.params.aging:
                drop = 0
            else:
                rank, crowd = _rank_crowd(np.array(self._points))
                drop = max(range(len(rank)), key=lambda k: (rank[k], -crowd[k], -k))
            del self._cells[drop]
            del self._points[drop]
