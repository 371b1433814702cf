"""Seed-noise statistics: the pooled sd of a cell, and Tweedie's correction of the winner's curse."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.tables.noise import fresh_seed_estimate, kde_bandwidth, pooled_seed_sd, tweedie_means


def test_pooled_seed_sd_uses_the_nearest_rows():
    means = np.array([10.0, 50.0, 51.0, 52.0, 90.0, np.nan, 91.0])
    sds = np.array([5.0, 1.0, 2.0, np.nan, 3.0, 9.0, 4.0])  # rows with NaN mean or sd are left out
    got = pooled_seed_sd(means, sds, [50.4, 95.0, 0.0, np.nan], k=2)
    assert got[0] == pytest.approx(np.sqrt((1 + 4) / 2))  # 50 and 51 (52 has no sd)
    assert got[1] == pytest.approx(np.sqrt((9 + 16) / 2))  # 91 and 90
    assert got[2] == pytest.approx(np.sqrt((25 + 1) / 2)) and np.isnan(got[3])
    assert pooled_seed_sd(means, sds, [50.0], k=99)[0] == pytest.approx(np.sqrt(np.mean([25, 1, 4, 9, 16])))
    assert np.isnan(pooled_seed_sd(means, np.full(7, np.nan), [50.0])).all()


def _simulated_table(seed: int, n_cells: int = 5260, runs: int = 3, sd: float = 0.5):
    """True means shaped like a small NAS table (a dense top, a long tail of broken cells) and
    observed seed means of ``runs`` runs each."""
    rng = np.random.default_rng(seed)
    dense = int(0.9 * n_cells)
    true = np.concatenate([rng.normal(98.3, 0.45, dense), rng.uniform(10, 97, n_cells - dense)])
    return true, true + rng.normal(0, sd / np.sqrt(runs), n_cells)


def test_tweedie_removes_most_of_the_winners_curse():
    """Over 10 simulated tables, the top 20 by observed mean: the raw values overstate the true
    means by ~0.45 points, Tweedie's expectations by ~0.1 (one table's 20 cells vary, so average)."""
    raw_bias, tw_bias, raw_err, tw_err = [], [], [], []
    for seed in range(10):
        true, observed = _simulated_table(seed)
        top = np.argsort(observed)[-20:]  # picked for their observed values
        expected = tweedie_means(observed, observed[top], 0.5 ** 2 / 3)
        raw_bias.append(np.mean(observed[top] - true[top]))
        tw_bias.append(np.mean(expected - true[top]))
        raw_err.append(np.sqrt(np.mean((observed[top] - true[top]) ** 2)))
        tw_err.append(np.sqrt(np.mean((expected - true[top]) ** 2)))
    assert np.mean(raw_bias) > 0.3  # the curse is there
    assert abs(np.mean(tw_bias)) < 0.35 * np.mean(raw_bias)
    assert np.mean(tw_err) < 0.75 * np.mean(raw_err)


def test_tweedie_leaves_the_middle_alone_and_handles_gaps():
    _, observed = _simulated_table(0)
    mid = np.median(observed)
    assert tweedie_means(observed, [mid], 0.5 ** 2 / 3)[0] == pytest.approx(mid, abs=0.05)
    assert tweedie_means(observed, [mid], 0.0)[0] == mid  # no noise: nothing to correct
    got = tweedie_means(observed, [np.nan, mid], [0.1, np.nan])
    assert np.isnan(got).all()
    assert np.isnan(tweedie_means([1.0], [1.0], 0.1)).all()


def test_kde_bandwidth_follows_the_dense_part():
    _, observed = _simulated_table(0)
    h = kde_bandwidth(observed)
    iqr = np.subtract(*np.percentile(observed, [75, 25]))
    assert h == pytest.approx(0.9 * iqr / 1.34 * len(observed) ** -0.2)  # not the tail-inflated sd


def test_fresh_seed_estimate_is_pooled_sd_then_tweedie():
    """The helper behind info and validate: the pooled sd and Tweedie's expectation of the picked
    means, from a table's row means and sds (rows of 1 run have a mean but no sd; of 0 runs, none)."""
    rng = np.random.default_rng(3)
    true, _ = _simulated_table(1, n_cells=800)
    final = true[:, None] + rng.normal(0, 0.5, (800, 3))
    final[::7, 2] = np.nan  # two runs
    final[::11, 1:] = np.nan  # one run: no sd, but a mean
    final[5] = np.nan  # no run at all
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        means = np.nanmean(final, axis=1)
    n = (~np.isnan(final)).sum(axis=1)
    sds = np.where(n > 1, np.nanstd(np.where(n[:, None] > 1, final, 0.0), axis=1, ddof=1), np.nan)
    picked = np.argsort(np.nan_to_num(means, nan=-1))[-5:]
    got = fresh_seed_estimate(means, sds, means[picked], n[picked])
    want_sd = pooled_seed_sd(means, sds, means[picked])
    np.testing.assert_allclose(got.pooled_sd, want_sd)
    np.testing.assert_allclose(got.expected, tweedie_means(means, means[picked], want_sd ** 2 / n[picked]))
    assert (got.expected < means[picked]).all()  # the best of noisy values: expected lower
    empty = fresh_seed_estimate(np.full(4, np.nan), np.full(4, np.nan), [80.0], 1)
    assert np.isnan(empty.pooled_sd).all() and np.isnan(empty.expected).all()
