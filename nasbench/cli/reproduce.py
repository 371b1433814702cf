"""``nasbench reproduce``: rerun a published search comparison and print it beside the paper's."""
from __future__ import annotations

import argparse

from .common import jobs_parent, progress_parent, seed_parent


def cmd_reproduce(args: argparse.Namespace) -> int:
    from .. import defaults
    from ..validation.reproduce import parse_datasets, reproduce

    jobs = defaults.all_cores() if args.jobs is None else args.jobs
    reproduce(parse_datasets(args.datasets), runs=args.runs, jobs=jobs, out=args.out, seed=args.seed,
              sample_size=args.sample_size, resume=args.resume, progress=not args.no_progress)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("reproduce", help="rerun a published search comparison and print it beside the paper's",
                       description="nb201: NAS-Bench-201's Table 5 (ICLR 2020) on the embedded tables, with the "
                       "paper's settings (REA population 10, tournament 3; REINFORCE lr 0.001, EMA 0.9; random "
                       "search), each table's preset protocol, 500 runs; every row of the table with our mean +- "
                       "sample std and a verdict, or a one-line reason where a table cannot reproduce it.",
                       parents=[seed_parent(201, "the root seed of every dataset's comparison"),
                                jobs_parent(None, "all cores"), progress_parent()])
    s.add_argument("benchmark", choices=["nb201"], help="the published comparison (nb201: NAS-Bench-201, Table 5)")
    s.add_argument("--datasets", default="cifar10,cifar100,imagenet16-120",
                   help="comma-separated: cifar10, cifar100, imagenet16-120 (default: all three)")
    s.add_argument("--runs", type=int, default=500, help="runs per algorithm (default 500, the paper's)")
    s.add_argument("--out", default="results/nb201-repro", help="results directory, one subdirectory per dataset")
    s.add_argument("--sample-size", type=int, default=3,
                   help="REA's tournament size (default 3, NAS-Bench-201's R-EA.sh)")
    s.add_argument("--resume", action="store_true", help="reuse the finished runs in --out")
    s.set_defaults(func=cmd_reproduce)
