"""Several benchmarks in one comparison: per-table results directories, the aggregate over tables
(mean rank, normalised regret, Friedman), resume, refusals, config lists, CLI and plots.
Uses SYNTHETIC tables of tests/synthetic.py (invented numbers; mechanics only)."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from nasbench.cli import main
from nasbench.search.runner import ConfigError, ExperimentConfig, open_results, summarise
from nasbench.search.multitable import (aggregate, is_multi, join_tables, normalised_regret, open_multi, run_tables,
                                 split_tables)
from nasbench.strategies import Budget, Protocol
from synthetic import synthetic_table


@pytest.fixture(scope="module")
def tables(synthetic_tables):
    """conftest's two synthetic tables as files (a.h5, b.h5), c.h5 beside them, and the benches themselves."""
    from nasbench.tables.hdf5 import write_table

    d = synthetic_tables
    benches = {name: synthetic_table(seed=seed) for name, seed in (("a", 0), ("b", 1))}
    from nasbench.tables.tabular import TabularBenchmark

    c = synthetic_table(seed=2)  # a table with a second signal that a.h5 and b.h5 lack
    write_table(d / "c.h5", TabularBenchmark(meta=c.meta, arch_row=c.arch_row, row_arch=c.row_arch, seeds=c.seeds,
                                             epochs=c.epochs, metrics={**c.metrics,
                                                                       "valid_acc_s12": c.metrics["valid_acc"].copy()}))
    return d, benches


def _cfg(tmp_path, d, **kw):
    base = dict(table=f"{d / 'a.h5'},{d / 'b.h5'}", strategies=("random", "evolution", "local_search"), runs=3,
                budget=Budget("queries", 15), out=str(tmp_path / "multi"), progress=False)
    base.update(kw)
    return ExperimentConfig(**base)


@pytest.fixture(scope="module")
def multi(tmp_path_factory, tables):
    d, _ = tables
    return run_tables(_cfg(tmp_path_factory.mktemp("m"), d))


def test_split_and_join_tables():
    assert split_tables(" a, b,c ") == ["a", "b", "c"] and split_tables("a") == ["a"]
    assert join_tables(["a", "b"]) == "a,b" and join_tables("a") == "a"
    assert is_multi("a,b") and not is_multi("a") and not is_multi("a,")
    with pytest.raises(ConfigError, match="a list of names"):
        split_tables(["a", 3])


def test_each_table_is_a_normal_results_dir(multi, tables):
    d, benches = tables
    assert sorted(p.name for p in multi.path.iterdir() if p.is_dir()) == ["a", "b"]
    for t, name in zip(multi.tables, "ab"):
        res = open_results(multi.path / name)
        assert res.frame().groupby("strategy").run.nunique().tolist() == [3, 3, 3]
        assert (res.path / "summary.csv").is_file() and (res.path / "pairs.csv").is_file()
        test = benches[name].values("test_acc")  # seed mean per cell, NaN where not covered
        assert multi.optimum[t] == pytest.approx(np.nanmax(test)) == res.provenance["optimum"]["best_test"]
        assert multi.median[t] == pytest.approx(np.nanmedian(test))


def test_aggregate_by_hand(multi):
    agg = pd.read_csv(multi.path / "aggregate.csv", index_col="strategy")
    labels = ["random", "evolution", "local_search"]
    assert list(agg.index) == labels
    means = pd.DataFrame({t: summarise(multi.dirs[t]).test_mean for t in multi.tables})  # strategies x tables
    ranks = means.rank(ascending=False)
    assert np.allclose(agg.mean_rank, ranks.mean(axis=1)[labels])
    t0 = multi.tables[0]
    assert np.allclose(agg[f"rank:{t0}"], ranks[t0][labels])
    fin = multi.dirs[t0].frame().sort_values("step").groupby(["strategy", "run"]).tail(1)
    by_hand = {k: np.mean((multi.optimum[t0] - g.incumbent_test) / (multi.optimum[t0] - multi.median[t0]))
               for k, g in fin.groupby("strategy")}
    assert np.allclose(agg[f"norm_regret:{t0}"], [by_hand[k] for k in labels])
    assert np.allclose(agg.norm_regret_mean, agg[[f"norm_regret:{t}" for t in multi.tables]].mean(axis=1))
    a = aggregate(multi)
    assert np.allclose(a.cd.mean_ranks, ranks.mean(axis=1)[labels]) and a.cd.n == 2
    j = json.loads((multi.path / "aggregate.json").read_text())
    assert j["friedman"]["n_tables"] == 2 and j["tables"] == multi.tables


def test_normalised_regret():
    assert np.allclose(normalised_regret(np.array([94.0, 90.0, 92.0]), 94.0, 90.0), [0.0, 1.0, 0.5])
    assert np.isnan(normalised_regret(np.array([1.0]), 5.0, 5.0)).all()


def test_resume_and_refusals(tmp_path, tables):
    d, _ = tables
    cfg = _cfg(tmp_path, d, runs=2)
    m = run_tables(cfg)
    before = (m.path / "a" / "results.csv").read_bytes()
    with pytest.raises(ConfigError, match="resume"):
        run_tables(cfg)
    (m.path / "b" / "runs" / "evolution" / "00001.csv").unlink()
    m2 = run_tables(dataclasses.replace(cfg, resume=True))
    assert (m2.path / "a" / "results.csv").read_bytes() == before and open_multi(m.path).tables == m.tables
    # a given seconds budget is honoured on every table (no longer refused: tables run under presets)
    given = run_tables(_cfg(tmp_path, d, budget=Budget("seconds", 100), runs=1, strategies=("random",),
                            out=str(tmp_path / "s")))
    manifest = json.loads((given.path / "multitable.json").read_text())
    assert [e["budget"] for e in manifest["tables"]] == [{"kind": "seconds", "amount": 100}] * 2
    assert manifest["budget"] == {"kind": "seconds", "amount": 100}
    assert manifest["protocol_source"] == ("protocol: each table's nas-bench-201 preset (none: its last epoch's "
                                           "valid_acc); budget: given (100 seconds, on every table)")
    assert all(open_results(p.path).config["budget"]["kind"] == "seconds" for p in given.dirs.values())
    with pytest.raises(ConfigError, match=r"table .*a.h5: protocol: metric 'valid_acc_s12' not in the table"):
        run_tables(_cfg(tmp_path, d, table=f"{d / 'c.h5'},{d / 'a.h5'}", protocol=Protocol(metric="valid_acc_s12"),
                        out=str(tmp_path / "p")))
    assert not (tmp_path / "p").exists()  # checked before anything ran, c.h5 included
    with pytest.raises(ConfigError, match="given twice"):
        run_tables(_cfg(tmp_path, d, table=f"{d / 'a.h5'},{d / 'a.h5'}", out=str(tmp_path / "t")))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x").write_text("x")
    with pytest.raises(ConfigError, match="not a multi-table results directory"):
        run_tables(_cfg(tmp_path, d, out=str(tmp_path / "other")))


def test_config_file_lists_tables(tmp_path):
    t = tmp_path / "c.toml"
    t.write_text('table = ["nb201-digits", "nb201-fashion-mnist"]\nruns = 2\n')
    assert ExperimentConfig.from_file(t).table == "nb201-digits,nb201-fashion-mnist"
    y = tmp_path / "c.yaml"
    y.write_text("table:\n  - nb201-digits\n  - nb201-fashion-mnist\n")
    assert ExperimentConfig.from_file(y).table == "nb201-digits,nb201-fashion-mnist"
    t.write_text('table = "nb201-digits, nb201-fashion-mnist"\n')
    assert is_multi(ExperimentConfig.from_file(t).table)


def test_cli_compare_tables_and_plot(tmp_path, tables, capsys, monkeypatch):
    d, _ = tables
    monkeypatch.chdir(tmp_path)
    code = main(["compare", "--table", f"{d / 'a.h5'},{d / 'b.h5'}", "--strategies", "random,evolution",
                 "--runs", "2", "--budget", "10", "--no-progress"])
    out = tmp_path / "results" / "tables"  # the multi-table default folder
    text, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads((out / "a" / "config.json").read_text())["protocol"] == Protocol().to_dict()
    assert "== all tables" in text and "across 2 tables" in text and "which differences are real" in text
    names = {p.name for p in (out / "figures").iterdir()}
    assert {"critical_difference_tables.png", "normalised_regret_over_tables.pdf"} <= names
    assert (out / "a" / "figures" / "final_test.png").is_file()
    code = main(["plot", str(out), "--out", str(tmp_path / "fig")])
    assert code == 0 and (tmp_path / "fig" / "normalised_regret_over_tables.png").is_file()
    # a given seconds budget is honoured on every table, and the output says so (it was refused before
    # tables ran under their own presets)
    code = main(["compare", "--table", f"{d / 'a.h5'},{d / 'b.h5'}", "--budget-kind", "seconds", "--budget", "50",
                 "--strategies", "random", "--runs", "2", "--out", str(tmp_path / "sec"), "--no-progress",
                 "--no-plots"])
    text, err = capsys.readouterr()
    assert code == 0, err
    assert "== 2 tables; protocol: each table's nas-bench-201 preset" in text
    assert "budget: given (50 seconds, on every table)" in text
    assert "a.h5 (results in" in text and "signal valid_acc, budget 50 seconds)" in text
