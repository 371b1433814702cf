"""Proxy-guided search against random search and regularised evolution, per table, under each
table's published protocol and seconds budget, the proxies' compute seconds charged.

For every table: ``random``, ``evolution`` (tournament 10, as ``proxy-evolution``), and for every proxy of ``--proxies`` that the table
holds (with compute seconds) for all its cells, ``proxy-random.<proxy>`` and
``proxy-evolution.<proxy>`` (defaults: the paper's 3,000-cell warm-up); for the first such proxy
also ``proxy-evolution.<proxy>.move10`` (zero-cost move proposal: the proxy's best of 10
mutations). Each table is one ``nasbench compare`` run (its own results directory, summary and
significance verdicts); a proxy a table lacks is skipped with a note (a multi-table comparison
cannot be used here: it refuses a seconds budget, and a queries budget would not charge the
proxies' time against anything).

    python scripts/zero_cost_search.py [--tables nb201-cifar10,nb201-cifar100,nb201-imagenet16-120]
           [--proxies synflow,jacob_cov] [--runs 100] [--jobs 1] [--out results/zero_cost_search]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nasbench.multitable import split_tables, table_dir_name  # noqa: E402
from nasbench.registry import load  # noqa: E402
from nasbench.strategies.zero_cost_inputs import ProxyInputError, proxy_inputs  # noqa: E402


def usable_proxies(table: str, wanted: list[str]) -> tuple[list[str], list[str]]:
    """(proxies of ``wanted`` the table holds with seconds for all its cells, notes on the others)."""
    bench = load(table)
    inputs = proxy_inputs(bench)
    ok, notes = [], []
    for p in wanted:
        try:
            if inputs is None:
                raise ProxyInputError("the table has no zero-cost proxies")
            inputs.require(p, bench.covered)
            ok.append(p)
        except ProxyInputError as exc:
            notes.append(f"{table}: {p} skipped: {exc}")
    return ok, notes


def config_toml(proxies: list[str]) -> str:
    # evolution with proxy-evolution's tournament of 10, so that the two differ by the proxy only
    lines = ['strategies = [', '  "random",', '  { name = "evolution", label = "evolution", sample_size = 10 },']
    for k, p in enumerate(proxies):
        lines.append(f'  {{ name = "proxy-random", label = "proxy-random.{p}", proxy = "{p}" }},')
        lines.append(f'  {{ name = "proxy-evolution", label = "proxy-evolution.{p}", proxy = "{p}" }},')
        if k == 0:
            lines.append(f'  {{ name = "proxy-evolution", label = "proxy-evolution.{p}.move10", proxy = "{p}", '
                         f'move_candidates = 10 }},')
    lines.append("]")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", default="nb201-cifar10,nb201-cifar100,nb201-imagenet16-120")
    ap.add_argument("--proxies", default="synflow,jacob_cov")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", default="results/zero_cost_search")
    a = ap.parse_args(argv)
    wanted = [p.strip() for p in a.proxies.split(",") if p.strip()]
    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for table in split_tables(a.tables):
        proxies, notes = usable_proxies(table, wanted)
        for n in notes:
            print(n, flush=True)
        if not proxies:
            print(f"{table}: none of {', '.join(wanted)} usable; skipped", flush=True)
            continue
        cfg = out / f"{table_dir_name(table)}.toml"
        cfg.write_text(config_toml(proxies))
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "nasbench.cli", "compare", str(cfg), "--table", table, "--runs", str(a.runs),
               "--jobs", str(a.jobs), "--out", str(out / table_dir_name(table)), "--resume"]
        print("$", " ".join(cmd[1:]), flush=True)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        rc = subprocess.call(cmd, cwd=ROOT, env=env)
        print(f"{table}: {time.perf_counter() - t0:.0f} s wall (shared machine)", flush=True)
        if rc:
            return rc
    return 0


if __name__ == "__main__":
    sys.exit(main())
