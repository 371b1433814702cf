"""Per-query overhead of the Optuna and SMAC bridges against native strategies, in the same run.

Each strategy runs ``run_one`` (ask + table look-up + tell + bookkeeping) for ``--queries``
queries on the embedded NAS-Bench-201 CIFAR-10 table (the runner's default protocol); the wall time
divided by the queries is its cost per query, averaged over the run (model-based samplers get
slower as their history grows, so the figure belongs to the budget). Rounds are interleaved and
each ratio is taken within a round against native ``random`` and ``evolution`` (and
``mo_evolution`` for ``optuna-nsga2``, run with ``objectives = params``); the median over rounds
is printed, with the range.

Usage: python scripts/bench_bridges.py [--queries 100] [--rounds 3] [--strategies a,b,...]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

NATIVE = ("random", "evolution", "mo_evolution")
BRIDGES = ("optuna-random", "optuna-tpe", "optuna-nsga2", "optuna-gp", "smac")
MULTI = {"mo_evolution", "optuna-nsga2"}


def per_query(bench, name: str, queries: int, run: int) -> float:
    from nasbench.experiment import ExperimentConfig, StrategySpec, _build_shared, run_one
    from nasbench.strategies import Budget, Protocol

    proto = Protocol(objectives=("params",)) if name in MULTI else Protocol()
    cfg = ExperimentConfig(table="x", strategies=(StrategySpec(name),), runs=1, budget=Budget("queries", queries),
                           protocol=proto, progress=False)
    shared = _build_shared(bench, cfg)
    t0 = time.perf_counter()
    cols = run_one(shared, cfg.strategies[0], run)
    return (time.perf_counter() - t0) / len(cols["cell"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--strategies", default=",".join(BRIDGES), help="bridges to measure (comma-separated)")
    ap.add_argument("--table", default="nb201-cifar10")
    args = ap.parse_args(argv)
    bridges = [s for s in args.strategies.split(",") if s]
    from nasbench.experiment import load_benchmark
    from nasbench.strategies import StrategyError, get_strategy

    try:
        for s in bridges:
            get_strategy(s).Params().check()  # a missing extra: one line, exit 2
    except StrategyError as exc:
        print(f"bench_bridges: {exc}", file=sys.stderr)
        return 2
    bench = load_benchmark(args.table)
    names = list(NATIVE) + bridges
    for n in names:  # warm-up: imports, caches
        per_query(bench, n, min(args.queries, 15), 99)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.rounds):
        for n in names:
            times[n].append(per_query(bench, n, args.queries, r))
    print(f"{args.table}, {args.queries} queries per run, {args.rounds} rounds; median (range) per query")
    print(f"{'strategy':<15}{'per query':>14}{'vs random':>22}{'vs evolution':>22}")
    for n in names:
        med = statistics.median(times[n])
        base = "mo_evolution" if n in MULTI else "evolution"
        cells = [f"{med * 1e6:11.1f} us"]
        for b in ("random", base):
            ratios = [t / tb for t, tb in zip(times[n], times[b])]
            cells.append(f"{statistics.median(ratios):9.1f}x ({min(ratios):.1f}-{max(ratios):.1f})")
        print(f"{n:<15}" + "".join(f"{c:>22}" if i else f"{c:>14}" for i, c in enumerate(cells)))
    print("(vs evolution: mo_evolution for the multi-objective ones, run with objectives = params)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
