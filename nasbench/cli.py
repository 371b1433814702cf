"""The `nasbench` command. It only parses arguments and calls the library.

Exit codes: 0 success, 1 a check failed (``verify``), 2 bad input (a :class:`~nasbench.errors.NasbenchError`,
or a file the system refused: one line on stderr). Any other exception is a bug: a traceback, exit 1.

Size: over 400 lines because it holds every subcommand's flags and help text, which read best side
by side in one parser; each command function is a few lines that call the library.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from contextlib import contextmanager
from typing import NoReturn, Sequence

import numpy as np

from .checks import check_positive_int
from .errors import NasbenchError
from .executors import EXECUTORS, release_ray
from .interrupt import Interrupted, handlers, interrupted
from .limits import MAX_RETRAIN, MAX_RUNS, check_count


class CliError(NasbenchError, ValueError):
    """Bad input found by the CLI itself."""


#: the informational lines of the commands (-q hides them, -v adds debug lines); results stay on stdout
log = logging.getLogger("nasbench")


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

    summary = load(args.table).summary()
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2, default=str))
    else:
        print("\n".join(summary.lines()))
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from .registry import load
    from .space import to_cell

    if args.rng_seed < 0:
        raise CliError(f"--rng-seed must be a non-negative integer, got {args.rng_seed}")
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


def cmd_proxies(args: argparse.Namespace) -> int:
    from .zero_cost.job import ProxyJob, run_job
    from .zero_cost.proxies import parse_proxies

    job = ProxyJob(args.table, parse_proxies(args.proxies), args.jobs, args.limit, args.batch_size, args.journal,
                   args.write, args.data_dir, args.threads)
    rep = run_job(job, progress=not args.no_progress)
    print(f"{rep.journal}: {rep.computed_now:,} classes computed now; {rep.classes_done:,} of {rep.classes_total:,} "
          f"classes of the table have {', '.join(job.names)}")
    if rep.written is not None:
        print(f"wrote {rep.written} (sha256 {rep.sha256})")
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
    from .table import file_format, verify_table

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
    from .registry import load
    from .retrain_check import check_retraining

    report = check_retraining(load(path), args.retrain, args.seed, args.data_dir, name=str(args.table))
    print(report.summary())
    return 0 if report.passed else 1


def cmd_generate(args: argparse.Namespace) -> int:
    from dataclasses import asdict, replace
    from pathlib import Path

    from .generate import DataSpec, GenerateConfig, generate, presets
    from .registry import data_dirs
    from .space import get_space
    from .train import Recipe

    get_space(args.space)
    if args.preset:
        if args.dataset:
            raise CliError(f"--dataset with --preset: the preset {args.preset!r} fixes its dataset; give one of them")
        table = presets()
        if args.preset not in table:
            raise CliError(f"unknown preset {args.preset!r}; allowed: {', '.join(table)}")
        p = table[args.preset]
        data, recipe, seeds, groups = p.data, dict(p.recipe), p.seeds, p.seed_groups
        out = Path(args.out) if args.out else data_dirs()[-1] / f"{args.preset}.h5"
    else:
        if not args.dataset or not args.out:
            raise CliError("give --preset NAME, or --dataset and --out")
        data = DataSpec(args.dataset)
        recipe, seeds, out = asdict(Recipe(cpu_channels_last=True)), (777, 888, 999), Path(args.out)
        groups = None
    if args.cpu_memory_format is not None:
        recipe["cpu_channels_last"] = args.cpu_memory_format == "channels_last"
    for flag, field in (("downscale", "downscale"), ("train_size", "train_size"), ("valid_size", "valid_size"),
                        ("test_size", "test_size")):
        v = getattr(args, flag)
        if v is not None:
            check_positive_int(v, f"--{flag.replace('_', '-')}", CliError)
            data = replace(data, **{field: v})
    for flag, key in (("epochs", "epochs"), ("channels", "C"), ("cells_per_stage", "N"), ("batch_size", "batch_size")):
        v = getattr(args, flag)
        if v is not None:
            check_positive_int(v, f"--{flag.replace('_', '-')}", CliError)
            recipe[key] = v
    if args.seeds is not None:
        seeds, groups = tuple(args.seeds), None
    if args.seed_groups is not None:
        try:
            groups = tuple(tuple(int(x) for x in g.split(",")) for g in args.seed_groups)
        except ValueError:
            raise CliError(f"--seed-groups takes groups like 777 888,999 (comma-separated seeds), "
                           f"got {' '.join(args.seed_groups)}") from None
        if args.seeds is None:
            seeds = tuple(s for g in groups for s in g)
    for flag in ("jobs", "limit"):
        check_positive_int(getattr(args, flag), f"--{flag}", CliError, allow_none=True)
    cfg = GenerateConfig(data=data, recipe=recipe, seeds=seeds, seed_groups=groups, jobs=args.jobs,
                         executor=args.executor, address=args.address, limit=args.limit, data_dir=args.data_dir,
                         device=args.device, save_every=args.save_every)
    names = _generate_proxies(args.proxies)
    rep = generate(out, cfg, progress=not args.no_progress)
    done = rep.done_before + rep.trained_now
    print(f"{out}: {done:,} of {rep.total:,} trainings done ({rep.trained_now:,} now, {rep.seconds:.0f} s)")
    if names:
        from .zero_cost.job import ProxyJob, run_job

        prox = run_job(ProxyJob(str(out), names, jobs=args.jobs, write=True, data_dir=args.data_dir),
                       progress=not args.no_progress)
        print(f"{out}: zero-cost proxies {', '.join(names)} for {prox.classes_done:,} of {prox.classes_total:,} "
              f"trained classes ({prox.computed_now:,} now; journal {prox.journal})")
    return 0


def _generate_proxies(text: str) -> tuple[str, ...]:
    """``generate --proxies``: none (default), ``all``, or a comma-separated list."""
    from .zero_cost.proxies import PROXY_NAMES, parse_proxies

    if not text or text == "none":
        return ()
    return PROXY_NAMES if text == "all" else parse_proxies(text)


def cmd_reproduce(args: argparse.Namespace) -> int:
    import os

    from .reproduce import parse_datasets, reproduce

    jobs = (os.cpu_count() or 1) if args.jobs is None else args.jobs
    reproduce(parse_datasets(args.datasets), runs=args.runs, jobs=jobs, out=args.out, seed=args.seed,
              sample_size=args.sample_size, resume=args.resume, progress=not args.no_progress)
    return 0


def cmd_completion(args: argparse.Namespace) -> int:
    try:
        import shtab
    except ImportError:  # pragma: no cover - a dependency
        raise CliError("shell completion needs shtab: pip install shtab") from None
    print(shtab.complete(build_parser(), shell=args.shell))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .experiment import ExperimentConfig, StrategySpec, default_config, parse_overrides
    from .strategies import Budget, Protocol
    from .strategies.registry import describe, strategy_names

    imports = _plugin_imports(args.imports)  # before any strategy name is looked up
    if args.list_strategies:
        from .plugins import load_entry_points

        load_entry_points()
        print("\n".join(describe(n) for n in strategy_names()))
        return 0
    worker_counts = _worker_counts(args.workers)
    overrides: dict = {"table": args.table, "runs": args.runs, "seed": args.seed, "jobs": args.jobs,
                       "out": args.out, "resume": args.resume or None, "progress": False if args.no_progress else None,
                       "executor": args.executor, "address": args.address,
                       "workers": worker_counts[0] if len(worker_counts) == 1 else None, "preset": args.preset,
                       "imports": imports or None}
    if args.executor == "ray" and args.jobs is None and not args.config:
        overrides["jobs"] = 0  # one Ray actor per CPU of the cluster
    budget = {k: v for k, v in (("kind", args.budget_kind), ("amount", args.budget)) if v is not None}
    plots = _plot_flags(args)
    params = parse_overrides(args.param or [])
    names = None
    if args.strategies is not None:
        names = [n.strip() for n in args.strategies.split(",") if n.strip()]
        if not names:
            from .strategies.registry import strategy_names

            raise CliError(f"--strategies names no strategy; give a comma-separated list of: {', '.join(strategy_names())}")
    proto = {k: v for k, v in (("metric", args.metric), ("epoch", args.epoch), ("seed", args.seed_mode)) if v is not None}
    if args.objectives:
        proto["objectives"] = tuple(o.strip() for o in args.objectives.split(",") if o.strip())
    if args.config:  # flags override the file's values, key by key
        file_overrides = {**overrides, "budget": budget or None, "protocol": proto or None, "strategies": names,
                          "plots": plots or None}
        cfg = ExperimentConfig.from_file(args.config, **{k: v for k, v in file_overrides.items() if v is not None})
    else:
        from .multitable import default_config as tables_config, is_multi

        if budget:
            overrides["budget"] = Budget(budget.get("kind", "queries"), budget.get("amount", 100))
        if names is not None:
            overrides["strategies"] = tuple(StrategySpec(n, params.pop(n, {})) for n in names)
        if proto:
            overrides["protocol"] = Protocol(**proto)
        if plots:
            from .plot_options import PlotOptions

            overrides["plots"] = PlotOptions(**plots)
        cfg = (tables_config if args.table and is_multi(args.table) else default_config)(**overrides)
    if params:  # overrides for strategies given in the config or the default list
        specs = []
        for spec in cfg.strategies:
            specs.append(StrategySpec(spec.name, {**spec.params, **params.pop(spec.label, {})}, spec.label))
        if params:
            raise CliError(f"--param names strategy {next(iter(params))!r}, which is not in this comparison "
                           f"({', '.join(s.label for s in cfg.strategies)})")
        cfg = ExperimentConfig(**{**cfg.__dict__, "strategies": tuple(specs)})
    from .multitable import is_multi

    log.debug("compare: config %s", json.dumps(cfg.identity(), default=str))
    if is_multi(cfg.table):  # several tables: each table's results, then the aggregate over them
        if len(worker_counts) > 1:
            raise CliError("--workers with several counts runs one table; give one --table, or one worker count")
        return _compare_tables(cfg, args.no_plots)
    if len(worker_counts) > 1:  # one comparison per worker count, in OUT/workers-N
        from .plots import plot_worker_counts

        dirs = {}
        for n in worker_counts:
            sub = ExperimentConfig(**{**cfg.__dict__, "workers": n, "out": str(Path(cfg.out) / f"workers-{n}")})
            log.info(f"== {n} worker{'s' if n > 1 else ''} (results in {sub.out})")
            try:
                dirs[n] = _compare_one(sub, args.no_plots)
            except Interrupted as exc:  # the finished counts' runs are kept too
                raise interrupted(exc, (exc.kept or 0) + len(dirs) * cfg.runs * len(cfg.strategies)) from None
        if not args.no_plots:
            with cfg.plots.style():
                paths = plot_worker_counts(dirs, Path(cfg.out) / "figures", opts=cfg.plots)
            log.info(f"regret vs wall-clock per worker count: {paths[0] if paths else '(no results)'}")
        return 0
    _compare_one(cfg, args.no_plots)
    return 0


def _plugin_imports(specs: list[str] | None) -> tuple[str, ...]:
    """``--import MODULE`` (repeatable), imported now: a .py path made absolute (workers and a
    config file's own ``imports`` then agree on it)."""
    from pathlib import Path

    from .plugins import is_path, load_plugins

    load_plugins(specs or ())  # a failure names the plug-in as given
    return tuple(str(Path(s).expanduser().absolute()) if is_path(s) else s for s in specs or ())


def _plot_flags(args: argparse.Namespace) -> dict:
    """``--width``, ``--band``, ``--baseline`` as given (checked: a bad value is one line naming the flag)."""
    from .plot_options import check_options

    given = {k: getattr(args, k, None) for k in ("width", "band", "baseline")}
    given = {k: v for k, v in given.items() if v is not None}
    check_options(given.get("width", "default"), given.get("band", "se"), given.get("baseline"), "--")
    return given


def _worker_counts(text: str | None) -> list[int]:
    """``--workers 4`` or ``--workers 1,4,8`` -> the counts (None: [None], the config's own)."""
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


def _compare_one(cfg, no_plots: bool):
    """Run one comparison, print its summary and verdicts, write its figures; its ResultsDir."""
    from .experiment import format_summary, run_comparison, summarise
    from .plots import plot_results

    res = run_comparison(cfg)
    summary = summarise(res)
    print(format_summary(summary, res.provenance["optimum"]["best_test"]))
    from .summary import format_verdicts, pairwise

    verdicts = format_verdicts(pairwise(res))
    if verdicts:  # one strategy: no pairs
        print(verdicts)
    log.info(f"LaTeX table (booktabs) in {res.path / 'summary.tex'}")
    if not no_plots:
        paths = plot_results(res, opts=cfg.plots)
        log.info(f"results in {res.path}; {len(paths)} figure files in {res.path / 'figures'}")
        _write_report(res.path)
    return res


def _write_report(path) -> None:
    """``report.html`` at the end of a comparison (its results are already written: a failure is a note)."""
    from .report import ReportError, write_report

    try:
        log.info(f"report: {write_report(path)}")
    except ReportError as exc:
        log.warning(f"report.html not written: {exc}")


def _compare_tables(cfg, no_plots: bool) -> int:
    """`compare --table a,b,c`: each table's summary and verdicts, then the aggregate over tables."""
    from .experiment import format_summary, summarise
    from .multitable import AGGREGATE_CSV, format_aggregate, run_tables, write_aggregate
    from .plots import plot_tables
    from .summary import format_verdicts, pairwise

    from .multitable import budget_source

    multi = run_tables(cfg)
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
        _write_report(multi.path)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .experiment import open_results
    from .multitable import is_multitable_dir, open_multi
    from .plot_options import PlotOptions
    from .plots import plot_results, plot_tables
    from .summary import write_summary_tex

    opts = PlotOptions(**_plot_flags(args))
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
    from .report import write_report

    path = write_report(args.results, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, opens without network)")
    return 0


def _surrogate_params(items: list[str] | None) -> dict:
    from .checks import parse_params

    return parse_params(items or [], CliError)


def cmd_surrogate_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from surrogates import make_estimator
    from surrogates.evaluation import DEFAULT_SIZES, evaluate, plot_evaluation

    from .registry import load

    bench = load(args.table)
    check_count(args.repeats, "--repeats", MAX_RUNS, CliError)
    if any(n < 1 for n in (args.sizes or [])):
        raise CliError(f"--sizes must be positive integers, got {args.sizes}")
    params = _surrogate_params(args.param)
    models = {name: make_estimator(name, **(params if len(args.models) == 1 else {})) for name in args.models}
    ev = evaluate(bench, models, sizes=args.sizes or DEFAULT_SIZES, repeats=args.repeats, metric=args.metric,
                  epoch=args.epoch, seed=args.seed, progress=not args.no_progress)
    from .atomic import atomic_write

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
    from pathlib import Path

    from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig

    from .registry import load

    out = Path(args.out)
    if out.exists() and not args.force:
        raise CliError(f"{out} exists; pass --force to replace it")
    if not 0 < args.fraction <= 1:
        raise CliError(f"--fraction must lie in (0, 1], got {args.fraction}")
    bench = load(args.table)
    cfg = SurrogateConfig(model=args.model, model_params=_surrogate_params(args.param),
                          metrics=tuple(args.metrics) if args.metrics else None,
                          epochs=tuple(args.epochs) if args.epochs else None, train_fraction=args.fraction,
                          n_train=args.n_train, noise=args.noise, seed=args.seed)
    sb = SurrogateBenchmark.fit(bench, cfg, progress=not args.no_progress)
    digest = sb.save(out)
    print(f"wrote {out} (sha256 {digest}); load it with nasbench.load({str(out)!r}) or --table {out}")
    return 0


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
    from .validate import ValidateConfig, validate

    if args.results is None and not args.cells:
        raise CliError("give a results directory, or --cells with --table")
    if args.cells and args.results is None and not args.table:
        raise CliError("--cells without a results directory needs --table")
    cfg = ValidateConfig(
        results=args.results, top_k=args.top_k, cells=tuple(args.cells or ()), table=args.table, metric=args.metric,
        epochs=args.epochs, seeds=_validate_seeds(args.seeds), C=args.channels, N=args.cells_per_stage,
        batch_size=args.batch_size, dataset=args.dataset, data_dir=args.data_dir, downscale=args.downscale,
        train_size=args.train_size, valid_size=args.valid_size, test_size=args.test_size, device=args.device,
        allow_cpu_fallback=args.allow_cpu_fallback, jobs=args.jobs, executor=args.executor, address=args.address,
        stack_seeds=False if args.no_stack_seeds else None, checkpoint_every=args.checkpoint_every, out=args.out,
        plots=not args.no_plots, progress=not args.no_progress)
    print(validate(cfg, on_message=log.info).summary())
    return 0


# -- the hash check on load ---------------------------------------------------------------------
_NO_VERIFY_HELP = ("load the table even if its SHA-256 does not match (forensic use; a warning is printed, "
                   "provenance records both hashes); same as NASBENCH_NO_VERIFY_HASH=1")


def _add_no_verify(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-verify-hash", action="store_true", help=_NO_VERIFY_HELP)


@contextmanager
def _hash_check(args: argparse.Namespace, command: str):
    """--no-verify-hash switches the check off for this command (every load inside it, however
    deep); a tolerated mismatch is one warning line on stderr."""
    import os
    import warnings

    from .table import NO_VERIFY_ENV, HashMismatchWarning

    before = os.environ.get(NO_VERIFY_ENV)
    if getattr(args, "no_verify_hash", False):
        os.environ[NO_VERIFY_ENV] = "1"
    with warnings.catch_warnings():  # restores showwarning on the way out
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
            if issubclass(category, HashMismatchWarning):
                print(f"nasbench {command}: warning: {message}", file=sys.stderr)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(NO_VERIFY_ENV, None)
            else:
                os.environ[NO_VERIFY_ENV] = before


# -- parser ----------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the full usage stays behind --help), and a name not
    among the choices (a subcommand, ``--executor`` ...) suggests the closest one."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def _check_value(self, action: argparse.Action, value) -> None:  # noqa: ANN001
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as exc:
            from .suggest import did_you_mean

            hint = did_you_mean(value, action.choices or ())
            if not hint:
                raise
            raise argparse.ArgumentError(action, f"{exc.message}{hint}") from None


def _version() -> str:
    """The installed distribution's version, else the package's own."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("nasbench")
    except (ImportError, PackageNotFoundError):
        from ._version import __version__

        return __version__


def _add_verbosity(p: argparse.ArgumentParser, top: bool) -> None:
    """``-q``/``-v``: before the subcommand, or after it (there they override only when given)."""
    default = 0 if top else argparse.SUPPRESS
    p.add_argument("-q", "--quiet", action="count", default=default,
                   help="fewer messages: no progress bars, no informational lines (results and errors stay)")
    p.add_argument("-v", "--verbose", action="count", default=default, help="more messages: debug lines")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nasbench", description="NAS-Bench-201 tabular and surrogate benchmarks.")
    p.add_argument("--version", action="version", version=f"nasbench {_version()}")
    _add_verbosity(p, top=True)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    s = sub.add_parser("info", help="describe a table: coverage, seeds, epochs, ranges, noise")
    s.add_argument("table", help="embedded table name (e.g. nb201-digits) or path to an .h5 file")
    s.add_argument("--json", action="store_true", help="print JSON")
    _add_no_verify(s)
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("query", help="look up cells in a table")
    s.add_argument("table", help="embedded table name or .h5 path")
    s.add_argument("arch", nargs="+", help="arch string(s) or official index(es) 0..15624")
    s.add_argument("--metric", default="valid_acc", help="metric name (see `nasbench info`); default valid_acc")
    s.add_argument("--epoch", type=_epoch_arg, default=None, help="recorded epoch (default: the last)")
    s.add_argument("--seed", type=_seed_arg, default="mean", help="'mean' (default), 'random' or a seed number")
    s.add_argument("--rng-seed", type=int, default=0, help="random generator seed for --seed random")
    s.add_argument("--json", action="store_true", help="one JSON object per line")
    _add_no_verify(s)
    s.set_defaults(func=cmd_query)

    s = sub.add_parser("proxies", help="compute zero-cost proxies of a table's cells into a resumable journal "
                                       "(--write folds them into the table file)")
    s.add_argument("table", help="embedded table name or .h5 path (NAS-Bench-201 space)")
    s.add_argument("--proxies", default="", help="comma-separated proxy names (default: all; see README)")
    s.add_argument("--jobs", type=int, default=1, help="worker processes, one thread each (default 1)")
    s.add_argument("--threads", type=int, default=1, help="torch threads per process (default 1)")
    s.add_argument("--limit", type=int, help="at most this many functional classes (a seeded random sample)")
    s.add_argument("--batch-size", type=int, default=16, help="images of the proxy batch (default 16)")
    s.add_argument("--journal", help="journal file (default: data/proxies/NAME.jsonl for an embedded table, "
                                     "T.proxies.jsonl beside a table file T.h5)")
    s.add_argument("--data-dir", help="directory holding the dataset of a table trained here")
    s.add_argument("--write", action="store_true",
                   help="fold the journal into the table file, atomically (embedded NAS-Bench-201 tables: use "
                        "scripts/build_nb201_tables.py --write)")
    s.add_argument("--no-progress", action="store_true")
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
                                      "a mismatch")
    s.add_argument("table", help="embedded table name or .h5 path")
    s.add_argument("--retrain", type=int, metavar="K",
                   help="also retrain K random trained rows (seeds or seed stacks as recorded): bit-identity where "
                        "the table's machine fingerprint matches this one, else agreement within the seed noise")
    s.add_argument("--seed", type=int, default=0, help="which rows --retrain picks (default 0)")
    s.add_argument("--data-dir", help="directory holding the dataset files (for --retrain)")
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("generate", help="fill a table by real training (resumable; rerun to continue)")
    s.add_argument("--preset", help="an embedded table's recipe: nb201-digits, nb201-fashion-mnist")
    s.add_argument("--out", help="output .h5 (default for a preset: data/NAME.h5); a journal is kept beside it")
    s.add_argument("--space", default="nb201", help="search space (nb201)")
    s.add_argument("--dataset", help="digits, fashion-mnist, cifar10, cifar100, imagenet16-120 (without --preset)")
    s.add_argument("--data-dir", help="directory holding the dataset files")
    s.add_argument("--seeds", type=int, nargs="+", help="training seeds (default 777 888 999)")
    s.add_argument("--seed-groups", nargs="+", metavar="SEEDS",
                   help="passes of seeds, each trained stacked in one network, e.g. 777 888,999 (default: one seed "
                        "per pass; part of what a table is, like the recipe)")
    s.add_argument("--epochs", type=int, help="training epochs")
    s.add_argument("--channels", type=int, help="C, channels of the first stage")
    s.add_argument("--cells-per-stage", type=int, help="N, cells per stage")
    s.add_argument("--batch-size", type=int)
    s.add_argument("--cpu-memory-format", choices=["channels_last", "contiguous"],
                   help="memory format of CPU training (part of the recipe; default channels_last, ~1.3x faster; "
                        "tables made before it existed, such as nb201-digits, used contiguous)")
    s.add_argument("--downscale", type=int, help="average-pool images by this factor")
    s.add_argument("--train-size", type=int)
    s.add_argument("--valid-size", type=int)
    s.add_argument("--test-size", type=int)
    s.add_argument("--jobs", type=int, default=1, help="parallel worker processes (or Ray actors)")
    s.add_argument("--limit", type=int, help="train at most this many (cell, seed) runs now")
    s.add_argument("--executor", default="local", choices=EXECUTORS)
    s.add_argument("--address", help="Ray cluster address (with --executor ray)")
    s.add_argument("--device", default="cpu", help="cpu or cuda")
    s.add_argument("--save-every", type=float, default=120.0, help="seconds between table rewrites")
    s.add_argument("--proxies", default="none",
                   help="zero-cost proxies to compute for the trained cells after training: none (default), all, "
                        "or names such as synflow,jacob_cov (on the recipe's network and a batch of the table's "
                        "own training data; journal OUT.proxies.jsonl, see `nasbench proxies`)")
    s.add_argument("--no-progress", action="store_true")
    s.set_defaults(func=cmd_generate)

    s = sub.add_parser("compare", help="run search strategies x runs on a benchmark (the main job)",
                       description="With no arguments: random search, regularised evolution, REINFORCE and "
                       "the cheap gradient method, 100 runs each, on nb201-cifar10 under NAS-Bench-201's "
                       "search protocol (12-epoch validation signal, 12/200 of the 200-epoch time charged "
                       "per query, 12,000 simulated seconds), on all cores.")
    s.add_argument("config", nargs="?", help="TOML or YAML config file (flags override it)")
    s.add_argument("--table", help="benchmark: embedded name, .h5 table or surrogate file (default nb201-cifar10); "
                                   "several separated by commas run on each (each under its own preset), then "
                                   "aggregate over tables")
    s.add_argument("--strategies", help="comma-separated names, e.g. random,evolution,reinforce,gradient")
    s.add_argument("--import", dest="imports", action="append", metavar="MODULE",
                   help="import a plug-in that registers strategies of your own: a module name on the Python path "
                        "or a .py file (repeatable; config: imports); installed plug-ins (entry points "
                        "nasbench.strategies) load by themselves")
    s.add_argument("--param", action="append", metavar="STRATEGY.KEY=VALUE", help="a strategy parameter (repeatable)")
    s.add_argument("--runs", type=int, help="runs per strategy (default 100; 10 in a config file)")
    s.add_argument("--budget", type=float, help="budget amount (default: the table's preset, e.g. 12000 seconds on the "
                                                  "NAS-Bench-201 tables; else 100 queries); with several tables it applies "
                                                  "to each")
    s.add_argument("--budget-kind", choices=["queries", "seconds", "epochs", "worker-seconds"],
                   help="seconds: simulated wall-clock; worker-seconds: total busy time of all workers")
    s.add_argument("--workers", metavar="N[,N...]",
                   help="simulated parallel workers per run (default 1); several counts (1,4,8) run one "
                        "comparison each into OUT/workers-N")
    s.add_argument("--preset", help="preset family giving each NAS-Bench-201 table its protocol and budget, all "
                   "searching the 12-epoch signal: nas-bench-201 (default: NAS-Bench-201's 12,000 simulated s on "
                   "CIFAR-10, 24,000 / 72,000 s on CIFAR-100 / ImageNet16-120 for as many trainings), "
                   "nas-bench-201-flat (12,000 s on each) or nats-bench (NATS-Bench's 20,000 / 40,000 / 120,000 s)")
    s.add_argument("--metric", help="validation signal the strategies see (default: the table's preset, valid_acc_s12 on "
                   "the NAS-Bench-201 tables; else valid_acc); any protocol flag replaces the whole preset")
    s.add_argument("--epoch", type=int, help="epoch of the signal (default: the last)")
    s.add_argument("--seed-mode", choices=["random", "mean"], help="a recorded run per query (random) or the mean")
    s.add_argument("--objectives", help="multi-objective: comma-separated params, flops, latency:<device>")
    s.add_argument("--seed", type=int, help="root seed (default 0)")
    s.add_argument("--jobs", type=int, help="where runs execute: parallel processes, or Ray actors with --executor ray "
                                            "(default: all cores, or all the Ray cluster's CPUs); results do not "
                                            "depend on it")
    s.add_argument("--executor", choices=EXECUTORS, help="where runs execute: local processes (default) or the actors "
                                                        "of a Ray cluster (pip install 'nasbench[ray]')")
    s.add_argument("--address", help="Ray cluster address host:port (with --executor ray; default: a local instance)")
    s.add_argument("--out", help="results directory (default results/default; with several tables results/tables)")
    s.add_argument("--resume", action="store_true", help="continue an existing results directory")
    s.add_argument("--no-plots", action="store_true", help="no figures and no report.html")
    _add_plot_flags(s)
    s.add_argument("--no-progress", action="store_true")
    s.add_argument("--list-strategies", action="store_true", help="list strategies and their parameters")
    _add_no_verify(s)
    s.set_defaults(func=cmd_compare)

    s = sub.add_parser("reproduce", help="rerun a published search comparison and print it beside the paper's",
                       description="nb201: NAS-Bench-201's Table 5 (ICLR 2020) on the embedded tables, with the "
                       "paper's settings (REA population 10, tournament 3; REINFORCE lr 0.001, EMA 0.9; random "
                       "search), each table's preset protocol, 500 runs; every row of the table with our mean +- "
                       "sample std and a verdict, or a one-line reason where a table cannot reproduce it.")
    s.add_argument("benchmark", choices=["nb201"], help="the published comparison (nb201: NAS-Bench-201, Table 5)")
    s.add_argument("--datasets", default="cifar10,cifar100,imagenet16-120",
                   help="comma-separated: cifar10, cifar100, imagenet16-120 (default: all three)")
    s.add_argument("--runs", type=int, default=500, help="runs per algorithm (default 500, the paper's)")
    s.add_argument("--jobs", type=int, help="parallel processes (default: all cores); results do not depend on it")
    s.add_argument("--out", default="results/nb201-repro", help="results directory, one subdirectory per dataset")
    s.add_argument("--seed", type=int, default=201, help="root seed (default 201)")
    s.add_argument("--sample-size", type=int, default=3,
                   help="REA's tournament size (default 3, NAS-Bench-201's R-EA.sh)")
    s.add_argument("--resume", action="store_true", help="reuse the finished runs in --out")
    s.add_argument("--no-progress", action="store_true")
    s.set_defaults(func=cmd_reproduce)

    s = sub.add_parser("plot", help="figures of a results directory (PNG and PDF)")
    s.add_argument("results", help="results directory written by `nasbench compare`")
    s.add_argument("--out", help="figure directory (default RESULTS/figures)")
    _add_plot_flags(s)
    s.set_defaults(func=cmd_plot)

    s = sub.add_parser("report", help="one self-contained HTML page of a results directory (compare writes it too)",
                       description="Summary, verdict matrix, interactive regret curves, final values, configuration, "
                       "provenance and the command to rerun, in one HTML file that opens without network "
                       "(plotly.js inlined); for a multi-table directory also the ranks over tables.")
    s.add_argument("results", help="results directory written by `nasbench compare` (one table or several)")
    s.add_argument("--out", help="file to write (default RESULTS/report.html)")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("surrogate", help="evaluate surrogate models, or fit a surrogate benchmark")
    ssub = s.add_subparsers(dest="surrogate_command", metavar="SUBCOMMAND")
    ssub.required = True
    e = ssub.add_parser("eval", help="learning curves: Kendall tau, Spearman, R2, ... against training size")
    e.add_argument("--table", required=True, help="embedded name or .h5 path")
    e.add_argument("--models", nargs="+", default=["xgb"], help="xgb rf gp knn mlp gin ensemble")
    e.add_argument("--param", action="append", metavar="KEY=VALUE", help="model parameter (with one model)")
    e.add_argument("--sizes", type=int, nargs="+", help="training-set sizes (default: log-spaced 10..5000)")
    e.add_argument("--repeats", type=int, default=5)
    e.add_argument("--metric", default="valid_acc")
    e.add_argument("--epoch", type=int, help="table epoch (default: the last)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--out", default="results/surrogate_eval")
    e.add_argument("--no-progress", action="store_true")
    _add_no_verify(e)
    e.set_defaults(func=cmd_surrogate_eval)
    f = ssub.add_parser("fit", help="fit a surrogate benchmark on a table (or part of it) and save it")
    f.add_argument("--table", required=True, help="embedded name or .h5 path")
    f.add_argument("--out", required=True, help="output file (.h5)")
    f.add_argument("--model", default="ensemble", help="xgb rf gp knn mlp gin ensemble")
    f.add_argument("--param", action="append", metavar="KEY=VALUE", help="model parameter (repeatable)")
    f.add_argument("--fraction", type=float, default=1.0, help="part of the table's cells to fit on")
    f.add_argument("--n-train", type=int, help="number of cells to fit on (overrides --fraction)")
    f.add_argument("--metrics", nargs="+", help="metrics to model (default valid_acc test_acc, and valid_acc_s12 where the "
                                                     "table has it: the 12-epoch signal of its preset)")
    f.add_argument("--epochs", type=int, nargs="+", help="table epochs to model (default: the last)")
    f.add_argument("--noise", default="seed", choices=["seed", "ensemble", "none"])
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--force", action="store_true")
    f.add_argument("--no-progress", action="store_true")
    _add_no_verify(f)
    f.set_defaults(func=cmd_surrogate_fit)

    s = sub.add_parser("validate", help="train a comparison's top cells for real and compare with the benchmark")
    s.add_argument("results", nargs="?", help="results directory of `nasbench compare`")
    s.add_argument("--top-k", type=int, default=5, help="validate the best K distinct final incumbents (default 5)")
    s.add_argument("--cells", nargs="+", help="explicit cells (arch strings or indices) instead of the top K")
    s.add_argument("--table", help="benchmark to predict from (default: the comparison's table)")
    s.add_argument("--metric", help="metric to compare (default: the comparison's validation metric)")
    s.add_argument("--epochs", type=int, help="training epochs (default: the recorded recipe; at most 1000)")
    s.add_argument("--seeds", nargs="+", help="training seeds, or 'table' for the table's own seeds "
                                              "(default: 3 fresh seeds)")
    s.add_argument("--channels", type=int, help="C (default: recorded)")
    s.add_argument("--cells-per-stage", type=int, help="N (default: recorded)")
    s.add_argument("--batch-size", type=int)
    s.add_argument("--dataset", help="dataset (required for imported tables, which record none)")
    s.add_argument("--data-dir", help="directory holding the dataset files")
    s.add_argument("--downscale", type=int)
    s.add_argument("--train-size", type=int)
    s.add_argument("--valid-size", type=int)
    s.add_argument("--test-size", type=int)
    s.add_argument("--device", default="auto", help="auto (cuda if available, default), cpu, cuda, cuda:N")
    s.add_argument("--allow-cpu-fallback", action="store_true", help="with --device cuda: use the CPU if no GPU")
    s.add_argument("--jobs", type=int, default=1, help="parallel trainings (processes, or Ray actors)")
    s.add_argument("--executor", default="local", choices=EXECUTORS)
    s.add_argument("--address", help="Ray cluster address (with --executor ray)")
    s.add_argument("--no-stack-seeds", action="store_true", help="on CUDA, train seeds one at a time")
    s.add_argument("--checkpoint-every", type=int, default=1, help="epochs between checkpoints (default 1)")
    s.add_argument("--out", default="results/validate", help="output directory (reruns resume here)")
    s.add_argument("--no-plots", action="store_true", help="no figures and no report.html")
    s.add_argument("--no-progress", action="store_true")
    _add_no_verify(s)
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("completion", help="print a shell completion script (bash, zsh or tcsh)",
                       description="Print the completion script of `nasbench` for SHELL (made by shtab). E.g. bash: "
                       "nasbench completion bash > ~/.local/share/bash-completion/completions/nasbench; zsh: "
                       "nasbench completion zsh > ~/.zfunc/_nasbench (with fpath+=~/.zfunc before compinit).")
    s.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell")
    s.set_defaults(func=cmd_completion)
    for parser in _all_subparsers(p):
        _add_verbosity(parser, top=False)
    return p


def _all_subparsers(p: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every (nested) subcommand's parser."""
    out = []
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                out += [child, *_all_subparsers(child)]
    return out


def _add_plot_flags(s: argparse.ArgumentParser) -> None:
    """``--width``, ``--band``, ``--baseline`` (checked in code: a bad value is one line, exit 2)."""
    s.add_argument("--width", metavar="PRESET", help="figure width: default (screen), one-column (3.3 in) or "
                   "two-column (6.9 in); the print presets keep every font at 7 pt or more (config: plots.width)")
    s.add_argument("--band", metavar="BAND", help="band of the curves: se (mean ± standard error, default), ci95 "
                   "(mean, 95%% bootstrap interval) or iqr (median, interquartile range) (config: plots.band)")
    s.add_argument("--baseline", metavar="LABEL", help="summary.tex marks significance against this strategy "
                   "(default: random where present; config: plots.baseline)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_output(args)
    try:
        with _hash_check(args, args.command), handlers(), _ray_released():
            return int(args.func(args) or 0)
    except BrokenPipeError:  # e.g. `nasbench info ... | head`
        return 0
    except (NasbenchError, OSError) as exc:  # bad input, or the system refused (no such file, disk full)
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"nasbench {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # SIGINT or SIGTERM (nasbench.interrupt): one line, exit 128 + signal
        print(_interrupted_line(args.command, exc), file=sys.stderr)
        code = getattr(exc, "exit_code", 130)
        release_ray(exit_code=code)  # a local Ray instance this command started: killed, and exit here
        return code


class _ConsoleHandler(logging.Handler):
    """Informational lines on stdout (where the commands always printed them), debug lines, warnings
    and errors on stderr; the streams are looked up at each line (tests and callers may replace them).
    A closed pipe propagates (``main`` ends quietly on it)."""

    def emit(self, record: logging.LogRecord) -> None:
        stream = sys.stdout if record.levelno == logging.INFO else sys.stderr
        prefix = "debug: " if record.levelno < logging.INFO else ""
        print(prefix + self.format(record), file=stream, flush=True)


_HANDLER = _ConsoleHandler()


def _setup_output(args: argparse.Namespace) -> None:
    """``-q``/``-v`` set the "nasbench" logger's level; progress bars are drawn only on a terminal
    (stderr a TTY) and not with ``-q``, so output piped to a file holds no carriage returns."""
    quiet, verbose = getattr(args, "quiet", 0) or 0, getattr(args, "verbose", 0) or 0
    level = logging.DEBUG if verbose > quiet else logging.WARNING if quiet > verbose else logging.INFO
    if _HANDLER not in log.handlers:
        _HANDLER.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(_HANDLER)
    log.propagate = False
    log.setLevel(level)
    log.debug("nasbench %s, python %s, command %s", _version(), sys.version.split()[0], args.command)
    if hasattr(args, "no_progress") and (quiet > verbose or not _stderr_is_tty()):
        args.no_progress = True


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


_RESUMABLE = {"compare": "rerun with --resume", "generate": "rerun the same command to resume",
              "proxies": "rerun the same command to resume", "validate": "rerun the same command to resume"}


def _interrupted_line(command: str, exc: KeyboardInterrupt) -> str:
    """What a command stopped by a signal says: for compare, how many runs it kept."""
    kept = getattr(exc, "kept", None)
    if command == "compare" and kept is not None:
        return f"interrupted: {kept} run{'' if kept == 1 else 's'} kept; {_RESUMABLE[command]}"
    if command in _RESUMABLE:
        return f"interrupted: finished work is kept; {_RESUMABLE[command]}"
    return "interrupted"


@contextmanager
def _ray_released():
    """Shut down a local Ray instance the command started when it ends or fails (an interrupt: in main)."""
    try:
        yield
    except KeyboardInterrupt:
        raise
    except BaseException:
        release_ray()
        raise
    release_ray()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
