#!/usr/bin/env python
"""The figures a table's README paragraph quotes, in one resumable run: what `nasbench info`
says of it (coverage, seed noise, spread), the main job on it (the default comparison), and real
training of that comparison's top cells with fresh seeds (`nasbench validate`), then the same
figures as a Markdown paragraph.

    python scripts/table_report.py --table nb201-fashion-mnist --jobs 2    # ~2 min on 2 cores
    python scripts/table_report.py --table nb201-digits --skip-validate

Results go under ``--out`` (default ``results/report-<table>``); a rerun reuses the finished
comparison runs and trainings there.

``--page PATH`` (e.g. ``--page docs/results/cpu-tables.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default="nb201-fashion-mnist", help="embedded name or .h5 path")
    ap.add_argument("--out", help="results directory (default results/report-<table name>)")
    ap.add_argument("--runs", type=int, default=10, help="runs per strategy of the comparison (default 10)")
    ap.add_argument("--budget", type=int, default=100, help="queries per run (default 100)")
    ap.add_argument("--top-k", type=int, default=5, help="cells to validate by real training (default 5)")
    ap.add_argument("--validate-epochs", type=int, help="override the recorded epochs (smoke tests only)")
    ap.add_argument("--skip-validate", action="store_true", help="no real training")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)

    import nasbench
    from nasbench.search.runner import default_config, format_summary, run_comparison, summarise
    from nasbench.strategies import Budget
    from nasbench.tables.table_summary import IQR_PER_SD, summarise_table
    from nasbench.validation.run import ValidateConfig, validate

    bench = nasbench.load(args.table)
    out = Path(args.out or f"results/report-{bench.name or Path(args.table).stem}")
    s = summarise_table(bench)
    print("\n".join(s.lines()[:16]))

    t0 = time.perf_counter()
    cfg = default_config(table=args.table, runs=args.runs, budget=Budget("queries", args.budget), jobs=args.jobs,
                         out=str(out / "compare"), progress=False)
    res = run_comparison(cfg)
    t_compare = time.perf_counter() - t0
    summary = summarise(res)
    optimum = bench.best("test_acc").value
    print(f"\nmain job ({args.runs} runs x {args.budget} queries, {t_compare:.0f} s):")
    print(format_summary(summary, optimum))

    rep, t_validate = None, 0.0
    if not args.skip_validate:
        t0 = time.perf_counter()
        rep = validate(ValidateConfig(results=str(res.path), top_k=args.top_k, jobs=args.jobs,
                                      epochs=args.validate_epochs, device="cpu", out=str(out / "validate"),
                                      progress=False))
        t_validate = time.perf_counter() - t0
        print(f"\nvalidation ({t_validate:.0f} s):")
        print(rep.summary())

    noise, spread = s.mean_seed_std, s.spread
    pct = ", ".join(f"{v:.2f}" for v in s.percentiles.values())
    lines = [f"`{s.name}` ({s.trainings:,} trainings, {s.cells_covered:,} cells): validation accuracy "
             f"{s.ranges['valid_acc'][0]:.1f} to {s.ranges['valid_acc'][1]:.1f} % (percentiles "
             f"{'/'.join(map(str, s.percentiles))}: {pct}), mean seed standard deviation {noise:.2f} points, "
             f"std over all cells {spread:.2f} ({spread / noise:.1f}x the noise, mostly the tail of broken "
             f"cells), interquartile range {s.iqr:.2f} (robust std {s.iqr / IQR_PER_SD / noise:.1f}x the noise), "
             f"over the top 1 % {s.top1pct_spread:.3f} ({s.top1pct_spread / noise:.2f}x)."]
    parts = [f"{name} {r.test_mean:.2f} +- {r.test_std:.2f}" for name, r in summary.iterrows()]
    lines.append(f"The main job on it ({args.runs} runs x {args.budget} queries, {t_compare:.0f} s): "
                 f"{', '.join(parts)} final test accuracy (optimum {optimum:.2f}).")
    if rep is not None:
        f = rep.frame
        z = ", ".join(f"{v:+.2f}" for v in f["z"])
        within = int((np.abs(f["z"].to_numpy(float)) <= 2).sum())
        diff, sd = f["diff"].to_numpy(float), f["sd_used"].to_numpy(float)
        lines.append(f"Validating its top {len(f)} with seeds {list(rep.seeds)} ({t_validate:.0f} s): measured "
                     f"{diff.min():+.2f} to {diff.max():+.2f} points against the table, z = {z} ({within} of "
                     f"{len(f)} within 2; sd {sd.min():.2f}-{sd.max():.2f}, source {', '.join(f['sd_source'].unique())}), "
                     f"Kendall tau {rep.kendall_tau:+.2f} among the {len(f)} cells. Against the expected values "
                     f"(Tweedie: {f['pred_expected'].min():.2f}-{f['pred_expected'].max():.2f}), z = "
                     f"{', '.join(f'{v:+.2f}' for v in f['z_expected'])}.")
    print("\n" + "\n".join(lines))
    return 0


#: ``--page PATH`` (docs/results/cpu-tables.md) replaces this section of the page
PAGE_SECTION = dict(
    title='The main job on a CPU table', section='main-job-digits', page_title='The tables trained here: measurements',
    intro=("A table's summary, the main job on it and real validation of its best cells with fresh seeds."))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(main, sys.argv[1:], "python scripts/table_report.py", **PAGE_SECTION))
