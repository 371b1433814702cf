"""`nasbench reproduce`: rerun a published search comparison and print it beside the paper's.

`nasbench reproduce nb201` reruns NAS-Bench-201's Table 5 through `nasbench.validation.reproduce.reproduce`;
with `--page PATH` it also writes the results page of `nasbench.validation.reproduce_page.reproduce_to_page`
(the command, the machine, the date, the reports verbatim and a summary of the verdicts).
"""
from __future__ import annotations

import argparse
import sys

from .common import jobs_parent, progress_parent, seed_parent


def page_command(args: argparse.Namespace, jobs: int) -> str:
    """The command line a results page names: every setting of the run spelled out.

    Args:
        args: the parsed arguments of `nasbench reproduce`.
        jobs: the number of worker processes used (`--jobs`, or its default resolved).

    Returns:
        A shell command line that reruns the same reproduction and rewrites the same page.
    """
    from ..analysis.results_page import command_line

    argv = [args.benchmark, "--datasets", args.datasets, "--runs", str(args.runs), "--jobs", str(jobs),
            "--seed", str(args.seed), "--sample-size", str(args.sample_size), "--out", args.out]
    argv += ["--resume"] * bool(args.resume) + ["--no-progress"] * bool(args.no_progress)
    return command_line("nasbench reproduce", [*argv, "--page", str(args.page)])


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Run `nasbench reproduce`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status, 0.

    Raises:
        nasbench.validation.reproduce.ReproduceError: an invalid input, a missing table, a non-empty `--out`
            without `--resume`, or a `--page` whose folder does not exist (checked before running).
    """
    from .. import defaults
    from ..validation.reproduce import parse_datasets, reproduce

    jobs = defaults.all_cores() if args.jobs is None else args.jobs
    kwargs = dict(runs=args.runs, jobs=jobs, out=args.out, seed=args.seed, sample_size=args.sample_size,
                  resume=args.resume, progress=not args.no_progress)
    datasets = parse_datasets(args.datasets)
    if args.page is None:
        reproduce(datasets, **kwargs)
        return 0
    from ..validation.reproduce_page import reproduce_to_page

    reproduce_to_page(args.page, page_command(args, jobs), datasets, **kwargs)
    print(f"wrote {args.page}", file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `reproduce` to the subcommands.

    Args:
        sub: the subparsers of the `nasbench` parser.
    """
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
    s.add_argument("--page", metavar="PATH",
                   help="also write the results page (Markdown) to PATH: the command, the machine, the date, "
                        "the output verbatim and a summary of the verdicts (docs/results/reproduction.md is "
                        "written this way)")
    s.set_defaults(func=cmd_reproduce)
