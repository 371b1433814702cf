"""The ask/tell interface every search strategy implements, and what a strategy is allowed to see.

A strategy never holds the benchmark. The runner asks it for a cell index, trains (looks up) that
cell through a :class:`~nasbench.strategies.protocol.SearchView`, and tells it the observed
validation value and the cost that training would have taken. The only other things a strategy
gets are in :class:`SearchContext`: the space, a random generator, which cells exist in the table,
and (for the strategies that train a supernet for real) the table's dataset name and recipe.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from ..space import N_CELLS, NB201, NB201Space


class StrategyError(ValueError):
    """Unknown strategy, unknown or bad parameter."""


@dataclass(frozen=True)
class SearchContext:
    """Everything a strategy may know besides what it is told.

    ``candidates``: sorted official indices of the cells the table answers for (all 15,625 for a
    full table); strategies only ask for these. ``dataset`` and ``recipe``: the table's dataset name
    and training recipe (for DARTS/GDAS, which train a supernet for real). ``objectives``: for
    multi-objective runs, the names of the values told besides the validation value (each to be
    minimised, e.g. ``params``). ``epoch_seconds``: what one training epoch of each cell costs in
    the table (cost only, never a metric).
    """

    rng: np.random.Generator
    space: NB201Space = NB201
    candidates: np.ndarray = field(default_factory=lambda: np.arange(N_CELLS))
    dataset: str = ""
    recipe: dict[str, Any] = field(default_factory=dict)
    objectives: tuple[str, ...] = ()
    #: the table's training seconds per epoch of each cell (official index order, NaN where unknown):
    #: DARTS and GDAS price their supernet's training with a model fitted to it
    epoch_seconds: np.ndarray | None = None

    @property
    def full(self) -> bool:
        return len(self.candidates) == N_CELLS


@dataclass(frozen=True)
class Params:
    """Base of every strategy's parameter dataclass."""

    def check(self) -> None:
        """Raise StrategyError for a bad value (subclasses add their own rules)."""


def check_positive(params: Params, *names: str) -> None:
    for n in names:
        v = getattr(params, n)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
            raise StrategyError(f"{type(params).__name__.removesuffix('Params').lower()}: {n} must be > 0, got {v!r}")


class Strategy(ABC):
    """Ask for a cell, be told what it scored. Subclasses set ``name`` and ``Params``."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = Params
    #: True for strategies that train networks themselves (DARTS, GDAS): slow, need the dataset
    trains_networks: ClassVar[bool] = False
    #: True for strategies that handle ``objectives`` (multi-objective)
    multi_objective: ClassVar[bool] = False

    def __init__(self, context: SearchContext, params: Params | None = None) -> None:
        self.context = context
        self.params = params if params is not None else self.Params()
        self.params.check()
        self.rng = context.rng
        self._cands = np.asarray(context.candidates, dtype=np.int64)
        self._full = len(self._cands) == N_CELLS
        if not self._full:
            self._covered = np.zeros(N_CELLS, dtype=bool)
            self._covered[self._cands] = True

    @abstractmethod
    def ask(self) -> int:
        """The official index of the next cell to train."""

    @abstractmethod
    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """The observed validation value of ``index`` and what training it cost (seconds)."""

    # -- helpers for subclasses ------------------------------------------------------------
    def random_index(self) -> int:
        c = self._cands
        return int(c[int(self.rng.random() * len(c))])

    def mutate(self, index: int) -> int:
        """One op of one edge changed to another op, uniformly; only cells of the table."""
        nt = self.context.space.neighbour_table()
        k = nt.shape[1]
        for _ in range(64):
            child = int(nt[index, int(self.rng.random() * k)])
            if self._full or self._covered[child]:
                return child
        return self.random_index()

    def is_candidate(self, index: int) -> bool:
        return self._full or bool(self._covered[index])


def param_specs(cls: type[Strategy]) -> list[tuple[str, Any, str]]:
    """(name, default, type name) of each parameter of a strategy."""
    out = []
    for f in fields(cls.Params):
        t = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        out.append((f.name, f.default, t))
    return out
