"""Compute zero-cost proxies for a table into its resumable journal: a thin wrapper of the CLI
command ``nasbench proxies`` (kept for the scripts that call it; see that command's --help).

    python scripts/compute_proxies.py --table nb201-cifar10 --proxies synflow [--limit N]
    # is: nasbench proxies nb201-cifar10 --proxies synflow [--limit N]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nasbench.cli import main as cli_main  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", required=True)
    ap.add_argument("--proxies", default="")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--journal", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1)
    a = ap.parse_args(argv)
    argv_cli = ["proxies", a.table, "--proxies", a.proxies, "--batch-size", str(a.batch_size),
                "--threads", str(a.threads), "--jobs", str(a.jobs)]
    if a.limit is not None:
        argv_cli += ["--limit", str(a.limit)]
    if a.journal:
        argv_cli += ["--journal", a.journal]
    return cli_main(argv_cli)


if __name__ == "__main__":
    raise SystemExit(main())
