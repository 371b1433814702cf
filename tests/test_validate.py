"""Validation by real training: the whole flow on tiny budgets, resume from a checkpoint, bad input."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch

from nasbench.validation.run import ValidateConfig, ValidateError, train_checkpointed, validate

torch.set_num_threads(1)
TINY = dict(epochs=1, C=2, N=1, progress=False)


@pytest.fixture(scope="module")
def digits():
    from nasbench.training.datasets import load_dataset

    return load_dataset("digits")


@pytest.fixture(scope="module")
def synthetic_results(tmp_path_factory):
    """A SYNTHETIC table (invented numbers, 3 seeds, no data spec) on disk, and a small comparison on it."""
    from nasbench.search.runner import ExperimentConfig, run_comparison
    from nasbench.strategies import Budget
    from nasbench.tables.hdf5 import write_table
    from tests.synthetic import synthetic_table

    d = tmp_path_factory.mktemp("val")
    table = d / "synthetic.h5"
    write_table(table, synthetic_table())
    cfg = ExperimentConfig(table=str(table), strategies=("random",), runs=4, budget=Budget("queries", 20),
                           out=str(d / "cmp"), progress=False)
    return run_comparison(cfg).path


@pytest.fixture(scope="module")
def tiny_real_table(tmp_path_factory):
    """A tiny table trained for real by the generator (2 cells, one seed): records recipe and data."""
    from nasbench.generation.config import DataSpec, GenerateConfig
    from nasbench.generation.generate import generate

    out = tmp_path_factory.mktemp("gen") / "tiny.h5"
    generate(out, GenerateConfig(DataSpec("digits"), {"epochs": 2, "C": 2, "N": 1}, seeds=(5,), limit=2),
             progress=False)
    return out


class _Kill(Exception):
    pass


def _kill_after(n):
    def hook(epoch):
        if epoch == n:
            raise _Kill

    return hook


def _same(a, b):
    for m in ("train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss"):
        assert getattr(a, m).tolist() == getattr(b, m).tolist(), m


def test_resume_from_checkpoint_is_bit_identical(tmp_path, digits):
    from nasbench.training.train import Recipe, train_cell

    recipe = Recipe(epochs=3, C=4, N=1, augment=True, crop_padding=1, batch_size=128)  # augmentation draws too
    cell = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|"
    plain = train_cell(cell, digits, recipe, 11)
    whole = train_checkpointed(cell, [11], digits, recipe, checkpoint=tmp_path / "a.npz", key="k")[0]
    _same(plain, whole)  # the checkpointed loop is train_cell's, step for step
    ck = tmp_path / "b.npz"
    for n in (1, 2):  # killed after epoch 1, resumed, killed after epoch 2, resumed
        with pytest.raises(_Kill):
            train_checkpointed(cell, [11], digits, recipe, checkpoint=ck, key="k", on_epoch=_kill_after(n))
        assert ck.is_file()
    resumed = train_checkpointed(cell, [11], digits, recipe, checkpoint=ck, key="k")[0]
    assert resumed.info["resumed_from_epoch"] == 2
    _same(plain, resumed)
    # a checkpoint of another setup (key) is not resumed
    other = train_checkpointed(cell, [11], digits, recipe, checkpoint=ck, key="other")[0]
    assert other.info["resumed_from_epoch"] == 0
    # no pickle in the checkpoint
    with np.load(ck, allow_pickle=False) as z:
        assert "__meta__" in z.files


def test_stacked_seeds_checkpoint_and_resume(tmp_path, digits):
    from nasbench.training.train import Recipe

    recipe = Recipe(epochs=2, C=2, N=1)
    whole = train_checkpointed(6111, [1, 2], digits, recipe)
    with pytest.raises(_Kill):
        train_checkpointed(6111, [1, 2], digits, recipe, checkpoint=tmp_path / "s.npz", key="k",
                           on_epoch=_kill_after(1))
    resumed = train_checkpointed(6111, [1, 2], digits, recipe, checkpoint=tmp_path / "s.npz", key="k")
    assert [r.seed for r in resumed] == [1, 2]
    for a, b in zip(whole, resumed):
        _same(a, b)


def test_surrogate_prediction_uses_its_noise_sd(tmp_path, synthetic_results):
    import nasbench
    from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig

    table = nasbench.load(str(synthetic_results.parent / "synthetic.h5"))
    sb = SurrogateBenchmark.fit(table, SurrogateConfig(model="knn", n_train=300, runtime=False))
    rep = validate(ValidateConfig(table="surrogate", cells=(6111, 100), seeds=(1, 2), dataset="digits",
                                  out=str(tmp_path), plots=False, **TINY), bench=sb)
    f = rep.frame
    assert (f["sd_source"] == "surrogate").all() and np.isinf(f["pred_runs"]).all()
    assert np.allclose(f["sd_used"], np.asarray(sb.noise_sd("valid_acc"))[[6111, 100]])
    assert "the surrogate's seed-noise sd" in rep.summary()


def test_whole_flow_on_a_comparison(tmp_path, synthetic_results):
    out = tmp_path / "v"
    cfg = ValidateConfig(results=str(synthetic_results), top_k=2, seeds=(1, 2), dataset="digits", out=str(out), **TINY)
    rep = validate(cfg)
    df = rep.frame
    assert len(df) == 2 and df["cell"].nunique() == 2
    assert {"pred_mean", "pred_sd", "meas_1", "meas_2", "meas_mean", "meas_sd", "diff_in_sd", "z", "sd_source",
            "found_by_runs", "strategies"} <= set(df.columns)
    assert (df["sd_source"] == "table").all()  # the synthetic table has 3 runs per cell
    assert np.isfinite(df["z"]).all()
    r = df.iloc[0]
    assert r.z == pytest.approx((r.meas_mean - r.pred_mean) / (r.sd_used * np.sqrt(1 / 3 + 1 / 2)))
    # picked for high table values, so expected lower on fresh seeds (winner's curse)
    assert (df["pred_expected"] < df["pred_mean"]).all() and np.isfinite(df["z_expected"]).all()
    assert r.z_expected == pytest.approx((r.meas_mean - r.pred_expected) / (r.sd_used * np.sqrt(1 / 3 + 1 / 2)))
    # the top 2 by the table's seed mean among the comparison's final incumbents
    import nasbench
    from nasbench.search.runner import final_rows, open_results

    bench = nasbench.load(str(synthetic_results.parent / "synthetic.h5"))
    fin = set(final_rows(open_results(synthetic_results).frame())["incumbent"].astype(int))
    best = sorted(fin, key=lambda c: -bench.query(c))[:2]
    assert df["cell"].tolist() == best
    assert df["pred_mean"].iloc[0] >= df["pred_mean"].iloc[1]
    for name in ("validation.csv", "curves.csv", "validation.json", "validation.png", "validation.pdf"):
        assert (out / name).is_file(), name
    meta = json.loads((out / "validation.json").read_text())
    assert meta["seeds"] == [1, 2] and meta["data"]["dataset"] == "digits"
    text = rep.summary()
    assert "Kendall tau" in text and "sd_used" in text
    # a rerun trains nothing and reports the same numbers
    again = validate(cfg)
    assert again.trained_now == 0
    assert again.frame["meas_mean"].tolist() == df["meas_mean"].tolist()
    # a rerun with 2 processes of a different setup gives what 1 process gives
    par = validate(ValidateConfig(results=str(synthetic_results), top_k=2, seeds=(1, 2), dataset="digits",
                                  out=str(out), jobs=2, plots=False, batch_size=64, **TINY))
    one = validate(ValidateConfig(results=str(synthetic_results), top_k=2, seeds=(1, 2), dataset="digits",
                                  out=str(tmp_path / "v1"), plots=False, batch_size=64, **TINY))
    assert par.trained_now == 4
    assert par.frame["meas_mean"].tolist() == one.frame["meas_mean"].tolist()


def test_recorded_recipe_reproduces_the_table(tmp_path, tiny_real_table):
    import nasbench

    bench = nasbench.load(str(tiny_real_table))
    cells = bench.covered.tolist()
    assert len(cells) == 2
    rep = validate(ValidateConfig(table=str(tiny_real_table), cells=tuple(cells), seeds="table", out=str(tmp_path),
                                  plots=False, progress=False))
    assert rep.recipe["epochs"] == 2 and rep.recipe["C"] == 2 and rep.data["dataset"] == "digits"
    assert rep.seeds == (5,)
    assert (rep.frame["max_abs_diff_same_seed"] == 0).all()  # same seed, same recipe, CPU: bit-identical
    assert (rep.frame["diff"] == 0).all()
    # fresh seeds by default; the table has one run per cell: the sd is our seeds' pooled sd
    rep2 = validate(ValidateConfig(table=str(tiny_real_table), cells=(str(cells[0]), cells[1]),
                                   out=str(tmp_path / "f"), plots=False, progress=False))
    assert rep2.seeds == (1, 2, 3)
    f = rep2.frame
    assert (f["sd_source"] == "measured").all()
    assert f["sd_used"].iloc[0] == pytest.approx(np.sqrt(np.mean(f["meas_sd"] ** 2)))  # pooled over the cells


def test_cli(tmp_path, synthetic_results, capsys):
    from nasbench import cli

    rc = cli.main(["validate", str(synthetic_results), "--top-k", "1", "--dataset", "digits", "--epochs", "1",
                   "--channels", "2", "--cells-per-stage", "1", "--seeds", "3", "--out", str(tmp_path / "o"),
                   "--no-plots", "--no-progress", "--device", "cpu"])
    assert rc == 0
    assert "Kendall tau" in capsys.readouterr().out
    for argv, msg in [
        (["validate", str(tmp_path / "nope")], "no results directory"),
        (["validate", str(synthetic_results), "--top-k", "999", "--dataset", "digits"], "distinct"),
        (["validate", str(synthetic_results), "--seeds", "x"], "--seeds"),
    ]:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert msg in err and len(err.splitlines()) == 1, err


# -- bad input -----------------------------------------------------------------------------------
def test_seeds_out_of_range_or_repeated_are_refused(tmp_path, synthetic_results, capsys):
    """A training seed is a distinct integer in 0..2**32-1: anything else is one line, exit 2, and
    nothing is written."""
    from nasbench import cli

    out = tmp_path / "o"
    for seeds in (["-1"], ["4294967296"], ["3", "3"], ["1", "-5", "2"]):
        assert cli.main(["validate", str(synthetic_results), "--top-k", "1", "--dataset", "digits", "--seeds",
                         *seeds, "--out", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "0..4294967295" in err and " ".join(seeds) in err, err
    assert not out.exists()
    assert ValidateConfig(results="x", seeds=(0, 2**32 - 1)).seeds == (0, 4294967295)


def test_results_dir_missing_or_empty(tmp_path, synthetic_results):
    with pytest.raises(ValidateError, match="no results directory"):
        validate(ValidateConfig(results=str(tmp_path / "missing")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidateError, match="not a finished results directory"):
        validate(ValidateConfig(results=str(tmp_path / "empty")))
    hollow = tmp_path / "hollow"
    hollow.mkdir()
    for f in ("config.json", "provenance.json"):
        (hollow / f).write_text((synthetic_results / f).read_text())
    (hollow / "results.csv").write_text("strategy,run,step,sim_time,epochs,cell,value,cost,incumbent,"
                                        "incumbent_valid,incumbent_test\n")
    with pytest.raises(ValidateError, match="holds no runs"):
        validate(ValidateConfig(results=str(hollow)))


def test_k_larger_than_distinct_cells(synthetic_results):
    with pytest.raises(ValidateError, match=r"--top-k 50 but .* only \d+ distinct"):
        validate(ValidateConfig(results=str(synthetic_results), top_k=50, dataset="digits", progress=False))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_without_gpu(tmp_path, synthetic_results):
    with pytest.raises(ValidateError, match="no CUDA GPU"):
        validate(ValidateConfig(results=str(synthetic_results), top_k=1, dataset="digits", device="cuda"))
    rep = validate(ValidateConfig(results=str(synthetic_results), top_k=1, dataset="digits", device="cuda",
                                  allow_cpu_fallback=True, seeds=(1,), out=str(tmp_path), plots=False, **TINY))
    assert rep.device == "cpu" and any("fell back" in n for n in rep.notes)


def test_dataset_missing_and_no_data_spec(tmp_path, synthetic_results):
    with pytest.raises(ValidateError, match="records no training data spec.*--dataset"):
        validate(ValidateConfig(results=str(synthetic_results), top_k=1, progress=False))
    with pytest.raises(ValidateError, match="dataset 'fashion-mnist' missing in"):
        validate(ValidateConfig(results=str(synthetic_results), top_k=1, dataset="fashion-mnist",
                                data_dir=str(tmp_path), progress=False))


def test_bad_config_and_uncovered_cell(tiny_real_table):
    with pytest.raises(ValidateError, match="top_k"):
        ValidateConfig(results="x", top_k=0)
    with pytest.raises(ValidateError, match="need a table"):
        ValidateConfig(cells=(1,))
    with pytest.raises(ValidateError, match="unknown device"):
        ValidateConfig(results="x", device="tpu")
    import nasbench

    bench = nasbench.load(str(tiny_real_table))
    uncovered = int(np.nonzero(bench.arch_row < 0)[0][0])
    with pytest.raises(ValidateError, match="not covered"):
        validate(ValidateConfig(table=str(tiny_real_table), cells=(uncovered,), progress=False))


def test_ray_missing_is_a_clear_error(tmp_path, synthetic_results, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed: `import ray` fails
    with pytest.raises(ValidateError, match=r"needs Ray: pip install 'nasbench\[ray\]'"):
        validate(ValidateConfig(results=str(synthetic_results), top_k=1, dataset="digits", executor="ray",
                                seeds=(1,), out=str(tmp_path), **TINY))


def test_stacked_seeds_path(tmp_path, synthetic_results):
    """The CUDA default (seeds of one cell stacked into one network), exercised on CPU."""
    rep = validate(ValidateConfig(results=str(synthetic_results), top_k=2, dataset="digits", seeds=(1, 2),
                                  stack_seeds=True, out=str(tmp_path), plots=False, **TINY))
    assert rep.trained_now == 2  # one training per cell
    assert {r["seed"] for r in rep.records} == {1, 2} and np.isfinite(rep.frame["meas_mean"]).all()
    assert all(r["info"]["stacked"] == 2 for r in rep.records)


def test_ray_executor_matches_local(tmp_path, synthetic_results, ray_local):
    """On the session's local Ray instance (conftest's ``ray_local``)."""
    base = dict(results=str(synthetic_results), top_k=2, dataset="digits", seeds=(1,), plots=False,
                **TINY)
    local = validate(ValidateConfig(out=str(tmp_path / "local"), **base))
    remote = validate(ValidateConfig(out=str(tmp_path / "ray"), executor="ray", jobs=2, **base))
    assert local.frame["meas_mean"].tolist() == remote.frame["meas_mean"].tolist()


def test_table_seeds_are_retrained_in_the_tables_stacks(tmp_path):
    """A table whose seeds were generated stacked reproduces bit for bit only when they are
    retrained stacked the same way: --seeds table does that on CPU."""
    from nasbench.generation.config import DataSpec, GenerateConfig
    from nasbench.generation.generate import generate

    out = tmp_path / "stacked.h5"
    generate(out, GenerateConfig(DataSpec("digits"), {"epochs": 2, "C": 2, "N": 1}, seeds=(5, 6),
                                 seed_groups=((5, 6),), limit=8), progress=False)
    import nasbench

    cells = tuple(int(c) for c in nasbench.load(str(out)).row_arch)
    assert len(cells) == 4
    rep = validate(ValidateConfig(table=str(out), cells=cells, seeds="table", out=str(tmp_path / "v"),
                                  plots=False, progress=False))
    assert rep.seeds == (5, 6)
    assert (rep.frame["max_abs_diff_same_seed"] == 0).all() and (rep.frame["diff"] == 0).all()
    # the losses show it (accuracies, counts of images, rarely move at this size)
    kw = dict(table=str(out), cells=cells, seeds="table", metric="valid_loss", plots=False, progress=False)
    stacked = validate(ValidateConfig(out=str(tmp_path / "s"), **kw))
    alone = validate(ValidateConfig(out=str(tmp_path / "a"), stack_seeds=False, **kw))
    assert (stacked.frame["max_abs_diff_same_seed"] == 0).all()
    assert (alone.frame["max_abs_diff_same_seed"] > 0).any(), "trained alone, some run should round differently"
