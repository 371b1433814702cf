"""Table presets: the published search protocol a comparison uses when its config names none, and
the main job's defaults. Resolution is tested on names alone; what the preset observes and charges
is tested on the embedded NAS-Bench-201 CIFAR-10 table where it is present (skipped otherwise)."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from nasbench.experiment import DEFAULT_RUNS, DEFAULT_TABLE, ExperimentConfig, default_config
from nasbench.strategies import Budget, Protocol
from nasbench.strategies.protocol import NB201_CIFAR10, PRESETS, SearchView, preset_for


def _embedded(name):
    import nasbench
    from nasbench.table import TableError

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


def test_presets_of_the_datasets_without_a_12_epoch_schedule():
    """CIFAR-100 / ImageNet16-120: the 200-epoch per-seed signal, charged the 200-epoch time, with
    budgets in NATS-Bench's 1 : 2 : 6 ratio, scaled by 200/12 from NAS-Bench-201's 12,000 s."""
    c100, img = PRESETS["nb201-cifar100"], PRESETS["nb201-imagenet16-120"]
    for p in (c100, img):
        assert p.protocol.metric == "valid_acc" and p.protocol.seed == "random" and p.protocol.cost_factor == 1
    assert c100.budget.amount == pytest.approx(12_000 * 2 * 200 / 12)
    assert img.budget.amount == pytest.approx(12_000 * 6 * 200 / 12)


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
