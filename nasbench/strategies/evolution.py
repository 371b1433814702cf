"""Regularised (aging) evolution, Real et al. 2019, as NAS-Bench-201 ran it.

Defaults follow NAS-Bench-201's R_EA.py / R-EA.sh: population 10, a tournament of
`sample_size` = 3 members drawn with replacement (R-EA.sh takes the sample size as an argument;
its example invocation, `R-EA.sh cifar10 3 -1`, and the later NATS-Bench `REA.py` examples,
`--ea_population 10 --ea_sample_size 3`, pass 3), the best of them is the parent, the child
differs in one op of one edge, the oldest member dies.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .base import Params, Strategy, StrategyError, check_positive


@dataclass(frozen=True)
class EvolutionParams(Params):
    """`population`: members kept (the oldest dies); `sample_size`: tournament size."""

    population: int = 10
    sample_size: int = 3

    def check(self) -> None:
        check_positive(self, "population", "sample_size")
        if not isinstance(self.population, int) or not isinstance(self.sample_size, int):
            raise StrategyError("evolution: population and sample_size must be integers")


def tournament_parent(pop: deque[tuple[int, float]], sample_size: int, rnd) -> int:
    """The best of `sample_size` members drawn with replacement (ties: the first drawn).

    Args:
        pop: the population, `(index, value)` oldest first.
        sample_size: the tournament's size.
        rnd: a callable returning a uniform float in [0, 1).

    Returns:
        The official index of the winner.
    """
    n = len(pop)
    best_i, best_v = -1, float("-inf")
    for _ in range(sample_size):
        i, v = pop[int(rnd() * n)]
        if v > best_v or best_i < 0:
            best_i, best_v = i, v
    return best_i


def age_in(pop: deque[tuple[int, float]], index: int, value: float, population: int) -> None:
    """The newest member joins; beyond `population` the oldest dies.

    Args:
        pop: the population, `(index, value)` oldest first (changed in place).
        index: official index of the new member.
        value: its validation value.
        population: the most members kept.
    """
    pop.append((index, value))
    if len(pop) > population:
        pop.popleft()


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
        return self.mutate(tournament_parent(self._pop, p.sample_size, self.rng.random))

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Age the cell into the population (the oldest member leaves once it is full).

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).
        """
        age_in(self._pop, index, value, self.params.population)
        self._told += 1
