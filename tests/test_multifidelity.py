"""Multi-fidelity strategies on the table's fidelity levels: where the right answer is known.

Sections: shared helpers; successive halving and Hyperband (rungs, brackets, synchronous
batches, search quality on a faithful and a misleading synthetic table); further strategies
append their own section below.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import curve_table

from nasbench.search.runner import ConfigError, ExperimentConfig, StrategySpec, prepare_search, run_one
from nasbench.strategies import Budget, Protocol, StrategyError
from nasbench.strategies.fidelity import build_fidelities


# -- shared helpers ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def faithful():
    return curve_table(faithful=True)


@pytest.fixture(scope="module")
def misleading():
    return curve_table(faithful=False)


def run_mf(bench, name: str, budget: Budget, run: int = 0, workers: int = 1, params: dict | None = None,
           protocol: Protocol = Protocol()) -> pd.DataFrame:
    """One run of strategy ``name`` on ``bench``: its rows (with worker, start, level, trial)."""
    cfg = ExperimentConfig(table="curves", strategies=(StrategySpec(name, params or {}),), runs=1, budget=budget,
                           protocol=protocol, progress=False, workers=workers)
    return pd.DataFrame(run_one(_prepared(bench, cfg), cfg.strategies[0], run))


_PREPARED: dict[tuple, tuple] = {}


def _prepared(bench, cfg: ExperimentConfig):
    """``prepare_search(bench, cfg)``, built once per table and configuration (what every run of a
    comparison shares; building it, the fidelity levels' views, costs about 0.3 s)."""
    key = (id(bench), repr(cfg))
    hit = _PREPARED.get(key)
    if hit is None or hit[0] is not bench:
        hit = _PREPARED[key] = (bench, prepare_search(bench, cfg))
    return hit[1]


def mean_final_regret(bench, name: str, budget: Budget, runs: int = 10) -> float:
    """Mean over runs of (best test value of the table) - (final incumbent's test value)."""
    best = float(np.nanmax(bench.metrics["test_acc"][:, :, -1].mean(axis=1)))
    return float(np.mean([best - run_mf(bench, name, budget, r)["incumbent_test"].iloc[-1] for r in range(runs)]))


# -- successive halving and Hyperband ----------------------------------------------------------
def test_rungs_on_the_embedded_tables(faithful):
    from nasbench.tables.registry import load
    from nasbench.strategies.hyperband import rung_levels
    from nasbench.strategies.protocol import PRESETS

    fid = build_fidelities(faithful, Protocol()).fidelities
    assert [fid.epochs[k] for k in rung_levels(fid, 3)] == [1, 4, 12]
    assert [fid.epochs[k] for k in rung_levels(fid, 4)] == [1, 3, 12]
    c10 = build_fidelities(load("nb201-cifar10"), PRESETS["nb201-cifar10"].protocol).fidelities
    assert [c10.epochs[k] for k in rung_levels(c10, 3)] == [12, 200]


def test_hyperband_brackets_follow_li_et_al(faithful):
    """eta=3 and rungs 1, 4, 12 epochs: brackets s=2 (9 -> 3 -> 1), s=1 (5 -> 1), s=0 (3), repeated."""
    df = run_mf(faithful, "hyperband", Budget("queries", 9 + 3 + 1 + 5 + 1 + 3 + 9))
    ep = df["fidelity_epochs"].tolist()
    assert ep == [1] * 9 + [4] * 3 + [12] + [4] * 5 + [12] + [12] * 3 + [1] * 9
    # promotions resume the best trials of the rung below, charged only the extra epochs
    first, second = df.iloc[:9], df.iloc[9:12]
    assert set(second["trial"]) == set(first.nlargest(3, "value")["trial"])
    assert df["epochs"].iloc[12] == 9 * 1 + 3 * 3 + 1 * 8


def test_successive_halving_repeats_its_bracket(faithful):
    df = run_mf(faithful, "sh", Budget("queries", 26))
    assert df["fidelity_epochs"].tolist() == ([1] * 9 + [4] * 3 + [12]) * 2
    assert df["cell"].iloc[:9].nunique() == 9
    assert run_mf(faithful, "sh", Budget("queries", 6), params={"n": 6})["level"].tolist() == [0] * 6


def test_rung_barrier_with_several_workers(faithful):
    """Synchronous: no job of a rung starts before the whole rung below has finished; the workers
    fill each rung in parallel."""
    df = run_mf(faithful, "sh", Budget("seconds", 3000), workers=4)
    assert df["worker"].nunique() == 4
    df["bracket_rung"] = (df["level"].diff().fillna(0) != 0).cumsum()
    for _, g in df.groupby("bracket_rung"):
        before = df[df["bracket_rung"] < g["bracket_rung"].iloc[0]]
        if len(before):
            assert g["start"].min() >= before["sim_time"].max() - 1e-9
    assert df[df["level"] == 0]["start"].iloc[:4].tolist() == [0.0] * 4


def test_sh_finds_good_cells_where_low_fidelity_is_faithful(faithful):
    budget = Budget("epochs", 300)
    sh, rnd = mean_final_regret(faithful, "sh", budget), mean_final_regret(faithful, "random", budget)
    assert sh < 0.6 * rnd, (sh, rnd)
    assert mean_final_regret(faithful, "hyperband", budget) < rnd


def test_sh_is_misled_where_low_fidelity_misleads(misleading):
    budget = Budget("epochs", 300)
    sh, rnd = mean_final_regret(misleading, "sh", budget), mean_final_regret(misleading, "random", budget)
    assert sh > 2 * rnd, (sh, rnd)


def test_multi_fidelity_strategies_refuse_a_one_level_table(tmp_path):
    from synthetic import synthetic_table

    from nasbench.search.runner import run_comparison

    one = synthetic_table(epochs=1)
    for name in ("sh", "hyperband"):
        cfg = ExperimentConfig(table="one", strategies=(name,), runs=1, out=str(tmp_path / name), progress=False)
        with pytest.raises(ConfigError, match=rf"strategy '{name}' is multi-fidelity but one has 1 fidelity level: "
                                              r"epoch 1; it needs a table recording several epochs"):
            run_comparison(cfg, one)
        assert not (tmp_path / name).exists()


def test_bad_eta_is_refused():
    from nasbench.strategies import make_params

    for name in ("sh", "hyperband"):
        with pytest.raises(StrategyError, match="eta must be an integer >= 2"):
            make_params(name, {"eta": 1})
    with pytest.raises(StrategyError, match="n must be a non-negative integer"):
        make_params("sh", {"n": -2})


def test_sh_on_nb201_cifar10_trains_the_best_of_three_for_200_epochs():
    from nasbench.tables.registry import load

    bench = load("nb201-cifar10")
    cfg = ExperimentConfig(table="nb201-cifar10", strategies=("sh",), runs=1, budget=Budget("queries", 8),
                           progress=False)
    df = pd.DataFrame(run_one(prepare_search(bench, cfg), cfg.strategies[0], 0))
    assert df["fidelity_epochs"].tolist() == [12, 12, 12, 200] * 2
    promoted = df.iloc[3]
    assert promoted["trial"] == df.iloc[:3].nlargest(1, "value")["trial"].iloc[0]
    assert promoted["cost"] == pytest.approx(float(bench.cost(int(promoted["cell"]), 200)))  # charged in full
    assert df["incumbent"].iloc[3] == promoted["cell"]  # the incumbent is the best at the highest level


def test_parallel_brackets_keep_workers_busy(faithful):
    """parallel_brackets: a worker that would wait at a barrier starts the next bracket (BOHB's
    scheme): more jobs in the same wall-clock with 8 workers, the same run with one worker."""
    budget = Budget("seconds", 2000)
    for name in ("sh", "hyperband"):
        plain = run_mf(faithful, name, budget, workers=8)
        par = run_mf(faithful, name, budget, workers=8, params={"parallel_brackets": True})
        assert len(par) > 1.5 * len(plain), (name, len(par), len(plain))
        # a first-rung job starts while a promoted job is running: only when brackets overlap
        assert _overlapping_brackets(par) and not _overlapping_brackets(plain)
        one = run_mf(faithful, name, Budget("queries", 40), params={"parallel_brackets": True})
        assert one.equals(run_mf(faithful, name, Budget("queries", 40)))


def _overlapping_brackets(df: pd.DataFrame) -> bool:
    first, later = df[df["level"] == df["level"].min()], df[df["level"] > df["level"].min()]
    s = first["start"].to_numpy()[:, None]
    return bool(((later["start"].to_numpy()[None, :] < s) & (s < later["sim_time"].to_numpy()[None, :])).any())
