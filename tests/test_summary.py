"""`nasbench info`'s facts, recomputed here from the arrays by hand."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.tables.table_summary import summarise_table
from synthetic import synthetic_table


def test_summary_spread_and_noise_from_the_arrays():
    bench = synthetic_table()
    s = summarise_table(bench)
    runs = bench.metrics["valid_acc"][:, :, -1]  # (rows, seeds), last epoch
    per_cell = np.nanmean(runs, axis=1)[bench.arch_row[bench.covered]]  # every covered cell, by its row
    assert s.trainings == int(np.isfinite(runs).sum())
    assert np.isclose(s.spread, np.std(per_cell, ddof=1))
    assert np.allclose(list(s.percentiles.values()), np.percentile(per_cell, [10, 50, 90, 99]))
    top = np.sort(per_cell)[-(len(per_cell) // 100):]  # the best 156 of 15,625
    assert np.isclose(s.top1pct_spread, np.std(top, ddof=1))
    two = np.isfinite(runs).sum(1) >= 2
    assert np.isclose(s.mean_seed_std, np.mean(np.nanstd(runs[two], axis=1, ddof=1)))
    q25, q75 = np.percentile(per_cell, [25, 75])
    assert np.isclose(s.iqr, q75 - q25)
    text = "\n".join(s.lines())
    assert f"over all cells {s.spread:.3f} points = {s.spread / s.mean_seed_std:.1f} x seed noise" in text
    assert f"interquartile range of valid_acc {s.iqr:.3f} points" in text
    assert f"{s.iqr / 1.349 / s.mean_seed_std:.1f} x seed noise" in text


def test_body_spread_ignores_the_tail_of_broken_cells():
    """The std over all cells is mostly the few broken cells; the interquartile range is not."""
    from nasbench.tables.tabular import TabularBenchmark

    bench = synthetic_table()
    s = summarise_table(bench)
    metrics = {k: v.copy() for k, v in bench.metrics.items()}
    broken = bench.arch_row[np.arange(0, 15625, 20)]  # the rows of 5 % of the cells collapse to chance
    metrics["valid_acc"][broken] = 10.0
    t = summarise_table(TabularBenchmark(meta=bench.meta, arch_row=bench.arch_row, row_arch=bench.row_arch,
                                         seeds=bench.seeds, epochs=bench.epochs, metrics=metrics))
    assert t.spread > 1.5 * s.spread  # the std jumps
    assert abs(t.iqr - s.iqr) < 0.25 * s.iqr  # the body barely moves


def test_info_expects_the_best_cell_lower_on_fresh_seeds():
    s = summarise_table(synthetic_table())
    assert s.best_expected < s.best_valid  # the best of noisy values overstates its true mean
    assert s.best_valid - s.best_expected < 3 * s.mean_seed_std
    assert f"valid_acc {s.best_valid:.2f} in the table, {s.best_expected:.2f} expected" in "\n".join(s.lines())


def test_summary_of_a_table_with_seed_means_only():
    """Published data may give no per-seed values: no noise, no spread against it, no crash."""
    from nasbench.tables.tabular import TabularBenchmark

    full = synthetic_table()
    means = {k: np.nanmean(v, axis=1, keepdims=True) for k, v in full.metrics.items()}
    bench = TabularBenchmark(meta=full.meta, arch_row=full.arch_row, row_arch=full.row_arch, seeds=full.seeds,
                             epochs=full.epochs, metrics=means, mean_only=list(means))
    s = summarise_table(bench)
    assert np.isnan(s.mean_seed_std) and np.isnan(s.best_expected) and s.ranges["valid_acc"][1] > 0
    assert "seed noise     n/a" in "\n".join(s.lines())


# -- which differences are real (nasbench.stats.significance, summary.csv / pairs.csv) ---------------
def test_holm_by_hand():
    from nasbench.stats.significance import holm

    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> running max 0.02, 0.03, 0.06, 0.06
    assert np.allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    assert np.allclose(holm([0.5, 0.9]), [1.0, 1.0])  # capped at 1
    out = holm([0.01, float("nan"), 0.04])  # an untested pair is not counted: m = 2
    assert np.isnan(out[1]) and np.allclose(out[[0, 2]], [0.02, 0.04])
    assert holm([]).shape == (0,)


def test_cliffs_delta_and_u_by_hand():
    from nasbench.stats.significance import cliffs_delta, mann_whitney

    # 1 vs (2,2,4): -1,-1,-1; 2 vs: 0,0,-1; 3 vs: +1,+1,-1 -> -3/9
    assert cliffs_delta([1, 2, 3], [2, 2, 4]) == pytest.approx(-1 / 3)
    assert cliffs_delta([5, 6], [1, 2]) == 1.0
    u, p = mann_whitney([1, 2, 3], [4, 5, 6])
    assert u == 0 and p == pytest.approx(0.1)  # exact: 2 of C(6, 3) = 20 orderings are this extreme


def test_known_large_difference_is_significant():
    from nasbench.stats.significance import compare_pairs

    rng = np.random.default_rng(1)
    t, = compare_pairs({"random": rng.normal(93.7, 0.35, 20), "evolution": rng.normal(94.2, 0.2, 20)},
                       metric="test_acc")
    assert t.significant and t.better == "evolution" and t.p_holm < 0.001 and t.cliffs_delta < -0.6
    assert t.verdict.startswith("evolution finds better cells than random: test_acc 94.")
    assert "after Holm, Cliff's delta 0." in t.verdict and t.effect == "large"
    assert t.diff_ci_low < t.diff_mean < t.diff_ci_high < 0  # the interval excludes no difference


def test_bootstrap_interval():
    from nasbench.stats.significance import bootstrap_diff

    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 1.0, 400), rng.normal(0.0, 1.0, 400)
    lo, hi = bootstrap_diff(a, b)
    se = np.sqrt(np.var(a, ddof=1) / 400 + np.var(b, ddof=1) / 400)
    d = a.mean() - b.mean()  # large samples: close to the normal interval d +- 1.96 se
    assert lo == pytest.approx(d - 1.96 * se, abs=0.2 * se) and hi == pytest.approx(d + 1.96 * se, abs=0.2 * se)
    assert bootstrap_diff(a, b) == (lo, hi)  # fixed seed
    assert bootstrap_diff([1.0, 1.0], [1.0, 1.0]) == (0.0, 0.0) and np.isnan(bootstrap_diff([1.0], [2.0, 3.0])[0])


def test_identical_distributions_are_not_significant():
    from nasbench.stats.significance import compare_pairs

    rng = np.random.default_rng(2)
    same = rng.normal(93.7, 0.35, 15)
    t, = compare_pairs({"a": same, "b": same.copy()})
    assert not t.significant and t.p == 1.0 and t.cliffs_delta == 0 and t.better == ""
    assert t.verdict == "no detectable difference between a and b (p=1 after Holm)"
    t, = compare_pairs({"a": rng.normal(93.7, 0.35, 15), "b": rng.normal(93.7, 0.35, 15)})
    assert not t.significant and t.verdict.startswith("no detectable difference between a and b (p=")
    t, = compare_pairs({"a": [93.0] * 5, "b": [93.0] * 5})  # every value tied
    assert t.p == 1.0 and not t.significant


def test_holm_turns_a_marginal_pair_insignificant():
    """Alone, p = 0.0207 is significant; among 3 pairs it is not: c = a, so the p-values are 0.0207
    (a-b), 1 (a-c), 0.0207 (b-c) and Holm makes both small ones max(3 x 0.0207, 2 x 0.0207) = 0.062."""
    from nasbench.stats.significance import compare_pairs

    a = [1.0, 2, 3, 4, 5, 6, 7, 8]
    b = [x + 3.5 for x in a]
    t, = compare_pairs({"a": a, "b": b})
    assert t.p == pytest.approx(0.020668, abs=1e-6) and t.p_holm == t.p and t.significant
    ab, ac, bc = compare_pairs({"a": a, "b": b, "c": list(a)})
    assert ab.p == t.p and ac.p == 1.0 and bc.p == t.p
    assert ab.p_holm == pytest.approx(3 * t.p) and bc.p_holm == pytest.approx(3 * t.p) and ac.p_holm == 1.0
    assert not ab.significant and not bc.significant


def test_too_few_runs_nan_and_ties():
    from nasbench.stats.significance import compare_pairs

    pairs = compare_pairs({"one": [93.0], "two": [93.0, float("nan"), 94.0], "three": [92, 92, 95.0]})
    one_two, one_three, two_three = pairs
    assert np.isnan(one_two.p_holm) and not one_two.significant
    assert "not tested, too few runs (1 and 2 with a value" in one_two.verdict
    assert two_three.runs_a == 2 and np.isfinite(two_three.p)  # the NaN run is left out, ties handled
    assert "too few runs: even runs that do not overlap at all give p>=" in two_three.verdict
    assert compare_pairs({"only": [1.0, 2.0]}) == []


def test_compare_writes_summary_and_pairs(tmp_path):
    import pandas as pd

    from nasbench.search.runner import ExperimentConfig, run_comparison, summarise
    from nasbench.strategies import Budget
    from nasbench.search.summary import format_verdicts, pairwise

    res = run_comparison(ExperimentConfig(table="s", strategies=("random", "evolution", "local_search"), runs=4,
                                          budget=Budget("queries", 20), out=str(tmp_path / "r"), progress=False),
                         synthetic_table())
    s = pd.read_csv(res.path / "summary.csv", index_col="strategy")
    assert list(s.index) == ["random", "evolution", "local_search"]
    assert np.allclose(s.test_mean, summarise(res).test_mean)
    p = pd.read_csv(res.path / "pairs.csv")
    assert list(zip(p.a, p.b)) == [("random", "evolution"), ("random", "local_search"), ("evolution", "local_search")]
    assert {"p", "p_holm", "cliffs_delta", "significant", "better", "verdict"} <= set(p.columns)
    pairs = pairwise(res)
    assert np.allclose(p.p_holm, [t.p_holm for t in pairs])
    text = format_verdicts(pairs)
    assert text.startswith("which differences are real (two-sided Mann-Whitney U on the final test value, 4 runs")
    assert "Holm-corrected over 3 pairs" in text and all(t.verdict in text for t in pairs)
