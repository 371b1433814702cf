"""Rank figures. Within one table the runs of different strategies are independent samples, so
runs are ranked together, never paired by run number:

- `mean_rank`: over the budget, the mean rank of each strategy's runs among all runs of all
  strategies (1 = best) with its 95 % interval;
- `rank_groups`: the same at the end of the budget, one row per strategy, with the strategies
  that no printed Mann-Whitney verdict (Holm) separates joined by a bar, and Kruskal-Wallis's p.

Across tables, where every table is a block, Demsar's critical-difference diagram of the
Friedman/Nemenyi result (`draw_cd`), sized to its content.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..util.checks import quiet_nan_stats
from ..stats.curve_stats import anytime
from .figure_io import new_figure, save
from .palette import strategy_colours
from ..search.plot_options import PlotOptions
from ..search.results import final_rows
from ..stats.significance import CDResult, PooledRanks, no_difference_groups, pooled_ranks

Z95 = 1.959964


def pooled_rank_curves(curves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per strategy, (runs, grid) rank of each run among all runs of all strategies at each grid
    point (1 = best, higher value better, ties averaged, no value yet = last).

    Args:
        curves: label -> (runs, grid) anytime values (`nasbench.stats.curve_stats.anytime`).

    Returns:
        label -> (runs, grid) ranks.
    """
    labels = list(curves)
    stack = np.concatenate([curves[k] for k in labels], axis=0)
    filled = np.where(np.isnan(stack), -np.inf, stack)
    r = stats.rankdata(-filled, axis=0)
    bounds = np.cumsum([0] + [curves[k].shape[0] for k in labels])
    return {k: r[bounds[i]:bounds[i + 1]] for i, k in enumerate(labels)}


def ranks_over_budget(curves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Mean rank of each strategy's runs among all runs (1 = best) at each grid point.

    The strategies may have different numbers of runs (independent samples, never paired).

    Args:
        curves: label -> (runs, grid) anytime values.

    Returns:
        label -> (grid,) mean ranks.
    """
    return {k: r.mean(axis=0) for k, r in pooled_rank_curves(curves).items()}


def plot_ranks(frame: pd.DataFrame, out: Path, points: int = 100, opts: PlotOptions | None = None) -> list[Path]:
    """`mean_rank`: mean pooled rank of each strategy's runs over the queries, +- 1.96 s.e.

    Args:
        frame: a comparison's tidy results frame.
        out: the figures folder.
        points: grid points of the curves.
        opts: the plot options.

    Returns:
        The files written.
    """
    grid = np.linspace(1, float(frame["step"].max()), points)
    ranked = pooled_rank_curves(anytime(frame, "step", grid))
    total = sum(r.shape[0] for r in ranked.values())
    colours = strategy_colours(list(ranked))
    fig, ax = new_figure(opts, (5.5, 3.5))
    for label, r in ranked.items():
        m = r.mean(axis=0)
        with quiet_nan_stats():
            half = Z95 * r.std(axis=0, ddof=1) / np.sqrt(r.shape[0]) if r.shape[0] > 1 else np.zeros_like(m)
        ax.plot(grid, m, label=label, color=colours[label])
        ax.fill_between(grid, m - half, m + half, alpha=0.2, color=colours[label], lw=0)
    ax.set_xlabel("queries")
    ax.set_ylabel(f"mean rank among all {total} runs\n(1 = best; ± 95% CI)")
    ax.invert_yaxis()
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return save(fig, out, "mean_rank", opts)


def final_pooled_ranks(frame: pd.DataFrame) -> PooledRanks:
    """Pooled ranks of the final test value of every run (`nasbench.stats.significance.pooled_ranks`).

    Args:
        frame: a comparison's tidy results frame.

    Returns:
        The ranks, strategies in the order they appear in `frame`.
    """
    fin = final_rows(frame)
    labels = list(dict.fromkeys(frame["strategy"]))
    return pooled_ranks({k: fin.loc[fin.strategy == k, "incumbent_test"].to_numpy(dtype=np.float64) for k in labels})


def plot_rank_groups(frame: pd.DataFrame, out: Path, pairs: Sequence | None = None,
                     opts: PlotOptions | None = None) -> tuple[list[Path], PooledRanks]:
    """`rank_groups`: one row per strategy, best first, at the mean pooled rank of its runs' final test values.

    Each row has a 95 % interval; a bar joins strategies that no verdict in `pairs` separates.

    Args:
        frame: a comparison's tidy results frame.
        out: the figures folder.
        pairs: the pairwise verdicts (computed with `nasbench.stats.significance.compare_pairs` when
            not given).
        opts: the plot options.

    Returns:
        The files written and the pooled ranks.
    """
    from ..stats.significance import compare_pairs

    pr = final_pooled_ranks(frame)
    if pairs is None:
        fin = final_rows(frame)
        pairs = compare_pairs({k: fin.loc[fin.strategy == k, "incumbent_test"].to_numpy(dtype=np.float64)
                               for k in pr.labels})
    order = [int(i) for i in np.argsort(pr.mean_rank, kind="stable")]
    names = [pr.labels[i] for i in order]
    groups = no_difference_groups(names, pairs)
    colours = strategy_colours(pr.labels)
    k = len(order)
    height = 1.3 + 0.22 * k
    fig, ax = new_figure(opts, (5.5, 1.3 + 0.3 * k), ratio=height / opts.inches if opts and opts.printed else None)
    ys = np.arange(k)
    for y, i in zip(ys, order):
        c = colours[pr.labels[i]]
        ax.errorbar(pr.mean_rank[i], y, xerr=[[pr.mean_rank[i] - pr.ci_low[i]], [pr.ci_high[i] - pr.mean_rank[i]]],
                    fmt="o", color=c, ms=4, capsize=2, lw=1)
    ax.set_yticks(ys, names)
    ax.set_ylim(k - 0.5, -0.5)
    lo = float(np.nanmin(pr.ci_low)) if k else 1.0
    hi = float(np.nanmax(pr.ci_high)) if k else 1.0
    span = (hi - lo) or 1.0
    ax.set_xlim(lo - 0.05 * span, hi + (0.08 + 0.05 * len(groups)) * span)
    for n, (i, j) in enumerate(groups):  # bars right of the points, one column each
        x = hi + (0.06 + 0.05 * n) * span
        ax.plot([x, x], [i - 0.15, j + 0.15], color="k", lw=2.5, solid_capstyle="butt")
    ax.set_xlabel(f"mean rank of the final test value among\nall {pr.total} runs (1 = best; ± 95% CI)")
    kw = "n/a" if not np.isfinite(pr.kruskal_p) else ("p<0.001" if pr.kruskal_p < 0.001 else f"p={pr.kruskal_p:.2g}")
    ax.set_title(f"Kruskal-Wallis {kw}\nbars: not separated by Mann-Whitney (Holm)")
    ax.grid(alpha=0.3, axis="x")
    return save(fig, out, "rank_groups", opts), pr


def draw_cd(res: CDResult, out: Path, stem: str, unit: str, opts: PlotOptions | None = None) -> list[Path]:
    """Demsar's critical-difference diagram (rank 1 on the right).

    Labels are stacked in two columns of ceil(k/2) rows under the cliques, and the figure is as
    tall as that, so it has no empty band.

    Args:
        res: the Friedman/Nemenyi result.
        out: the figures folder.
        stem: the file name without extension.
        unit: names the blocks (e.g. `tables`).
        opts: the plot options.

    Returns:
        The files written.
    """
    labels = res.labels
    k = len(labels)
    order = [int(i) for i in np.argsort(res.mean_ranks, kind="stable")]
    sr = res.mean_ranks[order]
    cliques: list[tuple[int, int]] = []
    for i in range(k):
        j = i
        while j + 1 < k and sr[j + 1] - sr[i] <= res.cd:
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in cliques):
            cliques.append((i, j))
    rows = (k + 1) // 2
    # vertical layout in inches, so that text never crowds at any width: CD bar, ticks, axis at 0,
    # the cliques under it, then the labels in two columns
    row_h, clique_h = 0.19, 0.075
    first = -(0.14 + clique_h * len(cliques))
    bottom = first - row_h * (rows - 1) - 0.12
    top = 0.55
    height = top - bottom + 0.45  # + the title's two lines
    fig, ax = new_figure(opts, (6.0, height), ratio=height / (opts.inches or 6.0) if opts else None)
    colours = strategy_colours(labels)
    ax.set_xlim(k + 0.5, 0.5)
    ax.set_ylim(bottom, top)
    ax.axis("off")
    ax.hlines(0, 1, k, color="k", lw=1)
    for t in range(1, k + 1):
        ax.vlines(t, -0.03, 0.03, color="k", lw=1)
        ax.text(t, 0.05, str(t), ha="center", va="bottom")
    for n, (i, j) in enumerate(cliques):
        y = -0.08 - clique_h * n
        ax.hlines(y, sr[i] - 0.04, sr[j] + 0.04, color="k", lw=3)
    for j, idx in enumerate(order):
        r = res.mean_ranks[idx]
        right = j < rows  # the best half on the right (rank 1 side)
        y = first - row_h * (j if right else k - 1 - j)
        xe = 0.6 if right else k + 0.4
        ax.plot([r, r, xe], [0, y, y], color=colours[labels[idx]], lw=1)
        ax.text(xe, y, f" {labels[idx]} ({r:.2f}) ", ha="left" if right else "right", va="center")
    ax.hlines(0.34, 1, 1 + res.cd, color="r", lw=2)
    ax.text(1 + res.cd / 2, 0.37, f"CD = {res.cd:.2f}", ha="center", va="bottom", color="r")
    test = "Friedman" if k >= 3 else "Wilcoxon"
    ax.set_title(f"{test} p = {res.friedman_p:.2g} over {res.n} {unit}\nNemenyi critical difference (alpha 0.05)")
    return save(fig, out, stem, opts)


__all__ = ["draw_cd", "final_pooled_ranks", "plot_rank_groups", "plot_ranks", "pooled_rank_curves",
           "ranks_over_budget"]
