"""The report of a validation: what the benchmark predicted against what real training measured.

**The statistics** (columns of `ValidationReport.frame`):

* `pred_mean`: the table's seed mean (or the surrogate's mean) of `metric` at its last epoch;
  `pred_sd`: the table's seed standard deviation of that cell (ddof=1; the surrogate's seed-noise
  sd); `pred_runs`: how many recorded runs the mean is over.
* `meas_<seed>` per seed, `meas_mean`, `meas_sd` (ddof=1), final epoch.
* `sd_used` and `sd_source`: the per-run seed standard deviation the differences are measured
  in: `table` (the square root of the mean seed variance of the 200 table rows with >= 2 runs
  whose seed means lie nearest to the cell's: a cell's own sd from 2-3 runs is too uncertain to
  divide by, its neighbours in accuracy are not; see `nasbench.tables.noise.pooled_seed_sd`),
  else `surrogate` (its noise sd), else `measured` (the sd of our own seeds, pooled over the
  K cells: sqrt of the mean of the per-cell variances), else NaN.
* `diff_in_sd` = (meas_mean - pred_mean) / sd_used: the difference in seed standard deviations.
* `z` = (meas_mean - pred_mean) / (sd_used * sqrt(1/pred_runs + 1/n_seeds)): the z-score of a
  difference of two means of independent runs with per-run sd `sd_used` (for a surrogate the
  prediction's variance is its own `predict_std` squared). |z| > 2 means the table's promise is
  unlikely to be seed noise alone. Note that top cells are selected *because* their table values
  are high, so fresh seeds are expected to land a little lower (the winner's curse).
* `pred_expected`: what fresh seeds are expected to give for a cell that was *picked* for its
  high table value (top K): the table's mean corrected for that selection by Tweedie's formula
  (`nasbench.tables.noise.tweedie_means`; NaN for a surrogate); `z_expected` the z-score of
  the measurement against it, with the same standard error as `z`.
* Kendall's tau between predicted and measured means among the K cells.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..tables.benchmark import FreshRunPrediction


@dataclass
class ValidationReport:
    """Per-cell comparison of prediction and measurement, plus what it was measured with."""

    frame: Any  # pandas DataFrame, one row per cell, in the order of selection
    metric: str
    kendall_tau: float
    kendall_p: float
    seeds: tuple[int, ...]
    seeds_note: str
    recipe: dict[str, Any]
    data: dict[str, Any]
    device: str
    table: str
    notes: list[str] = field(default_factory=list)
    out: Path | None = None
    files: list[Path] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    trained_now: int = 0

    def summary(self) -> str:
        """The console summary: what was validated and how, the per-cell table and the rank correlation."""
        f = self.frame
        lines = [f"validation of {len(f)} cell(s) of {self.table}: {self.metric}, final epoch; "
                 f"{len(self.seeds)} seed(s) {list(self.seeds)} ({self.seeds_note}); device {self.device}; "
                 f"recipe epochs={self.recipe['epochs']} C={self.recipe['C']} N={self.recipe['N']} "
                 f"batch={self.recipe['batch_size']}; data {self.data.get('dataset')}",
                 f"{'cell':>6} {'predicted':>16} {'measured':>16} {'diff':>7} {'sd used':>14} {'diff/sd':>8} {'z':>7}"
                 f" {'expected':>9} {'z(exp)':>7}"]
        for _, r in f.iterrows():
            runs = "" if not np.isfinite(r.pred_runs) else f"({int(r.pred_runs)})"
            pred = f"{r.pred_mean:7.2f}±" + (f"{r.pred_sd:5.2f}" if np.isfinite(r.pred_sd) else "  -  ") + runs
            meas = f"{r.meas_mean:7.2f}±" + (f"{r.meas_sd:5.2f}" if np.isfinite(r.meas_sd) else "  -  ") \
                + f"({len(self.seeds)})"
            lines.append(f"{int(r.cell):>6} {pred:>16} {meas:>16} {r['diff']:>7.2f} "
                         f"{r.sd_used:>6.2f} {r.sd_source:<7} {r.diff_in_sd:>8.2f} {r.z:>7.2f}"
                         f" {r.pred_expected:>9.2f} {r.z_expected:>7.2f}")
        z = f["z"].to_numpy(dtype=float)
        zf = z[np.isfinite(z)]
        if len(zf):
            lines.append(f"z: mean {zf.mean():+.2f}, max |z| {np.abs(zf).max():.2f}; {int((np.abs(zf) <= 2).sum())} of "
                         f"{len(zf)} within 2 (z = diff / (sd_used * sqrt(1/pred_runs + 1/seeds)))")
        ze = f["z_expected"].to_numpy(dtype=float)
        ze = ze[np.isfinite(ze)]
        if len(ze):
            lines.append(f"against the expected values (the table's, corrected for the winner's curse by Tweedie's "
                         f"formula): z mean {ze.mean():+.2f}, max |z| {np.abs(ze).max():.2f}; "
                         f"{int((np.abs(ze) <= 2).sum())} of {len(ze)} within 2")
        tau = "n/a (fewer than 2 cells)" if not np.isfinite(self.kendall_tau) else \
            f"{self.kendall_tau:+.3f} (p={self.kendall_p:.2g})"
        lines.append(f"Kendall tau, predicted vs measured ranks among the {len(f)} cells: {tau}")
        for n in self.notes:
            lines.append(f"note: {n}")
        if self.out is not None:
            lines.append(f"wrote {', '.join(str(p) for p in self.files)}")
        return "\n".join(lines)


def build_report_frame(cells: Sequence[int], pred: FreshRunPrediction, measured: dict[int, dict[int, float]],
                       seeds: Sequence[int], extra: dict[int, dict[str, Any]] | None = None):
    """The per-cell DataFrame (see the module doc for the columns).

    Args:
        cells: official indices, in report order.
        pred: the table's prediction per cell (`mean`, `sd`, `runs`, `pooled`, ... arrays in
            the order of `cells`).
        measured: `{cell: {seed: accuracy}}` of the retrained runs.
        seeds: the seeds trained.
        extra: more columns per cell (e.g. how often it was the final incumbent).

    Returns:
        The `pandas.DataFrame`, one row per cell.
    """
    import pandas as pd

    rows = []
    surrogate = pred.surrogate
    # last resort for the sd: our own seeds' variance, pooled over all validated cells
    per_cell_var = [np.var([measured[c][s] for s in seeds], ddof=1) for c in cells] if len(seeds) > 1 else []
    pooled = float(np.sqrt(np.mean(per_cell_var))) if per_cell_var else float("nan")
    for i, c in enumerate(cells):
        vals = np.array([measured[c][s] for s in seeds], dtype=np.float64)
        m_mean = float(vals.mean())
        m_sd = float(vals.std(ddof=1)) if len(vals) > 1 else float("nan")
        p_mean, p_sd, p_runs = float(pred.mean[i]), float(pred.sd[i]), float(pred.runs[i])
        if surrogate and np.isfinite(p_sd):
            sd, src = p_sd, "surrogate"
        elif np.isfinite(pred.pooled[i]):
            sd, src = float(pred.pooled[i]), pred.pooled_src
        elif np.isfinite(pooled):
            sd, src = pooled, "measured"
        else:
            sd, src = float("nan"), "none"
        diff = m_mean - p_mean
        expected = float(pred.expected[i])
        var_pred = float(pred.pred_model_sd[i]) ** 2 if surrogate else (sd ** 2 / p_runs if p_runs > 0 else np.inf)
        se = math.sqrt(var_pred + sd ** 2 / len(vals)) if np.isfinite(sd) else float("nan")
        row = {"cell": int(c), "arch_str": _arch(c), "pred_mean": p_mean, "pred_sd": p_sd, "pred_runs": p_runs,
               **{f"meas_{s}": float(v) for s, v in zip(seeds, vals)}, "meas_mean": m_mean, "meas_sd": m_sd,
               "diff": diff, "sd_used": sd, "sd_source": src,
               "diff_in_sd": diff / sd if sd and np.isfinite(sd) else float("nan"),
               "z": diff / se if se and np.isfinite(se) else float("nan"),
               "pred_expected": expected,
               "z_expected": (m_mean - expected) / se if se and np.isfinite(se) else float("nan")}
        row.update((extra or {}).get(int(c), {}))
        rows.append(row)
    return pd.DataFrame(rows)


def _arch(c: int) -> str:
    from ..space import to_cell

    return to_cell(int(c)).to_str()


def kendall(pred: Sequence[float], meas: Sequence[float]) -> tuple[float, float]:
    """Kendall's tau between predicted and measured values.

    Args:
        pred: predicted values.
        meas: measured values, in the same order.

    Returns:
        `(tau, p-value)`; NaN for fewer than two cells.
    """
    if len(pred) < 2:
        return float("nan"), float("nan")
    from scipy.stats import kendalltau

    res = kendalltau(pred, meas)
    return float(res.statistic), float(res.pvalue)


def plot_report(report: ValidationReport, out: Path) -> list[Path]:
    """Predicted against measured, error bars = the seed sds, the y = x line.

    Args:
        report: the validation report.
        out: the output folder.

    Returns:
        The paths written: `validation.png` and `validation.pdf`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = report.frame
    fig, ax = plt.subplots(figsize=(5.2, 4.8))
    ax.errorbar(f["pred_mean"], f["meas_mean"], xerr=f["pred_sd"].fillna(0), yerr=f["meas_sd"].fillna(0), fmt="o",
                capsize=3, color="tab:blue", ecolor="tab:gray")
    for _, r in f.iterrows():
        ax.annotate(str(int(r.cell)), (r.pred_mean, r.meas_mean), textcoords="offset points", xytext=(4, 4), fontsize=8)
    pm, ps = f["pred_mean"].to_numpy(float), np.nan_to_num(f["pred_sd"].to_numpy(float))
    mm, ms = f["meas_mean"].to_numpy(float), np.nan_to_num(f["meas_sd"].to_numpy(float))
    ex = f["pred_expected"].to_numpy(float) if "pred_expected" in f else np.full(len(f), np.nan)
    if np.isfinite(ex).any():
        ax.scatter(ex, mm, facecolors="none", edgecolors="tab:orange", zorder=3,
                   label="expected for cells picked as the best (Tweedie)")
        for x0, x1, y in zip(pm, ex, mm):
            if np.isfinite(x1):
                ax.plot([x0, x1], [y, y], ":", color="tab:orange", lw=0.8)
    vals = np.concatenate([pm - ps, pm + ps, mm - ms, mm + ms, ex])
    vals = vals[np.isfinite(vals)]
    if len(vals):
        lo, hi = vals.min(), vals.max()
        pad = max(0.2, 0.05 * (hi - lo))
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "--", color="k", lw=0.8, label="measured = predicted")
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(lo - pad, hi + pad)
    tau = f"{report.kendall_tau:+.2f}" if np.isfinite(report.kendall_tau) else "n/a"
    ax.set_xlabel(f"predicted {report.metric} (table seed mean ± seed sd)")
    ax.set_ylabel(f"measured {report.metric} (mean ± sd of {len(report.seeds)} seeds)")
    ax.set_title(f"{report.table}: {len(f)} cells, Kendall τ = {tau}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    paths = [out / "validation.png", out / "validation.pdf"]
    for p in paths:
        fig.savefig(p, dpi=150)
    plt.close(fig)
    return paths
