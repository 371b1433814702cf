#!/usr/bin/env python
"""Surrogate quality and speed on the real NAS-Bench-201 CIFAR-10 table.

Every model predicts the 200-epoch seed-mean validation accuracy of the cells it did not see,
trained on N random cells (default 100 and 1,000), over >= 5 repeated random splits shared by
all models; the baseline -- plain XGBoost (library defaults) on the plain one-hot encoding -- is
measured in the same run, so the ratios are honest on any machine. Also fits the runtime model
on ``time``.

    python scripts/bench_surrogates.py                      # ~3-5 minutes on 2 cores
    python scripts/bench_surrogates.py --sizes 10 100 1000 5000 --repeats 10 --plots out/surrogates
    python scripts/bench_surrogates.py --models baseline xgb ensemble --threads 2

``--page PATH`` (e.g. ``--page docs/results/surrogates.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def model_zoo(threads: int) -> dict:
    from surrogates import (EnsembleSurrogate, GINSurrogate, GPSurrogate, KNNSurrogate, MLPSurrogate,
                            RandomForestSurrogate, XGBSurrogate)

    return {
        # xgboost's own defaults on the space's plain one-hot, raw target: the reference point
        "baseline": XGBSurrogate(encoding="onehot", target_transform="identity", n_estimators=100,
                                 learning_rate=0.3, max_depth=6, subsample=1.0, colsample_bytree=1.0,
                                 n_jobs=threads),
        "xgb": XGBSurrogate(n_jobs=threads),
        "rf": RandomForestSurrogate(n_jobs=threads),
        "gp": GPSurrogate(),
        "knn": KNNSurrogate(),
        "mlp": MLPSurrogate(),
        "gin": GINSurrogate(),
        "ensemble": EnsembleSurrogate(XGBSurrogate(n_jobs=threads), n_members=5),
        "ens_mixed": EnsembleSurrogate(estimators=[XGBSurrogate(n_jobs=threads), MLPSurrogate(), GINSurrogate()],
                                       bootstrap=False),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default="nb201-cifar10", help="embedded table name or .h5 (default: the embedded "
                    "NAS-Bench-201 CIFAR-10 table)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--models", nargs="+", default=None, help="subset of the zoo (baseline is always added)")
    ap.add_argument("--test-size", type=int, default=None, help="cap on test cells per split (default: all the rest)")
    ap.add_argument("--threads", type=int, default=1, help="threads for xgboost, forests and torch")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="write the per-repeat rows to this CSV")
    ap.add_argument("--plots", default=None, help="write learning curves and scatter plots to this folder")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    import nasbench
    from surrogates.evaluation import evaluate, plot_evaluation, summarize

    try:
        bench = nasbench.load(args.table)
    except ValueError as exc:
        print(f"bench_surrogates: {exc}", file=sys.stderr)
        return 2
    zoo = model_zoo(args.threads)
    names = args.models or list(zoo)
    unknown = [n for n in names if n not in zoo]
    if unknown:
        print(f"bench_surrogates: unknown model {unknown[0]!r}; choose from {', '.join(zoo)}", file=sys.stderr)
        return 2
    if "baseline" not in names:
        names = ["baseline", *names]
    models = {n: zoo[n] for n in names}
    t0 = time.perf_counter()
    ev = evaluate(bench, models, sizes=args.sizes, repeats=args.repeats, metric="valid_acc", seed=args.seed,
                  test_size=args.test_size, progress=True)
    wall = time.perf_counter() - t0
    summ = summarize(ev.runs)
    base = summ[summ["model"] == "baseline"].set_index("size")
    print(f"\nNB201 CIFAR-10, 200-epoch validation accuracy (seed mean); {args.repeats} repeats; "
          f"test = all other {len(bench.covered)} - n cells; mean +- std")
    hdr = (f"{'model':<10} {'n':>5} {'kendall tau':>15} {'x base':>7} {'spearman':>15} {'sparse tau':>15} "
           f"{'R2':>6} {'MAE':>6} {'prec@100':>8} {'fit s':>8} {'pred s':>7}")
    print(hdr)
    print("-" * len(hdr))
    for size in sorted(set(summ["size"])):
        for _, r in summ[summ["size"] == size].iterrows():
            ratio = r["kendall_tau_mean"] / base.loc[size, "kendall_tau_mean"]
            print(f"{r['model']:<10} {size:>5} {r['kendall_tau_mean']:>8.3f}+-{r['kendall_tau_std']:.3f} {ratio:>7.2f} "
                  f"{r['spearman_mean']:>8.3f}+-{r['spearman_std']:.3f} "
                  f"{r['sparse_kendall_tau_mean']:>8.3f}+-{r['sparse_kendall_tau_std']:.3f} "
                  f"{r['r2_mean']:>6.3f} {r['mae_mean']:>6.2f} {r['precision_at_100_mean']:>8.2f} "
                  f"{r['fit_s_mean']:>8.2f} {r['predict_s_mean']:>7.3f}")
        print()
    # runtime model: cost prediction at the largest size
    from surrogates import RuntimeModel
    from surrogates.evaluation import scores
    from surrogates.encodings import ops_of

    cells = bench.covered
    t_all = bench.query_many(cells, "time")
    n = max(args.sizes)
    perm = np.random.default_rng(args.seed).permutation(len(cells))
    tr, te = perm[:n], perm[n:]
    t1 = time.perf_counter()
    rt = RuntimeModel(n_jobs=args.threads).fit(ops_of(cells[tr]), t_all[tr])
    fit_rt = time.perf_counter() - t1
    sc = scores(t_all[te], rt.predict(ops_of(cells[te])))
    print(f"runtime model (time, n={n}): R2 {sc['r2']:.3f}, kendall tau {sc['kendall_tau']:.3f}, "
          f"MAE {sc['mae']:.1f} s of mean {np.mean(t_all):.0f} s, fit {fit_rt:.2f} s")
    print(f"wall time {wall:.0f} s")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        ev.runs.to_csv(args.out, index=False)
    if args.plots:
        for p in plot_evaluation(ev, args.plots):
            print(f"wrote {p}")
    return 0


#: ``--page PATH`` (docs/results/surrogates.md) replaces this section of the page
PAGE_SECTION = dict(
    title='Learning curves', section='learning-curves', page_title='Surrogate learning curves and fidelity',
    intro=("Each surrogate model's rank correlation with the table on the cells it was not trained on, by "
           'training-set size, against plain XGBoost on one-hot measured in the same run.'))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(main, sys.argv[1:], "python scripts/bench_surrogates.py", **PAGE_SECTION))
