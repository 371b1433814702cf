"""Wall-clock of the main job run locally (a fork pool of ``--jobs`` processes) against the same job
on a local Ray instance with as many CPUs (``--executor ray``, ``--jobs`` actors), same machine,
same run: the ratio is Ray's overhead where both have the same cores (on a cluster, Ray adds cores).

The job: 4 strategies (random, evolution, REINFORCE, the cheap gradient method) x ``--runs`` runs on
``nb201-cifar10`` under its preset protocol (12,000 simulated s), no plots. Ray's start-up (the
local instance: ``ray.init``) is measured apart, once; each round runs local then Ray, or Ray then
local (alternating), and checks that both wrote the same results.csv, byte for byte.

Usage: python scripts/bench_compare_executors.py [--runs 100] [--jobs N] [--rounds 1]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _run(out: Path, runs: int, jobs: int, executor: str) -> float:
    from nasbench.search.runner import default_config, run_comparison

    cfg = default_config(runs=runs, jobs=jobs, executor=executor, out=str(out), progress=False)
    t0 = time.perf_counter()
    run_comparison(cfg)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100, help="runs per strategy (default 100)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes / actors (default: all cores)")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args(argv)
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=args.jobs, include_dashboard=False, log_to_driver=False)
    startup = time.perf_counter() - t0
    print(f"Ray local instance start-up: {startup:.1f} s ({args.jobs} CPUs)")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.rounds):
            order = ("local", "ray") if k % 2 == 0 else ("ray", "local")
            wall = {ex: _run(Path(tmp) / f"{ex}{k}", args.runs, args.jobs, ex) for ex in order}
            same = (Path(tmp) / f"local{k}/results.csv").read_bytes() == (Path(tmp) / f"ray{k}/results.csv").read_bytes()
            ratios.append(wall["ray"] / wall["local"])
            print(f"round {k + 1}: 4 strategies x {args.runs} runs, {args.jobs} jobs: local {wall['local']:.1f} s, "
                  f"ray {wall['ray']:.1f} s, ray / local {ratios[-1]:.2f}; results.csv identical: {same}")
            if not same:
                return 1
    ray.shutdown()
    if len(ratios) > 1:
        print(f"ray / local over {len(ratios)} rounds: {min(ratios):.2f}-{max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
