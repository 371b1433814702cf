"""The runner's event loop: N simulated workers, fidelities, budgets, and one-worker identity."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from nasbench.search.runner import (COLUMNS, ConfigError, ExperimentConfig, StrategySpec, prepare_search,
                                 run_comparison, run_one)
from nasbench.search.config import TIMED_COLUMNS
from nasbench.strategies import (Budget, Capabilities, Job, JobStrategy, Params, Protocol, SearchContext,
                                 StrategyError, TrialResult)
from nasbench.strategies.fidelity import build_fidelities
from nasbench.strategies.protocol import PRESETS
from synthetic import curve_table

FAST = {"gradient": {"fit_epochs": 20, "steps": 5, "n_init": 5}, "bananas": {"n_init": 5, "fit_epochs": 20}}
#: single-fidelity strategies cheap enough to run here (not optuna/smac: their own tests)
PLAIN = ["random", "evolution", "reinforce", "local_search", "gradient"]


def _shared(bench, name, budget, workers=1, timed=None, protocol=Protocol()):
    cfg = ExperimentConfig(table="synthetic", strategies=(StrategySpec(name, FAST.get(name, {})),), runs=1,
                           budget=budget, protocol=protocol, progress=False, workers=workers)
    sh = prepare_search(bench, cfg)
    return (sh if timed is None else dataclasses.replace(sh, timed=timed)), cfg.strategies[0]


# -- one worker: the event loop is the sequential loop -------------------------------------------
@pytest.mark.parametrize("name", PLAIN)
@pytest.mark.parametrize("budget", [Budget("queries", 40), Budget("seconds", 1500), Budget("epochs", 100)],
                         ids=["queries", "seconds", "epochs"])
def test_event_loop_with_one_worker_is_the_sequential_loop(bench, name, budget):
    seq_shared, spec = _shared(bench, name, budget)
    assert not seq_shared.timed
    seq = run_one(seq_shared, spec, 3)
    ev = run_one(dataclasses.replace(seq_shared, timed=True), spec, 3)
    assert list(ev) == list(COLUMNS) + list(TIMED_COLUMNS)
    assert {k: ev[k] for k in COLUMNS} == seq and len(seq["cell"]) > 5
    assert set(ev["worker"]) == {0} and ev["start"] == [0.0] + ev["sim_time"][:-1]


@pytest.mark.parametrize("name", ["random", "evolution", "mo_random"])
@pytest.mark.parametrize("budget", [Budget("queries", 40), Budget("seconds", 1500), Budget("worker-seconds", 1500),
                                    Budget("epochs", 100)], ids=["queries", "seconds", "worker-seconds", "epochs"])
def test_the_one_worker_path_gives_the_general_loops_rows(bench, name, budget):
    """`run_events` runs one worker with a classic strategy without the heap (`_run_sequential`);
    the general loop (`_run_workers`) with one worker gives the same rows, value for value."""
    from nasbench.search.runner import run_seed
    from nasbench.search.loop import EVENT_COLUMNS, LoopSetup, _run_sequential, _run_workers
    from nasbench.strategies import make_strategy

    sh, spec = _shared(bench, name, budget, protocol=Protocol(objectives=("params",) if name == "mo_random" else ()))
    setup = LoopSetup(sh.view, None, sh.protocol_level, sh.test, sh.objectives, sh.budget, 1)

    def fresh():
        s_seq, n_seq = run_seed(sh.seed, spec.label, 2).spawn(2)
        ctx = SearchContext(rng=np.random.default_rng(s_seq), fidelities=None, **sh.context_kw)
        return make_strategy(spec.name, ctx, spec.params), np.random.default_rng(n_seq)

    fast, general = _run_sequential(setup, *fresh()), _run_workers(setup, *fresh(), 1)
    assert list(fast) == list(EVENT_COLUMNS) and len(fast["cell"]) > 5
    assert fast == general
    assert [type(x) for x in fast["incumbent"]] == [type(x) for x in general["incumbent"]]


class _GappyView:
    """A view with missing values (NaN, the first one too) and, if asked, missing costs."""

    epochs_per_query = 12.0

    def __init__(self, nan_costs: bool) -> None:
        self.nan_costs = nan_costs

    def observe(self, cell, rng):
        u = rng.random()
        v = float("nan") if u < 0.25 or cell == self.first else u
        return v, float("nan") if self.nan_costs and cell % 5 == 0 else 100.0 * u


@pytest.mark.parametrize("budget, nan_costs", [(Budget("queries", 60), True), (Budget("epochs", 600), True),
                                               (Budget("seconds", 3000), False)])
def test_the_one_worker_path_keeps_the_general_loops_rows_where_values_are_missing(budget, nan_costs):
    from nasbench.search.loop import LoopSetup, _run_sequential, _run_workers
    from nasbench.strategies import make_strategy

    view = _GappyView(nan_costs)
    setup = LoopSetup(view, None, 0, [float(i % 97) for i in range(15625)], None, budget, 1)

    def fresh():
        s = make_strategy("evolution", SearchContext(rng=np.random.default_rng(5)))
        view.first = make_strategy("evolution", SearchContext(rng=np.random.default_rng(5))).ask()  # NaN first
        return s, np.random.default_rng(6)

    fast, general = _run_sequential(setup, *fresh()), _run_workers(setup, *fresh(), 1)
    assert len(fast["cell"]) > 10 and np.isnan(fast["value"][0])
    assert json.dumps(fast) == json.dumps(general)  # NaN == NaN as text


def test_one_worker_configs_keep_their_results_and_identity(bench, tmp_path):
    cfg = ExperimentConfig(table="synthetic", strategies=("random",), runs=2, budget=Budget("queries", 5),
                           out=str(tmp_path / "a"), progress=False)
    assert "workers" not in cfg.identity() and cfg.columns == COLUMNS
    res = run_comparison(cfg, bench)
    assert list(pd.read_csv(res.table_path).columns) == list(COLUMNS)
    four = ExperimentConfig(**{**cfg.__dict__, "workers": 4, "out": str(tmp_path / "b")})
    assert four.identity()["workers"] == 4 and four.columns == COLUMNS + TIMED_COLUMNS
    res4 = run_comparison(four, bench)
    assert list(pd.read_csv(res4.table_path).columns) == list(COLUMNS + TIMED_COLUMNS)
    assert json.loads((res4.path / "provenance.json").read_text())["workers"] == 4


def test_same_seed_same_results_whatever_the_jobs(bench, tmp_path):
    base = dict(table="synthetic", strategies=("random", "evolution", "sh"), runs=3, budget=Budget("seconds", 600),
                progress=False, workers=4)
    a = run_comparison(ExperimentConfig(**base, jobs=1, out=str(tmp_path / "a")), bench)
    b = run_comparison(ExperimentConfig(**base, jobs=2, out=str(tmp_path / "b")), bench)
    assert a.table_path.read_bytes() == b.table_path.read_bytes()


# -- N workers ---------------------------------------------------------------------------------
def test_more_workers_finish_more_queries_in_the_same_wall_clock(bench):
    n = {}
    for w in (1, 4):
        sh, spec = _shared(bench, "random", Budget("seconds", 1500), workers=w)
        cols = run_one(sh, spec, 0)
        n[w] = len(cols["cell"])
        assert max(cols["sim_time"]) <= 1500
    assert n[4] >= 3.5 * n[1]


@pytest.mark.parametrize("name", ["random", "evolution", "sh"])
def test_events_in_finish_order_and_workers_never_overlap(bench, name):
    sh, spec = _shared(bench, name, Budget("seconds", 800), workers=3)
    df = pd.DataFrame(run_one(sh, spec, 1))
    assert (df["sim_time"].diff().dropna() >= 0).all()
    assert np.allclose(df["sim_time"], df["start"] + df["cost"])
    assert set(df["worker"]) == {0, 1, 2}
    for _, g in df.groupby("worker"):
        g = g.sort_values("start")
        assert (g["start"].to_numpy()[1:] >= g["sim_time"].to_numpy()[:-1] - 1e-9).all()
    # each worker picks up work when it frees: the next start of a worker is its previous finish
    if name != "sh":  # (sh idles at rung barriers)
        for _, g in df.groupby("worker"):
            g = g.sort_values("start")
            assert np.allclose(g["start"].to_numpy()[1:], g["sim_time"].to_numpy()[:-1])


def test_budget_kinds_with_several_workers(bench):
    sh, spec = _shared(bench, "random", Budget("queries", 25), workers=4)
    assert len(run_one(sh, spec, 0)["cell"]) == 25
    sh, spec = _shared(bench, "random", Budget("worker-seconds", 2000), workers=4)
    ws = run_one(sh, spec, 0)
    assert sum(ws["cost"]) <= 2000 and max(ws["sim_time"]) < 2000 / 2  # four workers share it
    sh, spec = _shared(bench, "random", Budget("seconds", 2000), workers=4)
    wall = run_one(sh, spec, 0)
    assert max(wall["sim_time"]) <= 2000 and sum(wall["cost"]) > 3 * 2000
    sh, spec = _shared(bench, "random", Budget("epochs", 100), workers=4)
    ep = run_one(sh, spec, 0)
    assert ep["epochs"][-1] <= 100 and len(ep["cell"]) == 25  # 4 epochs per query


def test_one_worker_worker_seconds_is_seconds(bench):
    a = run_one(*_shared(bench, "evolution", Budget("seconds", 1500)), 0)
    b = run_one(*_shared(bench, "evolution", Budget("worker-seconds", 1500)), 0)
    assert a == b


def test_bad_workers_and_budget_kinds():
    for bad in (0, -1, 1.5, "4", True):
        with pytest.raises(ConfigError, match="workers must be a positive integer"):
            ExperimentConfig(table="synthetic", workers=bad)
    from nasbench.strategies import ProtocolError

    with pytest.raises(ProtocolError, match="budget kind 'wallclock' unknown; valid: queries, seconds, epochs, "
                                            "worker-seconds"):
        Budget("wallclock", 10)


@pytest.mark.parametrize("value", ["0", "-1", "x", "2,0", "1.5"])
def test_cli_refuses_bad_worker_counts(value, capsys):
    from nasbench.cli import main

    assert main(["compare", "--table", "nb201-digits", "--workers", value, "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert "--workers takes positive integers" in err and len(err.strip().splitlines()) == 1


def test_cli_runs_one_comparison_per_worker_count(tmp_path, capsys):
    from nasbench.cli import main

    out = tmp_path / "w"
    assert main(["compare", "--table", "nb201-digits", "--strategies", "random,sh", "--runs", "2", "--budget-kind",
                 "seconds", "--budget", "30", "--workers", "1,4", "--out", str(out), "--jobs", "1", "--no-plots",
                 "--no-progress"]) == 0
    one = pd.read_csv(out / "workers-1" / "results.csv")
    four = pd.read_csv(out / "workers-4" / "results.csv")
    assert set(one["worker"]) == {0} and set(four["worker"]) == {0, 1, 2, 3}
    assert len(four) > 2 * len(one)


# -- strategies under the event loop -----------------------------------------------------------
def test_supernet_strategies_use_one_worker():
    from nasbench.strategies import STRATEGIES

    assert STRATEGIES["darts"].capabilities.max_workers == STRATEGIES["gdas"].capabilities.max_workers == 1
    assert all(c.capabilities.max_workers == 0 for n, c in STRATEGIES.items() if not c.capabilities.trains_networks)


def test_local_search_hands_each_neighbour_out_once(bench):
    sh, spec = _shared(bench, "local_search", Budget("queries", 60), workers=4)
    df = pd.DataFrame(run_one(sh, spec, 0))
    # four workers asking at once would otherwise all get the same neighbour
    assert df["cell"].nunique() >= 0.9 * len(df)


@pytest.mark.parametrize("name", ["mo_random", "mo_evolution"])
def test_multiobjective_strategies_with_workers(bench, name):
    sh, spec = _shared(bench, name, Budget("queries", 20), workers=3, protocol=Protocol(objectives=("params",)))
    cols = run_one(sh, spec, 0)
    assert len(cols["cell"]) == 20 and "obj_params" in cols and set(cols["worker"]) == {0, 1, 2}
    assert list(cols).index("trial") < list(cols).index("obj_params")


# -- fidelities: resume charging, the nb201-cifar10 mapping ---------------------------------------
class _Scripted(JobStrategy, register=False):
    """A test double: runs the jobs of its script, then stops."""

    name = "scripted"
    capabilities = Capabilities(multi_fidelity=True, needs={"fidelities"})

    def __init__(self, context, script):
        super().__init__(context, Params())
        self.script = list(script)
        self.told: list[TrialResult] = []

    def ask_job(self):
        return self.script.pop(0) if self.script else None

    def tell_result(self, result):
        self.told.append(result)

    def ask(self):
        raise AssertionError("not used")

    def tell(self, *a, **k):
        raise AssertionError("not used")


def _scripted_run(bench, protocol, script, workers=1):
    from nasbench.search.loop import LoopSetup, run_events

    fv = build_fidelities(bench, protocol)
    shared = prepare_search(bench, ExperimentConfig(table="x", strategies=("random",), protocol=protocol,
                                                    progress=False))
    s = _Scripted(SearchContext(rng=np.random.default_rng(0), fidelities=fv.fidelities), script)
    setup = LoopSetup(shared.view, fv, fv.fidelities.protocol_level, shared.test, None, Budget("queries", 100), workers)
    return s, run_events(setup, s, np.random.default_rng(1)), fv.fidelities


def test_resume_charges_only_the_extra_time():
    bench = curve_table()
    cell = 1234
    s, cols, fid = _scripted_run(bench, Protocol(), [Job(cell, 0), Job(cell, 5, 0), Job(cell, 11, 0)])
    t = bench.metrics["time"][cell, 0]
    assert [r.trial for r in s.told] == [0, 0, 0] and [r.level for r in s.told] == [0, 5, 11]
    assert cols["cost"] == pytest.approx([t[0], t[5] - t[0], t[11] - t[5]])
    assert cols["sim_time"][-1] == pytest.approx(t[11])  # one training to epoch 12, in three legs
    assert cols["epochs"] == [1.0, 6.0, 12.0]
    # a resumed trial reads the same recorded run at every level
    v = bench.metrics["valid_acc"][cell]
    slot = [k for k in range(3) if v[k, 0] == s.told[0].value]
    assert len(slot) == 1 and s.told[1].value == v[slot[0], 5] and s.told[2].value == v[slot[0], 11]


def test_a_bad_job_is_a_strategy_error():
    bench = curve_table()
    with pytest.raises(StrategyError, match="resumes trial 3, which was never started"):
        _scripted_run(bench, Protocol(), [Job(5, 0), Job(5, 2, 3)])
    with pytest.raises(StrategyError, match="already at level 4"):
        _scripted_run(bench, Protocol(), [Job(5, 4), Job(5, 2, 0)])
    with pytest.raises(StrategyError, match="still running"):
        _scripted_run(bench, Protocol(), [Job(5, 4), Job(5, 6, 0)], workers=2)
    with pytest.raises(StrategyError, match="level 12 out of range"):
        _scripted_run(bench, Protocol(), [Job(5, 12)])


def test_cpu_table_levels_one_per_epoch():
    bench = curve_table()
    fid = build_fidelities(bench, Protocol()).fidelities
    assert fid.epochs == tuple(range(1, 13)) and fid.protocol_level == 11
    assert [lv.resumable for lv in fid.levels] == [False] + [True] * 11
    assert fid.cost(3, 77) == bench.metrics["time"][77, 0, 3]
    assert build_fidelities(bench, Protocol(epoch=6)).fidelities.epochs == tuple(range(1, 7))


def test_nb201_cifar10_two_schedules():
    from nasbench.tables.registry import load

    bench = load("nb201-cifar10")
    proto = PRESETS["nb201-cifar10"].protocol
    fv = build_fidelities(bench, proto)
    fid = fv.fidelities
    assert [lv.name for lv in fid.levels] == ["12-epoch schedule", "200-epoch schedule"]
    assert fid.epochs == (12, 200) and fid.protocol_level == 0
    assert [lv.metric for lv in fid.levels] == ["valid_acc_s12", "valid_acc"]
    assert not fid.resumable(0, 1)
    cell = 4321
    t200 = float(bench.cost(cell, 200))
    assert fid.cost(0, cell) == pytest.approx(t200 * 12 / 200) and fid.cost(1, cell) == pytest.approx(t200)
    assert fid.resume_cost(0, 1, cell) == pytest.approx(t200)  # a fresh 200-epoch training, charged in full
    assert fv.observe(0, cell, 0)[0] == pytest.approx(float(bench.query(cell, "valid_acc_s12")))
    assert fv.observe(1, cell, 0)[0] == pytest.approx(float(bench.query(cell, "valid_acc", 200)))
    # the protocol's level is what single-fidelity strategies see
    view = prepare_search(bench, ExperimentConfig(table="nb201-cifar10", progress=False)).view
    assert fv.observe(0, cell, 0) == view.observe(cell, np.random.default_rng(0))
    assert build_fidelities(bench, Protocol(metric="valid_acc", seed="mean")).fidelities.protocol_level == 1


def test_fidelities_expose_no_test_values():
    bench = curve_table()
    fid = build_fidelities(bench, Protocol()).fidelities
    assert all(not lv.metric.startswith("test") for lv in fid.levels)
    test = set(bench.metrics["test_acc"].ravel().tolist())  # one set, not np.isin over the array per value
    for f in dataclasses.fields(fid):
        v = getattr(fid, f.name)
        arr = np.asarray(v, dtype=object).ravel() if isinstance(v, tuple) else []
        assert not any(isinstance(x, float) and x in test for x in arr[:1000])


def test_regret_vs_wall_clock_figure_per_worker_count(bench, tmp_path):
    from nasbench.analysis.plots import _time_label, plot_worker_counts

    dirs = {}
    for w in (1, 3):
        cfg = ExperimentConfig(table="synthetic", strategies=("random", "evolution"), runs=2, workers=w,
                               budget=Budget("seconds", 500), out=str(tmp_path / f"workers-{w}"), progress=False)
        dirs[w] = run_comparison(cfg, bench)
    paths = plot_worker_counts(dirs, tmp_path / "figures")
    assert [p.name for p in paths] == ["regret_vs_time_by_workers.png", "regret_vs_time_by_workers.pdf"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert _time_label(dirs[3].frame()) == "simulated wall-clock (s), 3 workers"
    assert _time_label(dirs[1].frame()) == "simulated training time (s)"


def test_workers_from_a_config_file(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('table = "nb201-digits"\nstrategies = ["random", "sh"]\nworkers = 4\n')
    cfg = ExperimentConfig.from_file(good)
    assert cfg.workers == 4 and cfg.timed and cfg.identity()["workers"] == 4
    assert ExperimentConfig.from_file(good, workers=1).workers == 1
    bad = tmp_path / "bad.toml"
    bad.write_text('table = "nb201-digits"\n\nworkers = 0\n')
    with pytest.raises(ConfigError, match=r"bad.toml:3: workers must be a positive integer, got 0"):
        ExperimentConfig.from_file(bad)


def test_a_given_worker_seconds_budget_applies_to_every_table(tmp_path):
    """Several tables: a given budget is honoured on each (it was refused before each table ran
    under its own preset)."""
    from nasbench.search.multitable import run_tables

    cfg = ExperimentConfig(table="nb201-digits,nb201-fashion-mnist", strategies=("random",), runs=1, workers=2,
                           budget=Budget("worker-seconds", 100), out=str(tmp_path / "m"), progress=False)
    multi = run_tables(cfg)
    for t in multi.tables:
        assert multi.dirs[t].config["budget"] == {"kind": "worker-seconds", "amount": 100}
