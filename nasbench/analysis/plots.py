"""Figures of a results directory: anytime regret, final accuracy (significant pairs marked), the
pooled ranks of independent runs over the budget and at its end (`nasbench.analysis.rank_plots`),
Pareto fronts and hypervolume; of a multi-table directory: the critical differences over tables
(tables are the blocks) and the normalised regret averaged over tables. Each figure is written as
PNG and PDF, at the width preset and with the band of a
`PlotOptions`, and every strategy has its colour from
`nasbench.analysis.palette`. Regret curves average a fixed set of runs
(`nasbench.stats.curve_stats`).

```python
from nasbench.analysis.plots import plot_results
plot_results("results/default", "results/default/figures")
```
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd


from ..util.atomic import check_dir
from ..stats.curve_stats import Band, anytime, curve_band, mean_se
from ..search.runner import ResultsDir, final_rows, open_results
from .figure_io import new_figure, pyplot as _plt, save as _save
from .palette import strategy_colours
from ..search.plot_options import BAND_WORDS, PlotOptions
from .rank_plots import draw_cd, plot_rank_groups, plot_ranks, ranks_over_budget
from ..stats.significance import CDResult, critical_difference
from ..strategies.pareto import hypervolume, pareto_front

REGRET_FLOOR = 1e-3  # regret axes are logarithmic: a run on the optimum is drawn at this value


def _draw_band(ax, grid: np.ndarray, b: Band, label: str, colour: str, floor: float | None = None) -> None:
    """The line and band of `b` over `grid[b.start:]` (clipped below at `floor` on log axes)."""
    x = grid[b.start:]
    if not len(x):
        return
    c, lo, hi = b.centre, b.low, b.high
    if floor is not None:
        c, lo, hi = np.maximum(c, floor), np.maximum(lo, floor), np.maximum(hi, floor)
    ax.plot(x, c, label=label, color=colour)
    ax.fill_between(x, lo, hi, alpha=0.2, color=colour, lw=0)


def regret_bands(frame: pd.DataFrame, best: float, grid: np.ndarray, x: str = "step",
                 band: str = "se") -> dict[str, Band]:
    """Per strategy, the regret of the incumbent (`best` - its test value) over a fixed set of runs.

    Each curve starts where every run of the strategy has an incumbent
    (`nasbench.stats.curve_stats.curve_band`), so it never rises because runs joined the average.

    Args:
        frame: a comparison's tidy results frame.
        best: the table's best test value.
        grid: the points of `x` to evaluate at.
        x: `step` or `sim_time`.
        band: `se`, `ci95` or `iqr`.

    Returns:
        `{strategy: Band}`.
    """
    return {label: curve_band(best - c, band) for label, c in anytime(frame, x, grid).items()}


def plot_regret(frame: pd.DataFrame, best: float, out: Path, x: str = "step", points: int = 200,
                opts: PlotOptions | None = None) -> list[Path]:
    """`regret_vs_queries` (`x="step"`) or `regret_vs_time` (`x="sim_time"`).

    The regret of the incumbent with the options' band, one fixed colour per strategy.

    Args:
        frame: a comparison's tidy results frame.
        best: the table's best test value.
        out: the figures folder.
        x: `step` or `sim_time`.
        points: grid points of the curves.
        opts: the plot options (None: screen sizes, mean +- s.e.).

    Returns:
        The files written (PNG and PDF).
    """
    opts = opts or PlotOptions()
    hi = float(frame[x].max())
    lo = float(frame[x][frame[x] > 0].min()) if (frame[x] > 0).any() else 1.0
    grid = np.geomspace(lo, hi, points) if x == "sim_time" and hi > lo else np.linspace(max(lo, 1), hi, points)
    bands = regret_bands(frame, best, grid, x, opts.band)
    colours = strategy_colours(list(bands))
    fig, ax = new_figure(opts, (5.5, 3.8))
    for label, b in bands.items():
        _draw_band(ax, grid, b, label, colours[label], REGRET_FLOOR)
    ax.set_yscale("log")
    if x == "sim_time":
        ax.set_xscale("log")
    ax.set_xlabel("queries" if x == "step" else _time_label(frame))
    ax.set_ylabel(f"test regret of incumbent\n({BAND_WORDS[opts.band]})")
    if any(b.start > 0 for b in bands.values()):
        ax.set_title("curves start once all runs have an incumbent", fontsize=7)
    ax.legend(frameon=False)
    ax.grid(alpha=0.3, which="both")
    return _save(fig, out, f"regret_vs_{'queries' if x == 'step' else 'time'}", opts)


def _time_label(frame: pd.DataFrame) -> str:
    """The sim_time axis: training time, or wall-clock where runs simulated several workers."""
    if "worker" in frame.columns and len(frame):
        n = int(frame["worker"].max()) + 1
        return f"simulated wall-clock (s), {n} worker{'s' if n > 1 else ''}"
    return "simulated training time (s)"


def plot_worker_counts(dirs: dict[int, ResultsDir], out: Path, points: int = 200,
                       opts: PlotOptions | None = None) -> list[Path]:
    """`regret_vs_time_by_workers`: regret of the incumbent vs simulated wall-clock.

    One panel per worker count, shared axes.

    Args:
        dirs: the comparison's results directory per worker count.
        out: the figures folder.
        points: grid points of the curves.
        opts: the plot options.

    Returns:
        The files written.
    """
    opts = opts or PlotOptions()
    frames = {n: (r.frame(), float(r.provenance["optimum"]["best_test"])) for n, r in sorted(dirs.items())}
    frames = {n: fb for n, fb in frames.items() if not fb[0].empty}
    if not frames:
        return []
    times = pd.concat([f["sim_time"] for f, _ in frames.values()])
    lo = float(times[times > 0].min()) if (times > 0).any() else 1.0
    hi = float(times.max())
    grid = np.geomspace(lo, hi, points) if hi > lo else np.array([hi])
    w = 0.8 + 3.6 * len(frames)
    fig, axes = new_figure(opts, (w, 3.8), ratio=min(0.9, 4.2 / w), ncols=len(frames), sharex=True, sharey=True,
                           squeeze=False)
    labels = list(dict.fromkeys(k for f, _ in frames.values() for k in f["strategy"]))
    colours = strategy_colours(labels)
    for ax, (n, (frame, best)) in zip(axes[0], frames.items()):
        for label, b in regret_bands(frame, best, grid, "sim_time", opts.band).items():
            _draw_band(ax, grid, b, label, colours[label], REGRET_FLOOR)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{n} worker{'s' if n > 1 else ''}")
        ax.set_xlabel("simulated wall-clock (s)")
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel(f"test regret of incumbent\n({BAND_WORDS[opts.band]})")
    axes[0][-1].legend(frameon=False)
    return _save(fig, out, "regret_vs_time_by_workers", opts)


def plot_final(frame: pd.DataFrame, best: float, out: Path, pairs: Sequence | None = None,
               opts: PlotOptions | None = None) -> list[Path]:
    """Violins and boxes of the final test value per strategy.

    A bracket with stars stands over every pair whose difference is significant after Holm.

    Args:
        frame: a comparison's tidy results frame.
        best: the table's best test value.
        out: the figures folder.
        pairs: the `PairTest` list (computed from `frame` when not given).
        opts: the plot options.

    Returns:
        The files written.
    """
    from ..stats.significance import compare_pairs

    fin = final_rows(frame)
    labels = list(dict.fromkeys(frame["strategy"]))
    data = [fin.loc[fin.strategy == k, "incumbent_test"].to_numpy(dtype=np.float64) for k in labels]
    if pairs is None:
        pairs = compare_pairs(dict(zip(labels, data)))
    data = [d[np.isfinite(d)] for d in data]
    shown = [i for i, d in enumerate(data) if len(d)]  # violinplot refuses empty samples
    w = 1.2 + 1.1 * len(labels)
    fig, ax = new_figure(opts, (w, 3.8), ratio=0.8)
    colours = strategy_colours(labels)
    if shown:
        pos = [i + 1 for i in shown]
        parts = ax.violinplot([data[i] for i in shown], pos, showmedians=False, showextrema=False)
        for body, i in zip(parts["bodies"], shown):
            body.set_facecolor(colours[labels[i]])
            body.set_edgecolor(colours[labels[i]])
            body.set_alpha(0.4)
        ax.boxplot([data[i] for i in shown], positions=pos, widths=0.15, showfliers=True,
                   flierprops={"markersize": 2}, medianprops={"color": "k"})
    ax.axhline(best, color="k", lw=0.8, ls="--", label=f"optimum {best:.2f}")
    ax.set_xticks(range(1, len(labels) + 1), labels, rotation=30, ha="right")
    ax.set_ylabel("final test accuracy of incumbent")
    n_sig = _significance_brackets(ax, labels, data, pairs, best)
    ax.set_title(f"{n_sig} significant pair{'s' if n_sig != 1 else ''} (Mann-Whitney U, Holm)\n"
                 "* p<0.05, ** p<0.01, *** p<0.001" if pairs else "", fontsize=7)
    ax.legend(frameon=False, loc="lower right")
    return _save(fig, out, "final_test", opts)


def _significance_brackets(ax, labels: list[str], data: list[np.ndarray], pairs: Sequence, best: float) -> int:
    """Draw a bracket with stars over each significant pair, stacked above the data; returns how many."""
    from ..stats.significance import significance_stars

    pos = {k: i + 1 for i, k in enumerate(labels)}
    sig = [p for p in pairs if p.significant and p.a in pos and p.b in pos]
    if not sig:
        return 0
    finite = np.concatenate([d for d in data if len(d)] + [np.array([best])])
    lo, hi = float(np.min(finite)), float(np.max(finite))
    h = (hi - lo) or 1.0
    sig.sort(key=lambda p: abs(pos[p.a] - pos[p.b]))  # short brackets low, long ones above them
    for n, p in enumerate(sig):
        x1, x2 = sorted((pos[p.a], pos[p.b]))
        y = hi + h * (0.06 + 0.09 * n)
        ax.plot([x1, x1, x2, x2], [y, y + 0.02 * h, y + 0.02 * h, y], color="k", lw=0.8)
        ax.text((x1 + x2) / 2, y + 0.02 * h, significance_stars(p.p_holm), ha="center", va="bottom")
    ax.set_ylim(top=hi + h * (0.12 + 0.09 * len(sig)))
    return len(sig)


def hypervolume_curves(frame: pd.DataFrame, objective: str, ref: tuple[float, float],
                       grid: np.ndarray) -> dict[str, np.ndarray]:
    """Per strategy, the hypervolume of the observed front in (-valid value, objective).

    Args:
        frame: a multi-objective comparison's tidy results frame.
        objective: the objective (`obj_<objective>` column).
        ref: the reference point.
        grid: the steps to evaluate at.

    Returns:
        `{strategy: array (runs, len(grid))}`.
    """
    out: dict[str, np.ndarray] = {}
    col = f"obj_{objective}"
    for label, g in frame.groupby("strategy", sort=False):
        runs = []
        for _, r in g.groupby("run", sort=True):
            pts = np.column_stack([-r["value"].to_numpy(), r[col].to_numpy()])
            steps = r["step"].to_numpy()
            hv = [hypervolume(pts[steps <= s], np.array(ref)) for s in grid]
            runs.append(hv)
        out[label] = np.array(runs)
    return out


def plot_pareto(frame: pd.DataFrame, objective: str, out: Path, opts: PlotOptions | None = None) -> list[Path]:
    """Pareto fronts and hypervolume of a multi-objective comparison.

    The fronts (observed validation value vs `objective`) are of the first run of each strategy;
    the hypervolume over the budget has the options' band over runs.

    Args:
        frame: a multi-objective comparison's tidy results frame.
        objective: the objective.
        out: the figures folder.
        opts: the plot options.

    Returns:
        The files written.
    """
    opts = opts or PlotOptions()
    col = f"obj_{objective}"
    ref = (-float(frame["value"].min()), float(frame[col].max()) * 1.01)
    fig, (a1, a2) = new_figure(opts, (10, 3.8), ratio=0.45, ncols=2)
    colours = strategy_colours(list(dict.fromkeys(frame["strategy"])))
    for label, g in frame.groupby("strategy", sort=False):
        r0 = g[g.run == g.run.min()]
        pts = np.column_stack([-r0["value"].to_numpy(), r0[col].to_numpy()])
        front = pts[pareto_front(pts)]
        a1.scatter(r0[col], r0["value"], s=4, alpha=0.3, color=colours[label])
        a1.step(front[:, 1], -front[:, 0], where="post", label=label, color=colours[label])
    a1.set_xlabel(objective)
    a1.set_ylabel("observed validation value")
    a1.legend(frameon=False)
    grid = np.unique(np.linspace(1, float(frame["step"].max()), 40).astype(int))
    for label, hv in hypervolume_curves(frame, objective, ref, grid).items():
        _draw_band(a2, grid, curve_band(hv, opts.band), label, colours[label])
    a2.set_xlabel("queries")
    a2.set_ylabel(f"hypervolume ({BAND_WORDS[opts.band]})")
    a2.grid(alpha=0.3)
    return _save(fig, out, f"pareto_{objective.replace(':', '_')}", opts)


def plot_tables(multi_dir, out_dir: str | os.PathLike | None = None, opts: PlotOptions | None = None) -> list[Path]:
    """The figures of a multi-table results directory (`nasbench.search.multitable`).

    Each table's own figures go in `<table>/figures`; over tables, in `out_dir`, the
    critical-difference diagram with tables as the blocks and the normalised regret averaged over
    tables.

    Args:
        multi_dir: the multi-table directory (or its opened `MultiResults`).
        out_dir: the folder of the figures over tables (default `DIR/figures`).
        opts: the plot options.

    Returns:
        The files written.
    """
    from ..search.multitable import MultiResults, aggregate, open_multi

    multi = multi_dir if isinstance(multi_dir, MultiResults) else open_multi(multi_dir)
    out = Path(out_dir) if out_dir is not None else multi.path / "figures"
    opts = opts or PlotOptions()
    paths: list[Path] = []
    for t in multi.tables:
        paths += plot_results(multi.dirs[t], opts=opts)
    agg = aggregate(multi)
    with opts.style():
        if agg.cd is not None:
            paths += draw_cd(agg.cd, out, "critical_difference_tables", "tables", opts)
        paths += plot_normalised_regret(multi, out, opts)
    return paths


def plot_normalised_regret(multi, out: Path, opts: PlotOptions | None = None) -> list[Path]:
    """Normalised regret of the incumbent against the fraction of the budget used, averaged over tables.

    0 is a table's best cell, 1 its median cell; the band is the options' band over tables, and
    each curve starts where every table has a value.

    Args:
        multi: the opened multi-table results.
        out: the figures folder.
        opts: the plot options.

    Returns:
        The files written.
    """
    from ..search.multitable import normalised_curves

    opts = opts or PlotOptions()
    grid, curves = normalised_curves(multi)
    colours = strategy_colours(list(curves))
    fig, ax = new_figure(opts, (5.5, 3.8))
    for label, c in curves.items():
        _draw_band(ax, grid, curve_band(c, opts.band), label, colours[label], 1e-4)
    ax.set_yscale("log")
    kinds = sorted({multi.budget_of(t).get("kind", "queries") for t in multi.tables})  # each table's own budget
    ax.set_xlabel(f"fraction of each table's budget used ({', '.join(kinds)})")
    ax.set_ylabel(f"normalised regret over {len(multi.tables)} tables\n({BAND_WORDS[opts.band]})")
    ax.set_title("0 = the table's best cell, 1 = its median cell")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3, which="both")
    return _save(fig, out, "normalised_regret_over_tables", opts)


def plot_results(results_dir: str | os.PathLike | ResultsDir, out_dir: str | os.PathLike | None = None,
                 opts: PlotOptions | None = None) -> list[Path]:
    """Every figure that fits the results.

    The results table is checked first (a bad one raises before anything is created) and the
    figures are drawn in a temporary folder beside `out_dir` that then becomes it (or, if it
    exists, whose files replace their namesakes one by one): a failure or a kill never leaves a
    half-written figure folder.

    Args:
        results_dir: the results directory (or its opened `ResultsDir`).
        out_dir: the figures folder (default: the directory's `figures`).
        opts: width preset and band (default: screen sizes, mean +- s.e.).

    Returns:
        The files written.
    """
    import shutil
    import tempfile

    res = results_dir if isinstance(results_dir, ResultsDir) else open_results(results_dir)
    out = Path(out_dir) if out_dir is not None else res.path / "figures"
    frame = res.frame()
    if frame.empty:
        return []
    best = float(res.provenance["optimum"]["best_test"])
    if out_dir is None:  # a planted `figures` link: refused, its target untouched (a named --out may be a link)
        check_dir(out, res.path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        with (opts or PlotOptions()).style():
            names = [p.name for p in _plot_all(frame, best, tmp, opts or PlotOptions())]
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it 0700
        if not out.exists():
            os.replace(tmp, out)
        else:
            for name in names:
                os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [out / name for name in names]


def _plot_all(frame: pd.DataFrame, best: float, out: Path, opts: PlotOptions) -> list[Path]:
    from ..stats.significance import compare_pairs

    paths = plot_regret(frame, best, out, "step", opts=opts) + plot_regret(frame, best, out, "sim_time", opts=opts)
    fin = final_rows(frame)
    labels = list(dict.fromkeys(frame["strategy"]))
    pairs = compare_pairs({k: fin.loc[fin.strategy == k, "incumbent_test"].to_numpy(dtype=np.float64)
                           for k in labels})  # the verdicts `compare` prints: the figures say the same
    paths += plot_final(frame, best, out, pairs, opts)
    if len(labels) >= 2:
        paths += plot_ranks(frame, out, opts=opts)
        paths += plot_rank_groups(frame, out, pairs, opts)[0]
    for col in frame.columns:
        if col.startswith("obj_"):
            paths += plot_pareto(frame, col[4:], out, opts)
    return paths


__all__ = ["CDResult", "REGRET_FLOOR", "anytime", "critical_difference", "draw_cd", "hypervolume_curves", "mean_se",
           "plot_final", "plot_normalised_regret", "plot_pareto", "plot_rank_groups", "plot_ranks", "plot_regret",
           "plot_results", "plot_tables", "ranks_over_budget", "regret_bands"]
