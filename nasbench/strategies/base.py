"""The interface every search strategy implements, and what a strategy is allowed to see.

A strategy never holds the benchmark. The runner's search loop (`nasbench.search.loop`) asks it
for a job, trains (looks up) the job's cell through a `SearchView`, and tells it the result: the
observed validation value and the cost that training would have taken. The only other things a
strategy gets are in `SearchContext`: the space, a random generator, which cells exist in the
table, and what its capabilities declare it needs.

Two ways to speak, in the spirit of Optuna's sampler base and syne-tune's scheduler:

* `Strategy`, the classic way and the short one: `ask() -> cell index` and
  `tell(index, value, cost, objectives)`. The base adapts them into jobs (`ask_job` is
  `Job(self.ask())`, `tell_result` calls `tell`); a plug-in strategy is one short module.
* `JobStrategy`: the strategy asks for jobs itself, `ask_job() -> Job | None` and
  `tell_result(TrialResult)`. A `Job` names a cell, a fidelity `level` and a `trial` to resume
  (multi-fidelity strategies), and what it costs beyond the table: `cost` (the strategy prices the
  job itself, e.g. a supernet's training seconds) and `overhead` (simulated seconds the strategy
  spent choosing it, e.g. zero-cost proxies of the cells it scored), which the loop charges to the
  job (`cost` and `sim_time`). `ask_job` returning None leaves the asking worker idle until a
  running job finishes (successive halving waits at a rung barrier); results come back in order
  of simulated finish time. A classic `Strategy` does not override `ask_job`/`tell_result`
  (refused when the class is made): the loop calls its `ask`/`tell` directly.

With several workers a strategy is simply asked again while earlier results are still pending
(ask must not assume a tell in between).

What a runner must know about a strategy is declared once, in its `capabilities`
(`Capabilities`: trains networks, multi-fidelity, multi-objective, the most workers it can use,
the `SearchContext` fields it reads, the libraries whose versions decide its results), besides
its `name` and `Params` (the frozen dataclass of its parameters). A subclass that sets its own
`name` registers itself in `REGISTRY` when the class is created; the runner and the tests then
find it by name and ask it (never its name) what it needs.
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
        cost: the seconds the job is charged where the strategy prices it itself (a supernet's
            training); None: the table's recorded training cost of the cell.
        overhead: simulated seconds the strategy spent besides training to choose this job
            (zero-cost proxies of the cells it scored), added to the job's cost: the worker that
            runs the job spends them before training.
    """

    cell: int
    level: int | None = None
    trial: int | None = None
    cost: float | None = None
    overhead: float = 0.0


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
class Capabilities:
    """What a runner must know about a strategy, declared once as its `capabilities`.

    Attributes:
        trains_networks: it trains networks itself (DARTS, GDAS): slow; the runner gives each run
            its own task.
        multi_fidelity: it chooses at which fidelity (epoch/schedule) each cell is trained and may
            resume paused trials (a `JobStrategy`); it gets `context.fidelities`.
        multi_objective: it handles the `objectives` told besides the validation value.
        max_workers: the most simulated workers it can use (0: any number; DARTS and GDAS, which
            train one supernet, use 1 and the other workers stay idle).
        needs: the `SearchContext` fields it reads besides `rng`, `space` and `candidates` (e.g.
            `dataset` and `recipe` to train, `epoch_seconds` to price, `proxies`); any iterable
            of names, kept as a frozenset.
        libraries: installed distributions (beyond numpy, pandas and torch, recorded always) whose
            releases decide its results: their versions go into a comparison's `provenance.json`.
    """

    trains_networks: bool = False
    multi_fidelity: bool = False
    multi_objective: bool = False
    max_workers: int = 0
    needs: frozenset[str] = frozenset()
    libraries: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.needs, str):
            raise StrategyError(f"capabilities: needs must be a set of SearchContext field names, e.g. "
                                f"{{{self.needs!r}}}, got the string {self.needs!r}")
        if not isinstance(self.needs, frozenset):
            object.__setattr__(self, "needs", frozenset(self.needs))


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
#: the others: a strategy reads them only if its `needs` names them
_OPTIONAL = frozenset(f.name for f in fields(SearchContext)) - _ALWAYS


class DeclaredContext:
    """The context a strategy built by `make_strategy` (the runner's way) gets.

    It holds the `SearchContext`'s `rng`, `space`, `candidates` and the fields its class declares
    in `capabilities.needs` (and `fidelities` for a multi-fidelity one), as plain attributes (no cost on the
    hot path); reading any other field raises a `StrategyError` naming the field and the fix.

    Args:
        context: the full search context.
        strategy: the strategy class whose declarations decide what is copied.
    """

    def __init__(self, context: SearchContext, strategy: type["Strategy"]) -> None:
        caps = strategy.capabilities
        implied = {"fidelities"} if caps.multi_fidelity else set()  # multi-fidelity implies it
        for name in _ALWAYS | caps.needs | implied:
            self.__dict__[name] = getattr(context, name)
        self.__dict__["_strategy"] = strategy.__qualname__

    @property
    def full(self) -> bool:
        """True where the candidates are all 15,625 cells."""
        return len(self.candidates) == N_CELLS

    def __getattr__(self, name: str) -> Any:  # only for what is not set above
        if name in _OPTIONAL:
            raise StrategyError(f"strategy {self._strategy} reads SearchContext.{name} but does not declare it: add "
                                f"{name!r} to its needs (capabilities = Capabilities(needs={{{name!r}}}))")
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a search context is read-only")


class Strategy(ABC):
    """Ask for a cell, be told what it scored: the classic interface, adapted into jobs.

    Subclasses set `name`, `Params` and (where not the defaults) `capabilities`, and implement
    `ask` and `tell`; setting `name` registers the class. A strategy that speaks jobs itself
    (fidelities, trials, its own costs) derives from `JobStrategy` instead.

    Args:
        context: what the strategy may know (`SearchContext`, or the `DeclaredContext` the runner
            builds).
        params: its parameters; None: the defaults of `Params`.

    Raises:
        StrategyError: a parameter value is refused by `Params.check`.
    """

    name: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = Params
    #: what a runner must know about it (see `Capabilities`)
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init_subclass__(cls, register: bool = True, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        caps = cls.capabilities
        if not isinstance(caps, Capabilities):
            raise StrategyError(f"strategy {cls.__qualname__}: capabilities must be a Capabilities(...), got {caps!r}")
        valid = [f.name for f in fields(SearchContext)]
        unknown = sorted(caps.needs - set(valid))
        if unknown:
            raise StrategyError(f"strategy {cls.__qualname__}: needs names {unknown[0]!r}, not a SearchContext "
                                f"field; valid: {', '.join(valid)}")
        if not getattr(cls, "_speaks_jobs", False):
            own = sorted({"ask_job", "tell_result"} & cls.__dict__.keys())
            if own:
                raise StrategyError(f"strategy {cls.__qualname__}: defines {own[0]}() but derives from Strategy, "
                                    "whose ask()/tell() the runner calls; derive it from JobStrategy to speak jobs")
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
        """What a free worker trains next: here a new trial of `ask()` at the protocol's level.

        Returns:
            The job, or None: nothing until a running job finishes (the worker idles; if no job is
            running either, the run ends).
        """
        return Job(self.ask())

    def tell_result(self, result: TrialResult) -> None:
        """Report a finished job, in order of simulated finish time: here `tell` of its cell,
        value, cost and objectives.

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


class JobStrategy(Strategy, register=False):
    """A strategy that speaks jobs itself: `ask_job() -> Job | None` and `tell_result(TrialResult)`.

    Multi-fidelity strategies choose levels and resume trials; others price their jobs (`Job.cost`)
    or charge what choosing them cost (`Job.overhead`). `tell_result` defaults to `tell` (as on
    `Strategy`); `ask` and `tell` default to refusing, so a strategy that only speaks jobs defines
    `ask_job` and `tell_result` and nothing else.
    """

    _speaks_jobs: ClassVar[bool] = True

    @abstractmethod
    def ask_job(self) -> Job | None:
        """What a free worker trains next.

        Returns:
            The job, or None: nothing until a running job finishes (the worker idles; if no job is
            running either, the run ends).
        """

    def ask(self) -> int:
        """Refused: the runner drives this strategy through `ask_job`.

        Raises:
            StrategyError: always.
        """
        raise StrategyError(f"{self.name or type(self).__qualname__} speaks jobs: the runner drives it through "
                            "ask_job/tell_result")

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Refused unless a subclass defines it (as `tell_result`'s target).

        Args:
            index: official index of the cell.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).

        Raises:
            StrategyError: always.
        """
        raise StrategyError(f"{self.name or type(self).__qualname__} speaks jobs: the runner drives it through "
                            "ask_job/tell_result")


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
