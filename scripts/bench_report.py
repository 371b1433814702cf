"""What report.html adds to `nasbench compare`: the time to write it against the comparison itself
and against the matplotlib figures (`plot_results`), same machine, same run, and the file's size.

The job: the main job's config (4 strategies x ``--runs`` runs on ``nb201-cifar10`` under its
preset protocol, ``--jobs`` processes), or an existing finished results directory (``--results``,
then the comparison is not rerun and only the figures are the baseline). Each of figures and
report is timed ``--repeats`` times; the median is reported.

Usage: python scripts/bench_report.py [--runs 100] [--jobs N] [--repeats 3] [--results DIR]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100, help="runs per strategy (default 100)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: all cores)")
    ap.add_argument("--repeats", type=int, default=3, help="timings of figures and report (median; default 3)")
    ap.add_argument("--results", help="a finished results directory to use instead of running the main job")
    args = ap.parse_args(argv)
    from nasbench.search.runner import default_config, run_comparison
    from nasbench.analysis.plots import plot_results
    from nasbench.analysis.report import write_report

    with tempfile.TemporaryDirectory() as tmp:
        compare = None
        if args.results:
            path = Path(args.results)
        else:
            path = Path(tmp) / "main"
            cfg = default_config(runs=args.runs, jobs=args.jobs, out=str(path), progress=False)
            t0 = time.perf_counter()
            run_comparison(cfg)
            compare = time.perf_counter() - t0
        out = Path(tmp) / "report.html"
        figures = _timed(lambda: plot_results(path, Path(tmp) / "figures"), args.repeats)
        report = _timed(lambda: write_report(path, out), args.repeats)
        size = out.stat().st_size
        from plotly.offline import get_plotlyjs

        js = len(get_plotlyjs().encode("utf-8"))
    print(f"results: {args.results or f'the main job, {args.runs} runs, {args.jobs} jobs'}")
    if compare is not None:
        print(f"comparison      {compare:8.2f} s")
    print(f"figures         {figures:8.2f} s   (plot_results, median of {args.repeats})")
    print(f"report.html     {report:8.2f} s   (write_report, median of {args.repeats})")
    if compare is not None:
        print(f"report / comparison = {report / compare:.3f}")
    print(f"report / figures    = {report / figures:.3f}")
    print(f"report.html size    = {size / 1e6:.2f} MB, of which plotly.js {js / 1e6:.2f} MB, data and page "
          f"{(size - js) / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
