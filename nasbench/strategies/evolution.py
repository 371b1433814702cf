"""Regularised (aging) evolution, Real et al. 2019, as NAS-Bench-201 ran it.

Defaults follow NAS-Bench-201's R_EA.py / R-EA.sh: population 10, tournament of ``sample_size``
members drawn with replacement, the best of them is the parent, the child differs in one op of
one edge, the oldest member dies. NAS-Bench-201's paper used a tournament of 10 (R-EA.sh takes it
as an argument; NATS-Bench later used 3).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .base import Params, Strategy, StrategyError, check_positive


@dataclass(frozen=True)
class EvolutionParams(Params):
    population: int = 10
    sample_size: int = 10

    def check(self) -> None:
        check_positive(self, "population", "sample_size")
        if not isinstance(self.population, int) or not isinstance(self.sample_size, int):
            raise StrategyError("evolution: population and sample_size must be integers")


class RegularizedEvolution(Strategy):
    name = "evolution"
    Params = EvolutionParams

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        self._pop: deque[tuple[int, float]] = deque()
        self._told = 0

    def ask(self) -> int:
        p = self.params
        if self._told < p.population:
            return self.random_index()
        pop, rnd, n = self._pop, self.rng.random, len(self._pop)
        best_i, best_v = -1, float("-inf")
        for _ in range(p.sample_size):
            i, v = pop[int(rnd() * n)]
            if v > best_v or best_i < 0:
                best_i, best_v = i, v
        return self.mutate(best_i)

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        self._pop.append((index, value))
        self._told += 1
        if len(self._pop) > self.params.population:
            self._pop.popleft()
