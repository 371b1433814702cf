"""Bridges to Optuna, ConfigSpace, SMAC3 and HPOBench/OptunaHub shapes, with the real libraries
(skipped where an extra is not installed; CI installs them). Tables: the embedded NAS-Bench-201
ones (real published data) and a small surrogate file fitted to the synthetic table."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import nasbench
from nasbench.search.runner import ExperimentConfig, StrategySpec, prepare_search, run_comparison, run_one
from nasbench.space import N_CELLS, OPS, to_cell
from nasbench.strategies import Budget, Protocol, SearchContext, make_strategy
from synthetic import synthetic_table

optuna = pytest.importorskip("optuna")
CS = pytest.importorskip("ConfigSpace")

from nasbench.bridges import (EDGE_NAMES, HPOBenchBenchmark, MissingExtra, OptunaProblem,  # noqa: E402
                              cell_to_config, cell_to_dict, config_to_cell, configuration_space, fidelity_space,
                              require)

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def c100():
    return nasbench.load("nb201-cifar100")


@pytest.fixture(scope="module")
def surrogate_file(tmp_path_factory):
    from surrogates import XGBSurrogate
    from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig

    cfg = SurrogateConfig(model="ensemble", model_params={"base_estimator": XGBSurrogate(n_estimators=20),
                                                          "n_members": 2},
                          train_fraction=0.1, epochs=(2, 4), seed=3)
    path = tmp_path_factory.mktemp("sur") / "s.h5"
    SurrogateBenchmark.fit(synthetic_table(), cfg).save(path)
    return path


# -- the cell as a ConfigSpace / Optuna space ----------------------------------------------------
def test_configspace_round_trip_all_cells():
    cs = configuration_space(seed=0)
    assert list(cs.keys()) == list(EDGE_NAMES) == ["edge_1_0", "edge_2_0", "edge_2_1", "edge_3_0", "edge_3_1", "edge_3_2"]
    assert all(list(cs[n].choices) == list(OPS) for n in EDGE_NAMES)
    for i in range(N_CELLS):
        cfg = cell_to_config(i, cs)
        assert config_to_cell(cfg) == i
    samples = cs.sample_configuration(2000)
    idx = [config_to_cell(c) for c in samples]
    assert all(cell_to_config(i, cs) == c for i, c in zip(idx, samples))
    assert len(set(idx)) > 1800  # 2,000 uniform draws from 15,625 cells
    # HPOBench's edge names ("1<-0" ...) map to the same cells
    hcs = configuration_space(hpobench_names=True)
    assert list(hcs.keys())[0] == "1<-0"
    assert config_to_cell(cell_to_config(6111, hcs)) == 6111 == config_to_cell(cell_to_dict(6111, hpobench_names=True))
    with pytest.raises(nasbench.SpaceError, match="op 'conv' unknown; allowed: none, skip_connect"):
        config_to_cell({**cell_to_dict(3), "edge_2_1": "conv"})
    with pytest.raises(nasbench.SpaceError, match="no edge 'edge_3_2'"):
        config_to_cell({n: "none" for n in EDGE_NAMES[:5]})


def test_fidelity_space_is_the_epochs_held(c100):
    fs = fidelity_space(c100)
    assert list(fs["epoch"].sequence) == [200] and fs["epoch"].default_value == 200
    # HPOBench's shape adds the separate 12-epoch schedule the NAS-Bench-201 tables hold
    hs = HPOBenchBenchmark(c100).get_fidelity_space(seed=0)["epoch"]
    assert list(hs.sequence) == [12, 200] and hs.default_value == 200
    fm = fidelity_space(nasbench.load("nb201-fashion-mnist"))["epoch"]
    assert (fm.lower, fm.upper, fm.default_value) == (1, 12, 12)


# -- HPOBench-style ------------------------------------------------------------------------------
def test_hpobench_style_on_a_table(c100):
    b = HPOBenchBenchmark(c100, rng=0)
    cs = b.get_configuration_space(seed=1)
    cfg = cell_to_config(9930, cs)  # NAS-Bench-201's CIFAR-100 optimum
    r = b.objective_function(cfg, fidelity={"epoch": 200})
    assert set(r) == {"function_value", "cost", "info"}
    assert r["function_value"] == pytest.approx(100 - 73.4933, abs=1e-3)  # published seed mean, x-valid
    assert r["cost"] == c100.cost(9930) > 0
    assert "test_acc" not in r["info"] and r["info"]["valid_acc"] == pytest.approx(73.4933, abs=1e-3)
    assert b.objective_function(cfg) == r  # fidelity None: the last epoch; seed None: the mean of the runs
    t = b.objective_function_test(cfg)
    assert t["function_value"] == pytest.approx(100 - c100.query(9930, "test_acc"))
    one = b.objective_function(cfg, data_seed=777)["function_value"]
    assert one == pytest.approx(100 - c100.query(9930, seed=777))
    draws = {b.objective_function(cfg, rng=k, data_seed=None)["function_value"] for k in range(20)}
    assert 1 < len(draws) <= 3  # one of the recorded runs each time
    with pytest.raises(nasbench.QueryError, match=r"fidelity epoch 13 not held; allowed: 12, 200"):
        b.objective_function(cfg, fidelity={"epoch": 13})
    with pytest.raises(nasbench.QueryError, match="fidelity 'budget' unknown"):
        b.objective_function(cfg, fidelity={"epoch": 200, "budget": 1})
    with pytest.raises(nasbench.QueryError, match="is a test metric"):
        HPOBenchBenchmark(c100, metric="test_acc")


def test_hpobench_style_on_a_surrogate_file(surrogate_file):
    s = nasbench.load(surrogate_file)
    b = HPOBenchBenchmark(s)
    assert list(b.get_fidelity_space()["epoch"].sequence) == [2, 4]
    cfg = b.get_configuration_space(seed=0).sample_configuration()
    i = config_to_cell(cfg)
    r2, r4 = b.objective_function(cfg, {"epoch": 2}), b.objective_function(cfg, {"epoch": 4})
    assert r4["function_value"] == pytest.approx(100 - s.query(i, epoch=4))
    assert r2["function_value"] == pytest.approx(100 - s.query(i, epoch=2)) and r2["cost"] < r4["cost"]
    assert b.objective_function_test(cfg)["function_value"] == pytest.approx(100 - s.query(i, "test_acc"))
    with pytest.raises(nasbench.QueryError, match=r"end of a schedule only \(epoch 4\), got 2"):
        b.objective_function_test(cfg, {"epoch": 2})
    with pytest.raises(nasbench.QueryError, match=r"epoch 3 not held; allowed: 2, 4"):
        b.objective_function(cfg, {"epoch": 3})


# -- OptunaHub-style -----------------------------------------------------------------------------
def test_optunahub_style_single_and_multi_objective(c100):
    c10 = nasbench.load("nb201-cifar10")
    p = OptunaProblem(c10)
    assert set(p.search_space) == set(EDGE_NAMES) and p.directions == [optuna.study.StudyDirection.MAXIMIZE]
    assert p.evaluate(cell_to_dict(6111)) == pytest.approx(c10.query(6111))
    study = p.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(p, n_trials=30)
    assert study.best_value == pytest.approx(c10.query(config_to_cell(study.best_params)))
    mo = OptunaProblem(c10, objectives=("valid_acc", "params", "latency:pixel3"))
    assert mo.directions == [optuna.study.StudyDirection.MAXIMIZE] + [optuna.study.StudyDirection.MINIMIZE] * 2
    s2 = optuna.create_study(directions=mo.directions, sampler=optuna.samplers.NSGAIISampler(seed=0, population_size=8))
    s2.optimize(mo, n_trials=24)
    for t in s2.best_trials:
        i = config_to_cell(t.params)
        assert t.values == [pytest.approx(c10.query(i)), pytest.approx(c10.params_of(i)),
                            pytest.approx(c10.latency["pixel3"][c10.arch_row[i]])]
    with pytest.raises(nasbench.QueryError, match="objective 'size' unknown"):
        OptunaProblem(c100, objectives=("valid_acc", "size"))
    with pytest.raises(nasbench.QueryError, match=r"objective 'latency:pixel3': this benchmark records no such"):
        OptunaProblem(c100, objectives=("valid_acc", "latency:pixel3"))


def test_optunahub_style_on_a_surrogate_file(surrogate_file):
    s = nasbench.load(surrogate_file)
    p = OptunaProblem(s, objectives=("valid_acc", "cost"), epoch=4)
    study = p.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(p, n_trials=10)
    t = study.trials[3]
    i = config_to_cell(t.params)
    assert t.values == [pytest.approx(s.query(i, epoch=4)), pytest.approx(s.cost(i, 4))]
    with pytest.raises(nasbench.QueryError, match="records no such values"):
        OptunaProblem(s, objectives=("valid_acc", "params"))


# -- strategies through the runner ---------------------------------------------------------------
def test_real_tpe_run_on_an_embedded_table(tmp_path):
    """TPE on NAS-Bench-201 CIFAR-10 through the runner: bit-identical whatever jobs, resumable, plotted."""
    from nasbench.analysis.plots import plot_results

    kw = dict(table="nb201-cifar10", strategies=("optuna-tpe", "random"), runs=2, budget=Budget("queries", 40),
              progress=False)
    a = run_comparison(ExperimentConfig(out=str(tmp_path / "a"), jobs=1, **kw))
    b = run_comparison(ExperimentConfig(out=str(tmp_path / "b"), jobs=2, **kw))
    fa, fb = a.frame(), b.frame()
    assert fa.equals(fb)
    tpe = fa[fa.strategy == "optuna-tpe"]
    assert len(tpe) == 80 and tpe.cell.between(0, N_CELLS - 1).all()
    assert tpe.groupby("run").cell.apply(list).iloc[0] != tpe.groupby("run").cell.apply(list).iloc[1]
    # resumable: drop one finished run, resume, the same rows come back
    a.run_file("optuna-tpe", 1).unlink()
    again = run_comparison(ExperimentConfig(out=str(tmp_path / "a"), jobs=1, resume=True, **kw))
    assert again.frame().sort_values(["strategy", "run", "step"]).reset_index(drop=True).equals(
        fa.sort_values(["strategy", "run", "step"]).reset_index(drop=True))
    paths = plot_results(a, tmp_path / "fig")
    assert paths and all(p.stat().st_size > 1000 for p in paths)
    # the library that decides TPE's results is recorded, and only what the strategies declare
    assert a.provenance["strategy_libraries"] == {"optuna": optuna.__version__}


def test_provenance_records_the_libraries_of_the_strategies_used():
    from importlib.metadata import version

    from nasbench.search.runner import strategy_libraries

    specs = [StrategySpec(n) for n in ("random", "smac", "optuna-gp", "evolution")]
    assert strategy_libraries(specs) == {"ConfigSpace": version("ConfigSpace"), "optuna": optuna.__version__,
                                         "smac": version("smac")}
    assert strategy_libraries([StrategySpec("random"), StrategySpec("reinforce")]) == {}


def test_tpe_parameters_and_partial_tables():
    bench = synthetic_table()
    ctx = SearchContext(rng=np.random.default_rng(0), candidates=np.arange(0, N_CELLS, 157))
    s = make_strategy("optuna-tpe", ctx, {"n_startup_trials": "3"})
    assert s.params.n_startup_trials == 3
    for _ in range(20):
        i = s.ask()
        assert i % 157 == 0
        s.tell(i, float(bench.query(i)), 1.0)
    with pytest.raises(Exception, match="n_startup_trials must be an integer >= 0"):
        make_strategy("optuna-tpe", ctx, {"n_startup_trials": -1})
    with pytest.raises(Exception, match="has no parameter 'gamma'"):
        make_strategy("optuna-tpe", ctx, {"gamma": 1})


def test_nsga2_multiobjective_through_the_runner():
    bench = synthetic_table()
    cfg = ExperimentConfig(table="x", strategies=(StrategySpec("optuna-nsga2", {"population_size": 10}),),
                           protocol=Protocol(objectives=("params",)), budget=Budget("queries", 40), progress=False)
    sh = prepare_search(bench, cfg)
    a, b = run_one(sh, cfg.strategies[0], 0), run_one(sh, cfg.strategies[0], 0)
    assert a == b and len(a["obj_params"]) == 40


def test_smac_through_the_runner_sees_only_validation():
    pytest.importorskip("smac")
    bench = synthetic_table()
    cfg = ExperimentConfig(table="x", strategies=(StrategySpec("smac", {"n_initial": 5}),),
                           budget=Budget("queries", 8), progress=False)
    sh = prepare_search(bench, cfg)
    a = run_one(sh, cfg.strategies[0], 0)
    assert a == run_one(sh, cfg.strategies[0], 0)
    assert len(set(a["cell"])) == 8  # deterministic scenario: no configuration asked twice


# -- missing extras ------------------------------------------------------------------------------
def test_missing_extra_is_one_line_naming_it(monkeypatch, capsys):
    from nasbench.cli import main

    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna now raises ImportError
    with pytest.raises(MissingExtra, match=r"optuna is not installed .*pip install 'nasbench\[optuna\]'"):
        require("optuna")
    with pytest.raises(MissingExtra):
        OptunaProblem(synthetic_table())
    code = main(["compare", "--table", "nb201-cifar10", "--strategies", "optuna-tpe,random", "--runs", "1",
                 "--no-progress", "--out", "/nonexistent/never-written"])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'nasbench[optuna]'" in err and len(err.strip().splitlines()) == 1
    assert not Path("/nonexistent/never-written").exists()


# -- the README example --------------------------------------------------------------------------
def test_readme_example_runs():
    text = README.read_text()
    m = re.search(r"## Optuna, ConfigSpace, SMAC and HPOBench shapes.*?```python\n(.*?)```", text, re.S)
    assert m, "README section with the bridges example not found"
    code = m.group(1)
    assert len(code.strip().splitlines()) <= 12
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)
    assert ns["study"].best_value > 90 and ns["best"]["function_value"] < 10


def test_bench_bridges_script_runs(capsys):
    sys.path.insert(0, str(README.parent / "scripts"))
    import bench_bridges

    assert bench_bridges.main(["--queries", "12", "--rounds", "1", "--strategies", "optuna-random,optuna-tpe",
                               "--shapes", "hpobench,hpobench-12,optunahub-evaluate"]) == 0
    out = capsys.readouterr().out
    first, shapes = out.split("\n\n")
    rows = {line.split()[0]: line for line in first.splitlines()[2:-1]}
    assert set(rows) == {"random", "evolution", "mo_evolution", "optuna-random", "optuna-tpe"}
    assert "1.0x (1.0-1.0)" in rows["random"]
    srows = {line.split()[0]: line for line in shapes.splitlines()[2:-1]}
    assert {"query", "hpobench", "hpobench-12"} <= set(srows) and "1.00x (1.00-1.00)" in srows["query"]
    assert "optunahub-evaluate" in srows or "optunahub-evaluate: skipped" in shapes
    assert bench_bridges.main(["--shapes", "bogus"]) == 2


def test_gp_sampler_repeats_and_ignores_test_values():
    bench = synthetic_table()
    scrambled = nasbench.TabularBenchmark(meta=bench.meta, arch_row=bench.arch_row, row_arch=bench.row_arch,
                                          seeds=bench.seeds, epochs=bench.epochs,
                                          metrics={**bench.metrics, "test_acc": -bench.metrics["test_acc"]},
                                          params=bench.params, flops=bench.flops)
    cfg = ExperimentConfig(table="x", strategies=(StrategySpec("optuna-gp", {"n_startup_trials": 4}),),
                           budget=Budget("queries", 6), progress=False)
    a = run_one(prepare_search(bench, cfg), cfg.strategies[0], 0)
    assert a == run_one(prepare_search(bench, cfg), cfg.strategies[0], 0)
    assert a["cell"] == run_one(prepare_search(scrambled, cfg), cfg.strategies[0], 0)["cell"]
    assert run_one(prepare_search(bench, cfg), cfg.strategies[0], 1)["cell"] != a["cell"]
