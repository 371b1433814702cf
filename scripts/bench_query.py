"""Speed of the query API on the imported NAS-Bench-201 CIFAR-10 table, against a
dict-of-dicts baseline (how older benchmark APIs hold results), measured in the same run.

    python scripts/bench_query.py [--csv ../shared/data/nasbench201/nb201_cifar10.csv]

Prints load time and peak memory (measured in a fresh subprocess), the median latency of a
single query (by index, by arch string, seed='random'), vectorised throughput, and the ratios.

``--page PATH`` (e.g. ``--page docs/results/speed.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOAD_SNIPPET = """
import resource, sys, time, json
t0 = time.perf_counter()
import nasbench
t1 = time.perf_counter()
b = nasbench.load(sys.argv[1])
b.query(0)
t2 = time.perf_counter()
rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "peak_rss_mb": rss}))
"""

BASELINE_SNIPPET = """
import resource, sys, time, json, csv
t0 = time.perf_counter()
rows = {}
with open(sys.argv[1]) as fh:
    for r in csv.DictReader(fh):
        rows[r["arch_str"]] = {"cifar10-valid": {"valid_acc": {200: {s: v for s, v in zip((777, 888, 999), json.loads(r["cifar10_valid__valid_acc_200ep_per_seed"]))}}},
                               "cifar10": {"test_acc": {200: float(r["cifar10__test_acc_200ep_mean"])}}}
t1 = time.perf_counter()
rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024
print(json.dumps({"load_s": t1 - t0, "peak_rss_mb": rss}))
"""


def median_ns(fn, args_list, repeat: int = 5) -> float:
    """Median over ``repeat`` passes of the mean time per call over ``args_list``."""
    per = []
    for _ in range(repeat):
        t = time.perf_counter_ns()
        for a in args_list:
            fn(*a)
        per.append((time.perf_counter_ns() - t) / len(args_list))
    return statistics.median(per)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", default=str(ROOT.parent / "shared" / "data" / "nasbench201" / "nb201_cifar10.csv"))
    ap.add_argument("--n", type=int, default=20000, help="single queries per pass")
    args = ap.parse_args()

    from nasbench.tables.importers import import_csv
    from nasbench.tables.registry import load
    from nasbench.space import Cell
    from nasbench.tables.hdf5 import write_table

    tmp = Path(tempfile.mkdtemp()) / "nb201-cifar10.h5"
    write_table(tmp, import_csv(args.csv))
    ours = json.loads(subprocess.run([sys.executable, "-c", LOAD_SNIPPET, str(tmp)], capture_output=True,
                                     text=True, check=True, cwd=ROOT).stdout)
    base = json.loads(subprocess.run([sys.executable, "-c", BASELINE_SNIPPET, args.csv], capture_output=True,
                                     text=True, check=True).stdout)
    bench = load(tmp)

    # the baseline: dict of dicts keyed by arch string, dataset, metric, epoch, seed
    import csv as _csv
    dd: dict = {}
    with open(args.csv) as fh:
        for r in _csv.DictReader(fh):
            seeds = json.loads(r["cifar10_valid__valid_acc_200ep_per_seed"])
            dd[r["arch_str"]] = {"cifar10-valid": {"valid_acc": {200: dict(zip((777, 888, 999), seeds))}}}

    def dd_query(arch: str) -> float:
        per_seed = dd[arch]["cifar10-valid"]["valid_acc"][200]
        return sum(per_seed.values()) / len(per_seed)

    rng = np.random.default_rng(0)
    idx = rng.integers(0, 15625, args.n)
    strs = [Cell.from_index(int(i)).to_str() for i in idx]
    q = bench.query
    t_idx = median_ns(q, [(int(i),) for i in idx])
    t_str = median_ns(q, [(s,) for s in strs])
    r2 = np.random.default_rng(1)
    t_rand = median_ns(lambda i: q(i, "valid_acc", None, "random", r2), [(int(i),) for i in idx])
    t_dd = median_ns(dd_query, [(s,) for s in strs])

    big = rng.integers(0, 15625, 1_000_000)
    bench.query_many(big[:10])
    vec = []
    for _ in range(5):
        t = time.perf_counter()
        bench.query_many(big, "valid_acc")
        vec.append(time.perf_counter() - t)
    vec_rate = len(big) / statistics.median(vec)
    vecr = []
    for _ in range(5):
        t = time.perf_counter()
        bench.query_many(big, "valid_acc", seed="random", rng=r2)
        vecr.append(time.perf_counter() - t)
    vecr_rate = len(big) / statistics.median(vecr)
    t = time.perf_counter()
    for s in strs[:5000]:
        dd_query(s)
    dd_rate = 5000 / (time.perf_counter() - t)
    # memory-bandwidth ceiling for a gather of float64 values: one 8-byte read + 8-byte index per value
    bw = []
    src = np.random.default_rng(2).random(50_000_000)
    for _ in range(3):
        t = time.perf_counter()
        src.sum()
        bw.append(src.nbytes / (time.perf_counter() - t))
    bw_gbs = max(bw) / 1e9

    print(f"table: {tmp} ({tmp.stat().st_size / 1e6:.1f} MB on disk)")
    print(f"{'measure':<44}{'nasbench':>14}{'dict-of-dicts':>16}{'ratio':>10}")
    print(f"{'load (s), fresh process':<44}{ours['load_s']:>14.4f}{base['load_s']:>16.4f}{base['load_s'] / ours['load_s']:>9.1f}x")
    print(f"{'peak memory (VmHWM, MB), incl. interpreter':<44}{ours['peak_rss_mb']:>14.1f}{base['peak_rss_mb']:>16.1f}{base['peak_rss_mb'] / ours['peak_rss_mb']:>9.1f}x")
    print(f"{'single query by index, median (us)':<44}{t_idx / 1e3:>14.2f}{t_dd / 1e3:>16.2f}{t_dd / t_idx:>9.1f}x")
    print(f"{'single query by arch string, median (us)':<44}{t_str / 1e3:>14.2f}{t_dd / 1e3:>16.2f}{t_dd / t_str:>9.1f}x")
    print(f"{'single query seed=random (us)':<44}{t_rand / 1e3:>14.2f}{'':>16}{'':>10}")
    print(f"{'vectorised, seed mean (M values/s)':<44}{vec_rate / 1e6:>14.1f}{dd_rate / 1e6:>16.2f}{vec_rate / dd_rate:>9.0f}x")
    print(f"{'vectorised, seed random (M values/s)':<44}{vecr_rate / 1e6:>14.1f}{'':>16}{'':>10}")
    print(f"ceiling: streaming read measured at {bw_gbs:.1f} GB/s; a gather reads 8 B of index and 8 B of "
          f"value per result, so at most ~{bw_gbs * 1e9 / 16 / 1e6:.0f} M values/s; seed-mean queries reach "
          f"{vec_rate / (bw_gbs * 1e9 / 16):.0%} of it")
    print(f"import of the package alone: {ours['import_s']:.3f} s (not counted in load)")


#: ``--page PATH`` (docs/results/speed.md) replaces this section of the page
PAGE_SECTION = dict(
    title='Queries', section='queries', page_title='Speed',
    intro=('Loading, memory and query speed of a table against a dict of dicts keyed by arch string, dataset, '
           'metric, epoch and seed, as older benchmark APIs hold results, measured in the same run.'))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(lambda argv: main(), sys.argv[1:], "python scripts/bench_query.py", **PAGE_SECTION))
