"""Reproduce NAS-Bench-201's Table 5 (ICLR 2020) on the embedded tables: ``nasbench reproduce nb201``
with the same options (the library module is :mod:`nasbench.validation.reproduce`; its docstring states the
settings, the protocol and the verdicts), plus ``--page PATH``, which writes the documentation's
results page (``docs/results/reproduction.md``) from the reports just printed: the command, the
machine, the date, the output verbatim and a summary of the verdicts.

Usage: python scripts/reproduce_nb201.py [--datasets cifar10,cifar100,imagenet16-120] [--runs 500]
       [--jobs N] [--out results/nb201-repro] [--seed 201] [--sample-size 3] [--resume]
       [--no-progress] [--page docs/results/reproduction.md]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default="cifar10,cifar100,imagenet16-120")
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--jobs", type=int, help="parallel processes (default: all cores)")
    ap.add_argument("--out", default="results/nb201-repro")
    ap.add_argument("--seed", type=int, default=201)
    ap.add_argument("--sample-size", type=int, default=3)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--page", help="write the results page (Markdown) to this path")
    return ap


def main(argv: list[str] | None = None) -> int:
    from nasbench.errors import NasbenchError
    from nasbench.validation.reproduce import parse_datasets, reproduce

    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    jobs = (os.cpu_count() or 1) if args.jobs is None else args.jobs
    reports: list[str] = []

    def emit(text: str) -> None:
        print(text, flush=True)
        reports.append(text)

    t0 = time.perf_counter()
    try:
        results = reproduce(parse_datasets(args.datasets), runs=args.runs, jobs=jobs, out=args.out, seed=args.seed,
                            sample_size=args.sample_size, resume=args.resume, progress=not args.no_progress,
                            emit=emit)
    except NasbenchError as exc:
        print(f"reproduce_nb201: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - t0
    if args.page:
        from nasbench.validation.reproduce import write_results_page
        from nasbench.analysis.results_page import command_line

        write_results_page(args.page, results, reports, command_line("python scripts/reproduce_nb201.py", argv),
                           seconds)
        print(f"wrote {args.page}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
