"""Cost of the SHA-256 check on load, on the embedded tables (or the tables given), measured in
the same run against loading without it.

    python scripts/bench_load.py [TABLE ...] [--repeats 7] [--json]

For each table: the median wall time of
  * ``load, no hash``: read the file and build the table, without hashing (the baseline);
  * ``load + check``: ``read_table(path)``, which also recomputes the SHA-256 over the arrays
    already in memory and compares it with the stored one;
  * ``nasbench.load``: the same through the public entry point (name resolution, format sniffing);
  * ``hash only``: the SHA-256 over the in-memory arrays and metadata (the check's own cost);
  * ``hash, copying``: the same hash computed with a bytes copy of every array, as it was before;
  * ``verify (re-read)``: ``nasbench verify``'s way, reading the file again and hashing it,
and the ratios against the baseline. The load budget is 0.5 s.

``--page PATH`` (e.g. ``--page docs/results/speed.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET_S = 0.5


def _sha256_copying(arrays: dict, attrs: dict, mean_only: list) -> str:
    """compute_sha256 as it was: ``a.tobytes()`` copies every array before hashing it."""
    from nasbench.tables.hdf5 import FORMAT, FORMAT_VERSION

    h = hashlib.sha256()
    h.update(f"{FORMAT} v{FORMAT_VERSION}\n".encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        h.update(f"{name}|{a.dtype.str}|{a.shape}\n".encode())
        h.update(a.tobytes())
    for name in sorted(attrs):
        h.update(f"{name}={attrs[name]}\n".encode())
    h.update(("mean_only=" + ",".join(sorted(mean_only))).encode())
    return h.hexdigest()


def measure(path: Path, repeats: int) -> dict:
    import nasbench
    from nasbench.tables.hdf5 import _bench_from, _read_contents, compute_sha256, read_table, verify_table

    def no_hash():
        c = _read_contents(path)
        return _bench_from(c.arrays, c.attrs, c.mean_only, c.sha256, path.stem, path)

    c = _read_contents(path)
    steps = {
        "load, no hash": no_hash,
        "load + check": lambda: read_table(path, verify=True),
        "nasbench.load": lambda: nasbench.load(path),
        "hash only": lambda: compute_sha256(c.arrays, c.attrs, c.mean_only),
        "hash, copying": lambda: _sha256_copying(c.arrays, c.attrs, c.mean_only),
        "verify (re-read)": lambda: verify_table(path),
    }
    assert compute_sha256(c.arrays, c.attrs, c.mean_only) == _sha256_copying(c.arrays, c.attrs, c.mean_only) == c.sha256
    for fn in steps.values():  # warm the page cache and the imports
        fn()
    times: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(repeats):  # interleaved, so that drifts in machine load hit every step alike
        for k, fn in steps.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    base = med["load, no hash"]
    return {"table": str(path), "mb": path.stat().st_size / 1e6, "median_s": med,
            "ratio_vs_no_hash": {k: v / base for k, v in med.items()},
            "hash_vs_copying": med["hash only"] / med["hash, copying"],
            "within_budget": med["nasbench.load"] < BUDGET_S}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tables", nargs="*", help="table files (default: the embedded tables)")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    paths = [Path(t) for t in args.tables] or sorted((ROOT / "data").glob("*.h5"))
    if not paths:
        print("no tables found in data/; give table paths", file=sys.stderr)
        return 2
    rows = [measure(p, max(1, args.repeats)) for p in paths]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"median of {args.repeats} interleaved runs; ratio = time / 'load, no hash' of the same table")
    for r in rows:
        print(f"\n{Path(r['table']).name} ({r['mb']:.1f} MB)")
        for k, v in r["median_s"].items():
            print(f"  {k:<18}{1000 * v:8.1f} ms   {r['ratio_vs_no_hash'][k]:5.2f}x")
        print(f"  hashing the arrays in place takes {r['hash_vs_copying']:.2f}x the time of hashing copies; "
              f"nasbench.load {'within' if r['within_budget'] else 'OVER'} the {BUDGET_S} s budget")
    return 0


#: ``--page PATH`` (docs/results/speed.md) replaces this section of the page
PAGE_SECTION = dict(
    title='Loading with the hash check', section='loading', page_title='Speed',
    intro=('Loading each embedded table with and without its SHA-256 check, interleaved runs, median.'))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(lambda argv: main(), sys.argv[1:], "python scripts/bench_load.py", **PAGE_SECTION))
