"""Speed of the search loop, as ratios against baselines measured in the same process.

1. Per-query overhead of each strategy: wall time of ``run_one`` (ask + table look-up + tell +
   bookkeeping) divided by the number of queries, on the embedded NAS-Bench-201 CIFAR-10 table
   (``nb201-cifar10``), budget in queries. Baseline: a naive random search written the obvious way
   (Cell objects, arch strings, a dict-of-dicts ``{arch_str: {metric: [values]}}`` look-up,
   ``random.choice`` of a seed).
2. The cheap gradient method under the main job's protocol (the table's preset: 12-epoch signal,
   12,000 simulated s), its default (warm refits: ``refit_epochs=20``) against refitting the
   ensemble from scratch for ``fit_epochs`` at every query (``refit_epochs=0``, the method's
   schedule before warm refits), the same runs interleaved: ms per query, the ratio, and the mean
   final test accuracy of each (the speed must not cost search quality).
3. Wall time of the full reproduction (``nasbench reproduce nb201`` on CIFAR-10: 3 strategies x
   500 runs, 12,000 s budget), with the number of jobs given, against a baseline of the naive
   random search doing the same number of queries in one process.
4. Wall and CPU time of the main job (``nasbench compare`` with no arguments, without plots).
5. The search loop (:mod:`nasbench.search.loop`, the event loop: one worker is the ordinary
   case) against a reference sequential loop kept in this script (the loop the suite ran before
   the event loop became its only one), the same (strategy, run) pairs interleaved (order
   rotated), on nb201-cifar10 with a budget of ``--queries`` queries: simulated events (finished
   queries) per second of each and the ratio; it also checks that the rows are identical.
6. Wall-clock of a 4-strategy x 100-run x 8-worker comparison (random, evolution, successive
   halving, Hyperband on nb201-cifar10 under its preset budget) with ``--jobs`` processes (skipped
   with ``--skip-main``).

Usage: python scripts/bench_search.py [--queries 5000] [--jobs N] [--gradient-runs 6] [--skip-repro] [--skip-main]

``--page PATH`` (e.g. ``--page docs/results/speed.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
TARGET_US = 20.0


def naive_random_search(bench, n: int, seed: int = 0) -> float:
    """Seconds for ``n`` queries of the obvious implementation (the baseline)."""
    from nasbench.space import Cell, all_cells

    table = {}
    valid = bench.metrics["valid_acc"][:, :, -1]
    for i, c in enumerate(all_cells()):
        row = bench.arch_row[i]
        table[c.to_str()] = {"valid_acc": [float(v) for v in valid[row] if v == v],
                             "time": float(bench.metrics["time"][row, 0, -1])}
    rnd = random.Random(seed)
    t0 = time.perf_counter()
    best, best_v, spent = None, -1.0, 0.0
    for _ in range(n):
        cell = Cell(tuple(rnd.randrange(5) for _ in range(6)))
        rec = table[cell.to_str()]
        v = rnd.choice(rec["valid_acc"])
        spent += rec["time"]
        if v > best_v:
            best, best_v = cell, v
    return time.perf_counter() - t0


def per_query(bench, name: str, queries: int, params: dict | None = None) -> float:
    from nasbench.search.runner import StrategySpec, prepare_search, ExperimentConfig, run_one
    from nasbench.strategies import Budget

    cfg = ExperimentConfig(table="x", strategies=(StrategySpec(name, params or {}),), runs=1,
                           budget=Budget("queries", queries), progress=False)
    shared = prepare_search(bench, cfg)
    run_one(shared, cfg.strategies[0], 99)  # warm-up (imports, caches)
    t0 = time.perf_counter()
    cols = run_one(shared, cfg.strategies[0], 0)
    dt = time.perf_counter() - t0
    return dt / len(cols["cell"])


def gradient_warm_vs_cold(bench, runs: int) -> None:
    """Part 2: the gradient method's default against cold refits, runs interleaved."""
    import numpy as np

    from nasbench.search.runner import StrategySpec, prepare_search, ExperimentConfig, run_one

    variants = {"warm refits (default, refit_epochs=20)": {}, "cold refits (refit_epochs=0)": {"refit_epochs": 0}}
    cfgs = {k: ExperimentConfig(table="nb201-cifar10", strategies=(StrategySpec("gradient", p),), runs=1,
                                progress=False) for k, p in variants.items()}
    shared = prepare_search(bench, next(iter(cfgs.values())))
    secs = {k: 0.0 for k in cfgs}
    queries = {k: 0 for k in cfgs}
    final = {k: [] for k in cfgs}
    run_one(shared, cfgs[next(iter(cfgs))].strategies[0], 999)  # warm-up
    for r in range(runs):
        for k, cfg in cfgs.items():
            t0 = time.perf_counter()
            cols = run_one(shared, cfg.strategies[0], r)
            secs[k] += time.perf_counter() - t0
            queries[k] += len(cols["cell"])
            final[k].append(cols["incumbent_test"][-1])
    ms = {k: secs[k] / queries[k] * 1e3 for k in cfgs}
    base = ms["cold refits (refit_epochs=0)"]
    print(f"gradient method, main-job protocol, {runs} runs each interleaved:")
    for k in cfgs:
        print(f"  {k:<40}{ms[k]:>8.2f} ms/query  x{base / ms[k]:.2f} vs cold   final test "
              f"{np.mean(final[k]):.3f} +- {np.std(final[k]):.3f}")


def main_job_time() -> None:
    """Part 4: `nasbench compare` with no arguments (no plots), wall and CPU seconds."""
    import resource

    from nasbench.search.runner import default_config, run_comparison

    out = Path(tempfile.mkdtemp(prefix="nb201-main-"))
    shutil.rmtree(out)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    cfg = default_config(out=str(out), progress=False)
    res = run_comparison(cfg)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime for a, b in zip(cpu0, cpu1))
    n = len(res.frame())
    shutil.rmtree(out, ignore_errors=True)
    print(f"main job ({len(cfg.strategies)} strategies x {cfg.runs} runs, {n} queries, jobs {cfg.jobs}, no plots): "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU (target < 60 s wall on 2 cores: {'ok' if wall < 60 else 'MISSED'})")


def reference_sequential(shared, spec, run: int) -> dict[str, list]:
    """The sequential loop the suite ran before the event loop became its only loop (one worker,
    one fidelity), kept here as the speed reference: the same seeds, asks, look-ups, tells and rows
    as ``run_one`` with one worker (the rows are compared below), for a classic (ask/tell) strategy
    (its ``own_cost()``/``overhead()`` flags, which the old loop also checked at every query, are
    gone: a strategy that prices its jobs speaks jobs now)."""
    import numpy as np

    from nasbench.search.config import _strategy_class
    from nasbench.search.one_run import run_seed
    from nasbench.strategies import SearchContext, make_strategy
    from nasbench.strategies.base import JobStrategy
    from nasbench.strategies.protocol import MAX_QUERIES

    s_seq, n_seq = run_seed(shared.seed, spec.label, run).spawn(2)
    assert not issubclass(_strategy_class(spec.name), JobStrategy)
    strategy = make_strategy(spec.name, SearchContext(rng=np.random.default_rng(s_seq), fidelities=None,
                                                      **shared.context_kw), spec.params)
    noise = np.random.default_rng(n_seq)
    view, test, budget = shared.view, shared.test, shared.budget
    observe = view.observe
    objs = shared.objectives.tolist() if shared.objectives is not None else None
    kind, limit, epq = budget.kind, float(budget.amount), view.epochs_per_query
    cells, values, costs, sim, eps, inc_l, inc_v_l, inc_t_l = [], [], [], [], [], [], [], []
    t = e = 0.0
    inc, inc_v = -1, float("-inf")
    step = 0
    ask, tell = strategy.ask, strategy.tell
    while step < MAX_QUERIES:
        if kind == "queries" and step >= limit:
            break
        i = ask()
        v, c = observe(i, noise)
        if kind in ("seconds", "worker-seconds") and t + c > limit:
            break
        if kind == "epochs" and e + epq > limit:
            break
        t += c
        e += epq
        step += 1
        tell(i, v, c, tuple(objs[i]) if objs is not None else ())
        if v > inc_v or inc < 0:
            inc, inc_v = i, v
        cells.append(i)
        values.append(v)
        costs.append(c)
        sim.append(t)
        eps.append(e)
        inc_l.append(inc)
        inc_v_l.append(inc_v)
        inc_t_l.append(test[inc])
    n = len(cells)
    return {"strategy": [spec.label] * n, "run": [run] * n, "step": list(range(1, n + 1)), "sim_time": sim,
            "epochs": eps, "cell": cells, "value": values, "cost": costs, "incumbent": inc_l,
            "incumbent_valid": inc_v_l, "incumbent_test": inc_t_l}


def event_loop_vs_sequential(bench, runs: int, queries: int) -> None:
    """Part 5: events per second of the one search loop (the event loop; 1 and 8 workers) against
    the reference sequential loop above, the same (strategy, run) pairs interleaved (order rotated)."""
    import dataclasses

    from nasbench.search.runner import ExperimentConfig, StrategySpec, prepare_search, run_one
    from nasbench.strategies import Budget

    for name in ("random", "evolution"):
        cfg = ExperimentConfig(table="nb201-cifar10", strategies=(StrategySpec(name),), runs=1, progress=False,
                               budget=Budget("queries", queries))
        one = prepare_search(bench, cfg)
        spec = cfg.strategies[0]
        variants = {"reference sequential": lambda r: reference_sequential(one, spec, r),
                    "event loop, 1 worker": lambda r: run_one(one, spec, r),
                    "event loop, 8 workers": lambda r, eight=dataclasses.replace(one, timed=True, workers=8):
                    run_one(eight, spec, r)}
        ref, got = variants["reference sequential"](5), variants["event loop, 1 worker"](5)
        same = ref == got
        secs = {k: 0.0 for k in variants}
        events = {k: 0 for k in variants}
        for f in variants.values():
            f(999)  # warm-up
        keys = list(variants)
        for r in range(runs):
            for k in keys[r % 3:] + keys[:r % 3]:
                t0 = time.perf_counter()
                cols = variants[k](r)
                secs[k] += time.perf_counter() - t0
                events[k] += len(cols["cell"])
        base = events["reference sequential"] / secs["reference sequential"]
        print(f"{name}, nb201-cifar10, {queries:,} queries per run, {runs} runs each, interleaved "
              f"(1-worker rows {'identical to' if same else 'DIFFERENT from'} the reference's):")
        for k in variants:
            rate = events[k] / secs[k]
            print(f"  {k:<24}{rate:>12,.0f} events/s  x{rate / base:.2f} vs the reference  "
                  f"({events[k] / runs:,.0f} events per run)")


def workers_comparison_time(jobs: int, runs: int = 100) -> None:
    """Part 6: wall-clock of a 4-strategy x ``runs``-run x 8-worker comparison."""
    from nasbench.search.runner import ExperimentConfig, run_comparison

    out = Path(tempfile.mkdtemp(prefix="nb201-workers-"))
    shutil.rmtree(out)
    cfg = ExperimentConfig(table="nb201-cifar10", strategies=("random", "evolution", "sh", "hyperband"), runs=runs,
                           workers=8, jobs=jobs, out=str(out), progress=False)
    t0 = time.perf_counter()
    res = run_comparison(cfg)
    wall = time.perf_counter() - t0
    n = len(res.frame())
    shutil.rmtree(out, ignore_errors=True)
    print(f"8-worker comparison (4 strategies x {runs} runs, {cfg.budget.amount:,.0f} simulated s, {n:,} events, "
          f"jobs {jobs}, no plots): {wall:.1f} s wall")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=5000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--gradient-runs", type=int, default=6)
    ap.add_argument("--skip-repro", action="store_true")
    ap.add_argument("--skip-main", action="store_true", help="skip parts 4 and 6")
    ap.add_argument("--event-runs", type=int, default=6, help="runs per loop variant in part 5")
    args = ap.parse_args(argv)
    import nasbench
    from nasbench.search.runner import run_comparison
    from nasbench.validation.reproduce import reproduction_config
    from nasbench.tables.hdf5 import TableError

    try:
        bench = nasbench.load("nb201-cifar10")
    except TableError as exc:
        print(f"bench_search: the embedded table nb201-cifar10 is not present ({str(exc).splitlines()[0]})",
              file=sys.stderr)
        return 2
    base = naive_random_search(bench, args.queries) / args.queries
    print(f"baseline: naive dict-of-dicts random search  {base * 1e6:8.2f} us/query")
    print(f"{'strategy':<14}{'us/query':>10}{'x baseline':>12}   target")
    plan = [("random", args.queries, None), ("evolution", args.queries, None), ("reinforce", args.queries, None),
            ("local_search", args.queries, None), ("mo_random", 0, None),
            ("bananas", 40, {"fit_epochs": 100}), ("gradient", 40, None)]
    for name, q, params in plan:
        if name == "mo_random":
            continue
        pq = per_query(bench, name, q, params)
        target = f"< {TARGET_US:.0f} us {'ok' if pq * 1e6 < TARGET_US else 'MISSED'}" if name in ("random", "evolution") else ""
        print(f"{name:<14}{pq * 1e6:>10.2f}{pq / base:>12.2f}   {target}")
    if args.gradient_runs > 0:
        gradient_warm_vs_cold(bench, args.gradient_runs)
    event_loop_vs_sequential(bench, args.event_runs, args.queries)
    if not args.skip_main:
        main_job_time()
        workers_comparison_time(args.jobs)
    if args.skip_repro:
        return 0
    out = Path(tempfile.mkdtemp(prefix="nb201-repro-"))
    shutil.rmtree(out)
    t0 = time.perf_counter()
    bench2 = nasbench.load("nb201-cifar10")
    res = run_comparison(reproduction_config("cifar10", 500, args.jobs, str(out)), bench=bench2)
    wall = time.perf_counter() - t0
    n = len(res.frame())
    naive = naive_random_search(bench, n)
    shutil.rmtree(out, ignore_errors=True)
    print(f"full reproduction (3 x 500 runs, {n} queries, jobs {args.jobs}): {wall:.1f} s "
          f"(target < 60 s: {'ok' if wall < 60 else 'MISSED'}); naive random search, same queries, "
          f"1 process: {naive:.2f} s; ratio {wall / naive:.1f}")
    return 0


#: ``--page PATH`` (docs/results/speed.md) replaces this section of the page
PAGE_SECTION = dict(
    title='Search overhead per query', section='search-overhead', page_title='Speed',
    intro=("Per-query overhead of each strategy against a naive random search, the cheap gradient method's warm "
           "refits against cold ones, the reproduction's and the main job's wall time, and the event loop "
           "against a sequential reference (the script's docstring says what each part measures; "
           "`--skip-repro` and `--skip-main` leave parts out)."))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(main, sys.argv[1:], "python scripts/bench_search.py", **PAGE_SECTION))
