"""Each library's exact shape (issue 25, items 2-4): HPOBench code as HPOBench's documentation
writes it, an Optuna study through ``optunahub.load_local_module`` on the package laid out for
OptunaHub's registry, and a syne-tune simulated run on the tabular blackbox. Each part skips
where its library is not installed (optunahub, syne-tune: optional extras)."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pytest

import nasbench

ROOT = Path(__file__).resolve().parents[1]


# -- HPOBench ------------------------------------------------------------------------------------
# HPOBench's README example and its NAS-Bench-201 benchmark's calls, as written there; only the
# import line names our module instead of ``hpobench.benchmarks.nas.nasbench_201``
HPOBENCH_CODE = """
from nasbench.bridges.hpobench import Cifar10ValidNasBench201Benchmark

b = Cifar10ValidNasBench201Benchmark(rng=1)
config = b.get_configuration_space(seed=1).sample_configuration()
result_dict = b.objective_function(configuration=config, fidelity={"epoch": 200}, rng=1)
test_dict = b.objective_function_test(configuration=config, fidelity={"epoch": 200})
one_seed = b.objective_function(config, rng=1, data_seed=(777, 888, 999))
low = b.objective_function(config, fidelity={"epoch": 12})
fs = b.get_fidelity_space(seed=1)
meta = b.get_meta_information()
value = b(config)
"""


def test_hpobench_code_as_documented_runs_unchanged():
    pytest.importorskip("ConfigSpace")
    ns: dict = {}
    exec(compile(HPOBENCH_CODE, "hpobench-example", "exec"), ns)
    from nasbench.bridges import config_to_cell

    b, config, r = ns["b"], ns["config"], ns["result_dict"]
    bench = b.bench
    cell = config_to_cell(config)
    assert list(config.keys())[0] == "1<-0"  # HPOBench's edge names
    assert set(r) == {"function_value", "cost", "info"}
    assert r["function_value"] == pytest.approx(100 - bench.query(cell)) == ns["value"]
    assert r["cost"] == pytest.approx(bench.cost(cell)) and ns["one_seed"] == r
    from nasbench.bridges.hpobench import INFO_KEYS

    assert set(INFO_KEYS) <= set(r["info"]) and r["info"]["fidelity"] == {"epoch": 200}
    assert r["info"]["valid_precision"] == r["function_value"] and r["info"]["test_precision"] is None
    t = ns["test_dict"]
    assert t["function_value"] == pytest.approx(100 - bench.query(cell, "valid_test_acc"))  # cifar10-valid's test
    assert ns["low"]["function_value"] == pytest.approx(100 - bench.query(cell, "valid_acc_s12"))
    assert ns["low"]["cost"] == pytest.approx(bench.cost(cell) * 12 / 200)
    assert list(ns["fs"]["epoch"].sequence) == [12, 200]
    assert ns["meta"]["references"] and "name" in ns["meta"]
    # the attributes HPOBench's AbstractBenchmark sets
    assert list(b.configuration_space.keys()) == list(config.keys()) and "epoch" in b.fidelity_space
    for k, v in r["info"].items():  # never a NaN, anywhere
        assert not (isinstance(v, float) and np.isnan(v)), k


def test_hpobench_keywords_seeds_and_rng():
    pytest.importorskip("ConfigSpace")
    from nasbench.bridges import HPOBenchBenchmark, UnknownKeyword, cell_to_dict
    from nasbench.errors import NasbenchError

    c10 = nasbench.load("nb201-cifar10")
    b = HPOBenchBenchmark(c10)
    full, two = cell_to_dict(6111, hpobench_names=True), cell_to_dict(347)  # 347: two runs, seeds unrecorded
    # the third positional argument is rng, as HPOBench's
    assert b.objective_function(full, None, 0)["function_value"] == pytest.approx(100 - c10.query(6111))
    # data_seed honoured: one seed, a tuple (averaged), None (one run drawn with rng, repeatable)
    assert b.objective_function(full, data_seed=888)["info"]["valid_acc"] == pytest.approx(c10.query(6111, seed=888))
    pair = b.objective_function(full, data_seed=[777, 999])["info"]["valid_acc"]
    assert pair == pytest.approx((c10.query(6111, seed=777) + c10.query(6111, seed=999)) / 2)
    d1 = b.objective_function(full, rng=5, data_seed=None)
    assert d1 == b.objective_function(full, rng=5, data_seed=None)
    assert d1["info"]["data_seed"] in (777, 888, 999)
    assert d1["info"]["valid_acc"] == pytest.approx(c10.query(6111, seed=d1["info"]["data_seed"]))
    rs = b.objective_function(full, rng=np.random.RandomState(3), data_seed=None)  # HPOBench's rng type
    assert rs["info"]["data_seed"] in (777, 888, 999)
    # unknown keywords: one line, a NasbenchError and a TypeError, as Python's own
    for kw, hint in (({"epoch": 200}, "a fidelity"), ({"seed": 777}, "data_seed"), ({"budget": 3}, "")):
        with pytest.raises(UnknownKeyword, match=f"unknown keyword {next(iter(kw))!r}.*{hint}") as exc:
            b.objective_function(full, **kw)
        assert isinstance(exc.value, NasbenchError) and isinstance(exc.value, TypeError)
        assert "\n" not in str(exc.value)
    with pytest.raises(UnknownKeyword):
        b.objective_function_test(full, seed=1)
    with pytest.raises(nasbench.QueryError, match=r"data_seed 5 not allowed; use one of \[777, 888, 999\]"):
        b.objective_function(full, data_seed=5)
    # never a silent NaN: a seed the cell does not record is an error, or a fallback named in info
    assert not np.isnan(c10.query(347)) and np.isnan(c10.query(347, seed=777))
    with pytest.raises(nasbench.QueryError, match=r"cell 347 records no run with seed 777 \(2 runs recorded"):
        b.objective_function(two, data_seed=777)
    with pytest.raises(nasbench.QueryError, match="holds only the mean over the seeds"):
        b.objective_function(full, {"epoch": 12}, data_seed=777)
    m = HPOBenchBenchmark(c10, missing_seed="mean")
    r = m.objective_function(two, data_seed=777)
    assert r["info"]["valid_acc"] == pytest.approx(c10.query(347)) and "read the mean" in r["info"]["fallback"]
    dflt = b.objective_function(two)  # the default reads the two runs recorded, and says so
    assert dflt["info"]["runs"] == 2 and "records 2 of the 3 runs" in dflt["info"]["fallback"]
    drawn = b.objective_function(two, rng=1, data_seed=None)
    assert drawn["info"]["data_seed"] == "unrecorded" and not np.isnan(drawn["function_value"])
    with pytest.raises(nasbench.QueryError, match="missing_seed 'zero' not allowed"):
        HPOBenchBenchmark(c10, missing_seed="zero")


# -- OptunaHub -----------------------------------------------------------------------------------
HUB_PACKAGE = ROOT / "optunahub_package"


def test_optunahub_package_is_laid_out_for_the_registry():
    pkg = HUB_PACKAGE / "benchmarks" / "nasbench201_tables"
    for f in ("__init__.py", "README.md", "LICENSE", "example.py", "requirements.txt"):
        assert (pkg / f).is_file(), f
    head = (pkg / "README.md").read_text().split("---")[1]  # the registry's front matter
    for key in ("author:", "title:", "description:", "tags:", "optuna_versions:", "license:"):
        assert key in head, key
    assert "<COPYRIGHT HOLDER>" not in (pkg / "LICENSE").read_text()


def test_optuna_study_through_optunahub_load_local_module():
    optuna = pytest.importorskip("optuna")
    optunahub = pytest.importorskip("optunahub")
    before = (optuna.logging.get_verbosity(), list(warnings.filters), logging.getLogger("optuna").level)
    mod = optunahub.load_local_module(package="benchmarks/nasbench201_tables", registry_root=str(HUB_PACKAGE))
    problem = mod.Problem(dataset_id="cifar10")
    # the registry's shape: a BaseProblem with search_space, directions, metric_names, evaluate, reseed
    assert isinstance(problem, optunahub.benchmarks.BaseProblem)
    assert problem.metric_names == ["valid_acc"] and problem.directions == [optuna.study.StudyDirection.MAXIMIZE]
    assert len(problem.search_space) == 6
    # as OptunaHub's documentation writes a study on a benchmark
    study = optuna.create_study(directions=problem.directions, sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(problem, n_trials=20)
    bench = problem.bench
    from nasbench.bridges import config_to_cell

    for t in study.trials:
        cell = config_to_cell(t.params)
        assert t.user_attrs["cell"] == cell and t.values == [pytest.approx(bench.query(cell))]
        assert t.user_attrs["cost"] == pytest.approx(bench.cost(cell))
        assert t.user_attrs["test_acc"] == pytest.approx(bench.query(cell, "valid_test_acc"))
        assert t.user_attrs["test_metric"] == "valid_test_acc"  # the test accuracy of the same runs
    assert problem.evaluate(study.best_params) == pytest.approx(study.best_value)
    # no change to Optuna's global logging or to the warning filters
    assert (optuna.logging.get_verbosity(), list(warnings.filters), logging.getLogger("optuna").level) == before
    # reseed: the draws of run_seed="random" repeat
    rnd = mod.Problem(dataset_id=1, run_seed="random", seed=3)
    params = study.best_params
    a = [rnd.evaluate(params) for _ in range(8)]
    rnd.reseed(3)
    assert [rnd.evaluate(params) for _ in range(8)] == a and len(set(a)) > 1
    # multi-objective, and the test metric refused as an objective (as in the HPOBench bridge)
    mo = mod.Problem(dataset_id="ImageNet16-120", metric_names=["valid_acc", "params"])
    assert mo.directions == [optuna.study.StudyDirection.MAXIMIZE, optuna.study.StudyDirection.MINIMIZE]
    assert len(mo.evaluate(params)) == 2
    with pytest.raises(nasbench.QueryError, match="objective 'test_acc' is a test metric"):
        mod.Problem(dataset_id=0, metric_names=["test_acc"])
    with pytest.raises(ValueError, match="dataset 'mnist' unknown"):
        mod.Problem(dataset_id="mnist")


def test_the_bridge_is_a_base_problem_where_optunahub_is_installed():
    optunahub = pytest.importorskip("optunahub")
    import pickle

    from nasbench.bridges import OptunaProblem

    p = OptunaProblem(nasbench.load("nb201-cifar100"), objectives=("valid_acc_s12", "cost"))
    assert isinstance(p, OptunaProblem) and isinstance(p, optunahub.benchmarks.BaseProblem)
    assert p.metric_names == ["valid_acc_s12", "cost"] and p.test_metric == "test_acc_s12"
    q = pickle.loads(pickle.dumps(p))
    assert type(q) is type(p) and q.evaluate({n: "nor_conv_3x3" for n in p.search_space}) == p.evaluate(
        {n: "nor_conv_3x3" for n in p.search_space})
    with pytest.raises(nasbench.QueryError, match="is a test metric"):
        OptunaProblem(p.bench, objectives=("valid_acc", "valtest_acc"))


# -- syne-tune -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def c10_blackbox(nb201_table):
    pytest.importorskip("syne_tune")
    from nasbench.bridges.synetune import to_blackbox

    return nb201_table, to_blackbox(nb201_table, runs=True)


def test_synetune_blackbox_holds_the_table(c10_blackbox):
    from nasbench.bridges import cell_to_dict
    from nasbench.bridges.synetune import CONFIG_KEYS, filled_runs, to_blackbox

    bench, bb = c10_blackbox
    assert list(bb.configuration_space) == list(CONFIG_KEYS) == [f"hp_x{i}" for i in range(6)]
    assert list(bb.fidelity_values) == [12, 200] and list(bb.fidelity_space) == ["hp_epoch"]
    assert bb.objectives_names[:3] == ["metric_valid_error", "metric_runtime", "metric_elapsed_time"]
    assert bb.objectives_evaluations.shape == (15625, 3, 2, 6)
    cfg = dict(zip(CONFIG_KEYS, cell_to_dict(6111).values()))  # syne-tune's hp_x order is the arch string's
    for slot, seed in enumerate((777, 888, 999)):
        r = bb.objective_function(cfg, fidelity={"hp_epoch": 200}, seed=slot)
        assert r["metric_valid_error"] == pytest.approx(1 - bench.query(6111, seed=seed) / 100, abs=1e-6)
        assert 0 <= r["metric_valid_error"] <= 1
        assert r["metric_elapsed_time"] == pytest.approx(bench.cost(6111), rel=1e-6)
        low = bb.objective_function(cfg, fidelity={"hp_epoch": 12}, seed=slot)
        assert low["metric_valid_error"] == pytest.approx(1 - bench.query(6111, "valid_acc_s12") / 100, abs=1e-6)
        assert low["metric_elapsed_time"] == pytest.approx(bench.cost(6111) * 12 / 200, rel=1e-6)
        assert low["metric_runtime"] + r["metric_runtime"] == pytest.approx(r["metric_elapsed_time"], rel=1e-6)
        assert r["metric_params"] == pytest.approx(bench.params_of(6111), rel=1e-6)
    # a run the cell does not record: filled with the mean of its recorded runs, never NaN
    assert filled_runs(bench) == 7456 and not np.isnan(bb.objectives_evaluations).any()
    cfg347 = dict(zip(CONFIG_KEYS, cell_to_dict(347).values()))
    assert bb.objective_function(cfg347, fidelity={"hp_epoch": 200}, seed=2)["metric_valid_error"] == pytest.approx(
        1 - bench.query(347) / 100, abs=1e-6)
    mean = to_blackbox(nasbench.load("nb201-fashion-mnist"))  # epochs 1..12, one slot: the seed mean
    assert list(mean.fidelity_values) == list(range(1, 13)) and mean.objectives_evaluations.shape[1] == 1
    with pytest.raises(nasbench.QueryError, match="is a test metric"):
        to_blackbox(bench, metric="valid_test_acc")


@pytest.mark.parametrize("scheduler", ["RandomSearch", "ASHA"])
def test_synetune_simulated_run(c10_blackbox, scheduler, tmp_path, monkeypatch):
    """syne-tune's own simulator backend and scheduler, a few seconds of wall time for hours of
    simulated training; every result is the table's."""
    import time

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
    from syne_tune.blackbox_repository.simulated_tabular_backend import UserBlackboxBackend
    from syne_tune.experiments import load_experiment
    from syne_tune.optimizer.baselines import ASHA, RandomSearch

    from nasbench.bridges import config_to_cell
    from nasbench.bridges.synetune import CONFIG_KEYS, EDGE_NAMES_FROM_HP

    bench, bb = c10_blackbox
    backend = UserBlackboxBackend(blackbox=bb, elapsed_time_attr="metric_elapsed_time")
    space = dict(bb.configuration_space, hp_epoch=200)
    if scheduler == "ASHA":
        sched = ASHA(config_space=space, metric="metric_valid_error", time_attr="hp_epoch", max_t=200,
                     grace_period=12, random_seed=0)
    else:
        sched = RandomSearch(config_space=space, metrics=["metric_valid_error"], random_seed=0)
    tuner = Tuner(trial_backend=backend, scheduler=sched, stop_criterion=StoppingCriterion(max_wallclock_time=6 * 3600),
                  n_workers=4, sleep_time=0, callbacks=[SimulatorCallback()], results_update_interval=3600,
                  print_update_interval=3600, tuner_name=f"nb201-{scheduler.lower()}")
    t0 = time.perf_counter()
    tuner.run()
    wall = time.perf_counter() - t0
    df = load_experiment(tuner.name).results
    assert wall < 60 and df["st_tuner_time"].max() > 3600  # hours simulated in seconds
    assert len(df) >= 20 and df["metric_valid_error"].between(0, 1).all()
    epochs = set(df["hp_epoch"])
    assert epochs == {12, 200}  # each trial reports at both fidelities (ASHA stops most at 12)
    if scheduler == "ASHA":
        assert (df["hp_epoch"] == 12).sum() > 2 * (df["hp_epoch"] == 200).sum()
    for _, row in df[df["hp_epoch"] == 200].head(10).iterrows():
        cell = config_to_cell({e: row[f"config_{k}"] for k, e in zip(CONFIG_KEYS, EDGE_NAMES_FROM_HP)})
        runs = [1 - v / 100 for v in bench.runs(np.array([cell]), "valid_acc")[0]]  # NaN: filled with the mean
        mean_err = 1 - bench.query(cell) / 100
        assert any(row["metric_valid_error"] == pytest.approx(v, abs=1e-6) for v in runs + [mean_err]), cell
