"""`nasbench compare`: search strategies x runs on one or several tables (the main job).

Flags and a config file are merged once (`nasbench.search.config.command_config`):
defaults (`nasbench.defaults`) < the file's keys < the flags, key by key, so a flag means the
same with and without a file."""
from __future__ import annotations

import argparse
import json
import logging

from ..util.interrupt import Interrupted, interrupted
from .common import (CliError, jobs_parent, plot_flags, plots_parent, progress_parent, ray_parent, seed_parent,
                     verify_arg, verify_parent)

log = logging.getLogger("nasbench")


def flag_overrides(args: argparse.Namespace, imports: tuple[str, ...] = ()) -> dict:
    """The config keys the flags give, in a config file's form (None: the flag was not given).

    Args:
        args: the parsed arguments of `compare`.
        imports: the plug-in modules of `--import`, already resolved.

    Returns:
        The config keys and their values.

    Raises:
        CliError: `--strategies` names no strategy.
    """
    worker_counts = _worker_counts(args.workers)
    budget = {k: v for k, v in (("kind", args.budget_kind), ("amount", args.budget)) if v is not None}
    proto = {k: v for k, v in (("metric", args.metric), ("epoch", args.epoch), ("seed", args.seed_mode)) if v is not None}
    if args.objectives:
        proto["objectives"] = tuple(o.strip() for o in args.objectives.split(",") if o.strip())
    names = None
    if args.strategies is not None:
        names = [n.strip() for n in args.strategies.split(",") if n.strip()]
        if not names:
            from ..strategies.registry import strategy_names

            raise CliError(f"--strategies names no strategy; give a comma-separated list of: {', '.join(strategy_names())}")
    return {"table": args.table, "runs": args.runs, "seed": args.seed, "jobs": args.jobs, "out": args.out,
            "resume": args.resume or None, "progress": False if args.no_progress else None,
            "executor": args.executor, "address": args.address,
            "workers": worker_counts[0] if len(worker_counts) == 1 else None, "preset": args.preset,
            "imports": imports or None, "budget": budget or None, "protocol": proto or None, "strategies": names,
            "plots": plot_flags(args) or None}


def compare_config(args: argparse.Namespace):
    """The comparison the flags (over `args.config`, if given) describe, with `--param` applied.

    Args:
        args: the parsed arguments of `compare`.

    Returns:
        The `ExperimentConfig` to run.

    Raises:
        CliError: `--param` names a strategy that is not in the comparison.
    """
    from ..search.config import ExperimentConfig, StrategySpec, command_config, parse_overrides

    overrides = flag_overrides(args, _plugin_imports(args.imports))
    params = parse_overrides(args.param or [])
    cfg = command_config(args.config, **{k: v for k, v in overrides.items() if v is not None})
    if params:  # overrides for strategies given in the config or the default list
        specs = [StrategySpec(s.name, {**s.params, **params.pop(s.label, {})}, s.label) for s in cfg.strategies]
        if params:
            raise CliError(f"--param names strategy {next(iter(params))!r}, which is not in this comparison "
                           f"({', '.join(s.label for s in cfg.strategies)})")
        cfg = ExperimentConfig(**{**cfg.__dict__, "strategies": tuple(specs)})
    return cfg


def cmd_compare(args: argparse.Namespace) -> int:
    """Run `nasbench compare`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0 (a bad input raises, which `main` turns into status 2).

    Raises:
        CliError: on a bad flag or input (one line on stderr, exit status 2).
    """
    from pathlib import Path

    from ..search.runner import ExperimentConfig
    from ..search.multitable import is_multi

    if args.list_strategies:
        from ..strategies.plugins import load_entry_points
        from ..strategies.registry import describe, strategy_names

        _plugin_imports(args.imports)  # before any strategy name is looked up
        load_entry_points()
        print("\n".join(describe(n) for n in strategy_names()))
        return 0
    worker_counts = _worker_counts(args.workers)
    cfg = compare_config(args)
    verify = verify_arg(args)
    log.debug("compare: config %s", json.dumps(cfg.identity(), default=str))
    if is_multi(cfg.table):  # several tables: each table's results, then the aggregate over them
        if len(worker_counts) > 1:
            raise CliError("--workers with several counts runs one table; give one --table, or one worker count")
        return _compare_tables(cfg, args.no_plots, verify)
    if len(worker_counts) > 1:  # one comparison per worker count, in OUT/workers-N
        from ..analysis.plots import plot_worker_counts

        dirs = {}
        for n in worker_counts:
            sub = ExperimentConfig(**{**cfg.__dict__, "workers": n, "out": str(Path(cfg.out) / f"workers-{n}")})
            log.info(f"== {n} worker{'s' if n > 1 else ''} (results in {sub.out})")
            try:
                dirs[n] = _compare_one(sub, args.no_plots, verify)
            except Interrupted as exc:  # the finished counts' runs are kept too
                raise interrupted(exc, (exc.kept or 0) + len(dirs) * cfg.runs * len(cfg.strategies)) from None
        if not args.no_plots:
            with cfg.plots.style():
                paths = plot_worker_counts(dirs, Path(cfg.out) / "figures", opts=cfg.plots)
            log.info(f"regret vs wall-clock per worker count: {paths[0] if paths else '(no results)'}")
        return 0
    _compare_one(cfg, args.no_plots, verify)
    return 0


def _plugin_imports(specs: list[str] | None) -> tuple[str, ...]:
    """`--import MODULE` (repeatable), imported now: a .py path made absolute (workers and a
    config file's own `imports` then agree on it)."""
    from pathlib import Path

    from ..strategies.plugins import is_path, load_plugins

    load_plugins(specs or ())  # a failure names the plug-in as given
    return tuple(str(Path(s).expanduser().absolute()) if is_path(s) else s for s in specs or ())


def _worker_counts(text: str | None) -> list[int]:
    """`--workers 4` or `--workers 1,4,8` -> the counts (None: [None], the config's own)."""
    if text is None:
        return [None]
    out = []
    for part in text.split(","):
        p = part.strip()
        if not p.isdigit() or int(p) < 1:
            raise CliError(f"--workers takes positive integers separated by commas (e.g. 4 or 1,4,8), got {text!r}")
        if int(p) not in out:
            out.append(int(p))
    return out


def _compare_one(cfg, no_plots: bool, verify: bool | None = None):
    """Run one comparison, print its summary and verdicts, write its figures; its ResultsDir."""
    from ..search.runner import format_summary, run_comparison, summarise
    from ..analysis.plots import plot_results
    from ..search.summary import format_verdicts, pairwise

    res = run_comparison(cfg, verify=verify)
    summary = summarise(res)
    print(format_summary(summary, res.provenance["optimum"]["best_test"]))
    verdicts = format_verdicts(pairwise(res))
    if verdicts:  # one strategy: no pairs
        print(verdicts)
    log.info(f"LaTeX table (booktabs) in {res.path / 'summary.tex'}")
    if not no_plots:
        paths = plot_results(res, opts=cfg.plots)
        log.info(f"results in {res.path}; {len(paths)} figure files in {res.path / 'figures'}")
        write_report_note(res.path)
    return res


def write_report_note(path) -> None:
    """`report.html` at the end of a comparison (its results are already written: a failure is a note).

    Args:
        path: the results directory.
    """
    from ..analysis.report import ReportError, write_report

    try:
        log.info(f"report: {write_report(path)}")
    except ReportError as exc:
        log.warning(f"report.html not written: {exc}")


def _compare_tables(cfg, no_plots: bool, verify: bool | None = None) -> int:
    """`compare --table a,b,c`: each table's summary and verdicts, then the aggregate over tables."""
    from ..search.runner import format_summary, summarise
    from ..search.multitable import AGGREGATE_CSV, budget_source, format_aggregate, run_tables, write_aggregate
    from ..analysis.plots import plot_tables
    from ..search.summary import format_verdicts, pairwise

    multi = run_tables(cfg, verify=verify)
    print(f"== {len(multi.tables)} tables; {budget_source(cfg)}")
    for t in multi.tables:
        res = multi.dirs[t]
        b, proto = res.config["budget"], res.config["protocol"]
        print(f"== {t} (results in {res.path}; signal {proto['metric']}, budget {b['amount']:,g} {b['kind']})")
        print(format_summary(summarise(res), res.provenance["optimum"]["best_test"]))
        verdicts = format_verdicts(pairwise(res))
        if verdicts:
            print(verdicts)
    print(f"== all tables ({multi.path / AGGREGATE_CSV})")
    print(format_aggregate(multi, write_aggregate(multi)))
    if not no_plots:
        paths = plot_tables(multi, opts=cfg.plots)
        log.info(f"results in {multi.path}; {len(paths)} figure files in {multi.path / 'figures'} and each table's figures/")
        write_report_note(multi.path)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `compare` to the subcommands.

    Args:
        sub: the subparsers of the `nasbench` parser.
    """
    from .. import defaults

    s = sub.add_parser("compare", help="run search strategies x runs on a benchmark (the main job)",
                       description="With no arguments: random search, regularised evolution, REINFORCE and "
                       f"the cheap gradient method, {defaults.RUNS} runs each, on {defaults.TABLE} under "
                       "NAS-Bench-201's search protocol (12-epoch validation signal, 12/200 of the 200-epoch time "
                       "charged per query, 12,000 simulated seconds), on all cores. A config file gives the same "
                       "keys; each flag overrides its key, and a key left out of both takes the same default "
                       "(nasbench.defaults).",
                       parents=[seed_parent(None, f"the comparison's root seed (default {defaults.SEED})"),
                                jobs_parent(None, "all cores, or all the Ray cluster's CPUs"), ray_parent(),
                                plots_parent(), progress_parent(), verify_parent()])
    s.add_argument("config", nargs="?", help="TOML or YAML config file (flags override it key by key)")
    s.add_argument("--table", help=f"benchmark: embedded name, .h5 table or surrogate file (default {defaults.TABLE}); "
                                   "several separated by commas run on each (each under its own preset), then "
                                   "aggregate over tables")
    s.add_argument("--strategies", help="comma-separated names (default " + ",".join(defaults.STRATEGIES) + ")")
    s.add_argument("--import", dest="imports", action="append", metavar="MODULE",
                   help="import a plug-in that registers strategies of your own: a module name on the Python path "
                        "or a .py file (repeatable; config: imports); installed plug-ins (entry points "
                        "nasbench.strategies) load by themselves")
    s.add_argument("--param", action="append", metavar="STRATEGY.KEY=VALUE", help="a strategy parameter (repeatable)")
    s.add_argument("--runs", type=int, help=f"runs per strategy (default {defaults.RUNS}; "
                                            f"{defaults.RUNS_SEVERAL_TABLES} per table with several tables)")
    s.add_argument("--budget", type=float, help="budget amount, in the kind of the budget it replaces: --budget-kind, "
                                                "else the config file's, else the table's preset (e.g. seconds on the "
                                                "NAS-Bench-201 tables, default 12000), else queries (default "
                                                f"{defaults.FALLBACK_BUDGET_AMOUNT}); with several tables it applies "
                                                "to each")
    s.add_argument("--budget-kind", choices=["queries", "seconds", "epochs", "worker-seconds"],
                   help="the budget's kind, its amount kept (--budget, else the config file's, else the preset's); "
                        "seconds: simulated wall-clock; worker-seconds: total busy time of all workers")
    s.add_argument("--workers", metavar="N[,N...]",
                   help=f"simulated parallel workers per run (default {defaults.WORKERS}); several counts (1,4,8) "
                        "run one comparison each into OUT/workers-N")
    s.add_argument("--preset", help="preset family giving each NAS-Bench-201 table its protocol and budget, all "
                   "searching the 12-epoch signal: nas-bench-201 (default: NAS-Bench-201's 12,000 simulated s on "
                   "CIFAR-10, 24,000 / 72,000 s on CIFAR-100 / ImageNet16-120 for as many trainings), "
                   "nas-bench-201-flat (12,000 s on each) or nats-bench (NATS-Bench's 20,000 / 40,000 / 120,000 s)")
    s.add_argument("--metric", help="validation signal the strategies see (default: the table's preset, valid_acc_s12 on "
                   "the NAS-Bench-201 tables; else valid_acc); any protocol flag replaces the whole preset")
    s.add_argument("--epoch", type=int, help="epoch of the signal (default: the last)")
    s.add_argument("--seed-mode", choices=["random", "mean"],
                   help="which recorded training run a query reads: one at random (random) or their mean")
    s.add_argument("--objectives", help="multi-objective: comma-separated params, flops, latency:<device>")
    s.add_argument("--out", help=f"results directory (default {defaults.OUT}; with several tables "
                                 f"{defaults.OUT_SEVERAL_TABLES})")
    s.add_argument("--resume", action="store_true", help="continue an existing results directory")
    s.add_argument("--no-plots", action="store_true", help="no figures and no report.html")
    s.add_argument("--list-strategies", action="store_true", help="list strategies and their parameters")
    s.set_defaults(func=cmd_compare)
