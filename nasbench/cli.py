"""The `nasbench` command. It only parses arguments and calls the library.

Exit codes: 0 success, 1 a check failed (``verify``), 2 bad input (one line on stderr).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Callable, Sequence

import numpy as np

from .space import SpaceError


class CliError(ValueError):
    """Bad input found by the CLI itself."""


def _seed_arg(text: str):
    if text in ("mean", "random"):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be 'mean', 'random' or an integer, got {text!r}") from None


def _epoch_arg(text: str):
    if text in ("last", "None"):
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"epoch must be an integer or 'last', got {text!r}") from None


# -- commands ------------------------------------------------------------------------------
def cmd_info(args: argparse.Namespace) -> int:
    from .registry import load
    from .summary import summarise_table

    bench = load(args.table)
    summary = summarise_table(bench)
    if args.json:
        from dataclasses import asdict

        print(json.dumps(asdict(summary), indent=2, default=str))
    else:
        print("\n".join(summary.lines()))
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from .registry import load
    from .space import to_cell

    bench = load(args.table)
    rng = np.random.default_rng(args.rng_seed) if args.seed == "random" else None
    for arch in args.arch:
        cell = to_cell(arch)
        value = bench.query(cell, args.metric, args.epoch, args.seed, rng)
        if args.json:
            print(json.dumps({"index": cell.index, "arch_str": cell.to_str(), "metric": args.metric,
                              "epoch": args.epoch, "seed": args.seed, "value": value}))
        else:
            print(f"{cell.index}\t{cell.to_str()}\t{args.metric}={value:.6g}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .importers import import_any
    from .table import write_table
    from pathlib import Path

    out = Path(args.out)
    if out.exists() and not args.force:
        raise CliError(f"{out} exists; pass --force to replace it")
    bench = import_any(args.format, args.src, args.dataset, args.schedule)
    digest = write_table(out, bench)
    print(f"wrote {out}: {len(bench.covered):,} cells, {bench.n_rows:,} rows, seeds {bench.seeds.tolist()}, "
          f"{len(bench.epochs)} epoch(s), metrics {', '.join(bench.metric_names)}; sha256 {digest}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .registry import resolve
    from .table import verify_table

    res = verify_table(resolve(args.table))
    if res.ok:
        print(f"OK {res.path} sha256 {res.computed}")
        return 0
    print(f"MISMATCH {res.path}: stored sha256 {res.stored or '(none)'}, computed {res.computed}", file=sys.stderr)
    return 1


# -- parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nasbench", description="NAS-Bench-201 tabular and surrogate benchmarks.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    s = sub.add_parser("info", help="describe a table: coverage, seeds, epochs, ranges, noise")
    s.add_argument("table", help="embedded table name (e.g. nb201-digits) or path to an .h5 file")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("query", help="look up cells in a table")
    s.add_argument("table", help="embedded table name or .h5 path")
    s.add_argument("arch", nargs="+", help="arch string(s) or official index(es) 0..15624")
    s.add_argument("--metric", default="valid_acc", help="metric name (see `nasbench info`); default valid_acc")
    s.add_argument("--epoch", type=_epoch_arg, default=None, help="recorded epoch (default: the last)")
    s.add_argument("--seed", type=_seed_arg, default="mean", help="'mean' (default), 'random' or a seed number")
    s.add_argument("--rng-seed", type=int, default=0, help="random generator seed for --seed random")
    s.add_argument("--json", action="store_true", help="one JSON object per line")
    s.set_defaults(func=cmd_query)

    s = sub.add_parser("import", help="import published results into the HDF5 format")
    s.add_argument("--format", required=True, choices=["nats-simple", "nb201-pth", "csv"])
    s.add_argument("src", help="source file or directory")
    s.add_argument("out", help="output .h5 file")
    s.add_argument("--dataset", default=None,
                   help="nats-simple/nb201-pth: cifar10-valid (default), cifar10, cifar100, ImageNet16-120; "
                        "csv (tidy layout): the dataset name to record")
    s.add_argument("--schedule", default="200", choices=["200", "12"], help="training schedule (epochs)")
    s.add_argument("--force", action="store_true", help="replace OUT if it exists")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("verify", help="recompute a table's SHA-256; exit 1 on mismatch")
    s.add_argument("table", help="embedded table name or .h5 path")
    s.set_defaults(func=cmd_verify)

    for register in _EXTENSIONS:
        register(sub)
    return p


#: other modules' subcommands: functions that add a subparser (kept here so nothing imports the CLI)
_EXTENSIONS: list[Callable[[argparse._SubParsersAction], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError, KeyError) as exc:  # every library error is a ValueError subclass
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"nasbench {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nasbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
