#!/usr/bin/env python
"""Which recipe makes the better benchmark? Two tables of the same space (typically a pilot
generated with ``--limit`` and a finished table) compared on the cells both trained: per table
the seed noise (mean seed standard deviation of the final validation accuracy), the spread of
the cells' seed means (interquartile range, and the robust standard deviation IQR / 1.349
against the noise, with a 90 % bootstrap interval over the cells), the training seconds per
run, and how far the two rank the cells alike (Spearman correlation of seed means). A mean of
fewer runs carries more noise into its spread (observed variance = true + noise / runs), so a
2-seed pilot against a 3-seed table is compared slightly in the pilot's favour.

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

from nasbench.tables.table_summary import IQR_PER_SD


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
    means, sds = _row_stats(bench, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        seconds = float(np.nanmean(bench.metrics["time"][rows, :, -1])) if "time" in bench.metrics else float("nan")
    q25, q75 = np.percentile(means, [25, 75])
    return Separation(bench.name, len(rows), float(sds.mean()), float(q75 - q25), seconds)


def _row_stats(bench, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seed means and seed sds of final valid_acc of the given rows (each has 2+ runs)."""
    return bench.seed_mean("valid_acc")[rows], bench.seed_std("valid_acc")[rows]


def ratio_interval(bench, rows: np.ndarray, draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """A 90 % bootstrap interval of robust sd / noise, resampling the cells."""
    means, sds = _row_stats(bench, rows)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(rows), size=(draws, len(rows)))
    q25, q75 = np.percentile(means[idx], [25, 75], axis=1)
    ratios = (q75 - q25) / IQR_PER_SD / sds[idx].mean(axis=1)
    lo, hi = np.percentile(ratios, [5, 95])
    return float(lo), float(hi)


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
    print(f"{'table':<28} {'noise':>6} {'IQR':>6} {'robust sd / noise':>18} {'(90 % interval)':>16} {'s / run':>8}")
    for bench, rows in ((a, ra), (b, rb)):
        s = separation(bench, rows)
        lo, hi = ratio_interval(bench, rows)
        print(f"{s.name:<28} {s.noise:6.3f} {s.iqr:6.3f} {s.ratio:18.2f} {f'({lo:.2f}-{hi:.2f})':>16} {s.seconds:8.2f}")
    ma, mb = _row_stats(a, ra)[0], _row_stats(b, rb)[0]
    print(f"Spearman of the cells' seed means between the two tables: {spearmanr(ma, mb)[0]:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
