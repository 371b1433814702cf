"""Commands on one table: `info`, `query`, `import`, `verify` and `proxies`."""
from __future__ import annotations

import argparse
import json
import sys

from ..util.limits import MAX_RETRAIN, check_count
from .common import CliError, data_dir_parent, jobs_parent, progress_parent, seed_parent, verify_arg, verify_parent


def _seed_mode_arg(text: str):
    if text in ("mean", "random"):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed mode must be 'mean', 'random' or an integer, got {text!r}") from None


def _epoch_arg(text: str):
    if text in ("last", "None"):
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"epoch must be an integer or 'last', got {text!r}") from None


def cmd_info(args: argparse.Namespace) -> int:
    """Run `nasbench info`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0.
    """
    from ..tables.registry import load

    summary = load(args.table, verify=verify_arg(args)).summary()
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2, default=str))
    else:
        print("\n".join(summary.lines()))
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    """Run `nasbench query`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0.

    Raises:
        CliError: on a bad flag or input (one line on stderr, exit status 2).
    """
    import numpy as np

    from ..tables.registry import load
    from ..space import to_cell

    if args.rng_seed < 0:
        raise CliError(f"--rng-seed must be a non-negative integer, got {args.rng_seed}")
    bench = load(args.table, verify=verify_arg(args))
    rng = np.random.default_rng(args.rng_seed) if args.seed_mode == "random" else None
    for arch in args.arch:
        cell = to_cell(arch)
        value = bench.query(cell, args.metric, args.epoch, args.seed_mode, rng)
        if args.json:
            print(json.dumps({"index": cell.index, "arch_str": cell.to_str(), "metric": args.metric,
                              "epoch": args.epoch, "seed": args.seed_mode, "value": value}))
        else:
            print(f"{cell.index}\t{cell.to_str()}\t{args.metric}={value:.6g}")
    return 0


def cmd_proxies(args: argparse.Namespace) -> int:
    """Run `nasbench proxies`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0.
    """
    from ..zero_cost.job import ProxyJob, run_job
    from ..zero_cost.proxies import parse_proxies

    job = ProxyJob(args.table, parse_proxies(args.proxies), args.jobs, args.limit, args.batch_size, args.journal,
                   args.write, args.data_dir, args.threads)
    rep = run_job(job, progress=not args.no_progress)
    print(f"{rep.journal}: {rep.computed_now:,} classes computed now; {rep.classes_done:,} of {rep.classes_total:,} "
          f"classes of the table have {', '.join(job.names)}")
    if rep.written is not None:
        print(f"wrote {rep.written} (sha256 {rep.sha256})")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Run `nasbench import`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0.

    Raises:
        CliError: on a bad flag or input (one line on stderr, exit status 2).
    """
    from pathlib import Path

    from ..tables.importers import import_any
    from ..tables.hdf5 import write_table

    out = Path(args.out)
    if out.exists() and not args.force:
        raise CliError(f"{out} exists; pass --force to replace it")
    bench = import_any(args.format, args.src, args.dataset, args.schedule)
    digest = write_table(out, bench)
    print(f"wrote {out}: {len(bench.covered):,} cells, {bench.n_rows:,} rows, seeds {bench.seeds.tolist()}, "
          f"{len(bench.epochs)} epoch(s), metrics {', '.join(bench.metric_names)}; sha256 {digest}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Run `nasbench verify`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0 when every check passes, 1 when one fails.

    Raises:
        CliError: on a bad flag or input (one line on stderr, exit status 2).
    """
    from ..tables.registry import resolve
    from ..tables.hdf5 import file_format, verify_table

    path = resolve(args.table)
    if args.retrain is not None and args.retrain < 1:
        raise CliError(f"--retrain takes a positive number of rows, got {args.retrain}")
    check_count(args.retrain, "--retrain", MAX_RETRAIN, CliError, allow_none=True)
    if args.seed < 0:
        raise CliError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.retrain is not None and file_format(path) == "nasbench-surrogate":
        raise CliError(f"{path} is a surrogate benchmark; --retrain checks tables made by `nasbench generate`")
    if file_format(path) == "nasbench-surrogate":
        from surrogates.benchmark import SurrogateFileError, load_surrogate_benchmark

        try:  # loading recomputes the hash and checks that every model reproduces its predictions
            sb = load_surrogate_benchmark(path, verify=True)
        except SurrogateFileError as exc:
            if "mismatch" in str(exc) or "does not reproduce" in str(exc):
                print(f"MISMATCH {str(exc).splitlines()[0]}", file=sys.stderr)
                return 1
            raise
        print(f"OK {path} sha256 {sb.sha256}")
        return 0
    res = verify_table(path)
    if not res.ok:
        print(f"MISMATCH {res.path}: stored sha256 {res.stored or '(none)'}, computed {res.computed}", file=sys.stderr)
        return 1
    print(f"OK {res.path} sha256 {res.computed}")
    if args.retrain is None:
        return 0
    from ..tables.registry import load
    from ..generation.retrain_check import check_retraining

    report = check_retraining(load(path), args.retrain, args.seed, args.data_dir, name=str(args.table))
    print(report.summary())
    return 0 if report.passed else 1


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `info`, `query`, `proxies`, `import` and `verify` to the subcommands.

    Args:
        sub: the subparsers of the `nasbench` parser.
    """
    verify = verify_parent()
    s = sub.add_parser("info", help="describe a table: coverage, seeds, epochs, ranges, noise", parents=[verify])
    s.add_argument("table", help="embedded table name (e.g. nb201-digits) or path to an .h5 file")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("query", help="look up cells in a table", parents=[verify])
    s.add_argument("table", help="embedded table name or .h5 path")
    s.add_argument("arch", nargs="+", help="arch string(s) or official index(es) 0..15624")
    s.add_argument("--metric", default="valid_acc", help="metric name (see `nasbench info`); default valid_acc")
    s.add_argument("--epoch", type=_epoch_arg, default=None, help="recorded epoch (default: the last)")
    s.add_argument("--seed-mode", type=_seed_mode_arg, default="mean",
                   help="which recorded training run a lookup reads: 'mean' (their mean, default), 'random' (one "
                        "at random) or a training seed number (as compare's --seed-mode; formerly --seed)")
    s.add_argument("--rng-seed", type=int, default=0, help="random generator seed for --seed-mode random (default 0)")
    s.add_argument("--json", action="store_true", help="one JSON object per line")
    s.set_defaults(func=cmd_query)

    s = sub.add_parser("proxies", help="compute zero-cost proxies of a table's cells into a resumable journal "
                                       "(--write folds them into the table file)",
                       parents=[jobs_parent(1, "1; one thread each"), data_dir_parent(), progress_parent()])
    s.add_argument("table", help="embedded table name or .h5 path (NAS-Bench-201 space)")
    s.add_argument("--proxies", default="", help="comma-separated proxy names (default: all; see README)")
    s.add_argument("--threads", type=int, default=1, help="torch threads per process (default 1)")
    s.add_argument("--limit", type=int, help="at most this many functional classes (a seeded random sample)")
    s.add_argument("--batch-size", type=int, default=16, help="images of the proxy batch (default 16)")
    s.add_argument("--journal", help="journal file (default: data/proxies/NAME.jsonl for an embedded table, "
                                     "T.proxies.jsonl beside a table file T.h5)")
    s.add_argument("--write", action="store_true",
                   help="fold the journal into the table file, atomically (embedded NAS-Bench-201 tables: use "
                        "scripts/build_nb201_tables.py --write)")
    s.set_defaults(func=cmd_proxies)

    s = sub.add_parser("import", help="import published results into the HDF5 format")
    s.add_argument("--format", required=True, choices=["nats-simple", "nb201-pth", "csv"])
    s.add_argument("src", help="source file or directory")
    s.add_argument("out", help="output .h5 file")
    s.add_argument("--dataset", default=None,
                   help="nats-simple/nb201-pth: cifar10-valid (default), cifar10, cifar100, ImageNet16-120; "
                        "csv: cifar100 or ImageNet16-120 from the wide layout that holds both (required there), "
                        "the dataset name to record for the tidy layout")
    s.add_argument("--schedule", default="200", choices=["200", "12"], help="training schedule (epochs)")
    s.add_argument("--force", action="store_true", help="replace OUT if it exists")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("verify", help="recompute a table's SHA-256 (and retrain K rows with --retrain); exit 1 on "
                                      "a mismatch",
                       parents=[seed_parent(0, "which rows --retrain picks"), data_dir_parent()])
    s.add_argument("table", help="embedded table name or .h5 path")
    s.add_argument("--retrain", type=int, metavar="K",
                   help="also retrain K random trained rows (seeds or seed stacks as recorded): bit-identity where "
                        "the table's machine fingerprint matches this one, else agreement within the seed noise")
    s.set_defaults(func=cmd_verify)
