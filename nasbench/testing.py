"""Conformance checks for code written against nasbench, in the spirit of scikit-learn's
`check_estimator`: run them in your own tests.

```python
from nasbench.testing import check_strategy
from nasbench.strategies import STRATEGIES
check_strategy(STRATEGIES["evolution"])   # silent when the contract holds
```

`check_strategy` takes a `nasbench.strategies.base.Strategy` subclass (registered or
not) and runs it through short real searches on a small embedded table (`nb201-digits` by
default) the way the runner does, checking:

* **name**: a non-empty string usable as a results label (letters, digits, `_ + -`), not taken
  by another class;
* **parameters**: `Params` is a frozen dataclass subclass of `Params` whose fields all have
  defaults; the defaults pass `check()`; they go through JSON (config files, provenance) and
  `nasbench.strategies.make_params` unchanged;
* **declared capabilities**: `capabilities` is a
  `nasbench.strategies.base.Capabilities` whose `needs`, `libraries`, `max_workers`
  and flags have the right types; the strategy reads no context field it does not declare;
* **asks**: `ask()` returns a cell index (an int) of the table; `ask_job()` (a
  `nasbench.strategies.base.JobStrategy`) a `nasbench.strategies.base.Job` of such
  a cell, a valid fidelity level, a trial that exists for that cell (or None) and finite
  non-negative `cost` (or None) and `overhead` seconds, and never None before any job ran;
* **tells** are accepted, with one worker and with several (asked again before earlier results are
  told), and the search makes queries until its budget;
* **determinism**: the same seed gives the same search, whatever numpy's and Python's global
  generators hold (every random choice comes from `self.rng`).

A broken contract raises `ContractError` (an `AssertionError`) whose message starts with
the strategy's name and says what broke and how to fix it. `check_benchmark` does the same
for a `nasbench.tables.benchmark.Benchmark` (a new kind of table or surrogate).
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import math
import random
from typing import Any, Callable

import numpy as np

__all__ = ["ContractError", "check_benchmark", "check_strategy"]


class ContractError(AssertionError):
    """A strategy or benchmark that breaks the contract: the message names what broke."""


def _fail(who: str, msg: str) -> ContractError:
    return ContractError(f"{who}: {msg}")


@functools.lru_cache(maxsize=4)
def _bench(table: str):
    from .tables.registry import load

    return load(table)


# -- strategies ---------------------------------------------------------------------------------
def check_strategy(cls: type, *, table: str = "nb201-digits", queries: int = 20, seed: int = 0) -> None:
    """Check that the strategy class `cls` keeps the contract (see the module docstring).

    Args:
        cls: a `nasbench.strategies.base.Strategy` subclass (registered, or made with
            `register=False`: it is registered for the duration of the check).
        table: the benchmark the short searches run on (an embedded name or a path).
        queries: the budget of each search, in queries.
        seed: the root seed of the searches.

    Raises:
        ContractError: an `AssertionError` naming what broke.
    """
    from .strategies.base import REGISTRY, Strategy, register_strategy

    who = f"strategy {getattr(cls, '__qualname__', repr(cls))}"
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise _fail(who, "not a subclass of nasbench.strategies.Strategy")
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise _fail(who, f"does not implement {missing} (abstract methods of Strategy)")
    name = cls.name
    if not isinstance(name, str) or not name:
        raise _fail(who, "has no name: set the class attribute name = '...' (it is how --strategies finds it)")
    who = f"strategy {name!r} ({cls.__module__}.{cls.__qualname__})"
    from .strategies.base import _NAME

    if not _NAME.fullmatch(name):
        raise _fail(who, "name may use letters, digits and _ + - only (it is the default results label)")
    old = REGISTRY.get(name)
    if old is not None and old is not cls:
        raise _fail(who, f"name {name!r} is taken by {old.__module__}.{old.__qualname__}; choose another name")
    added = old is None
    if added:
        register_strategy(cls)
    try:
        _check_declarations(cls, who)
        _check_params(cls, who)
        _check_searches(cls, who, table, queries, seed)
    finally:
        if added:
            REGISTRY.pop(name, None)


def _check_declarations(cls: type, who: str) -> None:
    from .strategies.base import Capabilities, SearchContext

    caps = cls.capabilities
    if not isinstance(caps, Capabilities):
        raise _fail(who, f"capabilities must be a nasbench.strategies.Capabilities(...), got {caps!r}")
    fields = {f.name for f in dataclasses.fields(SearchContext)}
    if not isinstance(caps.needs, frozenset) or not caps.needs <= fields:
        raise _fail(who, f"needs must be a set of SearchContext fields ({', '.join(sorted(fields))}), "
                         f"got {caps.needs!r}")
    if not isinstance(caps.libraries, tuple) or not all(isinstance(x, str) and x for x in caps.libraries):
        raise _fail(who, f"libraries must be a tuple of distribution names, e.g. ('optuna',), got {caps.libraries!r}")
    mw = caps.max_workers
    if isinstance(mw, bool) or not isinstance(mw, int) or mw < 0:
        raise _fail(who, f"max_workers must be an integer >= 0 (0: any number), got {mw!r}")
    for flag in ("trains_networks", "multi_objective", "multi_fidelity"):
        if not isinstance(getattr(caps, flag), bool):
            raise _fail(who, f"{flag} must be True or False, got {getattr(caps, flag)!r}")


def _check_params(cls: type, who: str) -> None:
    from .strategies import Params, StrategyError, make_params
    from .strategies.registry import describe

    P = cls.Params
    if not (isinstance(P, type) and issubclass(P, Params) and dataclasses.is_dataclass(P)):
        raise _fail(who, "Params must be a dataclass subclassing nasbench.strategies.Params")
    if not P.__dataclass_params__.frozen:
        raise _fail(who, "Params must be frozen (@dataclass(frozen=True)): parameters do not change during a run")
    for f in dataclasses.fields(P):
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _fail(who, f"parameter {f.name!r} has no default: every parameter needs one")
    try:
        default = P()
        default.check()
    except Exception as exc:
        raise _fail(who, f"the default parameters fail their own check: {type(exc).__name__}: {exc}") from exc
    d = dataclasses.asdict(default)
    try:
        through_json = json.loads(json.dumps(d))
    except (TypeError, ValueError) as exc:
        raise _fail(who, f"default parameters are not plain values (numbers, strings, booleans, lists): {exc}") from exc
    try:
        again = make_params(cls.name, through_json)
    except StrategyError as exc:
        raise _fail(who, f"its default parameters, as a config file gives them, are refused: {exc}") from exc
    if again != default:
        raise _fail(who, f"parameters do not round-trip through a config file: {default!r} came back as {again!r}")
    try:
        describe(cls.name)
    except Exception as exc:
        raise _fail(who, f"cannot be described for --list-strategies: {type(exc).__name__}: {exc}") from exc


def _check_searches(cls: type, who: str, table: str, queries: int, seed: int) -> None:
    from .search.config import ExperimentConfig, StrategySpec
    from .strategies import Budget

    bench = _bench(table)
    spec = StrategySpec(cls.name)
    base = dict(table=table, strategies=(spec,), runs=1, budget=Budget("queries", queries), seed=seed, jobs=1,
                out="unused", progress=False)
    cfg = ExperimentConfig(**base)
    if cls.capabilities.multi_objective:
        objective = next((o for o in ("params", "flops") if bench.has_objective(o)), None)
        if objective is None:
            raise _fail(who, f"is multi-objective but table {table!r} records no params or flops; give another table")
        cfg = dataclasses.replace(cfg, protocol=dataclasses.replace(cfg.protocol, objectives=(objective,)))
    first = _watched_run(cls, who, bench, cfg, spec, global_seed=1)
    if not first["cell"]:
        raise _fail(who, "made no query: ask_job() returned None before any job ran (only a strategy waiting "
                         "on running jobs may return None)")
    again = _watched_run(cls, who, bench, cfg, spec, global_seed=2)
    _same_search(who, first, again)
    if cls.capabilities.max_workers != 1:
        _watched_run(cls, who, bench, dataclasses.replace(cfg, workers=3), spec, global_seed=3)


def _same_search(who: str, a: dict[str, list], b: dict[str, list]) -> None:
    ca, cb = a["cell"], b["cell"]
    if ca == cb:
        return
    k = next((i for i, (x, y) in enumerate(zip(ca, cb)) if x != y), min(len(ca), len(cb)))
    x = ca[k] if k < len(ca) else "(end)"
    y = cb[k] if k < len(cb) else "(end)"
    raise _fail(who, f"not deterministic: two searches with the same seed differ at query {k + 1} (cell {x} vs "
                     f"{y}); draw every random choice from self.rng (the context's generator), never from numpy's "
                     "or Python's global generator or a generator of your own without a seed from self.rng")


def _watched_run(cls: type, who: str, bench, cfg, spec, global_seed: int) -> dict[str, list]:
    """One search of `spec` as `nasbench.search.runner.run_one` runs it, with the strategy's
    asks and tells checked as they happen and the global generators seeded with `global_seed`."""
    from .search.one_run import prepare_search, run_seed, run_strategy
    from .strategies import SearchContext, StrategyError, make_strategy

    shared = prepare_search(bench, cfg)
    s_seq, n_seq = run_seed(shared.seed, spec.label, 0).spawn(2)
    fid = shared.fidelities.fidelities if shared.fidelities is not None and cls.capabilities.multi_fidelity else None
    ctx = SearchContext(rng=np.random.default_rng(s_seq), fidelities=fid, **shared.context_kw)
    np_state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(global_seed)
    random.seed(global_seed)
    try:
        try:
            strategy = make_strategy(spec.name, ctx, spec.params)
        except StrategyError as exc:
            raise _fail(who, f"cannot be built: {exc}") from exc
        except Exception as exc:
            raise _fail(who, f"__init__ raised {type(exc).__name__}: {exc}") from exc
        _Watch(strategy, who, shared, fid).install()
        try:
            return run_strategy(shared, spec, 0, strategy, np.random.default_rng(n_seq))
        except ContractError:
            raise
        except StrategyError as exc:  # e.g. an undeclared context field read
            raise _fail(who, str(exc)) from exc
        except Exception as exc:
            where = f" with {cfg.workers} workers" if cfg.workers > 1 else ""
            raise _fail(who, f"the search{where} raised {type(exc).__name__}: {exc}") from exc
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


class _Watch:
    """Checks on one strategy instance: its bound methods replaced by checking wrappers."""

    def __init__(self, strategy, who: str, shared, fidelities) -> None:
        self.s, self.who = strategy, who
        self.ok = np.zeros(15625, dtype=bool)
        self.ok[np.asarray(shared.view.candidates, dtype=np.int64)] = True
        self.levels = len(fidelities.levels) if fidelities is not None else None
        self.trials: dict[int, int] = {}  # trial id -> cell, as told
        self.asked = self.told = self.running = 0

    def install(self) -> None:
        s = self.s
        for meth in ("ask", "ask_job", "tell", "tell_result"):
            setattr(s, meth, getattr(self, meth)(getattr(s, meth)))

    def _cell(self, what: str, x: Any) -> int:
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
            raise _fail(self.who, f"{what} returned {x!r} ({type(x).__name__}), not a cell index (an int)")
        if not 0 <= int(x) < 15625 or not self.ok[int(x)]:
            raise _fail(self.who, f"{what} returned {int(x)}, not a cell of the table (ask only for "
                                  "context.candidates; self.random_index() and self.mutate() keep to them)")
        return int(x)

    def ask(self, f: Callable) -> Callable:
        def ask():
            out = f()
            self._cell("ask()", out)
            self.asked += 1
            return out
        return ask

    def ask_job(self, f: Callable) -> Callable:
        from .strategies.base import Job

        def ask_job():
            job = f()
            if job is None:
                if self.told == 0 and self.asked == 0:
                    raise _fail(self.who, "ask_job() returned None before any job ran; None means: wait for running "
                                          "jobs, and none runs")
                return None
            if not isinstance(job, Job):
                raise _fail(self.who, f"ask_job() returned {job!r}, not a Job (or None)")
            self._cell("ask_job().cell", job.cell)
            if job.level is not None:
                if self.levels is None:
                    raise _fail(self.who, f"ask_job() asked for fidelity level {job.level!r} but the strategy is not "
                                          "multi-fidelity (set capabilities = Capabilities(multi_fidelity=True), "
                                          "or leave level None)")
                if isinstance(job.level, bool) or not isinstance(job.level, (int, np.integer)) \
                        or not 0 <= job.level < self.levels:
                    raise _fail(self.who, f"ask_job() asked for level {job.level!r}; the levels are "
                                          f"0..{self.levels - 1}")
            if job.trial is not None and self.trials.get(job.trial) != job.cell:
                raise _fail(self.who, f"ask_job() resumes trial {job.trial!r} of cell {job.cell}, but no told trial "
                                      "of that cell has that id (resume only trials from tell_result)")
            for what in ("cost", "overhead"):
                v = getattr(job, what)
                if v is not None:
                    self._check_seconds(f"ask_job().{what}", v)
            self.asked += 1
            return job
        return ask_job

    def tell(self, f: Callable) -> Callable:
        def tell(index, value, cost, objectives=()):
            self.told += 1
            return f(index, value, cost, objectives)
        return tell

    def tell_result(self, f: Callable) -> Callable:
        def tell_result(result):
            self.told += 1
            self.trials[result.trial] = result.cell
            return f(result)
        return tell_result

    def _check_seconds(self, what: str, v: Any) -> None:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                or not math.isfinite(v) or v < 0:
            raise _fail(self.who, f"{what} is {v!r}; it must be finite seconds >= 0")


# -- benchmarks -----------------------------------------------------------------------------------
def check_benchmark(bench: Any, *, cells: int = 8, seed: int = 0) -> None:
    """Check that `bench` keeps the `nasbench.tables.benchmark.Benchmark` contract.

    Checked: identity, epochs and seeds, queries (by index and arch string, one and many, every metric, each epoch
    and seed mode), runs, costs, objectives, the shared refusals, and a short search of the runner
    on it.

    Args:
        bench: the benchmark.
        cells: how many of its cells to query (drawn with `seed`).
        seed: the seed of that draw and of the search.

    Raises:
        ContractError: an `AssertionError` naming what broke.
    """
    from .tables.benchmark import Benchmark, QueryError
    from .space import N_CELLS, to_cell

    who = f"benchmark {getattr(bench, 'name', '?')!r} ({type(bench).__name__})"
    if not isinstance(bench, Benchmark):
        raise _fail(who, "not an instance of nasbench.Benchmark")

    def check(cond: bool, msg: str) -> None:
        if not cond:
            raise _fail(who, msg)

    def same(a: Any, b: Any) -> bool:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))

    check(isinstance(bench.name, str) and bool(bench.name), "name must be a non-empty string")
    metrics = bench.metric_names
    check(isinstance(metrics, tuple) and bool(metrics) and all(isinstance(m, str) for m in metrics),
          f"metric_names must be a non-empty tuple of names, got {metrics!r}")
    cov = np.asarray(bench.covered)
    check(cov.ndim == 1 and len(cov) > 0 and np.issubdtype(cov.dtype, np.integer),
          "covered must be a non-empty 1-d integer array of cell indices")
    check(bool(np.all(np.diff(cov) > 0)) and cov[0] >= 0 and cov[-1] < N_CELLS,
          f"covered must be sorted, unique official indices in 0..{N_CELLS - 1}")
    epochs = np.asarray(bench.epochs)
    check(epochs.ndim == 1 and len(epochs) > 0 and epochs[0] >= 1 and bool(np.all(np.diff(epochs) > 0)),
          f"epochs must be 1-based and increasing, got {epochs.tolist()!r}")
    seeds = np.asarray(bench.seeds)
    check(seeds.ndim == 1, "seeds must be a 1-d array (the nominal seed of each run slot; empty for seed means only)")
    sha = bench.content_sha256()
    check(isinstance(sha, str) and len(sha) in (0, 64),
          f"content_sha256() must be a SHA-256 hex digest (or '' where nothing is hashed), got {sha!r}")
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(cov, size=min(cells, len(cov)), replace=False))
    last = int(epochs[-1])
    for m in metrics:
        many = np.asarray(bench.query_many(pick, m), dtype=float)
        check(many.shape == (len(pick),), f"query_many(cells, {m!r}) must return one value per cell, got shape "
                                          f"{many.shape}")
        check(same(many, bench.query_many(pick, m, epoch=last)), f"query_many(.., {m!r}) with epoch None must equal "
                                                                 f"epoch {last} (the last)")
        for i, c in enumerate(pick[:3]):
            one = bench.query(int(c), m)
            check(isinstance(one, float), f"query({int(c)}, {m!r}) must return a float, got {type(one).__name__}")
            check(same(one, many[i]), f"query({int(c)}, {m!r}) = {one} but query_many gives {many[i]}")
            check(same(bench.query(to_cell(int(c)).to_str(), m), one),
                  f"query by arch string and by index of cell {int(c)} differ for {m!r}")
        if m not in bench.mean_only:
            runs = np.asarray(bench.runs(pick, m))
            check(runs.shape == (len(pick), len(seeds)), f"runs(cells, {m!r}) must have shape (cells, seed slots) = "
                                                         f"{(len(pick), len(seeds))}, got {runs.shape}")
            r = bench.query_many(pick, m, seed="random", rng=np.random.default_rng(seed))
            check(np.asarray(r).shape == (len(pick),),
                  f"query_many(.., {m!r}, seed='random') must return one value per cell")
    vals = bench.values(metrics[0])
    check(np.asarray(vals).shape == (N_CELLS,), f"values() must return {N_CELLS} values (NaN where not covered)")
    costs = np.asarray(bench.cost_many(pick), dtype=float)
    check(costs.shape == (len(pick),) and bool(np.all(np.isnan(costs) | (costs >= 0))),
          "cost_many(cells) must return one non-negative number of seconds per cell (NaN where unknown)")
    for o in bench.objective_names:
        ov = np.asarray(bench.objective_many(pick, o))
        check(ov.shape == (len(pick),), f"objective_many(cells, {o!r}) must return one value per cell")
    for bad, call in (("an unknown metric", lambda: bench.query(int(pick[0]), "no-such-metric")),
                      ("an unknown epoch", lambda: bench.query(int(pick[0]), metrics[0], epoch=last + 10_000)),
                      ("seed='random' without rng", lambda: bench.query(int(pick[0]), metrics[0], seed="random"))):
        try:
            call()
        except QueryError:
            continue
        except Exception as exc:
            raise _fail(who, f"{bad} must raise QueryError (one line), raised {type(exc).__name__}: {exc}") from exc
        raise _fail(who, f"{bad} must raise QueryError, but the query answered")
    key = bench.result_key(int(pick[0]))
    check(isinstance(key, (int, np.integer)), f"result_key(cell) must be an int, got {key!r}")
    check(isinstance(bench.retrain_recipe(), dict), "retrain_recipe() must return a dict")
    summary = bench.summary()
    check(bool(summary.lines()) and isinstance(summary.to_dict(), dict), "summary() must have lines() and to_dict()")
    _check_search_on(bench, who, metrics, seed)


def _check_search_on(bench, who: str, metrics: tuple[str, ...], seed: int) -> None:
    """A short random search of the runner on `bench` (its validation and test metrics)."""
    from .search.one_run import prepare_search, run_one
    from .search.config import ExperimentConfig, StrategySpec
    from .strategies import Budget, Protocol

    valid = next((m for m in ("valid_acc", "valid_acc_s12") if m in metrics), metrics[0])
    test = next((m for m in ("test_acc",) if m in metrics), valid)
    cfg = ExperimentConfig(table=bench.name or "benchmark", strategies=("random",), runs=1, seed=seed,
                           budget=Budget("queries", 10), protocol=Protocol(metric=valid, test_metric=test), jobs=1,
                           out="unused", progress=False)
    try:
        cols = run_one(prepare_search(bench, cfg), StrategySpec("random"), 0)
    except Exception as exc:
        raise _fail(who, f"a short search of the runner on it raised {type(exc).__name__}: {exc}") from exc
    if len(cols["cell"]) != 10:
        raise _fail(who, f"a 10-query search of the runner made {len(cols['cell'])} queries")
