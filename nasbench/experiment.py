"""The comparison runner: strategies x runs on a benchmark -> a tidy results directory.

>>> from nasbench.experiment import ExperimentConfig, run_comparison, summarise
>>> res = run_comparison(ExperimentConfig(table="nb201-cifar10", runs=5, out="results/demo"))
>>> print(summarise(res))

A results directory holds::

    config.json       the config that defines the results (table, strategies+params, budget,
                      protocol, root seed, runs)
    provenance.json   config, package and library versions, the table's SHA-256 and optimum, timings
    runs/<label>/<run>.csv   one file per finished run (what makes a run resumable), ending with a
                      line of its row count and SHA-256 (:mod:`nasbench.checksummed`): resume
                      redoes a run whose file is cut, altered or lacks that line
    results.csv       the tidy table: one row per query (see COLUMNS)
    summary.csv       one row per strategy (:func:`summarise`)
    pairs.csv         one row per pair of strategies: test, effect size, verdict (nasbench.summary)

Seeds: run ``r`` of strategy label ``L`` uses ``SeedSequence(seed, spawn_key=(crc32(L), r))``,
split into the strategy's generator and the generator that draws which recorded training run a
query sees; so results do not depend on ``jobs``, on ``executor`` (local processes or Ray
actors, :mod:`nasbench.compare_ray`), on the order of work, or on which other strategies are in
the config.

This module is the runner: loading, one search (:func:`run_one`, through the one search loop of
:mod:`nasbench.search_loop`), execution over processes (or Ray actors) and provenance. A config
with several simulated ``workers`` or a multi-fidelity strategy also records which worker ran each
job, when and at which level (``TIMED_COLUMNS``). The configuration lives in
:mod:`nasbench.experiment_config`, the results directory and its summaries in
:mod:`nasbench.results`; both are re-exported here.
"""
from __future__ import annotations

import dataclasses
import io
import json
import os
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .atomic import atomic_path, atomic_write
from .checksummed import sha256_bytes
from .benchmark import Benchmark
from .interrupt import interrupted
from .locking import exclusive_dir
from .search_loop import LoopSetup, run_events
from .space import N_CELLS
from .experiment_config import _strategy_class
from .experiment_config import (COLUMNS, DEFAULT_RUNS, DEFAULT_TABLE, ConfigError, ExperimentConfig,  # noqa: F401
                                StrategySpec, default_config, parse_overrides, read_config_file)
from .experiment_config import TIMED_COLUMNS
from .results import (ResultsDir, check_planted, check_results_dir, final_rows, finished_runs,  # noqa: F401
                      format_summary, open_results, read_results_csv, summarise, write_run)
from .strategies import (DEFAULT_STRATEGIES, Budget, Protocol, ProtocolError, SearchContext, SearchView,  # noqa: F401
                         make_strategy)
from .strategies.fidelity import FidelityView, build_fidelities, level_protocols
from .strategies.protocol import BUDGET_KINDS, MAX_QUERIES, objective_values
from .strategies.zero_cost_inputs import proxy_inputs

# -- loading the benchmark ---------------------------------------------------------------------
def load_benchmark(table: str, verify: bool | None = None) -> Benchmark:
    """An embedded table, an .h5 table or surrogate file, or a NAS-Bench-201 CSV: the one entry
    point :func:`nasbench.load` (kept under this name for callers of the runner); ``verify`` as there."""
    from .registry import load

    return load(table, verify=verify)


def table_sha256(bench: Benchmark) -> str:
    return bench.content_sha256()


def _stored_if_different(bench: Benchmark) -> dict[str, str]:
    """The file's stored SHA-256 where it differs from the recomputed one (loaded with the hash
    check off): provenance names what was served, and that the file did not match."""
    stored, sha = bench.stored_sha256, bench.sha256
    return {"stored_sha256_mismatch": stored or "(none)"} if sha and stored != sha else {}


# -- one run ---------------------------------------------------------------------------------
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
    return np.random.SeedSequence(root, spawn_key=(zlib.crc32(label.encode()), run))


def run_one(shared: _Shared, spec: StrategySpec, run: int) -> dict[str, list]:
    """One search through the search loop (:func:`nasbench.search_loop.run_events`); returns the
    tidy columns of its queries (with TIMED_COLUMNS where the configuration is timed)."""
    s_seq, n_seq = run_seed(shared.seed, spec.label, run).spawn(2)
    fid = shared.fidelities.fidelities if shared.fidelities is not None and \
        _strategy_class(spec.name).capabilities.multi_fidelity else None
    ctx = SearchContext(rng=np.random.default_rng(s_seq), fidelities=fid, **shared.context_kw)
    strategy = make_strategy(spec.name, ctx, spec.params)
    return run_strategy(shared, spec, run, strategy, np.random.default_rng(n_seq))


def run_strategy(shared: _Shared, spec: StrategySpec, run: int, strategy, noise: np.random.Generator
                 ) -> dict[str, list]:
    """The search of :func:`run_one` with a strategy already built (``noise`` draws which recorded
    run each query sees); :func:`nasbench.testing.check_strategy` drives a watched strategy here."""
    objs = shared.objectives.tolist() if shared.objectives is not None else None
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


_WORKER: dict[str, Any] = {}


def _work(task: tuple[StrategySpec, list[int], str]) -> list[tuple[str, int, dict[str, list]]]:
    spec, runs, out = task
    res = ResultsDir(Path(out))
    done = []
    for r in runs:
        cols = run_one(_WORKER["shared"], spec, r)
        write_run(res.run_file(spec.label, r), cols, res.path)
        done.append((spec.label, r, cols))
    return done


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
    """What every run of ``config`` on ``bench`` shares (the search view, the test values, the
    strategies' context): pass it to :func:`run_one` to run one search without a results directory."""
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


def run_comparison(config: ExperimentConfig, bench: Benchmark | None = None,
                   verify: bool | None = None) -> ResultsDir:
    """Run every (strategy, run) not yet finished in ``config.out``; write the tidy table.
    ``verify``: whether loading ``config.table`` (when ``bench`` is None) checks its SHA-256, as
    :func:`nasbench.load` (None: unless ``$NASBENCH_NO_VERIFY_HASH=1``).

    One writer at a time: the directory is locked (:mod:`nasbench.locking`) for the whole call and
    a second writer is refused at once; a directory this call created is removed again if the call
    fails before writing into it."""
    out = Path(config.out)
    check_results_dir(out, config)  # a refusal before anything is created
    with exclusive_dir(out, f"results directory {out}"):
        try:
            return _run_comparison(config, bench, verify)
        except KeyboardInterrupt as exc:  # SIGINT/SIGTERM: the workers are stopped; say what is kept
            raise interrupted(exc, runs_kept(config)) from None


def _run_comparison(config: ExperimentConfig, bench: Benchmark | None = None,
                    verify: bool | None = None) -> ResultsDir:
    """:func:`run_comparison` with the directory locked."""
    import pandas as pd

    t0 = time.perf_counter()
    out = Path(config.out)
    check_results_dir(out, config)
    if bench is None:
        try:
            bench = load_benchmark(config.table, verify)
        except Exception as exc:  # TableError and friends: one line
            raise ConfigError(f"table: {str(exc).splitlines()[0]}") from None
    try:
        shared = _build_shared(bench, config)
    except ProtocolError as exc:
        raise ConfigError(f"protocol: {exc}") from None
    check_budget_cap(config.budget, shared.view, config.workers)
    _check_proxy_strategies(config, shared.context_kw)
    jobs = config.jobs
    if config.executor == "ray":  # connect (or refuse: no Ray, no cluster) before writing anything
        from .compare_ray import connect

        cpus = connect(config.address, ConfigError)
        jobs = config.jobs or cpus  # 0: one actor per CPU of the cluster
    out.mkdir(parents=True, exist_ok=True)
    res = ResultsDir(out)
    kept, todo = finished_runs(res, config)
    from .summary import PAIRS_FILE, SUMMARY_FILE

    check_planted(res, config, todo, (SUMMARY_FILE, PAIRS_FILE))  # a planted link: refused before any write
    _write_text(out / "config.json", json.dumps(config.identity(), indent=2))
    if config.executor == "ray":
        fresh = _run_on_ray(shared, todo, jobs, config, res)
    else:
        fresh = _run_here(shared, todo, config, out)
    frames = []
    for s in config.strategies:
        for r in range(config.runs):
            cols = fresh.get((s.label, r))
            frames.append(pd.DataFrame(cols) if cols is not None else
                          pd.read_csv(io.StringIO(kept[(s.label, r)])))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(config.columns))
    with atomic_path(res.table_path, out) as tmp:  # a kill mid-write leaves the old table whole
        table.to_csv(tmp, index=False)
        data = tmp.read_bytes()  # its checksum goes into provenance.json
    _write_provenance(res, config, bench, shared, time.perf_counter() - t0, len(todo), jobs, data)
    from .summary import write_summary

    write_summary(res, config.plots.baseline)
    return res


def _run_on_ray(shared: _Shared, todo: list[tuple[StrategySpec, int]], jobs: int, config: ExperimentConfig,
                res: ResultsDir) -> dict[tuple[str, int], dict[str, list]]:
    """``todo`` on ``jobs`` Ray actors; each run file written here as its result arrives (the
    results directory need not be on the cluster's filesystem)."""
    from .compare_ray import ray_runs

    bar = _progress(len(todo), config.progress)
    fresh: dict[tuple[str, int], dict[str, list]] = {}
    runs = ray_runs(shared, todo, jobs, config.address, ConfigError, plugin_imports(config))
    try:
        for done in runs:
            write_run(res.run_file(done.label, done.run), done.cols, res.path)
            fresh[(done.label, done.run)] = done.cols
            bar.update(1)
    finally:
        runs.close()  # kills the actors now if the loop stopped early
        bar.close()
    return fresh


def _run_here(shared: _Shared, todo: list[tuple[StrategySpec, int]], config: ExperimentConfig,
              out: Path) -> dict[tuple[str, int], dict[str, list]]:
    """``todo`` in this process or a fork pool of ``config.jobs`` processes; the workers write the
    run files. An interrupt or error stops the workers at once: queued tasks are cancelled and
    running ones are not waited for."""
    _WORKER["shared"] = shared
    tasks = _chunks(todo, config.jobs, str(out))
    bar = _progress(len(todo), config.progress)
    fresh: dict[tuple[str, int], dict[str, list]] = {}
    pool = None
    try:
        if config.jobs == 1 or len(tasks) <= 1:
            results: Iterable = map(_work, tasks)
        else:
            import multiprocessing as mp

            from .interrupt import starting_workers

            # never more processes than tasks; each dies with this one (a kill -9 leaves no orphan), ignores
            # a terminal's Ctrl-C and dies on SIGTERM; no worker sees a signal before its initialiser ran
            with starting_workers(fork=True):
                pool = ProcessPoolExecutor(min(config.jobs, len(tasks)), mp_context=mp.get_context("fork"),
                                           initializer=_init_worker, initargs=(os.getpid(), plugin_imports(config)))
                results = pool.map(_work, tasks)  # the workers start here
        for done in results:
            for label, r, cols in done:
                fresh[(label, r)] = cols
            bar.update(len(done))
    except BaseException:
        if pool is not None:
            from .executors import stop_now

            stop_now(pool)
            pool = None
        raise
    finally:
        bar.close()
        _WORKER.clear()
        if pool is not None:
            pool.shutdown()
    return fresh


def _init_worker(parent: int, imports: tuple[str, ...]) -> None:
    """A pool worker's set-up: it dies with ``parent`` (:func:`~nasbench.executors.become_worker`)
    and imports the plug-ins the strategies come from before it builds any (with a start method
    other than fork the worker would not know them)."""
    from .executors import become_worker
    from .plugins import init_worker

    become_worker(parent)
    init_worker(imports)


def plugin_imports(config: ExperimentConfig) -> tuple[str, ...]:
    """What a worker imports before building the config's strategies (:func:`nasbench.plugins.worker_imports`)."""
    from .plugins import worker_imports

    return worker_imports(config.imports, [_strategy_class(s.name) for s in config.strategies])


def runs_kept(config: ExperimentConfig) -> int:
    """How many of the config's runs have their run file in ``config.out`` (what resume keeps)."""
    res = ResultsDir(Path(config.out))
    return sum(res.run_file(s.label, r).is_file() for s in config.strategies for r in range(config.runs))


def _check_proxy_strategies(config: ExperimentConfig, context_kw: dict[str, Any]) -> None:
    """Refuse, before any run, a strategy whose proxy the table lacks (built once to ask it)."""
    from .strategies import StrategyError

    for s in config.strategies:
        if "proxies" in _strategy_class(s.name).capabilities.needs:
            try:
                make_strategy(s.name, SearchContext(rng=np.random.default_rng(0), **context_kw), s.params)
            except StrategyError as exc:
                raise ConfigError(str(exc)) from None  # names the strategy


def check_runnable(bench: Benchmark, config: ExperimentConfig) -> None:
    """Everything :func:`run_comparison` refuses before its first run, checked without running or
    writing anything: the results directory, the protocol, the budget cap, the proxies and the
    fidelity levels every strategy needs (a multi-table comparison checks each table first).

    Args:
        bench: the loaded benchmark.
        config: the comparison on it.
    """
    check_results_dir(config.out, config)
    try:
        shared = _build_shared(bench, config)
    except ProtocolError as exc:
        raise ConfigError(f"protocol: {exc}") from None
    check_budget_cap(config.budget, shared.view, config.workers)
    _check_proxy_strategies(config, shared.context_kw)


def check_proxy_strategies(bench: Benchmark, config: ExperimentConfig, candidates: np.ndarray) -> None:
    """:func:`_check_proxy_strategies` without building the whole search (multi-table pre-checks)."""
    if _needs_proxies(config):
        _check_proxy_strategies(config, {"candidates": candidates, "proxies": proxy_inputs(bench)})


def _chunks(todo: list[tuple[StrategySpec, int]], jobs: int, out: str) -> list[tuple[StrategySpec, list[int], str]]:
    """Group runs per strategy into about 4 x jobs tasks (fewer process hand-offs)."""
    tasks = []
    by: dict[str, tuple[StrategySpec, list[int]]] = {}
    for s, r in todo:
        by.setdefault(s.label, (s, []))[1].append(r)
    n_tasks = max(1, 4 * jobs)
    per = max(1, -(-len(todo) // n_tasks))
    for s, runs in by.values():
        per_s = 1 if _strategy_class(s.name).capabilities.trains_networks else per
        for k in range(0, len(runs), per_s):
            tasks.append((s, runs[k:k + per_s], out))
    return tasks


def _progress(total: int, show: bool):
    from .checks import progress_bar

    return progress_bar(total, show, desc="runs", unit="run", file=sys.stderr, leave=False)


def _write_provenance(res: ResultsDir, config: ExperimentConfig, bench: Benchmark, shared: _Shared,
                      seconds: float, n_new: int, jobs: int, table_bytes: bytes) -> None:
    import platform

    import numpy
    import pandas
    import torch

    from ._version import __version__

    test = np.array(shared.test)
    valid = shared.view.mean_values()
    best_t = int(np.nanargmax(test))
    best_v = int(np.nanargmax(valid))
    prov = {
        "config": config.identity(),
        "nasbench_version": __version__,
        "python": platform.python_version(), "numpy": numpy.__version__, "pandas": pandas.__version__,
        "torch": torch.__version__,
        "strategy_libraries": strategy_libraries(config.strategies),
        # each strategy's class and every parameter as run (the defaults resolved), by label
        "strategies": resolved_strategies(config.strategies),
        "table": {"name": bench.name, "sha256": table_sha256(bench),  # recomputed on load
                  **_stored_if_different(bench),
                  "dataset": bench.meta.dataset, "source": bench.meta.source,
                  "cells": int(len(shared.view.candidates))},
        "optimum": {"test_metric": config.protocol.test_metric, "best_test": float(test[best_t]),
                    "best_test_cell": best_t, "best_valid_mean": float(valid[best_v]), "best_valid_cell": best_v,
                    "test_of_best_valid": float(test[best_v])},
        "protocol_note": shared.view.note,
        "signal_epoch": shared.view.epoch, "epochs_per_query": shared.view.epochs_per_query,
        "columns": list(config.columns),
        # what results.csv holds, checked when it is read back (nasbench.results.read_results_csv)
        "results_file": {"rows": max(table_bytes.count(b"\n") - 1, 0), "sha256": sha256_bytes(table_bytes)},
        "last_invocation": {"seconds": round(seconds, 3), "runs_done": n_new, "jobs": jobs,
                            "executor": config.executor, **({"address": config.address} if config.address else {})},
    }
    from .plugins import provenance as plugin_provenance

    plugins = plugin_provenance({s.label: _strategy_class(s.name) for s in config.strategies}, config.imports)
    if plugins:  # strategies from outside the package: module, version, file and its SHA-256
        prov["plugins"] = plugins
    if config.timed:  # only then: one-worker provenance keeps its keys
        prov["workers"] = config.workers
        if shared.fidelities is not None:
            fid = shared.fidelities.fidelities
            prov["fidelities"] = {"protocol_level": fid.protocol_level,
                                  "levels": [{**dataclasses.asdict(lv), "mean_cost": m}
                                             for lv, m in zip(fid.levels, fid.mean_cost)]}
    _write_text(res.path / "provenance.json", json.dumps(prov, indent=2))


def resolved_strategies(specs: Iterable[StrategySpec]) -> dict[str, dict[str, Any]]:
    """label -> ``{"name", "class", "params"}``: the strategy's class (module.qualname) and all its
    parameters, the defaults resolved (what ``config.json``'s overrides alone do not say)."""
    from .strategies import make_params

    out = {}
    for s in specs:
        cls = _strategy_class(s.name)
        params = dataclasses.asdict(make_params(s.name, s.params))
        out[s.label] = {"name": s.name, "class": f"{cls.__module__}.{cls.__qualname__}",
                        "params": json.loads(json.dumps(params, default=repr))}
    return out


def strategy_libraries(specs: Iterable[StrategySpec]) -> dict[str, str]:
    """The installed version of every library the strategies declare (``capabilities.libraries``),
    by distribution name, sorted: e.g. ``{"optuna": "5.0.0"}`` for a comparison with optuna-tpe."""
    from importlib.metadata import PackageNotFoundError, version

    names = sorted({lib for s in specs for lib in _strategy_class(s.name).capabilities.libraries}, key=str.lower)
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # a strategy that runs without it installed
            out[name] = "not installed"
    return out


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, text, path.parent)


def check_budget_cap(budget: Budget, view: SearchView, workers: int = 1) -> None:
    """Refuse a seconds or epochs budget that could need more than :data:`MAX_QUERIES` queries in
    one run (at the table's cheapest query, on ``workers`` workers), rather than cutting runs short
    at the cap."""
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


# -- summaries -------------------------------------------------------------------------------
__all__ = [
    "BUDGET_KINDS", "COLUMNS", "ConfigError", "DEFAULT_RUNS", "DEFAULT_TABLE", "ExperimentConfig", "ResultsDir", "StrategySpec",
    "default_config", "format_summary", "load_benchmark", "open_results", "parse_overrides", "read_config_file",
    "check_results_dir", "check_runnable", "run_comparison", "run_one", "run_seed", "summarise",
]
