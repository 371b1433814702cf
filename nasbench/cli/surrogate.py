"""`nasbench surrogate eval` and `nasbench surrogate fit`."""
from __future__ import annotations

import argparse

from ..util.limits import MAX_RUNS, check_count
from .common import CliError, progress_parent, seed_parent, verify_arg, verify_parent


def _surrogate_params(items: list[str] | None) -> dict:
    from ..util.checks import parse_params

    return parse_params(items or [], CliError)


def cmd_surrogate_eval(args: argparse.Namespace) -> int:
    """Run `nasbench surrogate eval`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0.

    Raises:
        CliError: on a bad flag or input (one line on stderr, exit status 2).
    """
    from pathlib import Path

    from surrogates import make_estimator
    from surrogates.evaluation import DEFAULT_SIZES, evaluate, plot_evaluation

    from ..util.atomic import atomic_write
    from ..tables.registry import load

    bench = load(args.table, verify=verify_arg(args))
    check_count(args.repeats, "--repeats", MAX_RUNS, CliError)
    if any(n < 1 for n in (args.sizes or [])):
        raise CliError(f"--sizes must be positive integers, got {args.sizes}")
    params = _surrogate_params(args.param)
    models = {name: make_estimator(name, **(params if len(args.models) == 1 else {})) for name in args.models}
    ev = evaluate(bench, models, sizes=args.sizes or DEFAULT_SIZES, repeats=args.repeats, metric=args.metric,
                  epoch=args.epoch, seed=args.seed, progress=not args.no_progress)
    out = Path(args.out)
    atomic_write(out / "runs.csv", ev.runs.to_csv(index=False), out)  # never through a planted link
    atomic_write(out / "summary.csv", ev.summary.to_csv(), out)
    plot_evaluation(ev, out)
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(ev.summary.to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"wrote {out / 'runs.csv'}, {out / 'summary.csv'} and plots")
    return 0


def cmd_surrogate_fit(args: argparse.Namespace) -> int:
    """Run `nasbench surrogate fit`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0.

    Raises:
        CliError: on a bad flag or input (one line on stderr, exit status 2).
    """
    from pathlib import Path

    from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig

    from ..tables.registry import load

    out = Path(args.out)
    if out.exists() and not args.force:
        raise CliError(f"{out} exists; pass --force to replace it")
    if not 0 < args.fraction <= 1:
        raise CliError(f"--fraction must lie in (0, 1], got {args.fraction}")
    bench = load(args.table, verify=verify_arg(args))
    cfg = SurrogateConfig(model=args.model, model_params=_surrogate_params(args.param),
                          metrics=tuple(args.metrics) if args.metrics else None,
                          epochs=tuple(args.epochs) if args.epochs else None, train_fraction=args.fraction,
                          n_train=args.n_train, noise=args.noise, seed=args.seed)
    sb = SurrogateBenchmark.fit(bench, cfg, progress=not args.no_progress)
    digest = sb.save(out)
    print(f"wrote {out} (sha256 {digest}); load it with nasbench.load({str(out)!r}) or --table {out}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `surrogate eval` and `surrogate fit` to the subcommands.

    Args:
        sub: the subparsers of the `nasbench` parser.
    """
    s = sub.add_parser("surrogate", help="evaluate surrogate models, or fit a surrogate benchmark")
    ssub = s.add_subparsers(dest="surrogate_command", metavar="SUBCOMMAND")
    ssub.required = True
    common = [progress_parent(), verify_parent()]
    e = ssub.add_parser("eval", help="learning curves: Kendall tau, Spearman, R2, ... against training size",
                        parents=[seed_parent(0, "the training sets drawn and the models' own randomness"), *common])
    e.add_argument("--table", required=True, help="embedded name or .h5 path")
    e.add_argument("--models", nargs="+", default=["xgb"], help="xgb rf gp knn mlp gin ensemble")
    e.add_argument("--param", action="append", metavar="KEY=VALUE", help="model parameter (with one model)")
    e.add_argument("--sizes", type=int, nargs="+", help="training-set sizes (default: log-spaced 10..5000)")
    e.add_argument("--repeats", type=int, default=5)
    e.add_argument("--metric", default="valid_acc")
    e.add_argument("--epoch", type=int, help="table epoch (default: the last)")
    e.add_argument("--out", default="results/surrogate_eval")
    e.set_defaults(func=cmd_surrogate_eval)
    f = ssub.add_parser("fit", help="fit a surrogate benchmark on a table (or part of it) and save it",
                        parents=[seed_parent(0, "the cells fitted on and the models' own randomness"), *common])
    f.add_argument("--table", required=True, help="embedded name or .h5 path")
    f.add_argument("--out", required=True, help="output file (.h5)")
    f.add_argument("--model", default="ensemble", help="xgb rf gp knn mlp gin ensemble")
    f.add_argument("--param", action="append", metavar="KEY=VALUE", help="model parameter (repeatable)")
    f.add_argument("--fraction", type=float, default=1.0, help="part of the table's cells to fit on")
    f.add_argument("--n-train", type=int, help="number of cells to fit on (overrides --fraction)")
    f.add_argument("--metrics", nargs="+", help="metrics to model (default valid_acc test_acc, and valid_acc_s12 where the "
                                                     "table has it: the 12-epoch signal of its preset)")
    f.add_argument("--epoch", dest="epochs", type=int, nargs="+",
                   help="recorded epoch(s) of the table to model (default: the last; formerly --epochs, which "
                        "elsewhere means training epochs)")
    f.add_argument("--noise", default="seed", choices=["seed", "ensemble", "none"])
    f.add_argument("--force", action="store_true")
    f.set_defaults(func=cmd_surrogate_fit)
