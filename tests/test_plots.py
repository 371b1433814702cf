"""Figures of a results directory (SYNTHETIC table, mechanics only) and the statistics behind them."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.search.runner import ExperimentConfig, run_comparison
from nasbench.analysis.plots import anytime, critical_difference, plot_results, ranks_over_budget
from nasbench.strategies import Budget, Protocol


def test_plot_results_writes_png_and_pdf(tmp_path, bench):
    res = run_comparison(ExperimentConfig(table="s", strategies=("random", "evolution", "local_search"), runs=4,
                                          budget=Budget("queries", 30), out=str(tmp_path / "r"), progress=False), bench)
    paths = plot_results(res.path, tmp_path / "fig")
    names = {p.name for p in paths}
    for stem in ("regret_vs_queries", "regret_vs_time", "final_test", "mean_rank", "rank_groups"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= names
    assert "critical_difference.png" not in names  # within a table runs are not blocks (issue 22)
    assert all(p.stat().st_size > 1000 for p in paths)


def test_pareto_plot(tmp_path, bench):
    res = run_comparison(ExperimentConfig(table="s", strategies=("mo_random", "mo_evolution"), runs=3,
                                          budget=Budget("queries", 30), protocol=Protocol(objectives=("params",)),
                                          out=str(tmp_path / "r"), progress=False), bench)
    names = {p.name for p in plot_results(res, tmp_path / "fig")}
    assert "pareto_params.png" in names and "pareto_params.pdf" in names


def test_critical_difference_matches_demsar():
    # Nemenyi CD for k=4, N=14, alpha=0.05: q=2.569, CD = 2.569*sqrt(4*5/(6*14)) = 1.2536 (Demsar 2006)
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(14, 4)) + np.array([0, 0.5, 1.0, 3.0])
    r = critical_difference(scores, list("abcd"))
    assert r.cd == pytest.approx(1.2536, abs=1e-3)
    assert r.mean_ranks[3] < r.mean_ranks[0] and r.friedman_p < 0.05
    from scipy import stats
    q = stats.studentized_range.ppf(0.95, 4, np.inf) / np.sqrt(2)
    assert q == pytest.approx(2.569, abs=2e-3)


def test_anytime_and_ranks():
    import pandas as pd

    df = pd.DataFrame({"strategy": ["a"] * 3 + ["b"] * 3, "run": [0] * 6, "step": [1, 2, 3] * 2,
                       "incumbent_test": [1.0, 2.0, 3.0, 2.0, 2.0, 2.5]})
    c = anytime(df, "step", np.array([0.5, 1, 2.5, 3]))
    assert np.isnan(c["a"][0, 0]) and list(c["a"][0, 1:]) == [1.0, 2.0, 3.0]
    r = ranks_over_budget({k: v[:, 1:] for k, v in c.items()})
    assert list(r["a"]) == [2.0, 1.5, 1.0]


@pytest.fixture(scope="module")
def finished(tmp_path_factory, bench):
    out = tmp_path_factory.mktemp("plots") / "r"
    run_comparison(ExperimentConfig(table="s", strategies=("random", "evolution"), runs=3,
                                    budget=Budget("queries", 10), out=str(out), progress=False), bench)
    return out


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst / "results.csv"


@pytest.mark.parametrize("damage, msg", [
    (lambda t: t[: len(t) // 2], "the last line is cut short (an interrupted write?)"),
    (lambda t: t.replace("\n", "\nrandom,0,1\n", 1), "line 2 has 3 fields, the header 11"),
    (lambda t: "\n".join(l if i != 4 else l.rsplit(",", 1)[0] + ",abc" for i, l in enumerate(t.split("\n"))),
     "line 5, column incumbent_test: 'abc' is not a number"),
    (lambda t: "\n".join(l if i != 3 else l.replace("random,0,", "random,zero,", 1) for i, l in enumerate(t.split("\n"))),
     "line 4, column run: 'zero' is not a number"),
    (lambda t: "\n".join(l if i != 2 else l.replace("random,0,2,", "random,0,2.5,", 1) for i, l in enumerate(t.split("\n"))),
     "line 3, column step: 2.5 is not a whole number"),
    (lambda t: t.replace("incumbent_test", "inc_test", 1), "no column(s) incumbent_test"),
    (lambda t: "", "empty file"),
])
def test_plot_refuses_a_damaged_results_table(finished, tmp_path, capsys, damage, msg):
    from nasbench.cli import main

    table = _copy(finished, tmp_path / "r")
    table.write_text(damage(table.read_text()))
    before = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert main(["plot", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert f"{table}: {msg}" in err and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == before  # no figure folder


def test_a_failed_plot_leaves_no_half_written_folder(finished, tmp_path, monkeypatch):
    import nasbench.analysis.plots as plots

    _copy(finished, tmp_path / "r")
    before = sorted(p.name for p in (tmp_path / "r").iterdir())

    def broken(*a, **k):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(plots, "plot_ranks", broken)  # after the regret and final figures were drawn
    with pytest.raises(RuntimeError):
        plot_results(tmp_path / "r")
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == before  # no figure folder, no temporary one
    monkeypatch.undo()
    first = plot_results(tmp_path / "r")
    assert all(p.parent == tmp_path / "r" / "figures" and p.is_file() for p in first)
    stamp = {p.name: p.read_bytes() for p in first}
    monkeypatch.setattr(plots, "plot_ranks", broken)
    with pytest.raises(RuntimeError):
        plot_results(tmp_path / "r")
    assert {p.name: p.read_bytes() for p in (tmp_path / "r" / "figures").iterdir()} == stamp  # old set untouched
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == sorted(before + ["figures"])


def _final_frame(values: dict[str, list[float]]):
    import pandas as pd

    rows = [{"strategy": k, "run": r, "step": 1, "incumbent_test": v} for k, vs in values.items()
            for r, v in enumerate(vs)]
    return pd.DataFrame(rows)


def test_final_figure_marks_significant_pairs(tmp_path):
    from nasbench.analysis.plots import _plt, _significance_brackets, plot_final
    from nasbench.stats.significance import compare_pairs

    low = [90.0 + 0.1 * i for i in range(8)]
    values = {"a": low, "b": [95.0 + 0.1 * i for i in range(8)], "c": list(low)}
    paths = plot_final(_final_frame(values), 96.0, tmp_path)
    assert {p.name for p in paths} == {"final_test.png", "final_test.pdf"}
    fig, ax = _plt().subplots()
    data = [np.array(v) for v in values.values()]
    assert _significance_brackets(ax, list(values), data, compare_pairs(values), 96.0) == 2  # a-b, b-c; not a-c
    assert sorted(t.get_text() for t in ax.texts) == ["***", "***"]  # Holm p = 3 x 2/C(16,8) = 0.00047
    _plt().close(fig)


def test_final_figure_with_one_run_nan_and_identical_runs(tmp_path):
    from nasbench.analysis.plots import plot_final

    frame = _final_frame({"one": [93.0], "nan": [float("nan"), float("nan")], "same": [93.0, 93.0, 93.0]})
    assert len(plot_final(frame, 94.0, tmp_path)) == 2
