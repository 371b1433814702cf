"""Proxy-guided search: a job's overhead charges what a strategy computed, proxy-random and
proxy-evolution read proxies through SearchContext, are charged for every cell they score (a
shared pass once), are deterministic, beat random search where the proxy is informative, and a
proxy the table lacks is refused."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from nasbench.search.runner import ConfigError, ExperimentConfig, StrategySpec, prepare_search, run_comparison, run_one
from nasbench.space import N_CELLS
from nasbench.strategies import (Budget, Job, JobStrategy, Protocol, SearchContext, Strategy, StrategyError,
                                 make_strategy)
from nasbench.strategies.zero_cost_inputs import ProxyInputs, proxy_inputs
from nasbench.tables.tabular import TabularBenchmark
from synthetic import synthetic_table, with_synthetic_proxies

PROTO = Protocol(metric="valid_acc", seed="mean", test_metric="test_acc")


BENCH_WITH_PROXIES = True  # conftest's `bench` gets (invented) proxies


def _run(bench, name: str, params: dict, run: int = 0, budget: Budget = Budget("queries", 20)):
    cfg = ExperimentConfig(table="synthetic", strategies=(StrategySpec(name, params),), runs=1, budget=budget,
                           protocol=PROTO, progress=False)
    return run_one(prepare_search(bench, cfg), cfg.strategies[0], run)


class _Charging(JobStrategy, register=False):
    """Random cells; claims 7 s of its own compute before every query."""

    name = "test-charging"

    def ask_job(self) -> Job:
        return Job(self.random_index(), overhead=7.0)

    def tell(self, index, value, cost, objectives=()) -> None:
        pass


def test_overhead_hook_adds_the_strategys_compute_to_each_querys_cost(bench):
    from nasbench.strategies.base import register_strategy, REGISTRY

    register_strategy(_Charging)
    try:
        cols = _run(bench, "test-charging", {})
    finally:
        REGISTRY.pop("test-charging")
    train = bench.cost_many(np.array(cols["cell"]), None)
    assert np.allclose(np.array(cols["cost"]), train + 7.0)
    assert np.allclose(np.array(cols["sim_time"]), np.cumsum(train + 7.0))


def test_a_strategy_that_charges_overhead_must_speak_jobs():
    with pytest.raises(StrategyError, match="defines ask_job.* derive it from JobStrategy"):
        class _Bad(Strategy, register=False):  # noqa: F841
            def ask_job(self):
                return Job(0, overhead=7.0)

            def ask(self):
                return 0

            def tell(self, index, value, cost, objectives=()):
                pass


def test_a_shared_pass_is_charged_once_whole(bench):
    inputs = proxy_inputs(bench)
    cells = np.arange(10)
    assert inputs.cost(["jacob_cov"], cells) == pytest.approx(5.0)  # the whole pass: 10 x (0.25 + 0.25)
    assert inputs.cost(["jacob_cov", "naswot"], cells) == pytest.approx(5.0)  # once, not twice
    assert inputs.cost(["jacob_cov", "synflow"], cells) == pytest.approx(6.0)


@pytest.mark.parametrize("name", ["proxy-random", "proxy-evolution"])
def test_the_first_query_pays_for_the_warm_up(bench, name):
    key = "sample" if name == "proxy-random" else "warmup"
    cols = _run(bench, name, {"proxy": "jacob_cov", key: 200})
    first = cols["cell"][0]
    train = bench.cost(first, None)
    assert cols["cost"][0] == pytest.approx(train + 200 * 0.5)  # 200 cells x the jacob_cov/naswot pass
    later = np.array(cols["cost"][1:])  # proxy-random: no more scoring; evolution: its initial ones scored
    assert np.allclose(later, bench.cost_many(np.array(cols["cell"][1:]), None))


def test_move_proposal_charges_each_new_mutation_it_scores(bench):
    cols = _run(bench, "proxy-evolution", {"proxy": "synflow", "warmup": 50, "move_candidates": 5})
    extra = np.array(cols["cost"]) - bench.cost_many(np.array(cols["cell"]), None)
    assert extra[0] == pytest.approx(50 * 0.1)
    assert np.all(extra[10:] <= 5 * 0.1 + 1e-9) and extra[10:].sum() > 0  # at most 5 new cells scored per child
    assert np.allclose(extra[10:] / 0.1, np.round(extra[10:] / 0.1))


@pytest.mark.parametrize("name", ["proxy-random", "proxy-evolution"])
def test_proxy_strategies_are_deterministic(bench, name):
    a, b = _run(bench, name, {"proxy": "synflow"}, run=3), _run(bench, name, {"proxy": "synflow"}, run=3)
    assert a == b
    assert a["cell"] != _run(bench, name, {"proxy": "synflow"}, run=4)["cell"]


def test_proxy_random_trains_the_sample_best_proxy_first(bench):
    ctx = SearchContext(rng=np.random.default_rng(0), proxies=proxy_inputs(bench))
    s = make_strategy("proxy-random", ctx, {"proxy": "synflow", "sample": 300})
    asked = [s.ask() for _ in range(300)]
    assert len(set(asked)) == 300 and s.overhead() == pytest.approx(30.0) and s.overhead() == 0.0
    v = ctx.proxies.values["synflow"][asked]
    assert np.all(np.diff(v) <= 0)  # best proxy first
    s.ask()  # the sample is spent: another one is scored
    assert s.overhead() == pytest.approx(30.0)


def test_proxy_evolution_starts_from_the_proxys_top_cells(bench):
    ctx = SearchContext(rng=np.random.default_rng(0), proxies=proxy_inputs(bench))
    s = make_strategy("proxy-evolution", ctx, {"proxy": "synflow", "warmup": 400, "population": 10})
    first = [s.ask() for _ in range(10)]
    scored = np.nonzero(s._scored)[0]
    assert len(scored) == 400
    v = ctx.proxies.values["synflow"]
    assert sorted(first) == sorted(scored[np.argsort(-v[scored], kind="stable")][:10].tolist())


def test_an_informative_proxy_beats_random_search():
    good = with_synthetic_proxies(synthetic_table(seed=2))
    finals = {}
    for name, params in (("random", {}), ("proxy-random", {"proxy": "oracle", "sample": 500}),
                         ("proxy-evolution", {"proxy": "oracle", "warmup": 500})):
        finals[name] = [_run(good, name, params, run=r, budget=Budget("queries", 15))["incumbent_test"][-1]
                        for r in range(15)]
    for name in ("proxy-random", "proxy-evolution"):
        assert mannwhitneyu(finals[name], finals["random"], alternative="greater").pvalue < 0.01


def test_an_uninformative_proxy_does_not_beat_random_search_by_construction():
    noise = with_synthetic_proxies(synthetic_table(seed=2), informative=False)
    a = [_run(noise, "proxy-random", {"proxy": "oracle", "sample": 500}, run=r,
              budget=Budget("queries", 15))["incumbent_test"][-1] for r in range(15)]
    b = [_run(noise, "random", {}, run=r, budget=Budget("queries", 15))["incumbent_test"][-1] for r in range(15)]
    assert mannwhitneyu(a, b, alternative="greater").pvalue > 0.01


def test_a_proxy_the_table_lacks_is_refused_naming_those_it_has(bench):
    ctx = SearchContext(rng=np.random.default_rng(0), proxies=proxy_inputs(bench))
    with pytest.raises(StrategyError, match="proxy-evolution: proxy 'grasp' is not in this table; it has: "
                                            "jacob_cov, naswot, oracle, synflow"):
        make_strategy("proxy-evolution", ctx, {"proxy": "grasp"})
    with pytest.raises(StrategyError, match="proxy-random: the table has no zero-cost proxies"):
        make_strategy("proxy-random", SearchContext(rng=np.random.default_rng(0)), {})
    part = with_synthetic_proxies(synthetic_table(), partial="naswot")
    ctx = SearchContext(rng=np.random.default_rng(0), proxies=proxy_inputs(part))
    with pytest.raises(StrategyError, match=f"proxy 'naswot' was not computed for {N_CELLS - N_CELLS // 2:,} of"):
        make_strategy("proxy-random", ctx, {"proxy": "naswot"})


def test_compare_refuses_a_missing_proxy_before_writing_anything(bench, tmp_path):
    out = tmp_path / "res"
    cfg = ExperimentConfig(table="synthetic", strategies=(StrategySpec("random"), StrategySpec(
        "proxy-random", {"proxy": "zen"})), runs=2, budget=Budget("queries", 5), protocol=PROTO, out=str(out),
        progress=False)
    with pytest.raises(ConfigError, match="proxy 'zen' is not in this table; it has: jacob_cov, naswot, oracle"):
        run_comparison(cfg, bench)
    assert not out.exists()


def test_cli_refuses_a_bad_proxy_with_exit_2(tmp_path, capsys):
    from nasbench.cli import main

    rc = main(["compare", "--table", "nb201-cifar100", "--strategies", "proxy-evolution", "--param",
               "proxy-evolution.proxy=oracle", "--runs", "1", "--out", str(tmp_path / "r")])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "proxy-evolution: proxy 'oracle' is not in this table; it has: " in err and "synflow" in err
    assert not (tmp_path / "r").exists()


def test_bad_parameters_are_refused():
    for params, msg in (({"proxy": ""}, "proxy must be a proxy name"), ({"warmup": 0}, "warmup must be > 0"),
                        ({"move_candidates": 1.5}, "move_candidates must be an integer")):
        with pytest.raises(StrategyError, match=msg):
            make_strategy("proxy-evolution", SearchContext(rng=np.random.default_rng(0)), params)


def test_proxy_inputs_are_read_only_and_per_official_index(bench):
    inputs = proxy_inputs(bench)
    assert isinstance(inputs, ProxyInputs)
    assert inputs.values["synflow"].shape == (N_CELLS,)
    with pytest.raises(ValueError):
        inputs.values["synflow"][0] = 1.0
    assert proxy_inputs(synthetic_table()) is None


def test_surrogate_encoding_with_several_proxies_keeps_undefined_values_drops_uncomputed(tmp_path):
    from nasbench.space import ops_table
    from nasbench.tables.hdf5 import write_table
    from surrogates.encodings import encode
    from surrogates.registry import make_estimator

    base = synthetic_table()
    n = base.n_rows
    rng = np.random.default_rng(0)
    a, b, c = rng.uniform(1, 100, n), rng.uniform(-100, -1, n), rng.uniform(1, 100, n)
    b[:7] = np.nan  # computed (seconds recorded) but undefined there
    c[n // 2:] = np.nan  # not computed for half the cells
    sec = {"a": np.full(n, 0.1), "b": np.full(n, 0.2), "c": np.where(np.isfinite(c), 0.1, np.nan)}
    t = TabularBenchmark(meta=base.meta, arch_row=base.arch_row, row_arch=base.row_arch, seeds=base.seeds,
                         epochs=base.epochs, metrics=base.metrics, params=base.params,
                         proxies={"a": a, "b": b, "c": c}, proxy_seconds=sec)
    path = tmp_path / "several.h5"
    write_table(path, t)
    cells = np.array([0, 3, 100, 6111])
    X = encode(ops_table()[cells], f"combined+zc:{path}")
    k = encode(ops_table()[cells], "combined").shape[1]
    assert X.shape == (4, k + 2)  # a and b; c left out
    fa, fb = np.log10(1 + a), -np.log10(1 + np.abs(b))
    assert X[:, k] == pytest.approx(fa[cells], rel=1e-6)
    assert X[1, k + 1] == pytest.approx(np.nanmin(fb), rel=1e-6)  # undefined: the proxy's lowest value
    assert X[2:, k + 1] == pytest.approx(fb[cells[2:]], rel=1e-6)
    est = make_estimator("xgb", encoding=f"counts+zc:{path}", n_estimators=5).fit(ops_table()[:50], np.arange(50.))
    assert est.predict(ops_table()[cells]).shape == (4,)


def _script(name: str):
    from conftest import load_script

    return load_script(name)


def test_search_script_configs_and_proxy_selection(bench, tmp_path):
    from nasbench.search.config import read_config_file
    from nasbench.tables.hdf5 import write_table

    mod = _script("zero_cost_search")
    path = tmp_path / "t.h5"
    write_table(path, with_synthetic_proxies(synthetic_table(), partial="naswot"))
    ok, notes = mod.usable_proxies(str(path), ["synflow", "naswot", "grasp"])
    assert ok == ["synflow"]
    assert any("naswot skipped: proxy 'naswot' was not computed" in n for n in notes)
    assert any("grasp skipped: proxy 'grasp' is not in this table" in n for n in notes)
    cfg = tmp_path / "c.toml"
    cfg.write_text(mod.config_toml(["synflow", "jacob_cov"]))
    d, _ = read_config_file(cfg)
    labels = [s if isinstance(s, str) else s["label"] for s in d["strategies"]]
    assert labels == ["random", "evolution", "proxy-random.synflow", "proxy-evolution.synflow",
                      "proxy-evolution.synflow.move10", "proxy-random.jacob_cov", "proxy-evolution.jacob_cov"]


@pytest.mark.slow
def test_surrogate_script_runs_with_and_without_proxies(tmp_path, capsys):
    from nasbench.tables.hdf5 import write_table

    path = tmp_path / "t.h5"
    write_table(path, with_synthetic_proxies(synthetic_table()))
    rc = _script("zero_cost_surrogate").main(["--table", str(path), "--models", "xgb", "--bases", "counts",
                                              "--sizes", "20", "--repeats", "1"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "proxies appended as features: jacob_cov, naswot, oracle, synflow" in out
    rows = {line.split()[0]: float(line.split()[1].split("±")[0]) for line in out.splitlines()
            if line.startswith("xgb:counts")}
    assert set(rows) == {"xgb:counts", "xgb:counts+zc"}
    assert rows["xgb:counts+zc"] > rows["xgb:counts"] + 0.2  # the oracle proxy is the target itself
