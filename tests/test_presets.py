"""Table presets: the published search protocol a comparison uses when its config names none, and
the main job's defaults. Resolution is tested on names alone; what the preset observes and charges
is tested on the embedded NAS-Bench-201 CIFAR-10 table where it is present (skipped otherwise)."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from nasbench.search.runner import DEFAULT_RUNS, DEFAULT_TABLE, ExperimentConfig, default_config
from nasbench.strategies import Budget, Protocol
from nasbench.strategies.protocol import NB201_CIFAR10, PRESETS, SearchView, preset_for


def _embedded(name):
    import nasbench
    from nasbench.tables.hdf5 import TableError

    try:
        return nasbench.load(name)
    except TableError as exc:
        pytest.skip(f"embedded table {name} not present: {str(exc).splitlines()[0]}")


def test_preset_resolution_by_table_name():
    cfg = ExperimentConfig(table="nb201-cifar10")
    assert cfg.protocol == NB201_CIFAR10.protocol and cfg.budget == Budget("seconds", 12_000)
    assert cfg.protocol.metric == "valid_acc_s12" and cfg.protocol.cost_factor == 12 / 200
    # a file named like an embedded table gets its preset too
    assert ExperimentConfig(table="some/dir/nb201-cifar100.h5").budget == PRESETS["nb201-cifar100"].budget
    # only the protocol given: no preset at all (the preset budget belongs to the preset signal)
    own = Protocol(metric="valid_acc")
    cfg = ExperimentConfig(table="nb201-cifar10", protocol=own)
    assert cfg.protocol == own and cfg.budget == Budget("queries", 100)
    # only the budget given: the preset signal under that budget
    cfg = ExperimentConfig(table="nb201-cifar10", budget=Budget("queries", 20))
    assert cfg.protocol == NB201_CIFAR10.protocol and cfg.budget == Budget("queries", 20)
    # any other table: the plain protocol, 100 queries
    cfg = ExperimentConfig(table="nb201-fashion-mnist")
    assert cfg.protocol == Protocol() and cfg.budget == Budget("queries", 100)
    assert preset_for("nb201-digits") is None


def test_every_nb201_preset_searches_the_12_epoch_signal():
    """All three NAS-Bench-201 tables: the 12-epoch signal (seed mean), charged 12/200 of the
    200-epoch time; the default family buys CIFAR-10's number of trainings on every dataset
    (12,000 s x the training-time ratio 1 : 2 : 6), the named ones NAS-Bench-201's flat 12,000 s
    and NATS-Bench's 20,000 / 40,000 / 120,000 s."""
    from nasbench.strategies.protocol import DEFAULT_PRESET, NAMED_PRESETS, PRESET_NAMES

    assert DEFAULT_PRESET == "nas-bench-201" and PRESETS is NAMED_PRESETS[DEFAULT_PRESET]
    assert set(PRESET_NAMES) == {"nas-bench-201", "nas-bench-201-flat", "nats-bench"}
    expected = {"nas-bench-201": (12_000, 24_000, 72_000), "nas-bench-201-flat": (12_000, 12_000, 12_000),
                "nats-bench": (20_000, 40_000, 120_000)}
    for family, seconds in expected.items():
        for table, amount in zip(("nb201-cifar10", "nb201-cifar100", "nb201-imagenet16-120"), seconds):
            p = NAMED_PRESETS[family][table]
            assert p.protocol == NB201_CIFAR10.protocol and p.budget == Budget("seconds", amount)
            assert p.protocol.metric == "valid_acc_s12" and p.protocol.seed == "mean"
            assert p.protocol.cost_factor == 12 / 200 and p.protocol.train_epochs == 12
            assert ExperimentConfig(table=table, preset=family).budget == p.budget
            assert family in p.source and f"{amount:,}" in p.source


def test_a_preset_is_chosen_by_name_and_a_wrong_name_is_one_line(tmp_path):
    from nasbench.search.config import ConfigError

    assert ExperimentConfig(table="nb201-cifar100", preset="nats-bench").budget == Budget("seconds", 40_000)
    # the preset resolves what is not given: a given budget stays
    assert ExperimentConfig(table="nb201-cifar100", preset="nats-bench",
                            budget=Budget("queries", 7)).budget == Budget("queries", 7)
    with pytest.raises(ConfigError, match="preset 'nats' unknown; allowed: nas-bench-201, nas-bench-201-flat, "
                                          "nats-bench"):
        ExperimentConfig(table="nb201-cifar10", preset="nats")
    f = tmp_path / "c.toml"
    f.write_text('table = "nb201-imagenet16-120"\npreset = "nats-bench"\n')
    cfg = ExperimentConfig.from_file(f)
    assert cfg.budget == Budget("seconds", 120_000) and cfg.to_dict()["preset"] == "nats-bench"
    # the identity holds what the preset resolved to, not its name
    assert "preset" not in cfg.identity() and cfg.identity()["budget"] == {"kind": "seconds", "amount": 120_000}


@pytest.mark.parametrize("table", ["nb201-cifar100", "nb201-imagenet16-120"])
def test_cifar100_and_imagenet_presets_observe_their_12_epoch_signal(table):
    bench = _embedded(table)
    view = SearchView(bench, PRESETS[table].protocol)
    cells = np.array([0, 11, 284, 9930, 15624])
    s12 = bench.query_many(cells, "valid_acc_s12", None, "mean")
    t200 = bench.query_many(cells, "time", None, "mean")
    rng = np.random.default_rng(0)
    for c, v, t in zip(cells, s12, t200):
        value, cost = view.observe(int(c), rng)
        assert value == v and cost == pytest.approx(t * 12 / 200)


def test_main_job_defaults_and_config_files_use_all_cores(tmp_path):
    cfg = default_config()
    assert DEFAULT_TABLE == "nb201-cifar10" and cfg.table == DEFAULT_TABLE
    assert cfg.runs == DEFAULT_RUNS >= 50 and cfg.jobs == (os.cpu_count() or 1)
    assert [s.name for s in cfg.strategies] == ["random", "evolution", "reinforce", "gradient"]
    assert cfg.protocol == NB201_CIFAR10.protocol and cfg.budget == NB201_CIFAR10.budget
    f = tmp_path / "c.toml"
    f.write_text('table = "nb201-cifar10"\nruns = 3\n')
    cfg = ExperimentConfig.from_file(f)
    assert cfg.jobs == (os.cpu_count() or 1) and cfg.protocol == NB201_CIFAR10.protocol
    f.write_text('table = "nb201-cifar10"\njobs = 1\n')
    assert ExperimentConfig.from_file(f).jobs == 1


def test_cifar10_preset_observes_the_12_epoch_signal_and_charges_12_of_200_epochs():
    bench = _embedded("nb201-cifar10")
    view = SearchView(bench, NB201_CIFAR10.protocol)
    cells = np.array([0, 11, 6111, 15624])
    s12 = bench.query_many(cells, "valid_acc_s12", None, "mean")
    t200 = bench.query_many(cells, "time", None, "mean")
    rng = np.random.default_rng(0)
    for c, v, t in zip(cells, s12, t200):
        value, cost = view.observe(int(c), rng)
        assert value == v and cost == pytest.approx(t * 12 / 200)
    assert view.epochs_per_query == 12


def test_multi_table_compare_runs_each_table_under_its_own_preset(tmp_path):
    """`compare --table nb201-cifar10,nb201-cifar100,nb201-imagenet16-120`: each table searches its
    12-epoch signal under its own preset budget (no longer 100 queries of the 200-epoch signal)."""
    from nasbench.search.multitable import default_config as tables_config, run_tables

    tables = ("nb201-cifar10", "nb201-cifar100", "nb201-imagenet16-120")
    for t in tables:
        _embedded(t)
    multi = run_tables(tables_config(table=",".join(tables), strategies=("random",), runs=2, jobs=1,
                                     progress=False, out=str(tmp_path / "m")))
    manifest = json.loads((tmp_path / "m" / "multitable.json").read_text())
    for t, entry in zip(tables, manifest["tables"]):
        cfg = multi.dirs[t].config
        assert cfg["protocol"] == PRESETS[t].protocol.to_dict() == entry["protocol"]
        assert cfg["budget"] == PRESETS[t].budget.to_dict() == entry["budget"]
        frame = multi.frame(t)
        assert frame["sim_time"].max() <= PRESETS[t].budget.amount
        assert 80 <= frame.groupby("run")["step"].max().mean() <= 140  # about CIFAR-10's 108 trainings
    assert manifest["budget"] == {} and "each table's nas-bench-201 preset" in manifest["protocol_source"]
    # a given budget applies to every table
    multi = run_tables(tables_config(table=",".join(tables[:2]), strategies=("random",), runs=1, jobs=1,
                                     progress=False, budget=Budget("queries", 7), out=str(tmp_path / "q")))
    for t in tables[:2]:
        assert multi.dirs[t].config["budget"] == {"kind": "queries", "amount": 7}
        assert multi.dirs[t].config["protocol"] == PRESETS[t].protocol.to_dict()
        assert multi.frame(t)["step"].max() == 7


def test_a_surrogate_keeps_its_tables_preset(tmp_path):
    """A surrogate fitted on nb201-cifar10 models the 12-epoch signal and records its source table:
    a comparison on the file searches that signal, charged 12/200 of the modelled 200-epoch time,
    under the table's budget. One that does not model the signal gets the plain protocol."""
    from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig

    from nasbench.search.runner import run_comparison
    from nasbench.tables.registry import load

    bench = _embedded("nb201-cifar10")
    sb = SurrogateBenchmark.fit(bench, SurrogateConfig(model="knn", n_train=400))
    assert sb.metric_names == ("valid_acc", "test_acc", "valid_acc_s12", "time") and sb.source_table == "nb201-cifar10"
    path = tmp_path / "sur.h5"
    sb.save(path)
    assert load(path).source_table == "nb201-cifar10"
    cfg = ExperimentConfig(table=str(path), strategies=("random",), runs=1, jobs=1, progress=False,
                           out=str(tmp_path / "r"))
    assert cfg.protocol == NB201_CIFAR10.protocol and cfg.budget == NB201_CIFAR10.budget
    assert ExperimentConfig(table=str(path), preset="nats-bench").budget == Budget("seconds", 20_000)
    res = run_comparison(cfg)
    frame = res.frame()
    cells = frame["cell"].to_numpy()
    expected = np.asarray(load(path).cost_many(cells, None), dtype=float) * 12 / 200
    assert np.allclose(frame["cost"].to_numpy(), expected)
    assert frame["sim_time"].max() <= 12_000 and len(frame) > 50
    old = SurrogateBenchmark.fit(bench, SurrogateConfig(model="knn", n_train=400, metrics=("valid_acc", "test_acc")))
    old.save(tmp_path / "plain.h5")
    cfg = ExperimentConfig(table=str(tmp_path / "plain.h5"))
    assert cfg.protocol == Protocol() and cfg.budget == Budget("queries", 100)
