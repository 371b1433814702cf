"""Commands on a results directory: `plot` (figures) and `report` (one HTML page)."""
from __future__ import annotations

import argparse

from .common import CliError, plot_flags, plots_parent


def cmd_plot(args: argparse.Namespace) -> int:
    """Run `nasbench plot`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0.

    Raises:
        CliError: on a bad flag or input (one line on stderr, exit status 2).
    """
    from pathlib import Path

    from ..search.runner import open_results
    from ..search.multitable import is_multitable_dir, open_multi
    from ..search.plot_options import PlotOptions
    from ..analysis.plots import plot_results, plot_tables
    from ..search.summary import write_summary_tex

    opts = PlotOptions(**plot_flags(args))
    if not Path(args.results).is_dir():
        raise CliError(f"no results directory {args.results}")
    if is_multitable_dir(args.results):
        multi = open_multi(args.results)
        tex = [write_summary_tex(multi.dirs[t], opts.baseline) for t in multi.tables]
        paths = plot_tables(multi, args.out, opts)
        print(f"wrote {len(paths)} files: over tables to {args.out or Path(args.results) / 'figures'}, "
              f"each table's to its figures/; {len(tex)} summary.tex")
        return 0
    res = open_results(args.results)
    res.frame()  # a damaged results table refuses before anything is written
    tex = write_summary_tex(res, opts.baseline)
    paths = plot_results(res, args.out, opts)
    if not paths:
        raise CliError(f"{args.results} holds no finished runs to plot")
    print(f"wrote {len(paths)} files to {Path(paths[0]).parent} and {tex}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Run `nasbench report`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0.
    """
    from ..analysis.report import write_report

    path = write_report(args.results, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, opens without network)")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `plot` and `report` to the subcommands.

    Args:
        sub: the subparsers of the `nasbench` parser.
    """
    s = sub.add_parser("plot", help="figures of a results directory (PNG and PDF)", parents=[plots_parent()])
    s.add_argument("results", help="results directory written by `nasbench compare`")
    s.add_argument("--out", help="figure directory (default RESULTS/figures)")
    s.set_defaults(func=cmd_plot)

    s = sub.add_parser("report", help="one self-contained HTML page of a results directory (compare writes it too)",
                       description="Summary, verdict matrix, interactive regret curves, final values, configuration, "
                       "provenance and the command to rerun, in one HTML file that opens without network "
                       "(plotly.js inlined); for a multi-table directory also the ranks over tables.")
    s.add_argument("results", help="results directory written by `nasbench compare` (one table or several)")
    s.add_argument("--out", help="file to write (default RESULTS/report.html)")
    s.set_defaults(func=cmd_report)
