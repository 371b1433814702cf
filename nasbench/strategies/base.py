"""The ask/tell interface every search strategy implements, and what a strategy is allowed to see.

A strategy never holds the benchmark. The runner asks it for a cell index, trains (looks up) that
cell through a `SearchView`, and tells it the observed
validation value and the cost that training would have taken. The only other things a strategy
gets are in `SearchContext`: the space, a random generator, which cells exist in the table,
and (for the strategies that train a supernet for real) the table's dataset name and recipe.

Adding a strategy is one module: subclass `Strategy`, set `name` and `Params`, declare
the hooks below, and import the module (the built-ins are imported by
`registry`). A subclass that sets its own `name` registers itself in
`REGISTRY` when the class is created; the runner and the tests then find it by name and ask
it (never its name) what it needs:

* `trains_networks`: it trains networks itself (slow; the runner gives each run its own task);
* `prices_queries`: it charges its own cost per query (its `own_cost()` method) instead of the
  table's training cost of the cell it returns;
* `multi_objective`: it handles the `objectives` told besides the validation value;
* `charges_overhead`: it spends simulated compute of its own besides training (zero-cost proxies
  of the cells it scored); its `overhead()` returns the seconds spent since the last `ask` and
  the runner adds them to the cost of the query that ask returned (`cost` and `sim_time`);
* `needs`: the `SearchContext` fields it reads besides `rng`, `space` and
  `candidates` (e.g. `dataset` and `recipe` to train, `epoch_seconds` to price);
* `libraries`: the installed distributions (beyond numpy, pandas and torch, recorded always)
  whose releases decide its results: their versions go into a comparison's `provenance.json`;
* `Params`: the frozen dataclass of its parameters (names, defaults, types; `check` adds rules);
* `multi_fidelity`: it chooses at which fidelity (epoch/schedule) each cell is trained and may
  resume paused trials; it gets `context.fidelities` (`Fidelities`)
  and speaks `Strategy.ask_job` / `Strategy.tell_result` (below);
* `max_workers`: the most simulated workers it can use (0: any number; DARTS and GDAS, which
  train one supernet, use 1 and the other workers stay idle);
* `synchronous`: it batches (successive halving, Hyperband wait at rung barriers): its
  `ask_job` returns None while a batch is incomplete, and the asking worker idles.

Parallel workers and fidelities (the runner's event loop, `nasbench.search.runner`): whenever a
simulated worker is free the runner calls `ask_job()` -> `Job` (a cell, a fidelity
`level`, and `trial`: None for a new trial, or the id of a paused trial of that cell to resume
to a higher level). Results come back in order of simulated finish time through
`tell_result(TrialResult)`. The defaults bridge the plain interface: `ask_job` is
`Job(self.ask())` (the protocol's own level, a new trial) and `tell_result` calls `tell`, so
every strategy runs with any number of workers; with several workers a strategy is simply asked
again while earlier results are still pending (ask must not assume a tell in between).

`class Mine(Strategy, register=False)` opts out (a base for other strategies, or a test double).
"""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..space import N_CELLS, NB201, NB201Space
from ..errors import NasbenchError

if TYPE_CHECKING:
    from .fidelity import Fidelities
    from .zero_cost_inputs import ProxyInputs


class StrategyError(NasbenchError, ValueError):
    """Unknown strategy, unknown or bad parameter."""


@dataclass(frozen=True)
class Job:
    """What a free worker is to do.

    Attributes:
        cell: official index of the cell to train.
        level: fidelity to train it to, an index into `context.fidelities.levels`; None: the
            protocol's own level (what single-fidelity strategies see).
        trial: None starts a new trial; the id of a paused trial (from its `TrialResult`) resumes
            that trial of the same cell to a higher level, charged only the extra time where the
            levels are resumable, else a fresh training to `level`.
    """

    cell: int
    level: int | None = None
    trial: int | None = None


@dataclass(frozen=True)
class TrialResult:
    """A finished job.

    Attributes:
        trial: the trial id (assigned by the runner).
        cell: official index of the cell.
        level: the fidelity level reached.
        value: the validation value there.
        cost: the seconds charged for this job (only the extra time of a resumed trial).
        worker: which worker ran it.
        start: simulated start, wall-clock seconds since the run began.
        finish: simulated finish, wall-clock seconds since the run began.
        objectives: the objectives of a multi-objective run.
    """

    trial: int
    cell: int
    level: int
    value: float
    cost: float
    worker: int
    start: float
    finish: float
    objectives: tuple[float, ...] = ()


@dataclass(frozen=True)
class SearchContext:
    """Everything a strategy may know besides what it is told.

    Attributes:
        rng: the run's random generator.
        space: the cell space.
        candidates: sorted official indices of the cells the table answers for (all 15,625 for a
            full table); strategies only ask for these.
        dataset: the table's dataset name (for DARTS/GDAS, which train a supernet for real).
        recipe: the table's training recipe (likewise).
        objectives: for multi-objective runs, the names of the values told besides the validation
            value (each to be minimised, e.g. `params`).
        epoch_seconds: what one training epoch of each cell costs in the table (official index
            order, NaN where unknown; cost only, never a metric): DARTS and GDAS price their
            supernet's training with a model fitted to it.
        fidelities: the fidelity levels of the table (multi-fidelity strategies only; None for the
            others).
        proxies: the table's zero-cost proxies per cell and the seconds computing them cost
            (`ProxyInputs`; None where the table has none).
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
    #: the fidelity levels of the table (multi-fidelity strategies only; None for the others)
    fidelities: "Fidelities | None" = None
    #: the table's zero-cost proxies and their per-cell compute seconds (proxy-guided strategies)
    proxies: "ProxyInputs | None" = None

    @property
    def full(self) -> bool:
        """True where the candidates are all 15,625 cells."""
        return len(self.candidates) == N_CELLS


@dataclass(frozen=True)
class Params:
    """Base of every strategy's parameter dataclass."""

    def check(self) -> None:
        """Check the parameter values (subclasses add their own rules).

        Raises:
            StrategyError: a value is out of range.
        """


def check_positive(params: Params, *names: str) -> None:
    """Check that the named parameters are numbers greater than 0.

    Args:
        params: the parameters to check.
        *names: the fields of `params` to check.

    Raises:
        StrategyError: a named field is not a number (`bool` included) or not > 0.
    """
    for n in names:
        v = getattr(params, n)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
            raise StrategyError(f"{type(params).__name__.removesuffix('Params').lower()}: {n} must be > 0, got {v!r}")


#: what a strategy name may be (it is the default label of a comparison's results)
_NAME = re.compile(r"[A-Za-z0-9_+-]+")

#: every registered strategy class by name, in registration (import) order
REGISTRY: dict[str, type["Strategy"]] = {}

#: SearchContext fields every strategy gets without declaring them
_ALWAYS = frozenset({"rng", "space", "candidates"})
#: the others: a strategy reads them only if its ``needs`` names them
_OPTIONAL = frozenset(f.name for f in fields(SearchContext)) - _ALWAYS


class DeclaredContext:
    """The context a strategy built by `make_strategy` (the runner's way) gets.

    It holds the `SearchContext`'s `rng`, `space`, `candidates` and the fields its class declares
    in `needs` (and `fidelities` for a `multi_fidelity` one), as plain attributes (no cost on the
    hot path); reading any other field raises a `StrategyError` naming the field and the fix.

    Args:
        context: the full search context.
        strategy: the strategy class whose declarations decide what is copied.
    """

    def __init__(self, context: SearchContext, strategy: type["Strategy"]) -> None:
        implied = {"fidelities"} if strategy.multi_fidelity else set()  # the multi_fidelity hook implies it
        for name in _ALWAYS | strategy.needs | implied:
            self.__dict__[name] = getattr(context, name)
        self.__dict__["_strategy"] = strategy.__qualname__

    @property
    def full(self) -> bool:
        """True where the candidates are all 15,625 cells."""
        return len(self.candidates) == N_CELLS

    def __getattr__(self, name: str) -> Any:  # only for what is not set above
        if name in _OPTIONAL:
            raise StrategyError(f"strategy {self._strategy} reads SearchContext.{name} but does not declare it: add "
                                f"{name!r} to its needs (needs = frozenset({{{name!r}}}))")
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a search context is read-only")


class Strategy(ABC):
    """Ask for a cell, be told what it scored.

    Subclasses set `name` and `Params` and declare the hooks listed in the module docstring;
    setting `name` registers the class.

    Args:
        context: what the strategy may know (`SearchContext`, or the `DeclaredContext` the runner
            builds).
        params: its parameters; None: the defaults of `Params`.

    Raises:
        StrategyError: a parameter value is refused by `Params.check`.
    """

    name: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = Params
    #: True for strategies that train networks themselves (DARTS, GDAS): slow, need the dataset
    trains_networks: ClassVar[bool] = False
    #: True for strategies that charge their own cost per query (they define ``own_cost() -> float``)
    prices_queries: ClassVar[bool] = False
    #: True for strategies that handle ``objectives`` (multi-objective)
    multi_objective: ClassVar[bool] = False
    #: True for strategies that spend compute besides training (they define ``overhead() -> float``:
    #: simulated seconds spent since the last ask, added by the runner to that query's cost)
    charges_overhead: ClassVar[bool] = False
    #: the SearchContext fields read besides rng, space and candidates
    needs: ClassVar[frozenset[str]] = frozenset()
    #: distributions whose versions decide its results (recorded in provenance), e.g. ("optuna",)
    libraries: ClassVar[tuple[str, ...]] = ()
    #: True for strategies that choose fidelities (they get ``context.fidelities`` and use ask_job/tell_result)
    multi_fidelity: ClassVar[bool] = False
    #: the most simulated workers the strategy can use (0: any number)
    max_workers: ClassVar[int] = 0
    #: True for strategies that batch: ask_job returns None until the pending batch is told
    synchronous: ClassVar[bool] = False

    def __init_subclass__(cls, register: bool = True, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls.needs = frozenset(cls.needs)
        unknown = sorted(cls.needs - {f.name for f in fields(SearchContext)})
        if unknown:
            raise StrategyError(f"strategy {cls.__qualname__}: needs names {unknown[0]!r}, not a SearchContext "
                                f"field; valid: {', '.join(f.name for f in fields(SearchContext))}")
        if cls.prices_queries and not callable(getattr(cls, "own_cost", None)):
            raise StrategyError(f"strategy {cls.__qualname__}: prices_queries is set but it defines no own_cost()")
        if cls.charges_overhead and not callable(getattr(cls, "overhead", None)):
            raise StrategyError(f"strategy {cls.__qualname__}: charges_overhead is set but it defines no overhead()")
        if register and "name" in cls.__dict__ and cls.name:
            register_strategy(cls)

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
        """The next cell to train.

        Returns:
            The official index of the cell.
        """

    @abstractmethod
    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Report what training an asked cell gave.

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of `context.objectives`, in that order (multi-objective runs).
        """

    def ask_job(self) -> Job | None:
        """What a free worker trains next.

        The default is a new trial of `ask()` at the protocol's level.

        Returns:
            The job, or None: nothing until a running job finishes (the worker idles; if no job is
            running either, the run ends).
        """
        return Job(self.ask())

    def tell_result(self, result: TrialResult) -> None:
        """Report a finished job, in order of simulated finish time.

        The default tells `tell` its cell, value, cost and objectives.

        Args:
            result: the finished job.
        """
        self.tell(result.cell, result.value, result.cost, result.objectives)

    # -- helpers for subclasses ------------------------------------------------------------
    def random_index(self) -> int:
        """A uniformly random candidate cell.

        Returns:
            Its official index.
        """
        c = self._cands
        return int(c[int(self.rng.random() * len(c))])

    def mutate(self, index: int) -> int:
        """One op of one edge changed to another op, uniformly; only cells of the table.

        Args:
            index: official index of the parent cell.

        Returns:
            Official index of the child (a random candidate where 64 tries find no candidate
            neighbour).
        """
        nt = self.context.space.neighbour_table()
        k = nt.shape[1]
        for _ in range(64):
            child = int(nt[index, int(self.rng.random() * k)])
            if self._full or self._covered[child]:
                return child
        return self.random_index()

    def is_candidate(self, index: int) -> bool:
        """Whether the table answers for a cell.

        Args:
            index: official index of the cell.

        Returns:
            True where the cell is among `context.candidates`.
        """
        return self._full or bool(self._covered[index])

    # A strategy with ``prices_queries`` defines ``own_cost(self) -> float``: what the last asked query
    # cost (seconds), charged by the runner instead of the table's cost of the cell. The others do not
    # define it (the base has none, so that asking for it on them fails loudly).
    # Likewise a strategy with ``charges_overhead`` defines ``overhead(self) -> float``: the simulated
    # seconds it spent since the last ask (e.g. proxies computed for the cells it scored), added by the
    # runner to the cost of the query that ask returned.


def register_strategy(cls: type[Strategy]) -> type[Strategy]:
    """Add a strategy class to `REGISTRY` under its `name`.

    Subclassing registers a class; this is also usable as a decorator for a class made with
    `register=False` (public as `nasbench.strategies.register`).

    Args:
        cls: the `Strategy` subclass.

    Returns:
        `cls`, unchanged.

    Raises:
        StrategyError: `cls` is not a `Strategy` subclass, has no name, a name that cannot be a
            result label (letters, digits and `_ + -` only), or a name taken by another class.
    """
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise StrategyError(f"register takes a Strategy subclass, got {cls!r}")
    if not cls.name:
        raise StrategyError(f"strategy {cls.__qualname__}: set a name to register it")
    if not isinstance(cls.name, str) or not _NAME.fullmatch(cls.name):
        raise StrategyError(f"strategy {cls.__qualname__}: name {cls.name!r} may use letters, digits and _ + - only "
                            "(it is the default label, which names the folder runs/<label>/)")
    old = REGISTRY.get(cls.name)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise StrategyError(f"strategy name {cls.name!r} is taken by {old.__module__}.{old.__qualname__}; "
                            f"choose another name")
    REGISTRY[cls.name] = cls
    return cls


def param_specs(cls: type[Strategy]) -> list[tuple[str, Any, str]]:
    """The parameters of a strategy.

    Args:
        cls: the strategy class.

    Returns:
        `(name, default, type name)` of each field of its `Params`.
    """
    out = []
    for f in fields(cls.Params):
        t = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        out.append((f.name, f.default, t))
    return out
