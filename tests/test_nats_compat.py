"""NATS-Bench's topology API over the embedded tables (nasbench.bridges.nats_compat): the calls of
NATS-Bench's README run unchanged, and every value is the table's."""
from __future__ import annotations

import numpy as np
import pytest

import nasbench
from nasbench.bridges.nats_compat import NATSCompat, NATSCompatError, create
from nasbench.errors import NasbenchError

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


@pytest.fixture(scope="module")
def api():
    return create(None, "tss", fast_mode=True, verbose=False, seed=0)


@pytest.fixture(scope="module")
def tables():
    return {n: nasbench.load(n) for n in ("nb201-cifar10", "nb201-cifar100", "nb201-imagenet16-120")}


def test_readme_calls_run_unchanged(api, tables):
    c10, c100 = tables["nb201-cifar10"], tables["nb201-cifar100"]
    # NATS-Bench README, "query the performance", verbatim
    info = api.get_more_info(1234, 'cifar10')
    info = api.get_cost_info(12, 'cifar10')
    validation_accuracy, latency, time_cost, current_total_time_cost = api.simulate_train_eval(1224, dataset='cifar10', hp='12')
    # NAS-Bench-201 / NATS-Bench README: query_by_index and the runs it returns
    results = api.query_by_index(1, 'cifar100', hp='200')
    for seed, result in results.items():
        result.get_eval('x-valid')
        result.get_eval('x-test')
        result.get_train()

    assert info == {"flops": c10.objective_many(np.array([12]), "flops")[0],
                    "params": c10.objective_many(np.array([12]), "params")[0]}
    assert validation_accuracy == c10.query(1224, "valid_acc_s12")
    assert time_cost == pytest.approx(c10.query(1224, "time") * 12 / 200)
    assert latency is None
    assert current_total_time_cost == time_cost
    assert api.get_more_info(1234, 'cifar10') == {"test-accuracy": c10.query(1234, "test_acc_s12")}
    assert sorted(results) == [777, 888, 999]
    for seed, result in results.items():
        assert result.get_eval('x-valid')["accuracy"] == c100.query(1, "valid_acc", seed=seed)
        assert result.get_eval('x-test')["accuracy"] == c100.query(1, "test_acc", seed=seed)
        assert result.get_eval('ori-test')["accuracy"] == c100.query(1, "valtest_acc", seed=seed)
        assert result.get_train()["all_time"] == c100.query(1, "time")


def test_get_more_info_200_is_the_table(api, tables):
    for ds, table in (("cifar100", "nb201-cifar100"), ("ImageNet16-120", "nb201-imagenet16-120")):
        b = tables[table]
        mean = api.get_more_info(77, ds, hp="200", is_random=False)
        assert mean == {"train-per-time": b.query(77, "time") / 200, "train-all-time": b.query(77, "time"),
                        "valid-accuracy": b.query(77, "valid_acc"), "test-accuracy": b.query(77, "test_acc"),
                        "valtest-accuracy": b.query(77, "valtest_acc")}
        one = api.get_more_info(77, ds, hp=200, is_random=888)
        assert one["valid-accuracy"] == b.query(77, "valid_acc", seed=888)
        assert one["test-accuracy"] == b.query(77, "test_acc", seed=888)
        drawn = api.get_more_info(77, ds, hp="200")  # is_random=True: one run, the same for every key
        runs = b.runs(np.array([77]), "valid_acc")[0]
        slot = int(np.flatnonzero(runs == drawn["valid-accuracy"])[0])
        assert drawn["test-accuracy"] == b.runs(np.array([77]), "test_acc")[0][slot]
    b = tables["nb201-cifar10"]
    v = api.get_more_info(5, "cifar10-valid", hp="200", is_random=False)
    assert v == {"train-per-time": b.query(5, "time") / 200, "train-all-time": b.query(5, "time"),
                 "valid-accuracy": b.query(5, "valid_acc"), "test-accuracy": b.query(5, "valid_test_acc")}
    assert api.get_more_info(5, "cifar10", hp="200") == {"test-accuracy": b.query(5, "test_acc")}


def test_12_epoch_values_are_seed_means_with_scaled_time(api, tables):
    b = tables["nb201-imagenet16-120"]
    for is_random in (True, False):
        info = api.get_more_info(ARCH, "ImageNet16-120", is_random=is_random)
        assert info["valid-accuracy"] == b.query(ARCH, "valid_acc_s12")
        assert info["test-accuracy"] == b.query(ARCH, "test_acc_s12")
        assert info["train-all-time"] == pytest.approx(b.query(ARCH, "time") * 12 / 200)
        assert "valid-per-time" not in info and "train-loss" not in info  # not recorded: not invented
    assert list(api.query_by_index(ARCH, "ImageNet16-120")) == ["mean"]


def test_cost_info_and_bookkeeping(api, tables):
    b = tables["nb201-cifar100"]
    cost = api.get_cost_info(3, "cifar100", hp="200")
    assert cost == {"flops": b.objective_many(np.array([3]), "flops")[0],
                    "params": b.objective_many(np.array([3]), "params")[0],
                    "T-train@epoch": b.query(3, "time") / 200, "T-train@total": b.query(3, "time")}
    assert "latency" not in cost
    assert len(api) == 15625
    assert api.query_index_by_arch(ARCH) == nasbench.to_cell(ARCH).index
    assert api.query_index_by_arch(7) == 7 and api[7] == nasbench.to_cell(7).to_str()
    assert 0 <= api.random() < len(api)
    fresh = NATSCompat(seed=1)
    fresh.simulate_train_eval(10, "cifar100", account_time=False)
    assert fresh.used_time == 0
    _, _, t, total = fresh.simulate_train_eval(10, "cifar100")
    assert total == t == fresh.used_time
    fresh.reset_time()
    assert fresh.used_time == 0


@pytest.mark.parametrize("call, words", [
    (lambda a: a.get_more_info(1, "cifar10-test"), "allowed: cifar10-valid, cifar10, cifar100, ImageNet16-120"),
    (lambda a: a.get_more_info(1, "cifar10", hp="90"), "allowed: '12'"),
    (lambda a: a.get_cost_info(15625, "cifar10"), "allowed: 0 .. 15624"),
    (lambda a: a.get_more_info(-1, "cifar10"), "allowed: 0 .. 15624"),
    (lambda a: a.query_index_by_arch("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"), "unknown arch string"),
    (lambda a: a.get_more_info(1, "cifar10", iepoch=3), "use iepoch=None or 11"),
    (lambda a: a.simulate_train_eval(1, "cifar10-valid"), "allowed: cifar10, cifar100, ImageNet16-120"),
    (lambda a: a.get_more_info(1, "cifar100", hp="200", is_random=123), "its runs have seeds [777, 888, 999]"),
    (lambda a: a.get_latency(1, "cifar10"), "latency not recorded"),
    (lambda a: create(None, "sss"), "allowed: 'tss'"),
])
def test_bad_input_is_one_line(api, call, words):
    with pytest.raises(NATSCompatError) as exc:
        call(api)
    assert isinstance(exc.value, NasbenchError) and isinstance(exc.value, ValueError)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_unrecorded_seeds_are_not_invented(api, tables):
    b = tables["nb201-cifar100"]
    two = int(np.flatnonzero(b.run_seed[b.arch_row][:, 0] < 0)[0])
    runs = api.query_by_index(two, "cifar100", hp="200")
    assert sorted(runs) == ["run-1", "run-2"] and all(r.seed is None for r in runs.values())
    with pytest.raises(NATSCompatError, match="record no seed numbers"):
        api.get_more_info(two, "cifar100", hp="200", is_random=777)
