#!/usr/bin/env python
"""Fidelity of a surrogate benchmark: does a comparison of strategies on a surrogate fitted to a
part (default 10 %) of a table reach the conclusions the table itself gives? (The claim
NAS-Bench-301 made for its surrogates.)

Runs the comparison runner (``nasbench.search.runner.run_comparison``) with the same config on the
table and on the surrogate, then reports per strategy the final test regret on each (each
benchmark's own optimum), their difference, the regret of the surrogate run's incumbents
measured on the table, and whether the ranking of strategies agrees (Kendall tau of the mean
final regrets, and identical order or not).

    python scripts/surrogate_fidelity.py                                # embedded nb201-cifar10, ~2 min
    python scripts/surrogate_fidelity.py --table nb201-fashion-mnist --runs 20 --budget 200
    python scripts/surrogate_fidelity.py --budget-kind seconds --budget 200000 --out results/fidelity

``--page PATH`` (e.g. ``--page docs/results/surrogates.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TABLE = "nb201-cifar10"  # the embedded NAS-Bench-201 CIFAR-10 table


def final_regrets(frame, optimum: float, test_of=None):
    """Per (strategy, run): optimum - test value of the final incumbent. ``test_of``: look the
    incumbent up in another benchmark's test values instead of the run's own."""
    last = frame.sort_values("step").groupby(["strategy", "run"]).tail(1)
    test = last["incumbent_test"].to_numpy() if test_of is None else test_of[last["incumbent"].to_numpy()]
    return last.assign(regret=optimum - test)[["strategy", "run", "regret"]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default=str(DEFAULT_TABLE), help="embedded name, .h5, or NAS-Bench-201 CSV")
    ap.add_argument("--fraction", type=float, default=0.1, help="part of the table's cells the surrogate sees")
    ap.add_argument("--model", default="ensemble", help="surrogate model (surrogates.registry.ESTIMATORS)")
    ap.add_argument("--members", type=int, default=5, help="ensemble members")
    ap.add_argument("--strategies", nargs="+", default=None, help="default: random evolution reinforce gradient")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--budget-kind", default="queries", choices=("queries", "seconds", "epochs"))
    ap.add_argument("--budget", type=float, default=100)
    ap.add_argument("--test-metric", default="test_acc")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", default="results/surrogate_fidelity")
    args = ap.parse_args(argv)

    try:
        from nasbench.search.runner import ExperimentConfig, load_benchmark, run_comparison
        from nasbench.strategies import DEFAULT_STRATEGIES, Budget, Protocol
    except ImportError as exc:  # the runner is another part of the suite
        print(f"surrogate_fidelity: the comparison runner is not available ({exc})", file=sys.stderr)
        return 2
    from scipy.stats import kendalltau

    from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig

    try:
        table = load_benchmark(args.table)
    except Exception as exc:
        print(f"surrogate_fidelity: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    params = {"n_members": args.members} if args.model == "ensemble" else {}
    t0 = time.perf_counter()
    sur = SurrogateBenchmark.fit(table, SurrogateConfig(model=args.model, model_params=params,
                                                        train_fraction=args.fraction, seed=args.seed,
                                                        metrics=("valid_acc", args.test_metric)))
    fit_s = time.perf_counter() - t0
    out = Path(args.out)
    strategies = tuple(args.strategies or DEFAULT_STRATEGIES)
    common = dict(strategies=strategies, runs=args.runs, budget=Budget(args.budget_kind, args.budget),
                  protocol=Protocol(test_metric=args.test_metric), seed=args.seed, jobs=args.jobs, progress=True)
    res_t = run_comparison(ExperimentConfig(table=str(args.table), out=str(out / "table"), **common), bench=table)
    res_s = run_comparison(ExperimentConfig(table=f"surrogate:{args.table}", out=str(out / "surrogate"), **common),
                           bench=sur)
    test_table = np.full(15625, np.nan)
    test_table[table.covered] = table.query_many(table.covered, args.test_metric)
    opt_t = float(np.nanmax(test_table))
    opt_s = float(np.max(sur.values(args.test_metric)))
    r_t = final_regrets(res_t.frame(), opt_t)
    r_s = final_regrets(res_s.frame(), opt_s)
    r_x = final_regrets(res_s.frame(), opt_t, test_of=test_table)  # surrogate's picks, judged by the table
    g = lambda r: r.groupby("strategy")["regret"].agg(["mean", "std"])  # noqa: E731
    rep = g(r_t).add_prefix("table_").join(g(r_s).add_prefix("surrogate_")).join(
        g(r_x)[["mean"]].rename(columns={"mean": "surrogate_picks_on_table"}))
    rep = rep.loc[list(strategies)]
    rep["diff"] = rep["surrogate_mean"] - rep["table_mean"]
    rep["rank_table"] = rep["table_mean"].rank(method="min").astype(int)
    rep["rank_surrogate"] = rep["surrogate_mean"].rank(method="min").astype(int)
    tau = float(kendalltau(rep["table_mean"], rep["surrogate_mean"])[0]) if len(rep) > 1 else float("nan")
    agree = bool((rep["rank_table"] == rep["rank_surrogate"]).all())
    import pandas as pd

    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.precision", 3):
        print(f"\n{args.table}: surrogate ({args.model}) fitted on {len(sur.train_cells)} cells "
              f"({args.fraction:.0%}) in {fit_s:.1f} s; {args.runs} runs, budget {args.budget:g} {args.budget_kind}")
        print(f"final {args.test_metric} regret (each benchmark's own optimum: table {opt_t:.3f}, surrogate {opt_s:.3f})")
        print(rep)
        print(f"ranking agrees: {agree}; Kendall tau of mean regrets {tau:.3f}")
    out.mkdir(parents=True, exist_ok=True)
    rep.to_csv(out / "fidelity.csv")
    (out / "fidelity.json").write_text(json.dumps({
        "table": str(args.table), "fraction": args.fraction, "model": args.model, "runs": args.runs,
        "budget": [args.budget_kind, args.budget], "optimum_table": opt_t, "optimum_surrogate": opt_s,
        "ranking_agrees": agree, "kendall_tau": tau, "surrogate_fit_s": fit_s,
        "per_strategy": json.loads(rep.to_json(orient="index")),
    }, indent=2))
    print(f"wrote {out / 'fidelity.csv'} and fidelity.json")
    return 0


#: ``--page PATH`` (docs/results/surrogates.md) replaces this section of the page
PAGE_SECTION = dict(
    title='A comparison on a surrogate against one on its table', section='fidelity', page_title='Surrogate learning curves and fidelity',
    intro=('The same comparison on a table and on a surrogate fitted to part of it: regrets and the agreement of'
           ' the strategy rankings.'))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(main, sys.argv[1:], "python scripts/surrogate_fidelity.py", **PAGE_SECTION))
