"""Seed noise in a table, and what it does to cells picked for their high values.

Both answer questions about a few cells from the whole table's rows: `pooled_seed_sd` the
per-run noise of a cell (from its neighbours in accuracy, not from its own 2-3 runs), and
`tweedie_means` what a cell that was *selected* for its observed mean can be expected to
score on fresh seeds (the winner's curse, corrected by Tweedie's formula).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

POOL_ROWS = 200  # table rows pooled for the seed sd of a cell


def pooled_seed_sd(means: np.ndarray, sds: np.ndarray, at: Sequence[float], k: int = POOL_ROWS) -> np.ndarray:
    """For each value in `at`: sqrt of the mean seed variance over the `k` table rows (those
    with a seed sd) whose seed means are nearest to it. A cell's own sd from 2-3 runs is too noisy
    to divide by (with 2 degrees of freedom |t| > 2 is common by chance); its neighbours in
    accuracy give an estimate with hundreds of degrees of freedom that still follows how the noise
    changes with accuracy. The mean of variances, not of sds: an sd of few runs is biased low.

    Args:
        means: per-row seed means of a metric.
        sds: per-row seed sds (NaN where a row has none).
        at: the values to estimate the sd at.
        k: how many nearest rows to pool.

    Returns:
        The pooled seed sd at each value of `at`.
    """
    ok = np.isfinite(means) & np.isfinite(sds)
    m, v = np.asarray(means)[ok], np.asarray(sds)[ok] ** 2
    at = np.asarray(at, dtype=np.float64)
    if not len(m):
        return np.full(len(at), np.nan)
    k = min(k, len(m))
    return np.array([np.sqrt(v[np.argpartition(np.abs(m - x), k - 1)[:k]].mean()) if np.isfinite(x) else np.nan
                     for x in at])


def kde_bandwidth(values: np.ndarray) -> float:
    """Silverman's robust rule, 0.9 min(sd, IQR / 1.34) n^(-1/5): the IQR keeps the long tail of
    broken cells from smoothing away the dense top of the distribution.

    Args:
        values: the sample.

    Returns:
        The kernel bandwidth.
    """
    q75, q25 = np.percentile(values, [75, 25])
    spread = min(float(np.std(values, ddof=1)), (q75 - q25) / 1.34) or float(np.std(values, ddof=1))
    return 0.9 * spread * len(values) ** -0.2


def tweedie_means(row_means: np.ndarray, at: Sequence[float], var_of_mean: Sequence[float] | float) -> np.ndarray:
    """Tweedie's formula (Efron, 2011, "Tweedie's formula and selection bias"): for a cell whose
    observed mean is `x`, with noise variance `var_of_mean` (seed variance / runs), the
    expected true mean is `x + var_of_mean * d/dx log f(x)`, where `f` is the density of
    observed means over the table (a Gaussian kernel estimate from `row_means`). It holds
    whatever rule picked the cell, so it corrects the winner's curse of choosing the best of noisy
    values: at the top of the table `f` falls steeply, and the expectation lies below `x`.

    The kernel is never narrower than the noise (`h = max(Silverman, sqrt(var_of_mean))`): `f`
    is that smooth anyway (it is the true means' density blurred by the noise), and a narrower
    kernel makes the log-slope at the sparse top erratic. On simulated tables this leaves ~20 % of
    the bias in place but halves the error of the very best cell.

    Args:
        row_means: per-row seed means of the table.
        at: the observed means to correct.
        var_of_mean: noise variance of each observed mean (one for all, or one per value).

    Returns:
        The expected true mean at each value of `at`.
    """
    m = np.asarray(row_means, dtype=np.float64)
    m = m[np.isfinite(m)]
    at = np.asarray(at, dtype=np.float64)
    v = np.broadcast_to(np.asarray(var_of_mean, dtype=np.float64), at.shape)
    if len(m) < 2:
        return np.full(at.shape, np.nan)
    h0 = kde_bandwidth(m)
    out = np.full(at.shape, np.nan)
    for i, (x, vi) in enumerate(zip(at, v)):
        if not (np.isfinite(x) and np.isfinite(vi)):
            continue
        h = max(h0, float(np.sqrt(vi)))  # no finer than the noise itself: stable in the sparse top tail
        d2 = ((x - m) / h) ** 2
        w = np.exp(-0.5 * (d2 - d2.min()))  # kernel weights, scaled against underflow
        out[i] = x - vi * float(((x - m) * w).sum()) / (h * h * float(w.sum()))  # x + v f'(x)/f(x)
    return out


@dataclass(frozen=True)
class FreshSeedEstimate:
    """For each picked value: the per-run noise sd it is measured in (pooled over its neighbours in
    the table) and its expectation on fresh seeds (winner's curse removed)."""

    pooled_sd: np.ndarray
    expected: np.ndarray


def fresh_seed_estimate(row_means: np.ndarray, row_sds: np.ndarray, at: Sequence[float],
                        runs: Sequence[float] | float) -> FreshSeedEstimate:
    """The one computation behind `info`'s best-cell expectation and `validate`'s expected
    column: `row_means` and `row_sds` are a table's per-row seed means and seed sds of a metric
    (`TabularBenchmark.seed_mean` / `seed_std`: rows with fewer than 2 runs have no sd but
    still shape the density of means), `at` the picked cells' observed means and `runs` how
    many runs each of them averages.

    Args:
        row_means: per-row seed means of a metric.
        row_sds: per-row seed sds of the metric.
        at: the picked cells' observed means.
        runs: how many runs each observed mean averages.

    Returns:
        The estimate for each picked cell.
    """
    pooled = pooled_seed_sd(row_means, row_sds, at)
    var_of_mean = pooled ** 2 / np.asarray(runs, dtype=np.float64)
    return FreshSeedEstimate(pooled_sd=pooled, expected=tweedie_means(row_means, at, var_of_mean))
