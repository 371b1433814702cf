"""Speed of the search loop, as ratios against baselines measured in the same process.

1. Per-query overhead of each strategy: wall time of ``run_one`` (ask + table look-up + tell +
   bookkeeping) divided by the number of queries, on the NAS-Bench-201 CIFAR-10 table, budget in
   queries. Baseline: a naive random search written the obvious way (Cell objects, arch strings,
   a dict-of-dicts ``{arch_str: {metric: [values]}}`` look-up, ``random.choice`` of a seed).
2. Wall time of the full reproduction (``scripts/reproduce_nb201.py``: 3 strategies x 500 runs,
   12,000 s budget), with the number of jobs given, against a baseline of the naive random search
   doing the same number of queries in one process.

Usage: python scripts/bench_search.py [--queries 2000] [--jobs 2] [--skip-repro]
"""
from __future__ import annotations

import argparse
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
    from nasbench.experiment import StrategySpec, _build_shared, ExperimentConfig, run_one
    from nasbench.strategies import Budget

    cfg = ExperimentConfig(table="x", strategies=(StrategySpec(name, params or {}),), runs=1,
                           budget=Budget("queries", queries), progress=False)
    shared = _build_shared(bench, cfg)
    run_one(shared, cfg.strategies[0], 99)  # warm-up (imports, caches)
    t0 = time.perf_counter()
    cols = run_one(shared, cfg.strategies[0], 0)
    dt = time.perf_counter() - t0
    return dt / len(cols["cell"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=5000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-repro", action="store_true")
    args = ap.parse_args(argv)
    from reproduce_nb201 import CSV, reproduction_config

    from nasbench.experiment import load_benchmark, run_comparison

    if not CSV.is_file():
        print(f"reference data not present: {CSV}", file=sys.stderr)
        return 2
    bench = load_benchmark(str(CSV))
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
    if args.skip_repro:
        return 0
    out = Path(tempfile.mkdtemp(prefix="nb201-repro-"))
    shutil.rmtree(out)
    t0 = time.perf_counter()
    bench2 = load_benchmark(str(CSV))
    res = run_comparison(reproduction_config(500, args.jobs, str(out)), bench=bench2)
    wall = time.perf_counter() - t0
    n = len(res.frame())
    naive = naive_random_search(bench, n)
    shutil.rmtree(out, ignore_errors=True)
    print(f"full reproduction (3 x 500 runs, {n} queries, jobs {args.jobs}): {wall:.1f} s "
          f"(target < 60 s: {'ok' if wall < 60 else 'MISSED'}); naive random search, same queries, "
          f"1 process: {naive:.2f} s; ratio {wall / naive:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
