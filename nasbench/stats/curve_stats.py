"""The line and band drawn for a set of anytime curves (runs x grid points), over a fixed set of
runs: a curve starts at the first grid point where every run has a value, so its early part can
never move because runs joined the average (a run with no value anywhere is left out and
counted). Bands: `se` mean +- standard error, `ci95` mean with a 95 % percentile bootstrap
interval of the mean (`scipy.stats.bootstrap`, fixed seed), `iqr` median with the quartiles.

```pycon
>>> import numpy as np
>>> b = curve_band(np.array([[np.nan, 3.0, 2.0], [4.0, 3.0, 1.0]]), "se")
>>> b.start, list(b.centre)
(1, [3.0, 1.5])
```
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..util.checks import quiet_nan_stats

BOOTSTRAP_RESAMPLES = 1000


def anytime(frame: pd.DataFrame, x: str, grid: np.ndarray, value: str = "incumbent_test") -> dict[str, np.ndarray]:
    """Per strategy, the incumbent's value at each grid point.

    Args:
        frame: a comparison's tidy results frame.
        x: `step` or `sim_time`.
        grid: the points of `x`.
        value: the column read.

    Returns:
        `{strategy: array (runs, len(grid))}`, NaN before a run's first query.
    """
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
    """Column means over the runs with a value, and their standard errors.

    Args:
        a: array (runs, grid).

    Returns:
        `(means, standard errors)`; the error is 0 where fewer than two runs have a value.
    """
    with quiet_nan_stats():
        n = np.sum(~np.isnan(a), axis=0)
        m = np.nanmean(a, axis=0)
        se = np.nanstd(a, axis=0, ddof=1) / np.sqrt(np.maximum(n, 1))
    se[n < 2] = 0.0
    return m, se


@dataclass(frozen=True)
class Band:
    """What to draw over `grid[start:]`: `centre` (mean or median), `low` and `high`.
    `runs`: the runs averaged (all of them from `start` on); `dropped`: runs with no value
    at any grid point, left out."""

    start: int
    centre: np.ndarray
    low: np.ndarray
    high: np.ndarray
    runs: int
    dropped: int


def first_complete(values: np.ndarray) -> int:
    """The first column where every row has a value (`values.shape[1]` if none).

    Args:
        values: (runs, grid points), NaN where a run has no value yet.

    Returns:
        A column index.
    """
    full = np.all(np.isfinite(values), axis=0)
    return int(np.argmax(full)) if full.any() else values.shape[1]


def _bootstrap_mean_ci(v: np.ndarray, level: float = 0.95, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the column means of `v` (runs, columns); identical
    columns are resampled once."""
    from scipy import stats

    uniq, inverse = np.unique(v, axis=1, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    lo = np.array(uniq.mean(axis=0))
    hi = lo.copy()
    spread = np.ptp(uniq, axis=0) > 0
    if spread.any():
        r = stats.bootstrap((uniq[:, spread],), np.mean, axis=0, vectorized=True, n_resamples=BOOTSTRAP_RESAMPLES,
                            confidence_level=level, method="percentile", random_state=np.random.default_rng(seed),
                            batch=max(1, 4_000_000 // max(1, uniq[:, spread].size)))
        lo[spread], hi[spread] = r.confidence_interval.low, r.confidence_interval.high
    return lo[inverse], hi[inverse]


def curve_band(values: np.ndarray, kind: str = "se") -> Band:
    """The line and band of `values` over a fixed set of runs.

    Args:
        values: (runs, grid points), NaN where a run has no value yet.
        kind: `se`, `ci95` or `iqr`.

    Returns:
        A `Band`; with fewer than 2 runs the band is the line itself.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"curve_band needs (runs, grid points) values, got shape {v.shape}")
    some = np.isfinite(v).any(axis=1)
    v = v[some]
    start = first_complete(v) if len(v) else v.shape[1]
    w = v[:, start:]
    n = len(w)
    if n == 0 or w.shape[1] == 0:
        empty = np.empty(0)
        return Band(v.shape[1], empty, empty, empty, n, int((~some).sum()))
    with quiet_nan_stats():
        if kind == "iqr":
            centre = np.median(w, axis=0)
            low, high = np.percentile(w, [25, 75], axis=0)
        elif kind == "ci95":
            centre = w.mean(axis=0)
            low, high = _bootstrap_mean_ci(w) if n >= 2 else (centre, centre)
        elif kind == "se":
            centre = w.mean(axis=0)
            se = w.std(axis=0, ddof=1) / np.sqrt(n) if n >= 2 else np.zeros_like(centre)
            low, high = centre - se, centre + se
        else:
            raise ValueError(f"band must be one of se, ci95, iqr, got {kind!r}")
    return Band(start, centre, np.asarray(low), np.asarray(high), n, int((~some).sum()))


__all__ = ["BOOTSTRAP_RESAMPLES", "Band", "anytime", "curve_band", "first_complete", "mean_se"]
