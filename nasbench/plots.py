"""Figures of a results directory: anytime regret, final accuracy (significant pairs marked), mean
rank, critical differences, Pareto fronts and hypervolume; of a multi-table directory: the
critical differences over tables and the normalised regret averaged over tables. Each figure is
written as PNG and PDF.

>>> from nasbench.plots import plot_results
>>> plot_results("results/default", "results/default/figures")
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .checks import quiet_nan_stats
from .experiment import ResultsDir, final_rows, open_results
from .strategies.pareto import hypervolume, pareto_front


# -- data on a grid ----------------------------------------------------------------------------
def anytime(frame: pd.DataFrame, x: str, grid: np.ndarray, value: str = "incumbent_test") -> dict[str, np.ndarray]:
    """Per strategy, (runs, len(grid)) of the incumbent's ``value`` at each grid point of ``x``
    (``step`` or ``sim_time``); NaN before a run's first query."""
    out: dict[str, np.ndarray] = {}
    for label, g in frame.groupby("strategy", sort=False):
        runs = []
        for _, r in g.groupby("run", sort=True):
            xs, ys = r[x].to_numpy(), r[value].to_numpy()
            pos = np.searchsorted(xs, grid, side="right") - 1
            runs.append(np.where(pos >= 0, ys[np.maximum(pos, 0)], np.nan))
        out[label] = np.array(runs)
    return out


def mean_se(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with quiet_nan_stats():
        n = np.sum(~np.isnan(a), axis=0)
        m = np.nanmean(a, axis=0)
        se = np.nanstd(a, axis=0, ddof=1) / np.sqrt(np.maximum(n, 1))
    se[n < 2] = 0.0
    return m, se


def ranks_over_budget(curves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Mean rank (1 = best, higher test value better) of each strategy at each grid point; runs
    are paired by run number (same number of runs needed)."""
    labels = list(curves)
    n = min(c.shape[0] for c in curves.values())
    stack = np.stack([curves[k][:n] for k in labels])  # (S, runs, grid)
    filled = np.where(np.isnan(stack), -np.inf, stack)
    r = stats.rankdata(-filled, axis=0)  # ties averaged
    return {k: r[i].mean(axis=0) for i, k in enumerate(labels)}


# -- Friedman + Nemenyi ---------------------------------------------------------------------------
# Critical values q_alpha (alpha = 0.05) of the Studentized range statistic / sqrt(2), k = 2..20 (Demsar 2006)
_Q05 = [1.960, 2.344, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164, 3.219, 3.268, 3.313, 3.354, 3.391,
        3.426, 3.458, 3.489, 3.517, 3.544]


@dataclass(frozen=True)
class CDResult:
    labels: list[str]
    mean_ranks: np.ndarray
    friedman_stat: float
    friedman_p: float
    cd: float
    n: int


def critical_difference(scores: np.ndarray, labels: Sequence[str], alpha: float = 0.05) -> CDResult:
    """``scores``: (n problems or runs, k strategies), higher better. Friedman test over the rows and
    the Nemenyi critical difference of mean ranks (q from the Studentized range distribution)."""
    scores = np.asarray(scores, dtype=np.float64)
    n, k = scores.shape
    ranks = stats.rankdata(-scores, axis=1)
    mean_ranks = ranks.mean(axis=0)
    if k >= 3:
        fr = stats.friedmanchisquare(*scores.T)
        stat, p = float(fr.statistic), float(fr.pvalue)
    else:
        w = stats.wilcoxon(scores[:, 0], scores[:, 1]) if n > 1 and np.any(scores[:, 0] != scores[:, 1]) else None
        stat, p = (float(w.statistic), float(w.pvalue)) if w is not None else (float("nan"), 1.0)
    if alpha == 0.05 and 2 <= k <= 20:
        q = _Q05[k - 2]
    else:
        q = float(stats.studentized_range.ppf(1 - alpha, k, np.inf)) / np.sqrt(2)
    cd = q * np.sqrt(k * (k + 1) / (6.0 * n))
    return CDResult(list(labels), mean_ranks, stat, p, float(cd), n)


# -- figures -----------------------------------------------------------------------------------
def _save(fig, out: Path, stem: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "pdf"):
        p = out / f"{stem}.{ext}"
        fig.savefig(p, dpi=150, bbox_inches="tight")
        paths.append(p)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return paths


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_regret(frame: pd.DataFrame, best: float, out: Path, x: str = "step", points: int = 200) -> list[Path]:
    plt = _plt()
    hi = float(frame[x].max())
    lo = float(frame[x][frame[x] > 0].min()) if (frame[x] > 0).any() else 1.0
    grid = np.geomspace(lo, hi, points) if x == "sim_time" and hi > lo else np.linspace(max(lo, 1), hi, points)
    curves = anytime(frame, x, grid)
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, c in curves.items():
        m, se = mean_se(best - c)
        m = np.maximum(m, 1e-3)
        ax.plot(grid, m, label=label)
        ax.fill_between(grid, np.maximum(m - se, 1e-3), m + se, alpha=0.2)
    ax.set_yscale("log")
    if x == "sim_time":
        ax.set_xscale("log")
    ax.set_xlabel("queries" if x == "step" else _time_label(frame))
    ax.set_ylabel("test regret of incumbent (mean ± s.e.)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return _save(fig, out, f"regret_vs_{'queries' if x == 'step' else 'time'}")


def _time_label(frame: pd.DataFrame) -> str:
    """The sim_time axis: training time, or wall-clock where runs simulated several workers."""
    if "worker" in frame.columns and len(frame):
        n = int(frame["worker"].max()) + 1
        return f"simulated wall-clock (s), {n} worker{'s' if n > 1 else ''}"
    return "simulated training time (s)"


def plot_worker_counts(dirs: dict[int, ResultsDir], out: Path, points: int = 200) -> list[Path]:
    """Regret of the incumbent vs simulated wall-clock, one panel per worker count (``dirs``: the
    comparison's results directory per count), shared axes: ``regret_vs_time_by_workers``."""
    plt = _plt()
    frames = {n: (r.frame(), float(r.provenance["optimum"]["best_test"])) for n, r in sorted(dirs.items())}
    frames = {n: fb for n, fb in frames.items() if not fb[0].empty}
    if not frames:
        return []
    times = pd.concat([f["sim_time"] for f, _ in frames.values()])
    lo = float(times[times > 0].min()) if (times > 0).any() else 1.0
    hi = float(times.max())
    grid = np.geomspace(lo, hi, points) if hi > lo else np.array([hi])
    fig, axes = plt.subplots(1, len(frames), figsize=(0.8 + 3.6 * len(frames), 3.8), sharex=True, sharey=True,
                             squeeze=False)
    for ax, (n, (frame, best)) in zip(axes[0], frames.items()):
        for label, c in anytime(frame, "sim_time", grid).items():
            m, se = mean_se(best - c)
            m = np.maximum(m, 1e-3)
            ax.plot(grid, m, label=label)
            ax.fill_between(grid, np.maximum(m - se, 1e-3), m + se, alpha=0.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{n} worker{'s' if n > 1 else ''}", fontsize=9)
        ax.set_xlabel("simulated wall-clock (s)")
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel("test regret of incumbent (mean ± s.e.)")
    axes[0][-1].legend(frameon=False, fontsize=8)
    out.mkdir(parents=True, exist_ok=True)
    return _save(fig, out, "regret_vs_time_by_workers")


def plot_final(frame: pd.DataFrame, best: float, out: Path, pairs: Sequence | None = None) -> list[Path]:
    """Violins and boxes of the final test value per strategy; a bracket with stars over every pair
    whose difference is significant after Holm (``pairs``: :class:`~nasbench.significance.PairTest`
    list; computed from ``frame`` when not given)."""
    from .significance import compare_pairs

    plt = _plt()
    fin = final_rows(frame)
    labels = list(dict.fromkeys(frame["strategy"]))
    data = [fin.loc[fin.strategy == k, "incumbent_test"].to_numpy(dtype=np.float64) for k in labels]
    if pairs is None:
        pairs = compare_pairs(dict(zip(labels, data)))
    data = [d[np.isfinite(d)] for d in data]
    shown = [i for i, d in enumerate(data) if len(d)]  # violinplot refuses empty samples
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(labels), 3.8))
    if shown:
        pos = [i + 1 for i in shown]
        ax.violinplot([data[i] for i in shown], pos, showmedians=False, showextrema=False)
        ax.boxplot([data[i] for i in shown], positions=pos, widths=0.15, showfliers=True,
                   flierprops={"markersize": 2})
    ax.axhline(best, color="k", lw=0.8, ls="--", label=f"optimum {best:.2f}")
    ax.set_xticks(range(1, len(labels) + 1), labels, rotation=30, ha="right")
    ax.set_ylabel("final test accuracy of incumbent")
    n_sig = _significance_brackets(ax, labels, data, pairs, best)
    ax.set_title(f"{n_sig} significant pair{'s' if n_sig != 1 else ''} (Mann-Whitney U, Holm; "
                 "* p<0.05, ** p<0.01, *** p<0.001)" if pairs else "", fontsize=7)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return _save(fig, out, "final_test")


def _significance_brackets(ax, labels: list[str], data: list[np.ndarray], pairs: Sequence, best: float) -> int:
    """Draw a bracket with stars over each significant pair, stacked above the data; returns how many."""
    from .significance import significance_stars

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
        ax.text((x1 + x2) / 2, y + 0.02 * h, significance_stars(p.p_holm), ha="center", va="bottom", fontsize=8)
    ax.set_ylim(top=hi + h * (0.12 + 0.09 * len(sig)))
    return len(sig)


def plot_ranks(frame: pd.DataFrame, out: Path, points: int = 100) -> list[Path]:
    plt = _plt()
    grid = np.linspace(1, float(frame["step"].max()), points)
    ranks = ranks_over_budget(anytime(frame, "step", grid))
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for label, r in ranks.items():
        ax.plot(grid, r, label=label)
    ax.set_xlabel("queries")
    ax.set_ylabel("mean rank (1 = best)")
    ax.invert_yaxis()
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, out, "mean_rank")


def plot_cd(frame: pd.DataFrame, out: Path) -> tuple[list[Path], CDResult]:
    """Critical-difference diagram of the final test values, runs paired by run number."""
    fin = final_rows(frame)
    wide = fin.pivot(index="run", columns="strategy", values="incumbent_test").dropna()
    labels = [k for k in dict.fromkeys(frame["strategy"]) if k in wide.columns]
    res = critical_difference(wide[labels].to_numpy(), labels)
    return draw_cd(res, out, "critical_difference", "runs"), res


def draw_cd(res: CDResult, out: Path, stem: str, unit: str) -> list[Path]:
    """Demsar's critical-difference diagram of ``res``; ``unit`` names the blocks (runs, tables)."""
    plt = _plt()
    labels = res.labels
    k = len(labels)
    order = np.argsort(res.mean_ranks)
    fig, ax = plt.subplots(figsize=(6, 1.2 + 0.3 * k))
    ax.set_xlim(k + 0.2, 0.8)  # rank 1 on the right, as in Demsar's diagrams
    ax.set_ylim(0, 1)
    ax.axis("off")
    ax.hlines(0.85, 1, k, color="k", lw=1)
    for t in range(1, k + 1):
        ax.vlines(t, 0.83, 0.87, color="k", lw=1)
        ax.text(t, 0.9, str(t), ha="center", va="bottom", fontsize=8)
    step = 0.7 / max(k, 1)
    for j, idx in enumerate(order):
        r = res.mean_ranks[idx]
        y = 0.78 - j * step
        left = j >= k / 2
        xe = k + 0.1 if left else 0.9
        ax.plot([r, r, xe], [0.85, y, y], color="k", lw=0.8)
        ax.text(xe, y, f" {labels[idx]} ({r:.2f}) ", ha="right" if left else "left", va="center", fontsize=8)
    # cliques: groups whose rank spread is below the CD
    sr = res.mean_ranks[order]
    cliques = []
    for i in range(k):
        j = i
        while j + 1 < k and sr[j + 1] - sr[i] <= res.cd:
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in cliques):
            cliques.append((i, j))
    for n, (i, j) in enumerate(cliques):
        y = 0.8 - 0.04 * (n + 1)
        ax.hlines(y, sr[i] - 0.03, sr[j] + 0.03, color="k", lw=3)
    ax.hlines(0.98, 1, 1 + res.cd, color="r", lw=2)
    ax.text(1 + res.cd / 2, 0.99, f"CD = {res.cd:.2f}", ha="center", va="bottom", fontsize=8, color="r")
    test = "Friedman" if k >= 3 else "Wilcoxon"
    ax.set_title(f"{test} p = {res.friedman_p:.2g}, Nemenyi (alpha 0.05), n = {res.n} {unit}", fontsize=8, pad=14)
    return _save(fig, out, stem)


def hypervolume_curves(frame: pd.DataFrame, objective: str, ref: tuple[float, float],
                       grid: np.ndarray) -> dict[str, np.ndarray]:
    """Per strategy, (runs, grid) hypervolume of the observed front in (-valid value, objective)."""
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


def plot_pareto(frame: pd.DataFrame, objective: str, out: Path) -> list[Path]:
    """Pareto fronts (observed validation value vs ``objective``) of run 0 of each strategy, and
    hypervolume over the budget (mean ± s.e. over runs)."""
    plt = _plt()
    col = f"obj_{objective}"
    ref = (-float(frame["value"].min()), float(frame[col].max()) * 1.01)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for label, g in frame.groupby("strategy", sort=False):
        r0 = g[g.run == g.run.min()]
        pts = np.column_stack([-r0["value"].to_numpy(), r0[col].to_numpy()])
        front = pts[pareto_front(pts)]
        a1.scatter(r0[col], r0["value"], s=4, alpha=0.3)
        a1.step(front[:, 1], -front[:, 0], where="post", label=label)
    a1.set_xlabel(objective)
    a1.set_ylabel("observed validation value")
    a1.legend(frameon=False, fontsize=8)
    grid = np.unique(np.linspace(1, float(frame["step"].max()), 40).astype(int))
    for label, hv in hypervolume_curves(frame, objective, ref, grid).items():
        m, se = mean_se(hv)
        a2.plot(grid, m, label=label)
        a2.fill_between(grid, m - se, m + se, alpha=0.2)
    a2.set_xlabel("queries")
    a2.set_ylabel("hypervolume (mean ± s.e.)")
    a2.grid(alpha=0.3)
    return _save(fig, out, f"pareto_{objective.replace(':', '_')}")


def plot_tables(multi_dir, out_dir: str | os.PathLike | None = None) -> list[Path]:
    """A multi-table results directory (:mod:`nasbench.multitable`): each table's own figures in
    ``<table>/figures``, and over tables, in ``out_dir`` (default ``DIR/figures``), the critical-
    difference diagram with tables as the blocks and the normalised regret averaged over tables."""
    from .multitable import MultiResults, aggregate, open_multi

    multi = multi_dir if isinstance(multi_dir, MultiResults) else open_multi(multi_dir)
    out = Path(out_dir) if out_dir is not None else multi.path / "figures"
    paths: list[Path] = []
    for t in multi.tables:
        paths += plot_results(multi.dirs[t])
    agg = aggregate(multi)
    if agg.cd is not None:
        paths += draw_cd(agg.cd, out, "critical_difference_tables", "tables")
    paths += plot_normalised_regret(multi, out)
    return paths


def plot_normalised_regret(multi, out: Path) -> list[Path]:
    """Normalised regret of the incumbent (0 = a table's best cell, 1 = its median cell) against the
    fraction of the budget used, averaged over tables (mean ± s.e. over tables)."""
    from .multitable import normalised_curves

    plt = _plt()
    grid, curves = normalised_curves(multi)
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, c in curves.items():
        m, se = mean_se(c)
        m = np.maximum(m, 1e-4)
        ax.plot(grid, m, label=label)
        ax.fill_between(grid, np.maximum(m - se, 1e-4), m + se, alpha=0.2)
    ax.set_yscale("log")
    kinds = sorted({multi.budget_of(t).get("kind", "queries") for t in multi.tables})  # each table's own budget
    ax.set_xlabel(f"fraction of each table's budget used ({', '.join(kinds)})")
    ax.set_ylabel(f"normalised regret, mean over {len(multi.tables)} tables")
    ax.set_title("0 = the table's best cell, 1 = its median cell", fontsize=8)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return _save(fig, out, "normalised_regret_over_tables")


def plot_results(results_dir: str | os.PathLike | ResultsDir, out_dir: str | os.PathLike | None = None) -> list[Path]:
    """Every figure that fits the results; returns the files written. The results table is checked
    first (a bad one raises before anything is created) and the figures are drawn in a temporary
    folder beside ``out_dir`` that then becomes it (or, if it exists, whose files replace their
    namesakes one by one): a failure or a kill never leaves a half-written figure folder."""
    import shutil
    import tempfile

    res = results_dir if isinstance(results_dir, ResultsDir) else open_results(results_dir)
    out = Path(out_dir) if out_dir is not None else res.path / "figures"
    frame = res.frame()
    if frame.empty:
        return []
    best = float(res.provenance["optimum"]["best_test"])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        names = [p.name for p in _plot_all(frame, best, tmp)]
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


def _plot_all(frame: pd.DataFrame, best: float, out: Path) -> list[Path]:
    paths = plot_regret(frame, best, out, "step") + plot_regret(frame, best, out, "sim_time")
    paths += plot_final(frame, best, out)
    n_strat = frame["strategy"].nunique()
    if n_strat >= 2:
        paths += plot_ranks(frame, out)
        if frame["run"].nunique() >= 2:
            paths += plot_cd(frame, out)[0]
    for col in frame.columns:
        if col.startswith("obj_"):
            paths += plot_pareto(frame, col[4:], out)
    return paths


__all__ = ["CDResult", "anytime", "critical_difference", "draw_cd", "hypervolume_curves", "mean_se", "plot_cd",
           "plot_final", "plot_normalised_regret", "plot_pareto", "plot_ranks", "plot_regret", "plot_results",
           "plot_tables", "ranks_over_budget"]
