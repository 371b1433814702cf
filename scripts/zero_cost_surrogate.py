"""Surrogate learning curves with and without zero-cost proxies as features, in one run: the
same models, training cells and test cells, once on each base encoding (``--bases``; default:
each model's own, ``combined`` for the tree models and the GP) and once on
``<base>+zc:<table>`` (the table's proxies stored for every cell appended; see
nasbench.zero_cost.features). Kendall tau / Spearman on every cell not trained on.

    python scripts/zero_cost_surrogate.py [--table nb201-cifar10] [--models xgb,rf,xgb&rf]
           [--bases combined,counts] [--sizes 10 30 100 300 1000] [--repeats 5] [--metric valid_acc]

``--page PATH`` (e.g. ``--page docs/results/zero-cost.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nasbench.tables.registry import load  # noqa: E402
from nasbench.zero_cost.features import proxy_matrix  # noqa: E402
from surrogates.evaluation import evaluate  # noqa: E402
from surrogates.registry import make_estimator  # noqa: E402


def _model(name: str, **params):
    """A registered model, or ``a&b``: the unweighted average of models a and b (no bootstrap)."""
    if "&" in name:
        from surrogates.ensemble import EnsembleSurrogate

        return EnsembleSurrogate(estimators=[make_estimator(n, **params) for n in name.split("&")], bootstrap=False)
    return make_estimator(name, **params)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", default="nb201-cifar10")
    ap.add_argument("--models", default="xgb,rf")
    ap.add_argument("--bases", default="", help="base encodings, comma-separated (default: each model's own)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 100, 300, 1000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--metric", default="valid_acc")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    try:
        names, _ = proxy_matrix(a.table)
        bench = load(a.table)
        models = {}
        bases = [b.strip() for b in a.bases.split(",") if b.strip()]
        for m in [s.strip() for s in a.models.split(",") if s.strip()]:
            for b in bases or [make_estimator(m.split("&")[0]).encoding]:
                label = f"{m}:{b}" if bases else m
                models[label] = _model(m, encoding=b)
                models[f"{label}+zc"] = _model(m, encoding=f"{b}+zc:{a.table}")
    except ValueError as exc:
        print(f"zero_cost_surrogate: error: {exc}", file=sys.stderr)
        return 2
    print(f"{a.table}, {a.metric}: proxies appended as features: {', '.join(names)}; "
          f"{a.repeats} repeats, sizes {a.sizes}")
    res = evaluate(bench, models, sizes=a.sizes, repeats=a.repeats, metric=a.metric, seed=a.seed, progress=False)
    s = res.summary
    w = max(10, *(len(m) + 1 for m in models))
    print(f"{'model':<{w}}" + "".join(f"  tau@{n:<6}" for n in a.sizes) + "".join(f"  rho@{n:<6}" for n in a.sizes))
    for m in models:
        row = s[s["model"] == m].set_index("size")
        print(f"{m:<{w}}" + "".join(f"  {row.loc[n, 'kendall_tau_mean']:.3f}±{row.loc[n, 'kendall_tau_std']:.3f}"[:12].ljust(12) for n in a.sizes)
              + "".join(f"  {row.loc[n, 'spearman_mean']:.3f}".ljust(12) for n in a.sizes))
    return 0


#: ``--page PATH`` (docs/results/zero-cost.md) replaces this section of the page
PAGE_SECTION = dict(
    title='As surrogate features', section='surrogate-features', page_title='Zero-cost proxies',
    intro=('The same random training sets and models with and without the proxies as features ([how](../how-'
           'to/zero-cost-proxies.md#as-surrogate-features)); Kendall tau and Spearman over every cell not '
           'trained on.'))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(main, sys.argv[1:], "python scripts/zero_cost_surrogate.py", **PAGE_SECTION))
