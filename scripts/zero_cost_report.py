"""Zero-cost proxies against the NAS-Bench-201 tables: Spearman rho and Kendall tau of every
proxy with the table's test and validation accuracy (last epoch, mean over seeds) over every cell
that has a value, beside the published numbers (Abdelfattah et al. 2021); and the measured cost
per cell per proxy on one core against one training epoch.

    python scripts/zero_cost_report.py                       # the embedded tables' proxies/<name>
    python scripts/zero_cost_report.py --from-journals       # fold data/proxies/<table>.jsonl first
    python scripts/zero_cost_report.py --tables nb201-fashion-mnist,nb201-digits   # the CPU tables

Proxy values are computed once per functional class and shared by its members (a class's cells
compute the same function from the same seed); "cells" counts every cell with a value, "classes"
the classes among them.

``--page PATH`` (e.g. ``--page docs/results/zero-cost.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nasbench.tables.nb201_tables import TABLE_NAMES  # noqa: E402
from nasbench.tables.registry import load  # noqa: E402
from nasbench.zero_cost.compute import read_journal  # noqa: E402
from nasbench.tables.registry import resolve  # noqa: E402
from nasbench.zero_cost.job import journal_for  # noqa: E402
from nasbench.zero_cost.report import correlations, pass_costs  # noqa: E402
from nasbench.zero_cost.store import with_proxies  # noqa: E402

WHY = """Where ours differ from the published numbers, and why:
* the data-dependent proxies (snip, grad_norm, fisher, grasp, jacob_cov, naswot) read a STAND-IN
  batch (Fashion-MNIST images resized to the table's input size, grey copied to 3 channels, with
  their own labels 0..9), not CIFAR/ImageNet16 images, which are not on this machine; and batch 16
  (the reference used 64-128) to fit the CPU budget: jacob_cov in particular sees a 16x16
  correlation matrix only;
* one network per functional class, pruned to the effective edges, from one init seed (0); the
  reference scored the unpruned network of every cell: dead edges have zero gradients, so the
  gradient proxies agree, but it draws one init per cell where we share one per class;
* proxies computed for a seeded random sample of the classes are correlated over that sample
  (the "classes" column says how many of 5,260), not all 15,625 cells;
* the accuracies are the table's (seed mean at epoch 200); the reference used the NAS-Bench-201
  API's test accuracy of the same 200-epoch runs."""


#: the embedded tables with proxies: the NAS-Bench-201 ones and the CPU tables trained here
ALLOWED = (*TABLE_NAMES, "nb201-fashion-mnist", "nb201-digits")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", default=",".join(TABLE_NAMES), help=f"of {', '.join(ALLOWED)}")
    ap.add_argument("--from-journals", action="store_true", help="fold data/proxies/<table>.jsonl into the tables first")
    ap.add_argument("--journals", default=str(ROOT / "data" / "proxies"))
    a = ap.parse_args(argv)
    names = [t.strip() for t in a.tables.split(",") if t.strip()]
    bad = [t for t in names if t not in ALLOWED]
    if bad:
        print(f"zero_cost_report: unknown table {', '.join(bad)}; allowed: {', '.join(ALLOWED)}", file=sys.stderr)
        return 2
    for t in names:
        bench = load(t)
        journal = (Path(a.journals) / f"{t}.jsonl" if t in TABLE_NAMES
                   else journal_for(resolve(t), published=False))
        if a.from_journals and journal.exists():
            bench = with_proxies(bench, journal)
        info = bench.meta.details.proxies
        print(f"\n== {t}: proxies {', '.join(bench.proxies) or '(none stored)'}; params, flops from the table")
        if info:
            print(f"   network C={info['network']['C']} N={info['network']['N']} classes={info['network']['num_classes']}"
                  f" init seed {info['network']['init_seed']}; batch: {info['stand_in_batch']}")
        print(f"   {'proxy':<10} {'vs':<9} {'cells':>6} {'classes':>7} {'spearman':>8} {'kendall':>7} {'published':>9}")
        for c in sorted(correlations(bench, t), key=lambda c: (c.metric != "test_acc", c.proxy)):
            pub = f"{c.published:.2f}" if c.published is not None else "-"
            print(f"   {c.proxy:<10} {c.metric:<9} {c.cells:>6} {c.classes:>7} {c.spearman:>8.3f} {c.kendall:>7.3f} {pub:>9}")
        if journal.exists():
            _, done = read_journal(journal)
            cs = pass_costs(done, bench)
            if cs:
                what = "NAS-Bench-201's recorded GPU time" if t in TABLE_NAMES else "this machine's CPU training time"
                print(f"   cost per class of each pass (a pass's proxies share it), one thread, from the journal's own "
                      f"timings (the network build not included), vs one training epoch in the table "
                      f"({cs[0].epoch_s:.2f} s, {what}):")
                for c in cs:
                    print(f"   {c.proxy:<28} {c.classes:>5} classes  mean {c.mean_s:.3f} s  median {c.median_s:.3f} s"
                          f"  = {c.epochs_equivalent:.4f} epochs")
    print("\n" + WHY)
    return 0


#: ``--page PATH`` (docs/results/zero-cost.md) replaces this section of the page
PAGE_SECTION = dict(
    title='Correlation with accuracy', section='correlations', page_title='Zero-cost proxies',
    intro=("Spearman and Kendall correlation of each proxy with the table's accuracies, over every cell with a "
           "value, beside the published values, and the cost per cell from the journals' own timings."))


ROW = re.compile(r"^\s+(\w+)\s+(test_acc|valid_acc)\s+(\d+)\s+(\d+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(\S+)$")


def page_body(out: str) -> str:
    """The page's body: one Markdown row per table and proxy (Spearman rho and Kendall tau with the
    test accuracy, the published rho beside it, rho with the validation accuracy), read from the
    report just printed, then the report verbatim."""
    from nasbench.analysis.results_page import text_block

    rows: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {}
    table = "?"
    for line in out.splitlines():
        if line.startswith("== "):
            table = line[3:].split(":", 1)[0]
        elif m := ROW.match(line):
            rows.setdefault((table, m.group(1)), {})[m.group(2)] = m.groups()
    md = ["| table | proxy | cells (classes) | rho test (published) | tau test | rho valid |",
          "| --- | --- | --- | --- | --- | --- |"]
    for (t, proxy), r in rows.items():
        test, valid = r.get("test_acc"), r.get("valid_acc")
        if test is None:
            continue
        pub = "" if test[6] == "-" else f" ({test[6]})"
        md.append(f"| `{t}` | {proxy} | {int(test[2]):,} ({int(test[3]):,}) | {test[4]}{pub} | {test[5]} | "
                  f"{valid[4] if valid else '-'} |")
    return "\n".join(md) + "\n\nThe report, verbatim:\n\n" + text_block(out)


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(main, sys.argv[1:], "python scripts/zero_cost_report.py", body=page_body, **PAGE_SECTION))
