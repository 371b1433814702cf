"""The runner: bit-identical reruns, jobs independence, resume, refusing to mix, config errors.
Uses the SYNTHETIC table of tests/synthetic.py (invented numbers; mechanics only)."""
from __future__ import annotations

import dataclasses

import pytest

from nasbench.search.runner import (ConfigError, ExperimentConfig, StrategySpec, format_summary, open_results,
                                 parse_overrides, run_comparison, summarise)
from nasbench.strategies import Budget, Protocol


def _cfg(tmp_path, **kw):
    base = dict(table="synthetic", strategies=("random", "evolution", "reinforce"), runs=4,
                budget=Budget("queries", 25), out=str(tmp_path / "res"), progress=False)
    base.update(kw)
    return ExperimentConfig(**base)


def test_bit_identical_and_jobs_independent(tmp_path, bench):
    a = run_comparison(_cfg(tmp_path, out=str(tmp_path / "a")), bench)
    b = run_comparison(_cfg(tmp_path, out=str(tmp_path / "b"), jobs=2), bench)
    assert a.table_path.read_bytes() == b.table_path.read_bytes()
    df = a.frame()
    assert list(df.columns)[:11] == ["strategy", "run", "step", "sim_time", "epochs", "cell", "value", "cost",
                                     "incumbent", "incumbent_valid", "incumbent_test"]
    assert len(df) == 3 * 4 * 25
    prov = a.provenance
    assert prov["table"]["sha256"] and prov["nasbench_version"] and prov["config"]["seed"] == 0
    s = summarise(a)
    assert list(s.index) == ["random", "evolution", "reinforce"] and (s.runs == 4).all()
    assert "evolution" in format_summary(s)


def test_adding_a_strategy_does_not_change_the_others(tmp_path, bench):
    a = run_comparison(_cfg(tmp_path, out=str(tmp_path / "a"), strategies=("random",)), bench).frame()
    b = run_comparison(_cfg(tmp_path, out=str(tmp_path / "b")), bench).frame()
    assert a.equals(b[b.strategy == "random"].reset_index(drop=True))


def test_resume_skips_finished_runs(tmp_path, bench):
    cfg = _cfg(tmp_path)
    res = run_comparison(cfg, bench)
    full = res.table_path.read_bytes()
    victim = res.run_file("evolution", 2)
    victim.unlink()
    marker = res.run_file("random", 1)
    marker.write_text(marker.read_text())  # untouched content; mtime check below
    mtime = marker.stat().st_mtime_ns
    with pytest.raises(ConfigError, match="resume"):
        run_comparison(cfg, bench)
    res2 = run_comparison(dataclasses.replace(cfg, resume=True), bench)
    assert victim.is_file() and marker.stat().st_mtime_ns == mtime
    assert res2.table_path.read_bytes() == full
    # more runs under resume: the old ones kept, new ones added
    res3 = run_comparison(dataclasses.replace(cfg, resume=True, runs=6), bench)
    assert res3.frame().groupby("strategy").run.nunique().tolist() == [6, 6, 6]


def test_refuses_to_mix_configs(tmp_path, bench):
    run_comparison(_cfg(tmp_path), bench)
    with pytest.raises(ConfigError, match="another config.*budget"):
        run_comparison(_cfg(tmp_path, budget=Budget("queries", 10), resume=True), bench)
    with pytest.raises(ConfigError, match="strategies.evolution"):
        run_comparison(_cfg(tmp_path, strategies=("random", StrategySpec("evolution", {"sample_size": 3})),
                            resume=True), bench)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("x")
    with pytest.raises(ConfigError, match="not a results directory"):
        run_comparison(_cfg(tmp_path, out=str(tmp_path / "other")), bench)


def test_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown strategy 'rnd'; valid: random"):
        _cfg(tmp_path, strategies=("rnd",))
    with pytest.raises(ConfigError, match="no parameter 'size'; valid: population, sample_size"):
        _cfg(tmp_path, strategies=(StrategySpec("evolution", {"size": 3}),))
    with pytest.raises(ConfigError, match="runs must be a positive integer"):
        _cfg(tmp_path, runs=0)
    with pytest.raises(ValueError, match="positive"):
        Budget("queries", -5)
    with pytest.raises(ConfigError, match="used twice"):
        _cfg(tmp_path, strategies=("random", "random"))


def test_config_file_toml_and_yaml(tmp_path):
    t = tmp_path / "c.toml"
    t.write_text('table = "synthetic"\nruns = 3\nstrategies = ["random", "evolution"]\n\n[budget]\nkind = "seconds"\n'
                 'amount = 100\n\n[params.evolution]\nsample_size = 3\n')
    cfg = ExperimentConfig.from_file(t, out=str(tmp_path / "o"))
    assert cfg.runs == 3 and cfg.budget == Budget("seconds", 100)
    assert cfg.strategies[1].params == {"sample_size": 3}
    t.write_text('table = "synthetic"\nruns = 3\n\n[budget]\nkind = "seconds"\nammount = 100\n')
    with pytest.raises(ConfigError, match=r"c.toml:6: unknown key 'budget.ammount'"):
        ExperimentConfig.from_file(t)
    t.write_text('table = "synthetic"\nrunz = 3\n')
    with pytest.raises(ConfigError, match=r"c.toml:2: unknown key 'runz'; valid: table"):
        ExperimentConfig.from_file(t)
    y = tmp_path / "c.yaml"
    y.write_text("table: synthetic\nstrategies:\n  - random\n  - name: evolution\n    label: rea3\n    sample_size: 3\n"
                 "protocol:\n  seed: mean\n  metrc: valid_acc\n")
    with pytest.raises(ConfigError, match=r"c.yaml:9: unknown key 'protocol.metrc'"):
        ExperimentConfig.from_file(y)
    y.write_text("table: synthetic\nstrategies:\n  - random\n  - name: evolution\n    label: rea3\n    sample_size: 3\n")
    cfg = ExperimentConfig.from_file(y)
    assert [s.label for s in cfg.strategies] == ["random", "rea3"]
    y.write_text("table: synthetic\nruns: 0\n")
    with pytest.raises(ConfigError, match="runs must be a positive integer"):
        ExperimentConfig.from_file(y)


def test_parse_overrides():
    assert parse_overrides(["evolution.sample_size=3", "reinforce.lr=0.01", "x.enc=path"]) == {
        "evolution": {"sample_size": 3}, "reinforce": {"lr": 0.01}, "x": {"enc": "path"}}
    with pytest.raises(ConfigError):
        parse_overrides(["nonsense"])


def test_seconds_budget_and_multiobjective(tmp_path, bench):
    cfg = _cfg(tmp_path, strategies=("mo_random", "mo_evolution"), budget=Budget("seconds", 400),
               protocol=Protocol(objectives=("params",)))
    df = run_comparison(cfg, bench).frame()
    assert (df.sim_time <= 400).all() and "obj_params" in df
    with pytest.raises(ConfigError, match="single-objective"):
        _cfg(tmp_path, strategies=("random",), protocol=Protocol(objectives=("params",)))


def test_open_results_rejects_non_results(tmp_path):
    with pytest.raises(ConfigError, match="not a finished results directory"):
        open_results(tmp_path)


def test_darts_and_gdas_runs_are_reproducible(tmp_path, bench):
    """Same config, same results files: DARTS and GDAS charge the modelled supernet cost by default
    (the measured wall clock differs on every run)."""
    pytest.importorskip("sklearn")
    tiny = {"C": 2, "N": 1, "max_batches": 2, "epochs": 2, "epochs_per_ask": 1}
    # one run each: the two strategies are still two tasks, split over the two processes of ``b``
    cfg = dict(strategies=(StrategySpec("darts", tiny), StrategySpec("gdas", tiny)), runs=1,
               budget=Budget("queries", 2))
    a = run_comparison(_cfg(tmp_path, out=str(tmp_path / "a"), **cfg), bench)
    b = run_comparison(_cfg(tmp_path, out=str(tmp_path / "b"), jobs=2, **cfg), bench)
    assert a.table_path.read_bytes() == b.table_path.read_bytes()
    files = sorted(p.relative_to(a.path) for p in (a.path / "runs").rglob("*.csv"))
    assert len(files) == 2
    assert all((a.path / f).read_bytes() == (b.path / f).read_bytes() for f in files)
    df = a.frame()
    assert (df["cost"] > 0).all() and len(df) == 2 * 1 * 2


@pytest.mark.parametrize("name, text, msg", [
    ("c.toml", "strategies = 5\n", "c.toml:1: strategies must be a non-empty list of strategy names"),
    ("c.yaml", "runs: 1\nstrategies:\n", "c.yaml:2: strategies must be a non-empty list of strategy names"),
    ("c.toml", "strategies = []\n", "c.toml:1: strategies must be a non-empty list"),
    ("c.yaml", "out: 5\n", "c.yaml:1: out must be a directory path (a string), got 5"),
    ("c.toml", 'resume = "yes"\n', "c.toml:1: resume must be true or false, got 'yes'"),
    ("c.yaml", "progress: maybe\n", "c.yaml:1: progress must be true or false, got 'maybe'"),
    ("c.toml", "table = 5\n", "c.toml:1: table must be a table name or path (a string), got 5"),
    ("c.toml", 'strategies = ["evolution"]\n[params]\nevolution = 5\n', "params.evolution must be a table"),
    ("c.toml", 'strategies = [{name = "evolution", params = 5}]\n', "strategy 'evolution': params must be a table"),
    ("c.toml", 'protocol = {epoch = "x"}\n', "c.toml:1: protocol.epoch must be a positive integer"),
    ("c.yaml", "protocol:\n  metric: 5\n", "c.yaml:2: protocol.metric must be a non-empty string, got 5"),
    ("c.toml", "[budget]\namount = inf\n", "budget amount must be a positive finite number, got inf"),
    ("c.yaml", "table: synthetic\nbudget: 1000000000\n", "budget of 1e+09 queries is beyond the cap of 1,000,000 queries per run"),
    ("c.toml", 'strategies = ["evolution"]\n[params.evolution]\npopulation = 1e308\n',
     "evolution: population = 1e+308 is out of range"),
])
def test_config_file_wrong_types(tmp_path, name, text, msg):
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(ConfigError) as exc:
        ExperimentConfig.from_file(f)
    assert msg in str(exc.value) and str(exc.value).startswith(str(f))


def test_overrides_merge_key_by_key(tmp_path):
    t = tmp_path / "c.toml"
    t.write_text('strategies = ["random", "evolution"]\nruns = 2\nbudget = {kind = "seconds", amount = 300}\n'
                 'protocol = {metric = "time", epoch = 3}\n[params.evolution]\nsample_size = 3\n')
    cfg = ExperimentConfig.from_file(t, budget={"amount": 50}, protocol={"seed": "mean"}, strategies=["random"])
    assert cfg.budget == Budget("seconds", 50)  # the file's kind kept
    assert cfg.protocol == Protocol(metric="time", epoch=3, seed="mean")
    assert [s.label for s in cfg.strategies] == ["random"] and cfg.runs == 2  # params.evolution dropped with it
    cfg = ExperimentConfig.from_file(t, budget=Budget("queries", 10), strategies=(StrategySpec("evolution"),))
    assert cfg.budget == Budget("queries", 10) and cfg.strategies[0].params == {"sample_size": 3}


def test_budget_beyond_the_query_cap_is_refused(tmp_path, bench):
    from nasbench.strategies.protocol import MAX_QUERIES

    for amount in (MAX_QUERIES + 1, 1e9, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="budget"):
            Budget("queries", amount)
    Budget("queries", MAX_QUERIES)
    cheapest = float(bench.cost_many(bench.covered).min())  # the synthetic table charges seconds per epoch
    for kind, amount in (("seconds", 2 * MAX_QUERIES * cheapest), ("epochs", 4 * MAX_QUERIES + 1)):
        with pytest.raises(ConfigError, match="cap of 1,000,000 queries per run"):
            run_comparison(_cfg(tmp_path, budget=Budget(kind, amount)), bench)
    assert not (tmp_path / "res").exists()  # refused before anything was written


def test_summary_columns_stay_apart_for_wide_numbers():
    import pandas as pd

    s = pd.DataFrame({"runs": [1, 10], "test_mean": [81.017, 1e6], "test_std": [0.0, 12345.678],
                      "regret_mean": [1.017, 123456.0], "queries_mean": [1e6, 5.0], "sim_time_mean": [1.3e12, 7.0]},
                     index=["random", "a_rather_long_strategy_label"])
    lines = format_summary(s, 82.033).splitlines()
    head, rows = lines[0], lines[1:3]
    assert [len(r.split()) for r in rows] == [7, 7]  # before: "1.0171000000.0" ran together
    assert rows[0].split()[4:] == ["1.017", "1000000.0", "1300000000000"]
    ends = [head.index("queries") + len("queries"), head.index("sim time") + len("sim time")]
    assert all(r.index(r.split()[5]) + len(r.split()[5]) == ends[0] for r in rows)  # right-aligned under the header


def test_jobs_beyond_the_work_start_no_idle_processes(tmp_path, bench, monkeypatch):
    import nasbench.search.runner as ex

    sizes = []

    class Recording(ex.ProcessPoolExecutor):
        def __init__(self, max_workers, **kw):
            sizes.append(max_workers)
            super().__init__(max_workers, **kw)

    monkeypatch.setattr(ex, "ProcessPoolExecutor", Recording)
    a = run_comparison(_cfg(tmp_path, strategies=("random",), runs=2, jobs=8, out=str(tmp_path / "a")), bench)
    b = run_comparison(_cfg(tmp_path, strategies=("random",), runs=2, out=str(tmp_path / "b")), bench)
    assert sizes == [2]  # two tasks, two processes (not 8)
    assert a.table_path.read_bytes() == b.table_path.read_bytes()
