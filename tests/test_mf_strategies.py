"""ASHA, BOHB and asynchronous evolution with early stopping, on synthetic learning-curve tables with
a known best cell (``tests/mf_synthetic.py``) and through the runner's event loop."""
from __future__ import annotations

import dataclasses
import functools
import itertools

import numpy as np
import pytest

from mf_synthetic import GAP, best_cell, covered_cells, curves, final_accuracy, mf_table
from nasbench.search.runner import prepare_search, run_one
from nasbench.search.config import ExperimentConfig, StrategySpec
from nasbench.space import N_OPS, ops_table
from nasbench.strategies import Budget, Protocol, StrategyError, make_params
from nasbench.strategies.bohb_model import BohbModel, ModelSettings
from nasbench.strategies.fidelity import Fidelities, FidelityLevel
from nasbench.strategies.rungs import rung_ladder
from nasbench.strategies.tpe_kde import CategoricalKDE, DensityRatio

BOHB_DEFAULTS = ModelSettings(min_points_in_model=7, top_n_percent=15, num_samples=64, random_fraction=1 / 3,
                              bandwidth_factor=3, min_bandwidth=1e-3)


def _fid(epochs: list[int], resumable: bool = True) -> Fidelities:
    levels = tuple(FidelityLevel(f"epoch {e}", e, "valid_acc", e, resumable and k > 0) for k, e in enumerate(epochs))
    return Fidelities(levels, len(levels) - 1, "t", tuple(float(e) for e in epochs))


# -- the synthetic tables ----------------------------------------------------------------------
def test_synthetic_tables_have_the_stated_answer():
    cells = covered_cells()
    f = final_accuracy(cells)
    assert len(cells) == 625 and int(cells[np.argmax(f)]) == best_cell()
    assert np.sort(f)[-1] - np.sort(f)[-2] == pytest.approx(GAP) and GAP >= 1
    pred, cross = curves("predictive", cells), curves("crossing", cells)
    b = int(np.argmax(f))
    # predictive: the epoch-1 ranking is the final one; crossing: the best is worst until late
    assert (np.argsort(pred[:, 0]) == np.argsort(pred[:, -1])).all()
    assert np.argmax(cross[:, -1]) == b and np.argmin(cross[:, 0]) == b and np.argmin(cross[:, 8]) == b
    t = mf_table("predictive")
    assert t.query(best_cell(), "valid_acc") == pytest.approx(pred[b, -1], abs=0.1)


# -- the rung ladder ---------------------------------------------------------------------------
def test_rung_ladder_is_hyperbands_on_epoch_levels_and_on_two_schedules():
    assert rung_ladder(_fid(list(range(1, 13))), 3, "x").epochs == (1, 4, 12)
    assert rung_ladder(_fid(list(range(1, 28))), 3, "x").epochs == (1, 3, 9, 27)
    assert rung_ladder(_fid(list(range(1, 13))), 4, "x").epochs == (1, 3, 12)
    two = rung_ladder(_fid([12, 200], resumable=False), 3, "x")
    assert two.levels == (0, 1) and two.epochs == (12, 200)


def test_rung_ladder_needs_fidelities():
    with pytest.raises(StrategyError, match="asha needs a table with several fidelity levels"):
        rung_ladder(None, 3, "asha")
    with pytest.raises(StrategyError, match="asha needs a table with several fidelity levels"):
        rung_ladder(_fid([200]), 3, "asha")


# -- BOHB's model ------------------------------------------------------------------------------
def test_categorical_kde_is_a_density_and_sampling_matches_it():
    rng = np.random.default_rng(0)
    data = rng.integers(0, N_OPS, (9, 2))
    kde = CategoricalKDE.fit(data, N_OPS, 1e-3)
    grid = np.array(list(itertools.product(range(N_OPS), repeat=2)))
    p = kde.pdf(grid)
    assert p.sum() == pytest.approx(1.0)
    draws = kde.sample(rng, 40_000, widen=1.0, min_bandwidth=1e-3)
    freq = np.bincount(draws[:, 0] * N_OPS + draws[:, 1], minlength=N_OPS**2) / len(draws)
    assert np.abs(freq - p).max() < 0.01


def test_kde_bandwidth_is_clipped_to_a_valid_kernel():
    same = np.zeros((10, 6), dtype=np.int64)
    assert (CategoricalKDE.fit(same, N_OPS, 1e-3).bandwidth == 1e-3).all()
    spread = np.tile(np.arange(N_OPS), 2)[:, None].repeat(6, axis=1)
    assert (CategoricalKDE.fit(spread, N_OPS, 1e-3).bandwidth <= (N_OPS - 1) / N_OPS).all()


def test_density_ratio_ranks_the_known_good_ops_first():
    cells = covered_cells()
    rng = np.random.default_rng(1)
    seen = rng.choice(cells, 150, replace=False)
    ratio = DensityRatio.fit(ops_table()[seen], -final_accuracy(seen), N_OPS, 0.15, 7, 1e-3)
    s = ratio.score(ops_table()[cells])
    # the cells the ratio likes best are much better than the table on average
    top = np.argsort(-s)[:20]
    assert final_accuracy(cells[top]).mean() > final_accuracy(cells).mean() + 3


def _model_after(n_obs: int, seed: int,
                 settings: ModelSettings = BOHB_DEFAULTS) -> tuple[BohbModel, np.random.Generator]:
    """A model told the final accuracy of ``n_obs`` random cells at its top level (1 of 0..1)."""
    cells = covered_cells()
    rng = np.random.default_rng(seed)
    m = BohbModel(settings)
    for c in rng.choice(cells, n_obs, replace=False):
        m.observe(1, int(c), float(final_accuracy(np.array([c]))[0]))
    return m, rng


def test_bohb_model_is_used_only_after_min_points_plus_two():
    cells = covered_cells()
    cov = set(cells.tolist())
    m, rng = _model_after(8, 0)  # 7 + 2 needed
    assert m.model_level() is None
    for _ in range(30):
        m.propose(rng, lambda: int(rng.choice(cells)), cov.__contains__)
    assert m.model_proposals == 0 and m.random_proposals == 30
    m, rng = _model_after(9, 0)
    assert m.model_level() == 1
    for _ in range(300):
        m.propose(rng, lambda: int(rng.choice(cells)), cov.__contains__)
    # random_fraction = 1/3 of the proposals are random, the rest the model's
    assert 0.25 < m.random_proposals / 300 < 0.42


def test_bohb_model_proposals_beat_random_at_the_top_budget():
    cells = covered_cells()
    cov = set(cells.tolist())
    gains = []
    for seed in range(5):
        # (with few observations the normal-reference bandwidths make both kernels nearly flat)
        m, rng = _model_after(120, seed, dataclasses.replace(BOHB_DEFAULTS, random_fraction=0.0))
        props = [m.propose(rng, lambda: int(rng.choice(cells)), cov.__contains__) for _ in range(100)]
        assert m.model_proposals == 100
        gains.append(final_accuracy(np.array(props)).mean() - final_accuracy(cells).mean())
    assert min(gains) > 4.0, gains


# -- parameters --------------------------------------------------------------------------------
@pytest.mark.parametrize("name,key,value,match", [
    ("asha", "eta", 1, "asha: eta must be an integer >= 2"),
    ("async-evolution", "eta", 1, "async-evolution: eta must be an integer >= 2"),
    ("asha", "eta", 2.5, "asha: eta must be an integer"),
    ("async-evolution", "population", 0, "population must be > 0"),
    ("bohb", "top_n_percent", 0, "top_n_percent must lie in"),
    ("bohb", "random_fraction", 1.5, "random_fraction must lie in"),
    ("bohb", "num_samples", 0, "num_samples must be > 0"),
    ("bohb", "bandwidth_factor", 0, "bandwidth_factor must be > 0"),
    ("bohb", "min_points_in_model", -1, "min_points_in_model must be"),
])
def test_bad_params_are_refused_in_one_line(name, key, value, match):
    with pytest.raises(StrategyError, match=match) as e:
        make_params(name, {key: value})
    assert "\n" not in str(e.value)


# -- through the runner's event loop -----------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _table(kind: str):
    return mf_table(kind)


def _runs(kind: str, name: str, seconds: float, workers: int = 4, runs: int = 20, **params) -> list[dict]:
    bench = _table(kind)
    cfg = ExperimentConfig(table="mf", strategies=(StrategySpec(name, params),), runs=runs,
                           budget=Budget("seconds", seconds), protocol=Protocol(), workers=workers, progress=False)
    shared = prepare_search(bench, cfg)
    return [run_one(shared, cfg.strategies[0], r) for r in range(runs)]


def _found(runs: list[dict]) -> int:
    return sum(r["incumbent"][-1] == best_cell() for r in runs)


@pytest.fixture(scope="module")
def predictive_runs() -> dict[str, list[dict]]:
    # 1,200 simulated seconds on 4 workers: about 125 full (27-epoch) trainings for random search
    return {n: _runs("predictive", n, 1200) for n in ("random", "hyperband", "bohb", "asha", "async-evolution")}


def test_multi_fidelity_strategies_find_the_known_best_where_random_does_not(predictive_runs):
    found = {n: _found(r) for n, r in predictive_runs.items()}
    # 20 seeded runs each: random search finds the best cell in about 18 % of runs at this budget
    # (125 draws of 625 cells); early stopping lets ASHA look at ten times as many cells
    assert found["random"] <= 6, found
    assert found["asha"] >= 12 and found["async-evolution"] >= 14, found
    assert found["asha"] - found["random"] >= 8 and found["async-evolution"] - found["random"] >= 8, found
    # BOHB is Hyperband with the model's cells: the model is what finds the best
    assert found["bohb"] >= 12 and found["bohb"] - found["hyperband"] >= 6, found


def test_crossing_curves_defeat_early_stopping():
    # the same budget on curves that cross: the best cell ranks last at every early rung, so
    # ASHA and async evolution stop it and never find it, while random search still does sometimes;
    # BOHB keeps Hyperband's hedge (a bracket that starts at the full fidelity) and does no better
    # than random search
    random = _runs("crossing", "random", 1200)
    asha, evo, bohb = (_runs("crossing", n, 1200, runs=10) for n in ("asha", "async-evolution", "bohb"))
    assert _found(asha) == 0 and _found(evo) == 0
    assert _found(random) >= 1 and _found(bohb) / 10 <= _found(random) / 20


def _idle_gaps(run: dict) -> list[float]:
    """Per worker, the simulated seconds between a job's finish and that worker's next start."""
    gaps = []
    for w in set(run["worker"]):
        jobs = sorted((s, f) for s, f, x in zip(run["start"], run["sim_time"], run["worker"]) if x == w)
        gaps += [b[0] - a[1] for a, b in zip(jobs, jobs[1:])]
    return gaps


@pytest.mark.parametrize("name", ["asha", "async-evolution", "bohb"])
def test_asynchronous_strategies_never_idle_a_worker(predictive_runs, name):
    # (bohb: its parallel brackets start a new bracket where a worker would wait at a barrier)
    for run in predictive_runs[name]:
        assert set(run["worker"]) == {0, 1, 2, 3}
        assert max(_idle_gaps(run)) == 0.0
        assert min(run["start"][:4]) == 0.0


def test_synchronous_hyperband_and_bohb_do_idle_workers(predictive_runs):
    # the contrast that shows the idle check can fail: rung barriers leave workers waiting
    assert all(max(_idle_gaps(run)) > 0 for run in predictive_runs["hyperband"])
    assert all(max(_idle_gaps(run)) > 0 for run in _runs("predictive", "bohb", 600, runs=5, parallel_brackets=False))


def test_asha_promotes_the_top_third_and_async_evolution_stops_trials():
    run = _runs("predictive", "asha", 1200, runs=1)[0]
    lv = np.array(run["level"])
    # rungs at epochs 1, 3, 9, 27 (levels 0, 2, 8, 26); at least a third of each rung goes on (less
    # the jobs cut by the budget), somewhat more as the top third of a growing rung changes
    counts = [int((lv == k).sum()) for k in (0, 2, 8, 26)]
    assert set(lv.tolist()) == {0, 2, 8, 26}
    for lower, upper in zip(counts, counts[1:]):
        assert lower // 3 - 4 <= upper <= lower / 2, counts
    evo = _runs("predictive", "async-evolution", 1200, runs=1)[0]
    trials = np.array(evo["trial"])
    top = set(trials[np.array(evo["level"]) == 26].tolist())
    assert 0 < len(top) < len(set(trials.tolist())) / 3


@pytest.mark.parametrize("name", ["async-evolution", "bohb"])
def test_runs_are_deterministic_per_seed(name):
    a = _runs("predictive", name, 400, runs=2)
    b = _runs("predictive", name, 400, runs=2)
    assert a == b and a[0]["cell"] != a[1]["cell"]


def test_asha_eta_changes_the_rungs():
    run = _runs("predictive", "asha", 300, runs=1, eta=4)[0]
    assert set(run["level"]) == {1, 6, 26}  # epochs 2, 7, 27: nearest in log epochs to 27 / 4**k
    assert run == _runs("predictive", "asha", 300, runs=1, eta=4)[0]


def test_one_worker_runs_the_same_algorithms():
    for name in ("asha", "async-evolution", "bohb"):
        run = _runs("predictive", name, 600, workers=1, runs=1)[0]
        assert set(run["worker"]) == {0} and max(_idle_gaps(run)) == 0.0
        assert 26 in run["level"]


def test_one_level_tables_are_refused(tmp_path):
    from synthetic import synthetic_table

    from nasbench.search.runner import ConfigError, run_comparison

    one = synthetic_table(epochs=1)
    for name in ("asha", "bohb", "async-evolution"):
        cfg = ExperimentConfig(table="one", strategies=(name,), runs=1, out=str(tmp_path / name), progress=False)
        with pytest.raises(ConfigError, match=rf"strategy '{name}' is multi-fidelity but one has 1 fidelity level"):
            run_comparison(cfg, one)
        assert not (tmp_path / name).exists()


def test_asha_on_nb201_cifar10_promotes_to_a_fresh_200_epoch_training():
    from nasbench.tables.registry import load

    bench = load("nb201-cifar10")
    cfg = ExperimentConfig(table="nb201-cifar10", strategies=("asha",), runs=1, budget=Budget("queries", 5),
                           progress=False)
    run = run_one(prepare_search(bench, cfg), cfg.strategies[0], 0)
    # three 12-epoch trials; the best of the three (the top third) is trained on the 200-epoch schedule
    assert run["fidelity_epochs"] == [12, 12, 12, 200, 12]
    best = max(range(3), key=lambda i: run["value"][i])
    assert run["trial"][3] == run["trial"][best] and run["cell"][3] == run["cell"][best]
    assert run["cost"][3] == pytest.approx(float(bench.cost(run["cell"][3], 200)))  # charged in full
