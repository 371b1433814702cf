"""How well a surrogate predicts a table: learning curves over training-set sizes.

`evaluate(bench, models, sizes, repeats, metric, epoch, seed)` draws, for each repeat, one
random permutation of the table's covered cells (shared by every model and size, so models are
compared on identical splits); the first `size` cells train, the remaining cells (or a fixed
random `test_size` of them) test. Per (model, size, repeat) it records R², Kendall tau,
sparse Kendall tau (predictions and truths rounded to 0.1 points, as NAS-Bench-301 does),
Spearman, precision at top-k, MAE, fit and predict seconds. `summarize` gives mean and std
over repeats; `plot_evaluation` the learning curves and predicted-against-true plots.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone

from nasbench.tables.benchmark import Benchmark

from .base import SurrogateError
from .encodings import ops_of

DEFAULT_SIZES: tuple[int, ...] = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
SCORES: tuple[str, ...] = ("r2", "kendall_tau", "sparse_kendall_tau", "spearman", "mae")


def log_sizes(lo: int = 10, hi: int = 5000, n: int = 9) -> list[int]:
    """About `n` log-spaced integer sizes from `lo` to `hi`.

    Args:
        lo: the smallest size.
        hi: the largest size.
        n: about how many sizes.

    Returns:
        The distinct sizes, ascending.
    """
    return sorted({int(round(v)) for v in np.geomspace(lo, hi, n)})


def scores(y_true: np.ndarray, y_pred: np.ndarray, top_k: Sequence[int] = (10, 100)) -> dict[str, float]:
    """Regression and ranking scores of one prediction.

    Args:
        y_true: the true values.
        y_pred: the predictions.
        top_k: the k of the `precision_at_k` scores.

    Returns:
        `r2`, `kendall_tau`, `sparse_kendall_tau`, `spearman`, `mae` and
        `precision_at_<k>`, by name.
    """
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    ss_res = float(np.sum((y_true - y_pred) ** 2))
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    out = {
        "r2": 1 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
        "kendall_tau": float(stats.kendalltau(y_pred, y_true)[0]),
        "sparse_kendall_tau": float(stats.kendalltau(np.round(y_pred, 1), np.round(y_true, 1))[0]),
        "spearman": float(stats.spearmanr(y_pred, y_true)[0]),
        "mae": float(np.mean(np.abs(y_true - y_pred))),
    }
    for k in top_k:
        k = min(int(k), len(y_true))
        true_top = set(np.argsort(-y_true, kind="stable")[:k].tolist())
        pred_top = np.argsort(-y_pred, kind="stable")[:k]
        out[f"precision_at_{k}"] = len(true_top.intersection(pred_top.tolist())) / k
    return out


@dataclass
class Evaluation:
    """The learning curves of `evaluate`.

    Attributes:
        runs: one row per (model, size, repeat), with the scores of `scores`.
        predictions: (true, predicted) on the test cells of repeat 0, by (model, size), for the scatter plots.
    """

    runs: pd.DataFrame
    predictions: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        """Mean and std over repeats per (model, size): `summarize` of `runs`."""
        return summarize(self.runs)


def evaluate(bench: Benchmark, models: Mapping[str, Any], sizes: Sequence[int] = DEFAULT_SIZES, repeats: int = 5,
             metric: str = "valid_acc", epoch: int | None = None, seed: int = 0, test_size: int | None = None,
             top_k: Sequence[int] = (10, 100), progress: bool = False) -> Evaluation:
    """Learning curves of `models` (name -> unfitted estimator; each is cloned per fit) on the
    seed-mean `metric` of `bench`'s covered cells. Sizes that leave no test cells are refused.

    Args:
        bench: the benchmark whose covered cells train and test.
        models: name -> unfitted estimator.
        sizes: training-set sizes.
        repeats: random splits per size.
        metric: the target metric.
        epoch: its epoch (None: the last).
        seed: seeds the splits.
        test_size: a fixed random number of test cells (None: all the cells not trained on).
        top_k: the k of the precision scores.
        progress: show a progress bar.

    Returns:
        The `Evaluation`.

    Raises:
        SurrogateError: a size that leaves no test cells.
    """
    cells = np.asarray(bench.covered, dtype=np.int64)
    y_all = np.asarray(bench.query_many(cells, metric, epoch, "mean"), dtype=np.float64)
    keep = np.isfinite(y_all)
    cells, y_all = cells[keep], y_all[keep]
    X_all = ops_of(cells)
    sizes = sorted(int(s) for s in sizes)
    if not sizes or sizes[0] < 1:
        raise SurrogateError("training sizes must be positive integers")
    if sizes[-1] >= len(cells):
        raise SurrogateError(f"training size {sizes[-1]} leaves no test cells (the table has {len(cells)} with {metric})")
    if repeats < 1:
        raise SurrogateError("repeats must be >= 1")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SurrogateError(f"seed must be a non-negative integer, got {seed!r}")
    rows: list[dict[str, Any]] = []
    preds: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
    ss = np.random.SeedSequence(seed)
    jobs = [(r, s, name) for r in range(repeats) for s in sizes for name in models]
    bar = _progress(len(jobs), progress)
    perms = [np.random.default_rng(child).permutation(len(cells)) for child in ss.spawn(repeats)]
    for r, size, name in jobs:
        perm = perms[r]
        tr = perm[:size]
        te = perm[size:]
        if test_size is not None and len(te) > test_size:
            te = np.sort(te[np.random.default_rng([seed, r, 7]).choice(len(te), test_size, replace=False)])
        est = clone(models[name])
        t0 = time.perf_counter()
        est.fit(X_all[tr], y_all[tr])
        t1 = time.perf_counter()
        y_pred = np.asarray(est.predict(X_all[te]), dtype=np.float64)
        t2 = time.perf_counter()
        row = {"model": name, "size": size, "repeat": r, "n_test": len(te), "fit_s": t1 - t0,
               "predict_s": t2 - t1, **scores(y_all[te], y_pred, top_k)}
        rows.append(row)
        if r == 0:
            preds[(name, size)] = (y_all[te], y_pred)
        bar.update(1)
    bar.close()
    return Evaluation(pd.DataFrame(rows), preds)


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over repeats per (model, size); columns `<score>_mean` / `<score>_std`.

    Args:
        runs: `Evaluation.runs`.

    Returns:
        One row per (model, size).
    """
    value_cols = [c for c in runs.columns if c not in ("model", "size", "repeat")]
    g = runs.groupby(["model", "size"], sort=False)[value_cols]
    mean, std = g.mean(), g.std(ddof=1) if runs["repeat"].nunique() > 1 else g.mean() * np.nan
    out = mean.add_suffix("_mean").join(std.add_suffix("_std"))
    return out[[c for col in value_cols for c in (f"{col}_mean", f"{col}_std")]].reset_index()


def plot_evaluation(result: Evaluation, out_dir: str | Path, scores_to_plot: Sequence[str] = (
        "kendall_tau", "sparse_kendall_tau", "spearman", "r2", "mae", "fit_s")) -> list[Path]:
    """Plot learning curves and predicted-against-true scatter plots.

    One panel per score (mean +- std over repeats, log x), and a grid of scatter plots (repeat 0).

    Args:
        result: what `evaluate` returned.
        out_dir: the folder to write to.
        scores_to_plot: the scores to draw.

    Returns:
        The PNG paths written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summ = result.summary
    models = list(dict.fromkeys(summ["model"]))
    paths = []
    cols = min(3, len(scores_to_plot))
    rows_n = -(-len(scores_to_plot) // cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(4.2 * cols, 3.4 * rows_n), squeeze=False)
    for ax, sc in zip(axes.ravel(), scores_to_plot):
        for m in models:
            d = summ[summ["model"] == m]
            ax.errorbar(d["size"], d[f"{sc}_mean"], yerr=d[f"{sc}_std"].fillna(0), marker="o", ms=3,
                        capsize=2, label=m)
        ax.set_xscale("log")
        ax.set_xlabel("training cells")
        ax.set_title(sc)
        if sc == "fit_s":
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(scores_to_plot):]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    p = out / "learning_curves.png"
    fig.savefig(p, dpi=120)
    plt.close(fig)
    paths.append(p)

    sizes = sorted({s for _, s in result.predictions})
    if sizes:
        fig, axes = plt.subplots(len(models), len(sizes), figsize=(2.8 * len(sizes), 2.8 * len(models)),
                                 squeeze=False)
        for i, m in enumerate(models):
            for j, s in enumerate(sizes):
                ax = axes[i, j]
                if (m, s) not in result.predictions:
                    ax.axis("off")
                    continue
                t, pr = result.predictions[(m, s)]
                ax.scatter(t, pr, s=1, alpha=0.3)
                lo, hi = float(np.min(t)), float(np.max(t))
                ax.plot([lo, hi], [lo, hi], "k--", lw=0.7)
                tau = stats.kendalltau(pr, t)[0]
                ax.set_title(f"{m}, n={s}, tau={tau:.2f}", fontsize=8)
                ax.tick_params(labelsize=6)
        fig.supxlabel("true")
        fig.supylabel("predicted")
        fig.tight_layout()
        p = out / "predicted_vs_true.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        paths.append(p)
    return paths


def _progress(total: int, on: bool):
    from nasbench.util.checks import progress_bar

    return progress_bar(total, on, desc="surrogate eval", unit="fit")
