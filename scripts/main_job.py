"""Run the main job (``nasbench compare``, by default with no arguments: 4 strategies x 100 runs on
nb201-cifar10 under NAS-Bench-201's protocol) in a child process, time it (wall and CPU seconds), and
with ``--page PATH`` write the documentation's results page (``docs/results/main-job.md``) from its
``summary.csv`` and ``pairs.csv``: the command, the machine, the date, the summary table and the
runner's verdicts.

Arguments other than ``--out`` and the page options are passed to ``nasbench compare`` unchanged, so
any comparison can be run and written this way; with ``--workers 1,4,8`` the page holds one table per
worker count, and with several ``--table`` names one per table. ``--page-section KEY`` and
``--page-title TITLE`` write one section of a page instead (:mod:`nasbench.analysis.results_page`), e.g. the
first section of ``docs/results/parallel-workers.md`` or the current-presets TPE comparison of
``docs/results/bridges.md`` (each names its command).

Usage: python scripts/main_job.py [--out results/main-job] [--page docs/results/main-job.md]
       [--page-section KEY] [--page-title TITLE] [compare options]
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TITLE = "The main job"
INTRO = ("The default comparison of the suite, the command the README opens with. The statistics: "
         "[which differences are real](../explanation/statistics.md).")
LABELS = {"random": "random search", "evolution": "regularised evolution", "reinforce": "REINFORCE",
          "gradient": "cheap gradient"}


def _f(row: dict, key: str) -> float:
    return float(row[key])


def _dirs(out: Path) -> list[tuple[str | None, Path]]:
    """The comparison directories under ``out`` with a label each: ``out`` itself (no label), one per
    worker count (``--workers 1,4,8`` writes ``out/workers-N``, in increasing order), or one per table
    (several ``--table`` names write ``out/TABLE``, in the order given)."""
    import json

    if (out / "summary.csv").is_file():
        return [(None, out)]
    if (out / "multitable.json").is_file():
        found = [d for d in sorted(out.iterdir()) if (d / "summary.csv").is_file()]
        order = json.loads((out / "multitable.json").read_text(encoding="utf-8")).get("tables")
        if isinstance(order, list):
            found.sort(key=lambda d: order.index(d.name) if d.name in order else len(order))
        return [(None, d) for d in found]  # each names its table
    found = [(int(d.name.split("-", 1)[1]), d) for d in out.glob("workers-*") if (d / "summary.csv").is_file()]
    if not found:
        raise FileNotFoundError(f"no summary.csv in {out} or its workers-N or table directories")
    return [(f"{n} worker{'s' if n != 1 else ''}", d) for n, d in sorted(found)]


def _one(out: Path, label: str | None) -> list[str]:
    import json

    summary = list(csv.DictReader((out / "summary.csv").open(encoding="utf-8")))
    pairs = list(csv.DictReader((out / "pairs.csv").open(encoding="utf-8")))
    cfg = json.loads((out / "provenance.json").read_text(encoding="utf-8")).get("config", {})
    budget = cfg.get("budget", {})
    runs = int(summary[0]["runs"]) if summary else 0
    optimum = _f(summary[0], "test_mean") + _f(summary[0], "regret_mean") if summary else float("nan")
    queries = sum(_f(r, "queries_mean") * int(r["runs"]) for r in summary)
    head = f"**{label}**: " if label else ""
    lines = [f"{head}`{cfg.get('table', '?')}`, budget {budget.get('amount', 0):,.0f} {budget.get('kind', '')} "
             f"per run, {len(summary)} strategies x {runs} runs, {queries:,.0f} queries; final test accuracy, "
             f"mean +- sample std over runs, and regret against the optimum {optimum:.2f}:", "",
             "| strategy | test accuracy | regret | queries per run | runs on the optimum |",
             "| --- | --- | --- | --- | --- |"]
    for r in summary:
        lines.append(f"| {LABELS.get(r['strategy'], r['strategy'])} | {_f(r, 'test_mean'):.2f} +- "
                     f"{_f(r, 'test_std'):.2f} | {_f(r, 'regret_mean'):.2f} | {_f(r, 'queries_mean'):.1f} | "
                     f"{100 * _f(r, 'optimum_share'):.0f} % |")
    lines += ["", "The runner's verdicts (`pairs.csv`: two-sided Mann-Whitney U on the final test value, "
              "Holm-corrected; [which differences are real](../explanation/statistics.md)):", ""]
    lines += [f"- {p['verdict']}" for p in pairs]
    return lines + [""]


def body(out: Path, seconds: float, cpu: float, compare_cmd: str) -> str:
    """The page's body from the comparison's ``summary.csv`` and ``pairs.csv`` (one table per worker
    count or per benchmark table when the comparison ran several)."""
    plots = ", no plots" if "--no-plots" in compare_cmd.split() else ", plots included"
    lines = [f"`{compare_cmd}`: {seconds:.0f} s wall and {cpu:.0f} s of CPU (the comparison's "
             f"processes{plots}).", ""]
    for label, d in _dirs(out):
        lines += _one(d, label)
    return "\n".join(lines).rstrip("\n")


def main(argv: list[str] | None = None) -> int:
    from nasbench.analysis.results_page import Provenance, command_line, pop_page, write_page

    argv = sys.argv[1:] if argv is None else list(argv)
    page, rest = pop_page(argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="results/main-job", help="the comparison's results directory")
    args, rest = ap.parse_known_args(rest)
    cmd = [sys.executable, "-m", "nasbench.cli", "compare", *rest, "--out", args.out]
    shown = command_line("nasbench compare", [*rest, "--out", args.out])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"main job: {seconds:.1f} s wall, {cpu:.1f} s CPU (exit {proc.returncode})")
    if proc.returncode != 0:
        return proc.returncode
    if page.get("page"):
        prov = Provenance(command_line("python scripts/main_job.py", argv), seconds)
        write_page(page["page"], page.get("title", TITLE), body(Path(args.out), seconds, cpu, shown), prov,
                   INTRO if "section" not in page else "", section=page.get("section"))
        print(f"wrote {page['page']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
