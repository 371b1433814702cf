#!/usr/bin/env python
"""Which recipe makes the better benchmark? Two tables of the same space (typically a pilot
generated with ``--limit`` and a finished table) compared on the cells both trained: per table
the seed noise (mean seed standard deviation of the final validation accuracy), the spread of
the cells' seed means (interquartile range, and the robust standard deviation IQR / 1.349
against the noise), the training seconds per run, and how far the two rank the cells alike
(Spearman correlation of seed means).

    nasbench generate --dataset fashion-mnist --downscale 2 --train-size 2000 --valid-size 2000 \\
        --test-size 2000 --epochs 12 --channels 8 --cells-per-stage 1 --seeds 777 888 \\
        --seed-groups 777,888 --limit 400 --out pilot.h5
    python scripts/compare_recipes.py pilot.h5 nb201-fashion-mnist
"""
from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass

import numpy as np

from nasbench.summary import IQR_PER_SD


@dataclass(frozen=True)
class Separation:
    name: str
    rows: int
    noise: float  # mean seed sd of final valid_acc
    iqr: float  # of the rows' seed means
    seconds: float  # training seconds per run

    @property
    def ratio(self) -> float:
        return self.iqr / IQR_PER_SD / self.noise


def separation(bench, rows: np.ndarray) -> Separation:
    final = bench.metrics["valid_acc"][rows, :, -1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(final, axis=1)
        noise = float(np.nanmean(bench.seed_std("valid_acc")[rows]))
        seconds = float(np.nanmean(bench.metrics["time"][rows, :, -1])) if "time" in bench.metrics else float("nan")
    q25, q75 = np.percentile(means, [25, 75])
    return Separation(bench.name, len(rows), noise, float(q75 - q25), seconds)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tables", nargs=2, help="two tables (embedded names or .h5 paths); the first may be partial")
    args = ap.parse_args(argv)

    import nasbench
    from scipy.stats import spearmanr

    try:
        a, b = (nasbench.load(t) for t in args.tables)
    except Exception as exc:
        print(f"compare_recipes: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    if "valid_acc" in a.mean_only or "valid_acc" in b.mean_only:
        print("compare_recipes: error: both tables need per-seed valid_acc", file=sys.stderr)
        return 2
    # the cells both trained, once per row of the first table, with at least 2 runs in each
    cells = a.row_arch[np.unique(a.arch_row[a.covered])]
    cells = cells[np.isin(cells, b.covered)]
    ra, rb = a.arch_row[cells], b.arch_row[cells]
    runs_a = np.isfinite(a.metrics["valid_acc"][ra, :, -1]).sum(axis=1)
    runs_b = np.isfinite(b.metrics["valid_acc"][rb, :, -1]).sum(axis=1)
    keep = (runs_a >= 2) & (runs_b >= 2)
    ra, rb = ra[keep], rb[keep]
    if len(ra) < 10:
        print(f"compare_recipes: error: only {len(ra)} cells with 2+ runs in both tables; need 10", file=sys.stderr)
        return 2
    print(f"{len(ra)} cells trained in both with 2+ runs")
    print(f"{'table':<28} {'noise':>6} {'IQR':>6} {'robust sd / noise':>18} {'s / run':>8}")
    for bench, rows in ((a, ra), (b, rb)):
        s = separation(bench, rows)
        print(f"{s.name:<28} {s.noise:6.3f} {s.iqr:6.3f} {s.ratio:18.2f} {s.seconds:8.2f}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ma = np.nanmean(a.metrics["valid_acc"][ra, :, -1], axis=1)
        mb = np.nanmean(b.metrics["valid_acc"][rb, :, -1], axis=1)
    print(f"Spearman of the cells' seed means between the two tables: {spearmanr(ma, mb)[0]:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
