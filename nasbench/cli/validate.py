"""`nasbench validate`: train a comparison's top cells for real and compare with the benchmark."""
from __future__ import annotations

import argparse
import logging
from typing import Sequence

from .common import (CliError, data_dir_parent, device_parent, jobs_parent, progress_parent, ray_parent,
                     recipe_parent, verify_arg, verify_parent)

log = logging.getLogger("nasbench")


def _validate_seeds(items: Sequence[str] | None) -> tuple[int, ...] | str | None:
    if not items:
        return None
    if list(items) == ["table"]:
        return "table"
    try:
        return tuple(int(s) for s in items)
    except ValueError:
        raise CliError(f"--seeds takes distinct integers in 0..4294967295 (2**32-1) or the word 'table', "
                       f"got {' '.join(items)}") from None


def cmd_validate(args: argparse.Namespace) -> int:
    """Run `nasbench validate`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0.

    Raises:
        CliError: on a bad flag or input (one line on stderr, exit status 2).
    """
    from .. import defaults
    from ..validation.run import ValidateConfig, validate

    if args.results is None and not args.cells:
        raise CliError("give a results directory, or --cells with --table")
    if args.cells and args.results is None and not args.table:
        raise CliError("--cells without a results directory needs --table")
    cfg = ValidateConfig(
        results=args.results, top_k=args.top_k, cells=tuple(args.cells or ()), table=args.table, metric=args.metric,
        epochs=args.epochs, seeds=_validate_seeds(args.seeds), C=args.channels, N=args.cells_per_stage,
        batch_size=args.batch_size, dataset=args.dataset, data_dir=args.data_dir, downscale=args.downscale,
        train_size=args.train_size, valid_size=args.valid_size, test_size=args.test_size, device=args.device,
        allow_cpu_fallback=args.allow_cpu_fallback, jobs=args.jobs, executor=args.executor or defaults.EXECUTOR,
        address=args.address, stack_seeds=False if args.no_stack_seeds else None,
        checkpoint_every=args.checkpoint_every, out=args.out, plots=not args.no_plots, progress=not args.no_progress)
    print(validate(cfg, on_message=log.info, verify=verify_arg(args)).summary())
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `validate` to the subcommands.

    Args:
        sub: the subparsers of the `nasbench` parser.
    """
    s = sub.add_parser("validate", help="train a comparison's top cells for real and compare with the benchmark",
                       parents=[recipe_parent(), data_dir_parent(), device_parent(), jobs_parent(1, "1"),
                                ray_parent(), progress_parent(), verify_parent()])
    s.add_argument("results", nargs="?", help="results directory of `nasbench compare`")
    s.add_argument("--top-k", type=int, default=5, help="validate the best K distinct final incumbents (default 5)")
    s.add_argument("--cells", nargs="+", help="explicit cells (arch strings or indices) instead of the top K")
    s.add_argument("--table", help="benchmark to predict from (default: the comparison's table)")
    s.add_argument("--metric", help="metric to compare (default: the comparison's validation metric)")
    s.add_argument("--seeds", nargs="+", help="training seeds, or 'table' for the table's own seeds "
                                              "(default: 3 fresh seeds)")
    s.add_argument("--no-stack-seeds", action="store_true", help="on CUDA, train seeds one at a time")
    s.add_argument("--checkpoint-every", type=int, default=1, help="epochs between checkpoints (default 1)")
    s.add_argument("--out", default="results/validate", help="output directory (reruns resume here)")
    s.add_argument("--no-plots", action="store_true", help="no figures and no report.html")
    s.set_defaults(func=cmd_validate)
