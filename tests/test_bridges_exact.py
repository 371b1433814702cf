"""Each library's exact shape (issue 25, items 2-4): HPOBench code as HPOBench's documentation
writes it, an Optuna study through ``optunahub.load_local_module`` on the package laid out for
OptunaHub's registry, and a syne-tune simulated run on the tabular blackbox. Each part skips
where its library is not installed (optunahub, syne-tune: optional extras)."""
from __future__ import annotations

import logging
import textwrap
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
