"""Strategies: determinism, no test-metric access, parameters, budgets. Uses a SYNTHETIC table
(tests/synthetic.py, invented numbers) for mechanics, and the real NAS-Bench-201 table where noted."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.search.runner import ExperimentConfig, StrategySpec, prepare_search, run_one
from nasbench.strategies import (STRATEGIES, Budget, Protocol, ProtocolError, SearchContext, SearchView,
                                 StrategyError, describe, make_params, make_strategy, strategy_names)
from nasbench.strategies.pareto import crowding_distance, hypervolume, nondominated_sort, pareto_front

FAST = {"bananas": {"fit_epochs": 20, "n_candidates": 20, "n_init": 5},
        "gradient": {"fit_epochs": 20, "steps": 5, "n_init": 5},
        "smac": {"n_initial": 28}}  # two model fits in 30 queries
#: a test-time budget, not a property of the strategy: optuna-gp (a GP fit per ask, ~0.5-2 s) is tested
#: in test_bridges.py with a shorter run
SLOW_HERE = {"optuna-gp"}
#: the strategies that search the table alone (asked, not named: no network training, one objective)
TABLE_STRATEGIES = [n for n, c in STRATEGIES.items()
                    if not c.capabilities.trains_networks and not c.capabilities.multi_objective and n not in SLOW_HERE]
MO_STRATEGIES = [n for n, c in STRATEGIES.items() if c.capabilities.multi_objective]
NETWORK_STRATEGIES = [n for n, c in STRATEGIES.items() if c.capabilities.trains_networks]


BENCH_WITH_PROXIES = True  # conftest's `bench` gets (invented) proxies for the proxy-guided strategies


def _run(bench, name, budget=Budget("queries", 30), seed=0, protocol=Protocol(), params=None):
    cfg = ExperimentConfig(table="synthetic", strategies=(StrategySpec(name, params if params is not None else FAST.get(name, {})),),
                           runs=1, budget=budget, protocol=protocol, seed=seed, progress=False)
    return run_one(prepare_search(bench, cfg), cfg.strategies[0], 0)


_DEFAULT_RUNS: dict[str, tuple] = {}


def _default_run(bench, name):
    """``_run(bench, name)``, computed once per module's table (smac's takes about 4 s): the reference
    that a second, fresh run must repeat and a run on scrambled test values must follow."""
    hit = _DEFAULT_RUNS.get(name)
    if hit is None or hit[0] is not bench:
        hit = _DEFAULT_RUNS[name] = (bench, _run(bench, name))
    return hit[1]


@pytest.mark.parametrize("name", TABLE_STRATEGIES)
def test_same_seed_same_results(bench, name):
    a, b = _default_run(bench, name), _run(bench, name)
    assert a == b
    assert len(a["cell"]) == 30
    c = _run(bench, name, seed=1)
    assert c["cell"] != a["cell"]


@pytest.mark.parametrize("name", MO_STRATEGIES)
def test_multiobjective_deterministic(bench, name):
    p = Protocol(objectives=("params",))
    a, b = _run(bench, name, protocol=p), _run(bench, name, protocol=p)
    assert a == b and "obj_params" in a


def test_objective_errors_name_what_the_table_has(bench):
    from nasbench.strategies.protocol import objective_values

    vals = objective_values(bench, ("params", "flops"))
    assert np.isfinite(vals[bench.covered]).all()
    with pytest.raises(ProtocolError, match=r"objective 'size' unknown; valid: params, flops, latency:<device> "
                                            r"\(devices: none\)"):
        objective_values(bench, ("size",))
    with pytest.raises(ProtocolError, match=r"objective 'latency:tpu': the table records no such values; "
                                            r"it has: params, flops$"):
        objective_values(bench, ("latency:tpu",))


def test_strategies_never_hold_the_table(bench):
    """A strategy's whole object graph holds no benchmark, view or test array."""
    from nasbench.tables.tabular import TabularBenchmark

    shared = prepare_search(bench, ExperimentConfig(table="x", progress=False))
    test_arr = np.asarray(shared.test)
    for name in strategy_names():
        ctx = SearchContext(rng=np.random.default_rng(0), **shared.context_kw)
        s = make_strategy(name, ctx, FAST.get(name, {}))
        seen, stack = set(), [s]
        while stack:
            o = stack.pop()
            if id(o) in seen:
                continue
            seen.add(id(o))
            assert not isinstance(o, (TabularBenchmark, SearchView)), name
            if isinstance(o, np.ndarray):
                assert not (o.shape == test_arr.shape and np.array_equal(o, test_arr, equal_nan=True)), name
            if isinstance(o, dict):
                stack.extend(o.values())
            elif isinstance(o, (list, tuple, set)):
                stack.extend(o)
            elif hasattr(o, "__dict__") and not isinstance(o, type) and type(o).__module__.startswith("nasbench"):
                stack.extend(vars(o).values())


def test_view_refuses_test_metrics(bench):
    with pytest.raises(ProtocolError, match="test"):
        Protocol(metric="test_acc")
    view = SearchView(bench, Protocol())
    with pytest.raises(ProtocolError):
        view.metrics  # noqa: B018
    with pytest.raises(ProtocolError):
        view.query  # noqa: B018


def test_search_results_do_not_depend_on_test_values(bench):
    """Scramble the test metric: every strategy asks exactly the same cells."""
    from nasbench.tables.tabular import TabularBenchmark

    scrambled = TabularBenchmark(meta=bench.meta, arch_row=bench.arch_row, row_arch=bench.row_arch, seeds=bench.seeds,
                                 epochs=bench.epochs, metrics={**bench.metrics, "test_acc": -bench.metrics["test_acc"]},
                                 params=bench.params, flops=bench.flops, proxies=bench.proxies,
                                 proxy_seconds=bench.proxy_seconds)
    for name in TABLE_STRATEGIES:
        assert _default_run(bench, name)["cell"] == _run(scrambled, name)["cell"], name


def test_random_seed_semantics(bench):
    v = SearchView(bench, Protocol(seed="random"))
    rng = np.random.default_rng(0)
    draws = {v.observe(5, rng)[0] for _ in range(50)}
    assert draws <= set(bench.metrics["valid_acc"][5, :, -1]) and len(draws) > 1
    vm = SearchView(bench, Protocol(seed="mean"))
    assert vm.observe(5, rng)[0] == pytest.approx(bench.query(5, "valid_acc"))


def test_budgets(bench):
    q = _run(bench, "random", Budget("queries", 7))
    assert len(q["cell"]) == 7
    s = _run(bench, "random", Budget("seconds", 500))
    assert s["sim_time"][-1] <= 500 and s["sim_time"][-1] + 4 * 7 > 500 - 100
    assert np.allclose(np.cumsum(s["cost"]), s["sim_time"])
    assert s["cost"][0] == pytest.approx(bench.cost(s["cell"][0]))
    e = _run(bench, "random", Budget("epochs", 18), protocol=Protocol(epoch=2))
    assert len(e["cell"]) == 9 and e["epochs"][-1] == 18
    assert e["cost"][0] == pytest.approx(bench.cost(e["cell"][0], 2))
    with pytest.raises(ProtocolError):
        Budget("queries", 0)
    with pytest.raises(ProtocolError):
        Budget("hours", 10)


def test_incumbent_is_best_observed(bench):
    r = _run(bench, "evolution", Budget("queries", 40))
    vals = np.array(r["value"])
    assert r["incumbent_valid"] == list(np.maximum.accumulate(vals))
    k = int(np.argmax(vals))
    assert r["incumbent"][-1] == r["cell"][k]
    assert r["incumbent_test"][-1] == pytest.approx(bench.query(r["cell"][k], "test_acc"))


def test_unknown_strategy_and_parameter_list_valid_ones():
    with pytest.raises(StrategyError, match="valid: random, evolution"):
        make_params("evolutoin")
    with pytest.raises(StrategyError, match="valid: population, sample_size"):
        make_params("evolution", {"pop": 3})
    with pytest.raises(StrategyError, match="population"):
        make_params("evolution", {"population": 0})
    assert make_params("evolution", {"sample_size": "3"}).sample_size == 3
    assert "sample_size = 3" in describe("evolution")


def test_evolution_defaults_follow_nb201():
    p = make_params("evolution")
    assert (p.population, p.sample_size) == (10, 3)
    r = make_params("reinforce")
    assert (r.lr, r.ema_momentum) == (0.001, 0.9)


def test_reinforce_learns(bench):
    """On the synthetic table the policy's favourite cell beats the average after many steps."""
    ctx = SearchContext(rng=np.random.default_rng(0))
    s = make_strategy("reinforce", ctx, {"lr": 0.05})
    vals = bench.values("valid_acc")
    for _ in range(1500):
        i = s.ask()
        s.tell(i, float(vals[i]), 1.0)
    assert vals[s.genotype()] > np.mean(vals) + 2 * np.std(vals)


def test_pareto_tools():
    pts = np.array([[1, 5], [2, 2], [3, 1], [4, 4], [2, 2]], dtype=float)
    assert list(nondominated_sort(pts)) == [0, 0, 0, 1, 0]
    assert list(pareto_front(pts)) == [0, 1, 2]
    assert hypervolume(pts, np.array([5, 6])) == pytest.approx(1 * 1 + 1 * 4 + 2 * 5)
    assert np.isinf(crowding_distance(pts[:3])[[0, 2]]).all()
    p3 = np.array([[1, 1, 1]], dtype=float)
    assert hypervolume(p3, np.array([2, 3, 4])) == pytest.approx(1 * 2 * 3)


def test_real_nb201_evolution_beats_random(nb201_table):
    """On the real table, 30 runs: REA's final test accuracy is above random search's (12k s budget)."""
    prot = Protocol(metric="valid_acc_s12", seed="mean", cost_factor=12 / 200, train_epochs=12)
    cfg = ExperimentConfig(table="x", strategies=("random", "evolution"), runs=30, budget=Budget("seconds", 12000),
                           protocol=prot, progress=False)
    shared = prepare_search(nb201_table, cfg)
    fin = {s.label: np.mean([run_one(shared, s, r)["incumbent_test"][-1] for r in range(30)]) for s in cfg.strategies}
    assert fin["evolution"] > fin["random"]


def test_darts_gdas_train_a_tiny_supernet_on_digits():
    """DARTS and GDAS end to end on digits (sklearn) with a tiny supernet and budget."""
    pytest.importorskip("sklearn")
    from nasbench.strategies.supernet_cost import effective_op_counts

    # SYNTHETIC per-epoch seconds (0.01 + 0.02 per effective 3x3 convolution), for the cost model
    per_epoch = 0.01 + 0.02 * effective_op_counts()[:, 2]
    assert NETWORK_STRATEGIES == ["darts", "gdas"]
    for name in NETWORK_STRATEGIES:
        ctx = SearchContext(rng=np.random.default_rng(0), dataset="digits", recipe={"epochs": 1, "batch_size": 128},
                            epoch_seconds=per_epoch)
        s = make_strategy(name, ctx, {"C": 2, "N": 1, "max_batches": 2})
        job = s.ask_job()  # the job carries its price: the supernet's training, charged instead of the table's
        i = job.cell
        assert 0 <= i < 15625 and job.cost > 0
        ctx2 = SearchContext(rng=np.random.default_rng(0), dataset="digits", recipe={"epochs": 1, "batch_size": 128})
        s2 = make_strategy(name, ctx2, {"C": 2, "N": 1, "max_batches": 2, "cost": "measured"})
        job2 = s2.ask_job()
        assert job2.cell == i
        assert np.array_equal(s.alpha(), s2.alpha())
        assert job2.cost == s2.last_train_seconds > 0  # measured: the wall clock
        if name == "darts":  # 2 batches x (128 valid + 128 train images) of 1,000, every op on every edge
            assert job.cost == pytest.approx(2 * 256 / 1000 * (0.01 + 0.02 * 6), rel=1e-6)
        with pytest.raises(StrategyError, match="cost='model' needs the table's training times"):
            make_strategy(name, SearchContext(rng=np.random.default_rng(0), dataset="digits"), {"C": 2}).ask()
        with pytest.raises(StrategyError, match="cost must be 'model' or 'measured'"):
            make_strategy(name, ctx, {"cost": "wall"})


def _reference_fit(x, y, members, hidden, epochs, lr, seed, weight_decay=1e-4):
    """The ensemble fit written per parameter (the form before the flat buffer), as the reference."""
    from nasbench.strategies.predictor import MLPEnsemble

    ens = MLPEnsemble(x.shape[1], members, hidden, seed=seed)
    W = [w.copy() for w in ens.W]
    b = [c.copy() for c in ens.b]
    z = (y - y.mean()) / y.std()
    boot = np.random.default_rng(seed).exponential(size=(members, len(y)))
    boot /= boot.mean(axis=1, keepdims=True) * len(y)
    params = W + b
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, epochs + 1):
        acts = [np.broadcast_to(x, (members, *x.shape))]
        h = acts[0]
        for k in range(3):
            h = h @ W[k] + b[k]
            if k < 2:
                h = np.maximum(h, 0.0)
            acts.append(h)
        d = (2.0 * (h[..., 0] - z) * boot)[..., None]
        gW, gb = [None] * 3, [None] * 3
        for k in (2, 1, 0):
            gW[k] = np.swapaxes(acts[k], 1, 2) @ d
            gb[k] = d.sum(axis=1, keepdims=True)
            d = d @ np.swapaxes(W[k], 1, 2)
            if k > 0:
                d = d * (acts[k] > 0)
        for i, (p, gr) in enumerate(zip(params, gW + gb)):
            gr = gr + weight_decay * p
            m[i] = 0.9 * m[i] + (1 - 0.9) * gr
            v[i] = 0.999 * v[i] + (1 - 0.999) * gr * gr
            p -= lr * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-8)
    return W, b


def test_flat_buffer_fit_is_the_per_parameter_adam_fit():
    """The ensemble's weights live in one flat buffer (one Adam step for all); a cold fit must
    give bit-identical weights to the per-parameter form, and the input gradient must match a
    finite difference."""
    from nasbench.strategies.predictor import MLPEnsemble

    g = np.random.default_rng(3)
    x, y = g.random((25, 30)), 80 + 10 * g.random(25)
    ens = MLPEnsemble(30, 3, 16, seed=4).fit(x, y, epochs=30, lr=0.01, seed=4)
    W, b = _reference_fit(x, y, 3, 16, 30, 0.01, 4)
    assert all(np.array_equal(p, q) for p, q in zip(ens.W + ens.b, W + b))
    s, dx = ens.score_and_grad(x[:2], 0.5)
    e = np.zeros(30)
    e[7] = 1e-6
    s2, _ = ens.score_and_grad(x[:2] + e, 0.5)
    assert np.allclose((s2 - s) / 1e-6, dx[:, 7], rtol=1e-3, atol=1e-6)


def test_gradient_method_refits_warm_after_the_first_fit(bench):
    """refit_epochs > 0: the first fit trains fit_epochs from scratch, every later fit continues
    the same ensemble (weights and Adam state) for refit_epochs; refit_epochs=0 refits from
    scratch each time (the old, ~3x dearer behaviour)."""
    from nasbench.strategies.gradient import CheapGradient

    def search(refit_epochs, queries=12):
        ctx = SearchContext(rng=np.random.default_rng(0))
        s = CheapGradient(ctx, make_params("gradient", {"n_init": 5, "fit_epochs": 40, "steps": 3,
                                                         "refit_epochs": refit_epochs}))
        models = []
        for _ in range(queries):
            i = s.ask()
            s.tell(i, float(bench.query(i, "valid_acc")), 1.0)
            models.append(s._model)
        return s, [m for m in models if m is not None]

    warm, models = search(5)
    assert len({id(m) for m in models}) == 1  # one ensemble, updated in place
    fits = 12 - 5  # one fit per ask after the 5 random initial cells
    assert warm._model._adam[2] == 40 + 5 * (fits - 1)
    cold, models = search(0)
    assert len({id(m) for m in models}) == fits and cold._model._adam[2] == 40
    with pytest.raises(StrategyError, match="refit_epochs"):
        make_params("gradient", {"refit_epochs": -1})
