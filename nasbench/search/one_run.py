"""One search of a comparison: what every run of a configuration shares (`prepare_search`), one
run through the search loop (`run_one`), and the checks a comparison makes before its first run
(`check_runnable`).

Run `r` of strategy label `L` uses `SeedSequence(seed, spawn_key=(crc32(L), r))`, split into the
strategy's generator and the generator that draws which recorded training run a query sees; so a
run's rows do not depend on the number of processes, on the executor, on the order of work, or on
which other strategies are in the config.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..space import N_CELLS
from ..strategies import Budget, ProtocolError, SearchContext, SearchView, StrategyError, make_strategy
from ..strategies.fidelity import FidelityView, build_fidelities, level_protocols
from ..strategies.protocol import MAX_QUERIES, objective_values
from ..strategies.zero_cost_inputs import proxy_inputs
from ..tables.benchmark import Benchmark
from .config import COLUMNS, TIMED_COLUMNS, ConfigError, ExperimentConfig, StrategySpec, _strategy_class
from .loop import LoopSetup, run_events
from .results import check_results_dir


@dataclass
class _Shared:
    """Everything a run needs, built once per process."""

    view: SearchView
    test: list[float]
    objectives: np.ndarray | None
    context_kw: dict[str, Any]
    budget: Budget
    seed: int
    #: simulated workers per run, and whether runs go through the event loop (config.timed)
    workers: int = 1
    timed: bool = False
    #: the fidelity levels (built where a multi-fidelity strategy is in the config) and the index
    #: of the protocol's own level
    fidelities: FidelityView | None = None
    protocol_level: int = 0


def run_seed(root: int, label: str, run: int) -> np.random.SeedSequence:
    """The seed sequence of one run, independent of the processes, the executor and the order of work.

    Args:
        root: the comparison's seed.
        label: the strategy's label.
        run: the run's number.

    Returns:
        `SeedSequence(root, spawn_key=(crc32(label), run))`.
    """
    return np.random.SeedSequence(root, spawn_key=(zlib.crc32(label.encode()), run))


def run_one(shared: _Shared, spec: StrategySpec, run: int) -> dict[str, list]:
    """One search through the search loop (`nasbench.search.loop.run_events`).

    Args:
        shared: what every run of the configuration shares (`prepare_search`).
        spec: the strategy searched.
        run: the run's number (it picks the seeds, `run_seed`).

    Returns:
        The tidy columns of its queries (with `TIMED_COLUMNS` where the configuration is timed).
    """
    s_seq, n_seq = run_seed(shared.seed, spec.label, run).spawn(2)
    fid = shared.fidelities.fidelities if shared.fidelities is not None and \
        _strategy_class(spec.name).capabilities.multi_fidelity else None
    ctx = SearchContext(rng=np.random.default_rng(s_seq), fidelities=fid, **shared.context_kw)
    strategy = make_strategy(spec.name, ctx, spec.params)
    return run_strategy(shared, spec, run, strategy, np.random.default_rng(n_seq))


def run_strategy(shared: _Shared, spec: StrategySpec, run: int, strategy, noise: np.random.Generator
                 ) -> dict[str, list]:
    """The search of `run_one` with a strategy already built.

    `nasbench.testing.check_strategy` drives a watched strategy here.

    Args:
        shared: what every run of the configuration shares (`prepare_search`).
        spec: the strategy's specification (its label names the rows).
        run: the run's number.
        strategy: the strategy, built on the run's context.
        noise: draws which recorded training run each query sees.

    Returns:
        The tidy columns of its queries (with `TIMED_COLUMNS` where the configuration is timed).
    """
    objs = shared.objectives
    fid = shared.fidelities if strategy.capabilities.multi_fidelity else None
    setup = LoopSetup(shared.view, fid, shared.protocol_level, shared.test, objs, shared.budget, shared.workers)
    ev = run_events(setup, strategy, noise)
    n = len(ev["cell"])
    cols = {"strategy": [spec.label] * n, "run": [run] * n, "step": list(range(1, n + 1))}
    cols.update((k, ev[k]) for k in COLUMNS[3:])
    if shared.timed:  # several workers or fidelities: which worker, when, at which level
        cols.update((k, ev[k]) for k in TIMED_COLUMNS)
    if objs is not None:
        arr = shared.objectives[np.array(ev["cell"], dtype=np.int64)] if n else \
            np.zeros((0, shared.objectives.shape[1]))
        for j, name in enumerate(shared.context_kw["objectives"]):
            cols[f"obj_{name}"] = arr[:, j].tolist()
    return cols


def _build_shared(bench: Benchmark, config: ExperimentConfig) -> _Shared:
    proto = config.protocol
    view = SearchView(bench, proto)
    if proto.test_metric not in bench.metric_names:
        raise ConfigError(f"protocol.test_metric {proto.test_metric!r} not in the table; it has: "
                          f"{', '.join(bench.metric_names)}")
    test = np.full(N_CELLS, np.nan)
    cov = view.candidates
    test[cov] = bench.query_many(cov, proto.test_metric, None, "mean")
    objectives = objective_values(bench, proto.objectives) if proto.objectives else None
    ctx = {"candidates": cov, "dataset": bench.dataset, "recipe": bench.retrain_recipe(),
           "objectives": tuple(proto.objectives), "epoch_seconds": _epoch_seconds(bench, cov),
           "proxies": proxy_inputs(bench)}
    fid, plevel = _fidelities(bench, config) if config.timed else (None, 0)
    return _Shared(view, test.tolist(), objectives, ctx, config.budget, config.seed, config.workers, config.timed,
                   fid, plevel)


def _fidelities(bench: Benchmark, config: ExperimentConfig) -> tuple[FidelityView | None, int]:
    """The fidelity view (where a multi-fidelity strategy is in the config) and the protocol's level;
    a multi-fidelity strategy on a table with one level is refused."""
    mf = [s.label for s in config.strategies if _strategy_class(s.name).capabilities.multi_fidelity]
    if not mf:
        return None, level_protocols(bench, config.protocol)[1]
    fv = build_fidelities(bench, config.protocol, config.table)
    if len(fv.fidelities.levels) < 2:
        raise ConfigError(f"strategy {mf[0]!r} is multi-fidelity but {fv.fidelities.describe()}; it needs a table "
                          "recording several epochs (e.g. nb201-digits, nb201-fashion-mnist) or two schedules "
                          "(nb201-cifar10)")
    return fv, fv.fidelities.protocol_level


def _needs_proxies(config: ExperimentConfig) -> bool:
    return any("proxies" in _strategy_class(s.name).capabilities.needs for s in config.strategies)


def prepare_search(bench: Benchmark, config: ExperimentConfig) -> _Shared:
    """What every run of `config` on `bench` shares: the search view, the test values, the strategies' context.

    Pass it to `run_one` to run one search without a results directory.

    Args:
        bench: the loaded benchmark.
        config: the comparison on it.

    Returns:
        The shared search state.
    """
    return _build_shared(bench, config)


def _epoch_seconds(bench: Benchmark, cov: np.ndarray) -> np.ndarray | None:
    """The table's training seconds per epoch of every cell (for DARTS/GDAS's cost model); None
    where the benchmark records no training time."""
    if "time" not in bench.metric_names:
        return None
    last = int(np.asarray(bench.epochs)[-1])
    out = np.full(N_CELLS, np.nan)
    out[cov] = np.asarray(bench.cost_many(cov, last), dtype=np.float64) / last
    return out


def _check_proxy_strategies(config: ExperimentConfig, context_kw: dict[str, Any]) -> None:
    """Refuse, before any run, a strategy whose proxy the table lacks (built once to ask it)."""
    for s in config.strategies:
        if "proxies" in _strategy_class(s.name).capabilities.needs:
            try:
                make_strategy(s.name, SearchContext(rng=np.random.default_rng(0), **context_kw), s.params)
            except StrategyError as exc:
                raise ConfigError(str(exc)) from None  # names the strategy


def check_runnable(bench: Benchmark, config: ExperimentConfig) -> None:
    """Everything `run_comparison` refuses before its first run, checked without running or
    writing anything: the results directory, the protocol, the budget cap, the proxies and the
    fidelity levels every strategy needs (a multi-table comparison checks each table first).

    Args:
        bench: the loaded benchmark.
        config: the comparison on it.
    """
    check_results_dir(config.out, config)
    prepare_checked(bench, config)


def prepare_checked(bench: Benchmark, config: ExperimentConfig) -> _Shared:
    """`prepare_search` with the checks a comparison makes before its first run: the protocol,
    the budget cap and the proxies every strategy needs, each refused in one line.

    Args:
        bench: the loaded benchmark.
        config: the comparison on it.

    Returns:
        What every run shares.

    Raises:
        ConfigError: a check failed (the message names the key).
    """
    try:
        shared = _build_shared(bench, config)
    except ProtocolError as exc:
        raise ConfigError(f"protocol: {exc}") from None
    check_budget_cap(config.budget, shared.view, config.workers)
    _check_proxy_strategies(config, shared.context_kw)
    return shared


def check_proxy_strategies(bench: Benchmark, config: ExperimentConfig, candidates: np.ndarray) -> None:
    """Refuse a strategy whose proxy the table lacks, without building the whole search (multi-table pre-checks).

    Args:
        bench: the loaded benchmark.
        config: the comparison on it.
        candidates: the cells searched.

    Raises:
        ConfigError: a strategy needs a proxy the table lacks.
    """
    if _needs_proxies(config):
        _check_proxy_strategies(config, {"candidates": candidates, "proxies": proxy_inputs(bench)})


def check_budget_cap(budget: Budget, view: SearchView, workers: int = 1) -> None:
    """Refuse a seconds or epochs budget that could need more than `MAX_QUERIES` queries in one run.

    The bound is taken at the table's cheapest query, on `workers` workers; a budget over it is refused
    rather than runs being cut short at the cap.

    Args:
        budget: the per-run budget.
        view: the search view (its costs).
        workers: the simulated workers per run.

    Raises:
        ConfigError: the budget could exceed the cap.
    """
    if budget.kind == "epochs":
        per, unit = view.epochs_per_query, "epochs"
    elif budget.kind in ("seconds", "worker-seconds"):
        costs = np.asarray(view._cost[view.candidates], dtype=np.float64)
        costs = costs[np.isfinite(costs) & (costs > 0)]
        if not len(costs):
            return
        per, unit = float(costs.min()) / (workers if budget.kind == "seconds" else 1), "s"
    else:
        return
    if per > 0 and budget.amount > MAX_QUERIES * per:
        raise ConfigError(f"budget: {budget.amount:g} {budget.kind} could take more than the cap of {MAX_QUERIES:,} "
                          f"queries per run (the cheapest query charges {per:.3g} {unit}); the largest budget allowed "
                          f"here is {MAX_QUERIES * per:.6g} {budget.kind}")
