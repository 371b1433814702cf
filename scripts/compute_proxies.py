"""Compute zero-cost proxies for an embedded table's functional classes into a resumable
journal (data/proxies/<table>.jsonl by default). See nasbench.zero_cost.compute.

    python scripts/compute_proxies.py --table nb201-cifar10 --proxies synflow [--limit N]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nasbench.registry import load  # noqa: E402
from nasbench.zero_cost.compute import ProxyError, run, setup_for  # noqa: E402
from nasbench.zero_cost.proxies import parse_proxies  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", required=True)
    ap.add_argument("--proxies", default="")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--journal", default=None)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    try:
        names = parse_proxies(a.proxies)
        bench = load(a.table)
        setup = setup_for(bench, a.table, batch_size=a.batch_size)
        journal = a.journal or str(ROOT / "data" / "proxies" / f"{a.table}.jsonl")
        n = run(setup, journal, names, a.limit, threads=a.threads)
    except (ValueError, ProxyError) as exc:
        print(f"compute_proxies: error: {exc}", file=sys.stderr)
        return 2
    print(f"computed {n} classes into {journal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
