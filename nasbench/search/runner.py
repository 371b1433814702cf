"""The comparison runner: strategies x runs on a benchmark -> a tidy results directory.

```python
from nasbench.search.runner import ExperimentConfig, run_comparison, summarise
res = run_comparison(ExperimentConfig(table="nb201-cifar10", runs=5, out="results/demo"))
print(summarise(res))
```

A results directory holds:

```text
config.json       the config that defines the results (table, strategies+params, budget,
                  protocol, root seed, runs)
provenance.json   config, package and library versions, the table's SHA-256 and optimum,
                  timings (`nasbench.search.provenance`)
runs/<label>/<run>.csv   one file per finished run (what makes a run resumable), ending with a
                  line of its row count and SHA-256 (`nasbench.util.checksummed`): resume
                  redoes a run whose file is cut, altered or lacks that line
results.csv       the tidy table: one row per query (see COLUMNS)
summary.csv       one row per strategy (`summarise`)
pairs.csv         one row per pair of strategies: test, effect size, verdict (`nasbench.search.summary`)
```

The runner loads the benchmark, runs every (strategy, run) not yet finished here, in a pool of
processes or on Ray actors (`nasbench.search.compare_ray`), each run one search of
`nasbench.search.one_run` (seeded per strategy label and run, so results do not depend on how the
work is spread), and writes the results directory. A config with several simulated `workers` or a
multi-fidelity strategy also records which worker ran each job, when and at which level
(`TIMED_COLUMNS`). The configuration (`nasbench.search.config`), the results directory
(`nasbench.search.results`) and one run (`nasbench.search.one_run`) are re-exported here.
"""
from __future__ import annotations

import io
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from ..strategies import DEFAULT_STRATEGIES, Budget, Protocol  # noqa: F401  (part of the runner's face)
from ..strategies.plugins import init_worker, worker_imports
from ..strategies.protocol import BUDGET_KINDS  # noqa: F401
from ..tables.benchmark import Benchmark
from ..tables.registry import load
from ..util.atomic import atomic_path, atomic_write
from ..util.checks import progress_bar
from ..util.executors import become_worker, stop_now
from ..util.interrupt import interrupted, starting_workers
from ..util.locking import exclusive_dir
from .compare_ray import connect, ray_runs
from .config import (COLUMNS, DEFAULT_RUNS, DEFAULT_TABLE, TIMED_COLUMNS, ConfigError,  # noqa: F401
                     ExperimentConfig, StrategySpec, _strategy_class, default_config, parse_overrides,
                     read_config_file)
from .one_run import (_Shared, check_budget_cap, check_proxy_strategies, check_runnable,  # noqa: F401
                      prepare_checked, prepare_search, run_one, run_seed, run_strategy)
from .provenance import resolved_strategies, strategy_libraries, table_sha256, write_provenance  # noqa: F401
from .results import (ResultsDir, check_planted, check_results_dir, final_rows, finished_runs,  # noqa: F401
                      format_summary, open_results, read_results_csv, summarise, write_run)
from .summary import PAIRS_FILE, SUMMARY_FILE, write_summary


# -- loading the benchmark ---------------------------------------------------------------------
def load_benchmark(table: str, verify: bool | None = None) -> Benchmark:
    """Load an embedded table, an .h5 table or surrogate file, or a NAS-Bench-201 CSV.

    The one entry point `nasbench.load`, under the runner's name.

    Args:
        table: the table's name or path.
        verify: whether to check the file's SHA-256, as in `nasbench.load`.

    Returns:
        The loaded benchmark.
    """
    return load(table, verify=verify)


# -- one run ---------------------------------------------------------------------------------


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


def run_comparison(config: ExperimentConfig, bench: Benchmark | None = None,
                   verify: bool | None = None) -> ResultsDir:
    """Run every (strategy, run) not yet finished in `config.out`; write the tidy table.

    One writer at a time: the directory is locked (`nasbench.util.locking`) for the whole call and
    a second writer is refused at once; a directory this call created is removed again if the call
    fails before writing into it.

    Args:
        config: the comparison.
        bench: the benchmark to search; None loads `config.table`.
        verify: whether loading `config.table` checks its SHA-256, as in `nasbench.load`
            (None: unless `$NASBENCH_NO_VERIFY_HASH=1`).

    Returns:
        The results directory.

    Raises:
        ConfigError: the table, the protocol, the budget or the results directory is refused.
    """
    out = Path(config.out)
    check_results_dir(out, config)  # a refusal before anything is created
    with exclusive_dir(out, f"results directory {out}"):
        try:
            return _run_comparison(config, bench, verify)
        except KeyboardInterrupt as exc:  # SIGINT/SIGTERM: the workers are stopped; say what is kept
            raise interrupted(exc, runs_kept(config)) from None


def _run_comparison(config: ExperimentConfig, bench: Benchmark | None = None,
                    verify: bool | None = None) -> ResultsDir:
    """`run_comparison` with the directory locked."""
    t0 = time.perf_counter()
    out = Path(config.out)
    check_results_dir(out, config)
    if bench is None:
        try:
            bench = load_benchmark(config.table, verify)
        except Exception as exc:  # TableError and friends: one line
            raise ConfigError(f"table: {str(exc).splitlines()[0]}") from None
    shared = prepare_checked(bench, config)
    jobs = config.jobs
    if config.executor == "ray":  # connect (or refuse: no Ray, no cluster) before writing anything
        cpus = connect(config.address, ConfigError)
        jobs = config.jobs or cpus  # 0: one actor per CPU of the cluster
    out.mkdir(parents=True, exist_ok=True)
    res = ResultsDir(out)
    kept, todo = finished_runs(res, config)
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
    write_provenance(res, config, bench, shared, time.perf_counter() - t0, len(todo), jobs, data)
    write_summary(res, config.plots.baseline)
    return res


def _run_on_ray(shared: _Shared, todo: list[tuple[StrategySpec, int]], jobs: int, config: ExperimentConfig,
                res: ResultsDir) -> dict[tuple[str, int], dict[str, list]]:
    """`todo` on `jobs` Ray actors; each run file written here as its result arrives (the
    results directory need not be on the cluster's filesystem)."""
    bar = _progress(len(todo), config.progress)
    fresh: dict[tuple[str, int], dict[str, list]] = {}
    runs = ray_runs(shared, todo, run_one, jobs, config.address, ConfigError, plugin_imports(config))
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
    """`todo` in this process or a fork pool of `config.jobs` processes; the workers write the
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
    """A pool worker's set-up: it dies with `parent` (`nasbench.util.executors.become_worker`)
    and imports the plug-ins the strategies come from before it builds any (with a start method
    other than fork the worker would not know them)."""
    become_worker(parent)
    init_worker(imports)


def plugin_imports(config: ExperimentConfig) -> tuple[str, ...]:
    """What a worker imports before building the config's strategies (`nasbench.strategies.plugins.worker_imports`).

    Args:
        config: the comparison.

    Returns:
        The module names and plug-in paths to import.
    """
    return worker_imports(config.imports, [_strategy_class(s.name) for s in config.strategies])


def runs_kept(config: ExperimentConfig) -> int:
    """How many of the config's runs have their run file in `config.out` (what resume keeps).

    Args:
        config: the comparison.

    Returns:
        The number of finished run files.
    """
    res = ResultsDir(Path(config.out))
    return sum(res.run_file(s.label, r).is_file() for s in config.strategies for r in range(config.runs))


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
    return progress_bar(total, show, desc="runs", unit="run", file=sys.stderr, leave=False)


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, text, path.parent)


# -- summaries -------------------------------------------------------------------------------
__all__ = [
    "BUDGET_KINDS", "COLUMNS", "ConfigError", "DEFAULT_RUNS", "DEFAULT_TABLE", "ExperimentConfig", "ResultsDir", "StrategySpec",
    "default_config", "format_summary", "load_benchmark", "open_results", "parse_overrides", "read_config_file",
    "check_results_dir", "check_runnable", "run_comparison", "run_one", "run_seed", "summarise",
]
