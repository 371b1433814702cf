"""Statistics for independent runs (no pairing by run number), the summary's convergence columns,
summary.tex, and the figures' presets, bands, colours and regret curves over a fixed set of runs."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from nasbench.stats.curve_stats import curve_band
from nasbench.search.runner import ExperimentConfig, run_comparison
from nasbench.search.plot_options import MIN_FONT_PT, PlotOptions
from nasbench.stats.significance import compare_pairs, kruskal_wallis, no_difference_groups, pooled_ranks
from nasbench.strategies import Budget
from synthetic import synthetic_table

STRATEGIES = ("random", "evolution", "local_search")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("stats") / "r"
    return run_comparison(ExperimentConfig(table="s", strategies=STRATEGIES, runs=6, budget=Budget("queries", 25),
                                           out=str(out), progress=False), synthetic_table())


# -- independent samples: never paired by run number --------------------------------------------
def test_pooled_ranks_do_not_depend_on_run_order_or_equal_run_counts():
    rng = np.random.default_rng(1)
    samples = {"a": rng.normal(0, 1, 7), "b": rng.normal(1, 1, 5), "c": rng.normal(2, 1, 9)}
    pr = pooled_ranks(samples)
    shuffled = pooled_ranks({k: rng.permutation(v) for k, v in samples.items()})
    assert np.allclose(pr.mean_rank, shuffled.mean_rank)  # pairing runs by number would change this
    from scipy import stats

    allv = np.concatenate(list(samples.values()))
    r = stats.rankdata(-allv)
    assert np.isclose(pr.mean_rank[0], r[:7].mean()) and pr.total == 21 and pr.runs == [7, 5, 9]
    assert np.all(pr.ci_low <= pr.mean_rank) and np.all(pr.mean_rank <= pr.ci_high)
    h, p = kruskal_wallis(samples)
    ref = stats.kruskal(*samples.values())
    assert np.isclose(h, ref.statistic) and np.isclose(p, ref.pvalue) and np.isclose(pr.kruskal_p, p)


def test_rank_curves_pool_runs_of_different_counts():
    from nasbench.analysis.rank_plots import ranks_over_budget

    curves = {"a": np.array([[1.0, 3.0], [2.0, 2.0]]), "b": np.array([[1.5, 2.5]])}
    r = ranks_over_budget(curves)  # column 0 pooled: 1.0, 2.0, 1.5 -> ranks 3, 1, 2
    assert list(r["a"]) == [2.0, 2.0] and list(r["b"]) == [2.0, 2.0]
    swapped = ranks_over_budget({"a": curves["a"][::-1], "b": curves["b"]})
    assert all(np.allclose(r[k], swapped[k]) for k in r)


def test_rank_groups_say_what_the_verdicts_say():
    low = [90.0 + 0.1 * i for i in range(8)]
    values = {"a": low, "b": [95.0 + 0.1 * i for i in range(8)], "c": [90.05 + 0.1 * i for i in range(8)],
              "d": [95.02 + 0.1 * i for i in range(8)]}
    pairs = compare_pairs(values)
    pr = pooled_ranks(values)
    order = [pr.labels[i] for i in np.argsort(pr.mean_rank)]
    groups = no_difference_groups(order, pairs)
    sig = {frozenset((p.a, p.b)) for p in pairs if p.significant}
    joined = {frozenset((order[i], order[j])) for a, b in groups for i in range(a, b + 1) for j in range(i + 1, b + 1)}
    assert not joined & sig  # a bar never joins a significant pair
    assert {frozenset(p) for p in (("a", "c"), ("b", "d"))} <= joined  # every unseparated neighbour is joined
    assert len(groups) == 2


def test_rank_figures_do_not_change_when_run_numbers_are_relabelled(finished):
    """Renumbering one strategy's runs changes nothing: runs are not paired across strategies by number."""
    from nasbench.stats.curve_stats import anytime
    from nasbench.analysis.rank_plots import final_pooled_ranks, pooled_rank_curves

    frame = finished.frame()
    relabelled = frame.copy()
    ev = relabelled.strategy == "evolution"
    relabelled.loc[ev, "run"] = 5 - relabelled.loc[ev, "run"]
    assert np.allclose(final_pooled_ranks(frame).mean_rank, final_pooled_ranks(relabelled).mean_rank)
    grid = np.linspace(1, 25, 10)
    a, b = (pooled_rank_curves(anytime(f, "step", grid)) for f in (frame, relabelled))
    assert all(np.allclose(a[k].mean(axis=0), b[k].mean(axis=0)) for k in STRATEGIES)


# -- summary: distinct final cells and the share on the optimum -----------------------------------
def test_summary_counts_distinct_final_cells_and_optimum_share(finished):
    from nasbench.search.runner import final_rows, format_summary, summarise

    s = summarise(finished)
    fin = final_rows(finished.frame())
    best = finished.provenance["optimum"]["best_test"]
    for k in STRATEGIES:
        f = fin[fin.strategy == k]
        assert s.loc[k, "distinct_finals"] == f.incumbent.nunique()
        assert np.isclose(s.loc[k, "optimum_share"], np.mean(f.incumbent_test >= best - 1e-9))
    csv = pd.read_csv(finished.path / "summary.csv", index_col="strategy")
    assert {"distinct_finals", "optimum_share"} <= set(csv.columns)
    text = format_summary(s, best)
    assert "final cells" in text and "on optimum" in text
    row = next(line for line in text.splitlines() if line.startswith("evolution"))
    assert row.split()[-2:] == [str(int(s.loc["evolution", "distinct_finals"])),
                                f"{100 * s.loc['evolution', 'optimum_share']:.0f}%"]


# -- summary.tex --------------------------------------------------------------------------------
def _tex_rows(text: str) -> list[list[str]]:
    body = text.split(r"\midrule")[1].split(r"\bottomrule")[0]
    return [re.split(r"(?<!\\)&", line.rstrip(" \\")) for line in body.strip().splitlines()]


def test_summary_tex_is_a_booktabs_table_with_bold_best_and_markers(finished):
    from nasbench.search.runner import summarise
    from nasbench.search.summary import final_values, pairwise

    text = (finished.path / "summary.tex").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("%")]
    assert lines[0] == r"\begin{tabular}{lrlrrr}" and lines[-1] == r"\end{tabular}"
    assert [line for line in lines if "rule" in line][:3] == [r"\toprule", r"\midrule", r"\bottomrule"]
    assert text.count("{") == text.count("}")
    rows = _tex_rows(text)
    assert [r[0].strip().split(" ")[0].replace("\\_", "_") for r in rows] == list(STRATEGIES)
    assert all(len(r) == 6 for r in rows)
    s = summarise(finished)
    values, _ = final_values(finished)
    best = s.test_mean.round(2).max()
    for (k, r), row in zip(s.iterrows(), rows):
        mean, std = re.match(r"\s*(?:\\textbf\{)?([\d.]+)\}? \$\\pm\$ ([\d.]+)", row[2]).groups()
        assert float(mean) == pytest.approx(r.test_mean, abs=0.006)
        assert float(std) == pytest.approx(np.std(values[k], ddof=1), abs=0.006)  # sample std
        assert ("textbf" in row[2]) == (round(r.test_mean, 2) == best)
    assert "random \\textit{(baseline)}" in rows[0][0]
    for p in pairwise(finished):
        if "random" in (p.a, p.b):
            other = p.b if p.a == "random" else p.a
            row = rows[list(STRATEGIES).index(other)]
            marker = "" if not p.significant else r"\uparrow" if p.better == other else r"\downarrow"
            assert (marker in row[2]) if marker else ("uparrow" not in row[2] and "downarrow" not in row[2])


def test_summary_tex_escapes_labels_and_takes_a_baseline():
    from nasbench.search.summary_tex import summary_tex

    s = pd.DataFrame({"runs": [3, 3], "test_mean": [1.0, 2.0], "regret_mean": [1.0, 0.0], "distinct_finals": [3, 1],
                      "optimum_share": [0.0, 1.0]}, index=["my_plugin&co", "evolution"])
    values = {"my_plugin&co": [0.9, 1.0, 1.1], "evolution": [2.0, 2.1, 1.9]}
    pairs = compare_pairs({k: v * 3 for k, v in values.items()})  # 9 runs each: significant
    text = summary_tex(s, values, pairs, baseline="my_plugin&co")
    assert r"my\_plugin\&co \textit{(baseline)}" in text and r"\textbf{2.00} $\pm$ 0.10$^{\uparrow}$" in text
    assert "no baseline" in summary_tex(s, values, pairs)  # no random: no markers
    from nasbench.search.plot_options import PlotOptionError

    with pytest.raises(PlotOptionError, match="baseline 'bohb' is not a strategy of this comparison"):
        summary_tex(s, values, pairs, baseline="bohb")


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None, reason="pdflatex not installed")
def test_summary_tex_compiles(finished, tmp_path):
    import subprocess

    doc = tmp_path / "doc.tex"
    doc.write_text("\\documentclass{article}\\usepackage{booktabs}\\begin{document}\n"
                   f"\\input{{{finished.path / 'summary.tex'}}}\n\\end{{document}}\n")
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:]


# -- figures ------------------------------------------------------------------------------------
def _capture_figures(monkeypatch) -> list[dict]:
    """Record, at every savefig, the figure's size, its texts' font sizes and whether each text
    lies inside the figure, and the colour of each labelled line."""
    import matplotlib.figure
    import matplotlib.text

    seen: list[dict] = []
    original = matplotlib.figure.Figure.savefig

    def savefig(fig, fname, *a, **k):
        out = original(fig, fname, *a, **k)
        name = str(fname).rsplit("/", 1)[-1].removesuffix(".tmp")  # written through an atomic temp file
        if name.endswith(".png"):
            fig.canvas.draw()  # lay out again at the figure's own dpi, where it is measured
            renderer = fig.canvas.get_renderer()
            box = fig.bbox
            hidden = set()  # labels of ticks outside the view limits: matplotlib does not draw them
            for ax in fig.axes:
                for axis in (ax.xaxis, ax.yaxis):
                    lo, hi = sorted(axis.get_view_interval())
                    for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                        if not ax.axison or not lo - 1e-9 * abs(hi - lo) <= tick.get_loc() <= hi + 1e-9 * abs(hi - lo):
                            hidden |= {id(tick.label1), id(tick.label2)}
            texts = [t for t in fig.findobj(matplotlib.text.Text)
                     if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
            outside = []
            for t in texts:
                e = t.get_window_extent(renderer)
                if e.x0 < box.x0 - 1 or e.x1 > box.x1 + 1 or e.y0 < box.y0 - 1 or e.y1 > box.y1 + 1:
                    outside.append(t.get_text())
            lines = {ln.get_label(): ln.get_color() for ax in fig.axes for ln in ax.get_lines()
                     if not ln.get_label().startswith("_")}
            seen.append({"name": name, "size": tuple(fig.get_size_inches()),
                         "fonts": {t.get_text(): t.get_fontsize() for t in texts}, "outside": outside,
                         "lines": lines})
        return out

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    return seen


@pytest.mark.parametrize("width, inches", [("one-column", 3.3), ("two-column", 6.9)])
def test_print_presets_have_no_text_under_7pt_at_their_width(finished, tmp_path, monkeypatch, width, inches):
    from nasbench.analysis.plots import draw_cd, plot_results
    from nasbench.stats.significance import critical_difference

    seen = _capture_figures(monkeypatch)
    opts = PlotOptions(width=width)
    plot_results(finished, tmp_path / "fig", opts)
    cd = critical_difference(np.random.default_rng(0).normal(size=(3, 4)) + np.arange(4),
                             ["random", "evolution", "reinforce", "a_long_plugin_name"])
    with opts.style():
        draw_cd(cd, tmp_path / "fig", "critical_difference_tables", "tables", opts)
    names = {f["name"] for f in seen}
    assert {"regret_vs_queries.png", "regret_vs_time.png", "final_test.png", "mean_rank.png", "rank_groups.png",
            "critical_difference_tables.png"} <= names
    for f in seen:
        assert f["size"][0] == pytest.approx(inches), f["name"]
        small = {t: s for t, s in f["fonts"].items() if s < MIN_FONT_PT}
        assert not small, (f["name"], small)
        assert not f["outside"], (f["name"], f["outside"])  # nothing cut off at the page's column
    from PIL import Image

    assert Image.open(tmp_path / "fig" / "final_test.png").size[0] == round(inches * 300)


def test_every_figure_uses_the_palette_colours(finished, tmp_path, monkeypatch):
    from nasbench.analysis.palette import strategy_colours
    from nasbench.analysis.plots import plot_results

    seen = _capture_figures(monkeypatch)
    plot_results(finished, tmp_path / "fig")
    colours = strategy_colours(list(STRATEGIES))
    checked = 0
    for f in seen:
        for label, c in f["lines"].items():
            if label in colours:
                assert c == colours[label], (f["name"], label)
                checked += 1
    assert checked >= 3 * 3  # both regret figures and the rank curves


def test_cd_figure_has_no_blank_band(tmp_path, monkeypatch):
    """The diagram's drawn content spans the figure's height (issue 27: a blank lower third)."""
    import matplotlib.figure

    from nasbench.analysis.plots import draw_cd
    from nasbench.stats.significance import critical_difference

    heights = []
    original = matplotlib.figure.Figure.savefig

    def savefig(fig, fname, *a, **k):
        out = original(fig, fname, *a, **k)
        tight = fig.get_tightbbox(fig.canvas.get_renderer())
        heights.append(tight.height / fig.get_size_inches()[1])
        return out

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    for k in (2, 4, 7):
        cd = critical_difference(np.random.default_rng(k).normal(size=(5, k)) + np.arange(k),
                                 [f"s{i}" for i in range(k)])
        opts = PlotOptions(width="one-column")
        with opts.style():
            draw_cd(cd, tmp_path, f"cd{k}", "tables", opts)
    assert min(heights) > 0.85, heights


# -- regret curves over a fixed set of runs -------------------------------------------------------
def _staggered_frame() -> pd.DataFrame:
    """One strategy, three runs whose first query finishes at t = 1, 10 and 30, each improving."""
    rows = []
    for run, (t0, first) in enumerate(((1.0, 99.0), (10.0, 50.0), (30.0, 60.0))):
        for i in range(5):
            rows.append({"strategy": "random", "run": run, "step": i + 1, "sim_time": t0 + 10 * i,
                         "incumbent_test": first + 0.2 * i})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("band", ["se", "ci95", "iqr"])
def test_early_regret_never_rises_because_runs_join(band):
    from nasbench.stats.curve_stats import anytime, mean_se
    from nasbench.analysis.plots import regret_bands

    frame = _staggered_frame()
    grid = np.geomspace(1, 70, 50)
    old, _ = mean_se(100.0 - anytime(frame, "sim_time", grid)["random"])
    assert np.nanmax(np.diff(old)) > 10  # averaging whoever has an incumbent rises: 1 -> 25.5 -> 30
    b = regret_bands(frame, 100.0, grid, "sim_time", band)["random"]
    assert grid[b.start] >= 30 and b.runs == 3
    assert np.all(np.diff(b.centre) <= 1e-12)
    assert np.all(b.low <= b.centre + 1e-12) and np.all(b.centre <= b.high + 1e-12)


def test_bands_match_their_definitions():
    from scipy import stats

    rng = np.random.default_rng(3)
    v = rng.normal(size=(12, 4))
    se = curve_band(v, "se")
    assert np.allclose(se.high - se.centre, v.std(axis=0, ddof=1) / np.sqrt(12))
    iqr = curve_band(v, "iqr")
    assert np.allclose(iqr.centre, np.median(v, axis=0)) and np.allclose(iqr.low, np.percentile(v, 25, axis=0))
    ci = curve_band(v, "ci95")
    ref = stats.bootstrap((v[:, 0],), np.mean, n_resamples=1000, method="percentile",
                          random_state=np.random.default_rng(0))
    assert ci.low[0] == pytest.approx(ref.confidence_interval.low, abs=0.05)
    assert ci.high[0] == pytest.approx(ref.confidence_interval.high, abs=0.05)
    assert np.all(ci.low < ci.centre) and np.all(ci.centre < ci.high)


# -- flags and config keys ------------------------------------------------------------------------
@pytest.mark.parametrize("argv, msg", [
    (["compare", "--band", "wide"], "--band must be one of se, ci95, iqr, got 'wide'"),
    (["compare", "--width", "3in"], "--width must be one of default, one-column, two-column, got '3in'"),
    (["compare", "--strategies", "random,evolution", "--baseline", "bohb"],
     "plots.baseline 'bohb' is not a strategy of this comparison; choose one of random, evolution"),
    (["plot", "nowhere", "--band", "sd"], "--band must be one of se, ci95, iqr, got 'sd'"),
])
def test_bad_plot_flags_are_one_line(argv, msg, capsys, tmp_path, monkeypatch):
    from nasbench.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1, err
    assert not any(tmp_path.iterdir())


def test_plots_config_keys(tmp_path):
    from nasbench.search.runner import ConfigError

    good = tmp_path / "c.toml"
    good.write_text('strategies = ["random", "evolution"]\n[plots]\nwidth = "one-column"\nband = "iqr"\n'
                    'baseline = "evolution"\n')
    cfg = ExperimentConfig.from_file(good)
    assert cfg.plots == PlotOptions("one-column", "iqr", "evolution")
    assert "plots" not in cfg.identity()  # drawing changes no result
    assert ExperimentConfig.from_file(good, plots={"band": "ci95"}).plots.band == "ci95"
    bad = tmp_path / "b.toml"
    bad.write_text('runs = 2\n[plots]\nband = "wide"\n')
    with pytest.raises(ConfigError, match=r"b.toml:3: plots.band must be one of se, ci95, iqr, got 'wide'"):
        ExperimentConfig.from_file(bad)
    bad.write_text('runs = 2\n[plots]\ncolour = "red"\n')
    with pytest.raises(ConfigError, match="unknown key 'plots.colour'; valid: width, band, baseline"):
        ExperimentConfig.from_file(bad)


def test_plot_command_redraws_with_flags_and_rewrites_summary_tex(finished, tmp_path, capsys):
    import shutil

    from nasbench.cli import main

    d = tmp_path / "r"
    shutil.copytree(finished.path, d)
    assert main(["plot", str(d), "--width", "one-column", "--band", "iqr", "--baseline", "evolution"]) == 0
    assert "evolution \\textit{(baseline)}" in (d / "summary.tex").read_text()
    assert (d / "figures" / "rank_groups.pdf").is_file()
    assert main(["plot", str(d), "--baseline", "bohb"]) == 2
    assert "evolution \\textit{(baseline)}" in (d / "summary.tex").read_text()  # refused: unchanged
