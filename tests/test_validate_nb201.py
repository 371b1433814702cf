"""Validation of the embedded NAS-Bench-201 tables' winners: the recipe and data spec they carry,
the real-format loaders (CIFAR python batches, Downsampled ImageNet 16x16, NAS-Bench-201 split
files) on SYNTHETIC folders (random pixels), `nasbench validate` of the main job end to end, and
its refusals (missing data, another dataset, unbounded epochs, a full disk)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nasbench import cli
from nasbench.training.datasets import DatasetError, load_dataset
from nb201_data import write_cifar10, write_cifar100, write_imagenet16, write_split_file

torch.set_num_threads(1)
FAST = ["--epochs", "1", "--seeds", "1", "2", "--channels", "4", "--cells-per-stage", "1", "--device", "cpu",
        "--no-progress", "--no-plots"]


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


# -- the recipe the tables carry ------------------------------------------------------------------
@pytest.mark.parametrize("name,dataset,pad,classes,size", [("nb201-cifar10", "cifar10", 4, 10, 32),
                                                           ("nb201-cifar100", "cifar100", 4, 100, 32),
                                                           ("nb201-imagenet16-120", "imagenet16-120", 2, 120, 16)])
def test_embedded_tables_carry_nas_bench_201s_recipe(name, dataset, pad, classes, size):
    import nasbench as nb

    training = nb.load(name).meta.extra["training"]
    assert set(training["schedules"]) == {"12", "200"}
    for epochs, r in training["schedules"].items():
        assert (r["epochs"], r["C"], r["N"], r["batch_size"], r["lr"], r["momentum"], r["nesterov"],
                r["weight_decay"], r["schedule"], r["augment"], r["crop_padding"]) == \
            (int(epochs), 16, 5, 256, 0.1, 0.9, True, 5e-4, "cosine", True, pad)
    data = training["data"]
    assert data["spec"]["dataset"] == dataset and len(data["spec"]["mean"]) == 3 and len(data["spec"]["std"]) == 3
    assert (data["num_classes"], data["image_size"]) == (classes, size)
    assert data["split_file"] in ("cifar-split.txt", "cifar100-test-split.txt", "imagenet-16-120-test-split.txt")
    assert training["metrics"]["valid_acc"] == {"schedule": "200", "measures": "valid_acc",
                                                "test_pair": "valid_test_acc" if dataset == "cifar10" else "test_acc"}
    if dataset == "cifar10":
        assert training["metrics"]["valid_acc_s12"]["schedule"] == "12"
        assert training["metrics"]["test_acc"]["measures"] is None  # trained on all 50k, not cifar10-valid


# -- loaders of the real formats ------------------------------------------------------------------
def test_cifar10_batches_split_in_halves_from_the_folder_or_its_parent(tmp_path):
    root = write_cifar10(tmp_path, per_batch=10, n_test=8)
    a, b = load_dataset("cifar10", root=root), load_dataset("cifar10", root=tmp_path)
    assert a.split_sizes == {"train": 25, "valid": 25, "test": 8} and a.input_shape == (3, 32, 32)
    assert torch.equal(a.train_x, b.train_x) and a.provenance["split_source"].startswith("seeded")
    assert "NOT NAS-Bench-201's published split" in a.provenance["split_source"]
    first, _ = write_split_file(tmp_path / "cifar-split.txt", "train", "valid", 50, seed=4)
    c = load_dataset("cifar10", root=root)
    assert "published split (cifar-split.txt)" in c.provenance["split_source"]
    assert not torch.equal(a.train_x, c.train_x) and len(c.train_y) == len(first)
    (tmp_path / "cifar-split.txt").write_text(json.dumps({"train": ["int", ["0", "1"]], "valid": ["int", ["2"]]}))
    with pytest.raises(DatasetError, match="do not partition the 50 images"):
        load_dataset("cifar10", root=root)


def test_cifar100_and_imagenet16_formats(tmp_path):
    c = load_dataset("cifar100", root=write_cifar100(tmp_path, n_train=30, n_test=20))
    assert c.split_sizes == {"train": 30, "valid": 10, "test": 10} and c.num_classes == 100
    root = write_imagenet16(tmp_path)
    d = load_dataset("imagenet16-120", root=tmp_path)
    assert d.input_shape == (3, 16, 16) and d.num_classes == 120
    assert int(d.train_y.max()) <= 119 and int(d.train_y.min()) >= 0
    kept = d.split_sizes["valid"] + d.split_sizes["test"]
    assert 0 < kept < 24 and abs(d.split_sizes["valid"] - d.split_sizes["test"]) <= 1  # classes 1..120 only, halved
    write_split_file(root / "imagenet-16-120-test-split.txt", "xvalid", "xtest", kept)
    assert "published split" in load_dataset("imagenet16-120", root=root).provenance["split_source"]


def test_labels_outside_the_datasets_classes_are_refused(tmp_path):
    from crafted_pickles import py2_cifar

    root = write_cifar10(tmp_path)
    (root / "test_batch").write_bytes(py2_cifar(np.zeros((4, 3072), np.uint8), [0, 1, 57, 2], "test_batch"))
    with pytest.raises(DatasetError, match="labels must be integers in 0..9"):
        load_dataset("cifar10", root=root)


# -- nasbench validate of the main job ------------------------------------------------------------
@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    """`nasbench compare` on the default table under its default preset (valid_acc_s12), small."""
    out = tmp_path_factory.mktemp("main") / "default"
    assert cli.main(["compare", "--strategies", "random", "--runs", "2", "--jobs", "1", "--out", str(out),
                     "--no-plots", "--no-progress"]) == 0
    return out


def test_validate_main_job_end_to_end_on_synthetic_cifar10(tmp_path, main_job, capsys):
    capsys.readouterr()
    write_cifar10(tmp_path / "data", per_batch=6, n_test=6)
    out = tmp_path / "val"
    rc = cli.main(["validate", str(main_job), "--top-k", "1", "--data-dir", str(tmp_path / "data"), "--out", str(out),
                   *FAST])
    text = capsys.readouterr().out
    assert rc == 0, text
    lines = text.splitlines()
    assert lines[0].startswith("estimate on cpu: ") and "--device cuda" in lines[0]  # printed before training
    assert "validation of 1 cell(s) of nb201-cifar10: valid_acc_s12" in text
    assert "12-epoch schedule" in text and "NOT NAS-Bench-201's published split" in text
    body = json.loads((out / "validation.json").read_text())
    assert (body["metric"], body["measures"], body["schedule"]) == ("valid_acc_s12", "valid_acc", "12")
    assert body["data"]["dataset"] == "cifar10" and body["recipe"]["crop_padding"] == 4 and body["recipe"]["augment"]
    frame = (out / "validation.csv").read_text().splitlines()
    assert len(frame) == 2 and np.isfinite(float(frame[1].split(",")[frame[0].split(",").index("meas_mean")]))
    curves = (out / "curves.csv").read_text().splitlines()
    assert len(curves) == 1 + 2  # two seeds, one epoch each


def test_validate_without_data_is_one_line_naming_the_file_and_the_flag(tmp_path, main_job, capsys):
    capsys.readouterr()
    (tmp_path / "empty").mkdir()
    assert cli.main(["validate", str(main_job), "--top-k", "1", "--data-dir", str(tmp_path / "empty"),
                     "--out", str(tmp_path / "v"), "--no-progress"]) == 2
    err = _one_line_error(capsys)
    assert "cifar-10-python.tar.gz" in err and "cifar-10-batches-py" in err and "--data-dir" in err
    assert not (tmp_path / "v").exists()
    write_cifar100(tmp_path / "c100")  # another dataset's folder is not CIFAR-10
    assert cli.main(["validate", str(main_job), "--top-k", "1", "--data-dir", str(tmp_path / "c100"),
                     "--out", str(tmp_path / "v"), "--no-progress"]) == 2
    assert "cifar-10-python.tar.gz" in _one_line_error(capsys)


def test_validate_refuses_another_dataset(tmp_path, main_job, capsys):
    capsys.readouterr()
    digits = tmp_path / "digits"
    assert cli.main(["compare", "--table", "nb201-digits", "--strategies", "random", "--runs", "2", "--budget", "5",
                     "--budget-kind", "queries", "--jobs", "1", "--out", str(digits), "--no-plots",
                     "--no-progress"]) == 0
    capsys.readouterr()
    for res, other in ((digits, "fashion-mnist"), (main_job, "fashion-mnist"), (main_job, "cifar100")):
        assert cli.main(["validate", str(res), "--top-k", "1", "--dataset", other, "--out", str(tmp_path / "v"),
                         "--no-progress"]) == 2
        err = _one_line_error(capsys)
        assert f"--dataset {other}" in err and "was trained on" in err
    assert not (tmp_path / "v").exists()


def test_epochs_and_disk_are_bounded(tmp_path, main_job, capsys, monkeypatch):
    import shutil

    from nasbench.validation.run import ValidateConfig, ValidateError, validate

    capsys.readouterr()
    for argv in (["--epochs", "1000000000"], ["--top-k", "5000"], ["--seeds", *map(str, range(101))]):
        assert cli.main(["validate", str(main_job), *argv, "--out", str(tmp_path / "v"), "--no-progress"]) == 2
        assert "must be at most" in _one_line_error(capsys)
    write_cifar10(tmp_path / "data", per_batch=4, n_test=4)
    free = shutil.disk_usage(tmp_path)._replace(free=10_000)
    monkeypatch.setattr("nasbench.validation.estimate.shutil.disk_usage", lambda p: free)
    with pytest.raises(ValidateError, match=r"needs about .* MB .* the disk has 0 MB free"):
        validate(ValidateConfig(results=str(main_job), top_k=1, data_dir=str(tmp_path / "data"), epochs=1000,
                                out=str(tmp_path / "v"), progress=False, device="cpu"))
    assert not (tmp_path / "v").exists()


def test_verify_retrain_is_bounded():
    from nasbench.errors import LimitError
    from nasbench.util.limits import MAX_RETRAIN
    from nasbench.generation.retrain_check import check_retraining
    import nasbench as nb

    with pytest.raises(LimitError, match=f"maximum of {MAX_RETRAIN:,}"):
        check_retraining(nb.load("nb201-digits"), 10**9)


def test_time_estimate_says_hours_per_cell_on_cpu():
    from nasbench.validation.estimate import TimeEstimate

    line = TimeEstimate("cpu", {1: 5000.0}, {1: 15000.0}, 3, 1, 15000.0).line()
    assert "4.2 hours per cell" in line and "--device cuda" in line
    assert "hours" not in TimeEstimate("cuda", {1: 60.0}, {1: 180.0}, 3, 1, 180.0).line()
