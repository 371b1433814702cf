"""Proxy-guided search against random search and regularised evolution, per table, under each
table's published protocol and seconds budget, the proxies' compute seconds charged.

For every table: ``random``, ``evolution`` (tournament 10, as ``proxy-evolution``), and for every proxy of ``--proxies`` that the table
holds (with compute seconds) for all its cells, ``proxy-random.<proxy>`` and
``proxy-evolution.<proxy>`` (defaults: the paper's 3,000-cell warm-up); for the first such proxy
also ``proxy-evolution.<proxy>.move10`` (zero-cost move proposal: the proxy's best of 10
mutations). Each table is one ``nasbench compare`` run under the table's preset (its own results
directory, summary and significance verdicts); a proxy a table lacks is skipped with a note.
After each table, per strategy: the final test accuracy (mean +- sample std), its regret against
the table's optimum, the number of distinct final incumbents and the share of runs ending on the
single most common one (with that cell): a strategy whose runs converge on one cell shows it.

    python scripts/zero_cost_search.py [--tables nb201-cifar10,nb201-cifar100,nb201-imagenet16-120]
           [--proxies synflow,jacob_cov] [--runs 100] [--jobs 1] [--out results/zero_cost_search]

``--page PATH`` (e.g. ``--page docs/results/zero-cost.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nasbench.search.multitable import split_tables, table_dir_name  # noqa: E402
from nasbench.tables.registry import load  # noqa: E402
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


@dataclass(frozen=True)
class Convergence:
    """How one strategy's runs end on one table."""

    strategy: str
    runs: int
    mean: float
    std: float  #: sample standard deviation over runs
    regret: float  #: optimum - mean
    distinct: int  #: distinct final incumbents
    top_cell: int  #: the most common final incumbent
    top_share: float  #: the share of runs ending on it
    top_test: float  #: its test value

    def line(self) -> str:
        return (f"  {self.strategy:<34} {self.mean:7.2f} +- {self.std:4.2f}  regret {self.regret:5.2f}  "
                f"{self.distinct:3d} distinct final cells; {self.top_share:4.0%} of {self.runs} runs on cell "
                f"{self.top_cell} ({self.top_test:.2f})")


def convergence(results_dir: Path) -> list[Convergence]:
    """Per strategy of a results directory: see :class:`Convergence`."""
    from nasbench.search.results import final_rows, open_results

    res = open_results(results_dir)
    best = float(res.provenance["optimum"]["best_test"])
    fin = final_rows(res.frame())
    out = []
    for spec in res.config["strategies"]:
        f = fin[fin.strategy == spec["label"]]
        counts = f["incumbent"].value_counts()
        top = int(counts.index[0])
        test = f["incumbent_test"].to_numpy(dtype=float)
        out.append(Convergence(spec["label"], len(f), float(test.mean()), float(test.std(ddof=1)),
                               best - float(test.mean()), int(counts.size), top, float(counts.iloc[0] / len(f)),
                               float(f.loc[f["incumbent"] == top, "incumbent_test"].iloc[0])))
    return out


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
        print(f"{table}: final test accuracy (mean +- sample std), regret against the optimum, convergence")
        for c in convergence(out / table_dir_name(table)):
            print(c.line(), flush=True)
    return 0


#: ``--page PATH`` (docs/results/zero-cost.md) replaces this section of the page
PAGE_SECTION = dict(
    title='Proxy-guided search', section='proxy-guided-search', page_title='Zero-cost proxies',
    intro=("Proxy-guided strategies against evolution and random search under each table's preset seconds "
           "budget, which charges the proxies' cost."))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(main, sys.argv[1:], "python scripts/zero_cost_search.py", **PAGE_SECTION))
