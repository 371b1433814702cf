"""Per-query cost of the bridges (strategies and library shapes) beside native strategies, in one run.

Each strategy runs ``run_one`` (ask + table look-up + tell + bookkeeping) for ``--queries``
queries on the embedded NAS-Bench-201 CIFAR-10 table (the runner's default protocol); the wall time
divided by the queries is its cost per query, averaged over the run (model-based samplers get
slower as their history grows, so the figure belongs to the budget). Rounds are interleaved and
each ratio is taken within a round against native ``random`` and ``evolution`` (and
``mo_evolution`` for ``optuna-nsga2``, run with ``objectives = params``); the median over rounds
is printed, with the range.

The library shapes (``--shapes``) are timed the same way, a loop of ``--queries`` calls as a user of
that library writes it, each round beside the native ``random`` strategy and a bare ``bench.query``
(``query``) of the same round:

* ``hpobench``, ``hpobench-12``: ``HPOBenchBenchmark.objective_function(config, {"epoch": 200 | 12})``
  on ConfigSpace configurations sampled beforehand (most of that call is ConfigSpace reading a freshly
  sampled Configuration's values; on a plain dict the bridge is a fraction of it);
* ``optunahub-evaluate``: ``problem.evaluate(params)``; ``optunahub-study``: ``study.optimize(problem)``
  with Optuna's ``RandomSampler`` (the sampler and the study's storage included, per trial);
* ``synetune-blackbox``: the tabular blackbox's ``objective_function(config, fidelity, seed)``;
  ``synetune-sim``: a syne-tune ``Tuner`` with ``RandomSearch`` on the simulator backend, per trial
  (both fidelities reported; the scheduler and the simulator's bookkeeping included). Building the
  blackbox from the table is a one-off cost, printed apart.

A shape whose library is not installed is skipped with its reason.

Usage: python scripts/bench_bridges.py [--queries 100] [--rounds 3] [--strategies a,b,...] [--shapes a,b,...]

``--page PATH`` (e.g. ``--page docs/results/bridges.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

NATIVE = ("random", "evolution", "mo_evolution")
BRIDGES = ("optuna-random", "optuna-tpe", "optuna-nsga2", "optuna-gp", "smac")
MULTI = {"mo_evolution", "optuna-nsga2"}
SHAPES = ("hpobench", "hpobench-12", "optunahub-evaluate", "optunahub-study", "synetune-blackbox", "synetune-sim")
_SHAPE_LIB = {"hpobench": "ConfigSpace", "hpobench-12": "ConfigSpace", "optunahub-evaluate": "optunahub",
              "optunahub-study": "optunahub", "synetune-blackbox": "syne_tune", "synetune-sim": "syne_tune"}


def per_query(bench, name: str, queries: int, run: int) -> float:
    from nasbench.search.runner import ExperimentConfig, StrategySpec, prepare_search, run_one
    from nasbench.strategies import Budget, Protocol

    proto = Protocol(objectives=("params",)) if name in MULTI else Protocol()
    cfg = ExperimentConfig(table="x", strategies=(StrategySpec(name),), runs=1, budget=Budget("queries", queries),
                           protocol=proto, progress=False)
    shared = prepare_search(bench, cfg)
    t0 = time.perf_counter()
    cols = run_one(shared, cfg.strategies[0], run)
    return (time.perf_counter() - t0) / len(cols["cell"])


class Shapes:
    """The library shapes on one benchmark, built once (what a user builds before a loop)."""

    def __init__(self, bench, names: list[str]) -> None:
        import numpy as np

        self.bench, self.names = bench, names
        self.rng = np.random.default_rng(0)
        self.blackbox_seconds = None
        if any(n.startswith("hpobench") for n in names):
            from nasbench.bridges import HPOBenchBenchmark

            self.hpo = HPOBenchBenchmark(bench, rng=0)
        if any(n.startswith("optunahub") for n in names):
            from nasbench.bridges import OptunaProblem

            self.problem = OptunaProblem(bench)
        if any(n.startswith("synetune") for n in names):
            from nasbench.bridges.synetune import to_blackbox

            t0 = time.perf_counter()
            self.bb = to_blackbox(bench, runs=True)
            self.blackbox_seconds = time.perf_counter() - t0

    def per_query(self, name: str, queries: int, run: int) -> float:
        import numpy as np

        from nasbench.bridges import cell_to_dict

        rng = np.random.default_rng(run)
        cells = rng.integers(0, 15625, queries)
        if name == "query":
            t0 = time.perf_counter()
            for c in cells:
                self.bench.query(int(c), "valid_acc")
            return (time.perf_counter() - t0) / queries
        if name.startswith("hpobench"):
            cs = self.hpo.get_configuration_space(seed=run)
            configs = cs.sample_configuration(queries)
            fid = {"epoch": 12 if name.endswith("12") else 200}
            t0 = time.perf_counter()
            for c in configs:
                self.hpo.objective_function(c, fid)
            return (time.perf_counter() - t0) / queries
        if name == "optunahub-evaluate":
            params = [cell_to_dict(int(c)) for c in cells]
            t0 = time.perf_counter()
            for p in params:
                self.problem.evaluate(p)
            return (time.perf_counter() - t0) / queries
        if name == "optunahub-study":
            import optuna

            logger = optuna.logging.get_logger("optuna")
            level = logger.level
            logger.setLevel(optuna.logging.WARNING)  # the study's per-trial INFO lines, for this loop only
            try:
                t0 = time.perf_counter()
                study = optuna.create_study(directions=self.problem.directions,
                                            sampler=optuna.samplers.RandomSampler(seed=run))
                study.optimize(self.problem, n_trials=queries)
                return (time.perf_counter() - t0) / queries
            finally:
                logger.setLevel(level)
        if name == "synetune-blackbox":
            from nasbench.bridges.synetune import CONFIG_KEYS

            configs = [dict(zip(CONFIG_KEYS, cell_to_dict(int(c)).values())) for c in cells]
            seeds = rng.integers(0, 3, queries)
            t0 = time.perf_counter()
            for c, sd in zip(configs, seeds):
                self.bb.objective_function(c, fidelity={"hp_epoch": 200}, seed=int(sd))
            return (time.perf_counter() - t0) / queries
        if name == "synetune-sim":
            return self._simulated(queries, run)
        raise ValueError(name)

    def _simulated(self, queries: int, run: int) -> float:
        import contextlib
        import io
        import logging
        import os
        import tempfile

        from syne_tune import StoppingCriterion, Tuner
        from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
        from syne_tune.blackbox_repository.simulated_tabular_backend import UserBlackboxBackend
        from syne_tune.optimizer.baselines import RandomSearch

        with tempfile.TemporaryDirectory() as tmp:
            old = os.environ.get("SYNETUNE_FOLDER")
            os.environ["SYNETUNE_FOLDER"] = tmp
            loggers = [logging.getLogger(n) for n in ("syne_tune",)]
            levels = [lg.level for lg in loggers]
            for lg in loggers:
                lg.setLevel(logging.WARNING)
            try:
                t0 = time.perf_counter()
                backend = UserBlackboxBackend(blackbox=self.bb, elapsed_time_attr="metric_elapsed_time")
                sched = RandomSearch(config_space=dict(self.bb.configuration_space, hp_epoch=200),
                                     metrics=["metric_valid_error"], random_seed=run)
                tuner = Tuner(trial_backend=backend, scheduler=sched,
                              stop_criterion=StoppingCriterion(max_num_trials_finished=queries), n_workers=1,
                              sleep_time=0, callbacks=[SimulatorCallback()], results_update_interval=1e9,
                              print_update_interval=1e9, save_tuner=False, tuner_name="bench")
                with contextlib.redirect_stdout(io.StringIO()):  # the Tuner's console report, per trial
                    tuner.run()
                return (time.perf_counter() - t0) / queries
            finally:
                for lg, lv in zip(loggers, levels):
                    lg.setLevel(lv)
                if old is None:
                    os.environ.pop("SYNETUNE_FOLDER", None)
                else:
                    os.environ["SYNETUNE_FOLDER"] = old


def _available(shapes: list[str]) -> tuple[list[str], list[str]]:
    import importlib

    ok, skipped = [], []
    for s in shapes:
        lib = _SHAPE_LIB[s]
        try:
            importlib.import_module(lib)
            if s.startswith("optunahub"):
                importlib.import_module("optuna")
            ok.append(s)
        except ImportError as exc:
            skipped.append(f"{s}: skipped ({lib} not installed: {exc})")
    return ok, skipped


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--strategies", default=",".join(BRIDGES), help="bridges to measure (comma-separated)")
    ap.add_argument("--shapes", default=",".join(SHAPES),
                    help=f"library shapes to measure (comma-separated; '' for none): {', '.join(SHAPES)}")
    ap.add_argument("--table", default="nb201-cifar10")
    args = ap.parse_args(argv)
    bridges = [s for s in args.strategies.split(",") if s]
    shapes = [s for s in args.shapes.split(",") if s]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        print(f"bench_bridges: shape {unknown[0]!r} unknown; allowed: {', '.join(SHAPES)}", file=sys.stderr)
        return 2
    shapes, skipped = _available(shapes)
    from nasbench.search.runner import load_benchmark
    from nasbench.strategies import StrategyError, get_strategy

    try:
        for s in bridges:
            get_strategy(s).Params().check()  # a missing extra: one line, exit 2
    except StrategyError as exc:
        print(f"bench_bridges: {exc}", file=sys.stderr)
        return 2
    bench = load_benchmark(args.table)
    names = list(NATIVE) + bridges
    sh = Shapes(bench, shapes) if shapes else None
    snames = ["query"] + shapes if shapes else []
    for n in names:  # warm-up: imports, caches
        per_query(bench, n, min(args.queries, 15), 99)
    for n in snames:
        sh.per_query(n, min(args.queries, 15), 99)
    times: dict[str, list[float]] = {n: [] for n in names + snames}
    for r in range(args.rounds):
        for n in names:
            times[n].append(per_query(bench, n, args.queries, r))
        for n in snames:
            times[n].append(sh.per_query(n, args.queries, r))
    print(f"{args.table}, {args.queries} queries per run, {args.rounds} rounds; median (range) per query")
    print(f"{'strategy':<15}{'per query':>14}{'vs random':>22}{'vs evolution':>22}")
    for n in names:
        med = statistics.median(times[n])
        base = "mo_evolution" if n in MULTI else "evolution"
        cells = [f"{med * 1e6:11.1f} us"]
        for b in ("random", base):
            ratios = [t / tb for t, tb in zip(times[n], times[b])]
            cells.append(f"{statistics.median(ratios):9.1f}x ({min(ratios):.1f}-{max(ratios):.1f})")
        print(f"{n:<15}" + "".join(f"{c:>22}" if i else f"{c:>14}" for i, c in enumerate(cells)))
    print("(vs evolution: mo_evolution for the multi-objective ones, run with objectives = params)")
    if snames or skipped:
        print()
        print(f"library shapes, {args.queries} calls per loop; median (range) per call")
        print(f"{'shape':<20}{'per call':>14}{'vs random':>22}{'vs query':>22}")
        for n in snames:
            cells = [f"{statistics.median(times[n]) * 1e6:11.1f} us"]
            for b in ("random", "query"):
                ratios = [t / tb for t, tb in zip(times[n], times[b])]
                cells.append(f"{statistics.median(ratios):9.2f}x ({min(ratios):.2f}-{max(ratios):.2f})")
            print(f"{n:<20}" + "".join(f"{c:>22}" if i else f"{c:>14}" for i, c in enumerate(cells)))
        for line in skipped:
            print(line)
        if sh is not None and sh.blackbox_seconds is not None:
            print(f"(syne-tune: building the blackbox from the table, once: {sh.blackbox_seconds:.2f} s)")
        print("(vs random: the native random strategy's whole step, ask + look-up + tell + bookkeeping; "
              "vs query: a bare bench.query)")
    return 0


#: ``--page PATH`` (docs/results/bridges.md) replaces this section of the page
PAGE_SECTION = dict(
    title='Cost per query', section='cost-per-query', page_title='The bridges: cost and results',
    intro=('`run_one` on the table, strategy construction included, interleaved rounds, median, ratios within a '
           'round.'))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(main, sys.argv[1:], "python scripts/bench_bridges.py", **PAGE_SECTION))
