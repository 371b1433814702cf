"""`nasbench info`'s facts, recomputed here from the arrays by hand."""
from __future__ import annotations

import numpy as np

from nasbench.summary import summarise_table
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
    from nasbench.benchmark import TabularBenchmark

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
    from nasbench.benchmark import TabularBenchmark

    full = synthetic_table()
    means = {k: np.nanmean(v, axis=1, keepdims=True) for k, v in full.metrics.items()}
    bench = TabularBenchmark(meta=full.meta, arch_row=full.arch_row, row_arch=full.row_arch, seeds=full.seeds,
                             epochs=full.epochs, metrics=means, mean_only=list(means))
    s = summarise_table(bench)
    assert np.isnan(s.mean_seed_std) and np.isnan(s.best_expected) and s.ranges["valid_acc"][1] > 0
    assert "seed noise     n/a" in "\n".join(s.lines())
