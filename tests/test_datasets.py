"""Datasets: splits, provenance, downscaling, subsetting, errors; fake CIFAR files for the pickle path."""
from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from nasbench.datasets import DEFAULT_ROOTS, DatasetError, DatasetMissing, load_dataset


def test_digits_split_is_fixed_and_recorded():
    a, b = load_dataset("digits"), load_dataset("digits")
    assert a.split_sizes == {"train": 1000, "valid": 400, "test": 397}
    assert a.input_shape == (1, 8, 8) and a.num_classes == 10 and a.train_x.dtype == torch.uint8
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_y, b.test_y)
    assert a.provenance["split_seed"] == 0 and a.provenance["split_sizes"]["test"] == 397
    c = load_dataset("digits", split_seed=1)
    assert not torch.equal(a.train_y, c.train_y)


def test_downscale_and_subset():
    d = load_dataset("digits", downscale=2, train_size=100, subset_seed=3)
    assert d.input_shape == (1, 4, 4) and d.split_sizes["train"] == 100 and d.train_x.dtype == torch.float32
    assert d.provenance["downscale"] == 2 and d.provenance["subset"]["train"] == 100
    with pytest.raises(DatasetError):
        load_dataset("digits", downscale=3)
    with pytest.raises(DatasetError):
        load_dataset("digits", train_size=5000)


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(DatasetError, match="valid: digits, fashion-mnist"):
        load_dataset("mnist-but-not")


def test_missing_directory_says_where_and_how(tmp_path):
    with pytest.raises(DatasetMissing) as e:
        load_dataset("cifar10", root=tmp_path / "nope")
    assert str(tmp_path / "nope") in str(e.value) and "cifar-10-python" in str(e.value)
    assert "\n" not in str(e.value) and isinstance(e.value, ValueError)
    with pytest.raises(DatasetMissing):
        load_dataset("fashion-mnist", root=tmp_path)  # exists but holds no idx files


def _write_idx(path: Path, arr: np.ndarray, gz: bool) -> None:
    raw = struct.pack(">HBB", 0, 8, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()
    (gzip.open if gz else open)(path, "wb").write(raw)


def test_fashion_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    for stem, n, gz in (("train", 60_000, True), ("t10k", 100, False)):
        _write_idx(tmp_path / (f"{stem}-images-idx3-ubyte" + (".gz" if gz else "")),
                   rng.integers(0, 256, (n, 4, 4), dtype=np.uint8), gz)
        _write_idx(tmp_path / (f"{stem}-labels-idx1-ubyte" + (".gz" if gz else "")),
                   rng.integers(0, 10, n, dtype=np.uint8), gz)
    d = load_dataset("fashion-mnist", root=tmp_path, downscale=2)
    assert d.split_sizes == {"train": 50_000, "valid": 10_000, "test": 100} and d.input_shape == (1, 2, 2)


def test_cifar10_pickles(tmp_path):
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(tmp_path / name, "wb") as f:
            pickle.dump({b"data": rng.integers(0, 256, (10_000, 3072), dtype=np.uint8),
                         b"labels": rng.integers(0, 10, 10_000).tolist()}, f, protocol=2)
    d = load_dataset("cifar10", root=tmp_path, valid_size=100, test_size=100)
    assert d.split_sizes == {"train": 25_000, "valid": 100, "test": 100} and d.input_shape == (3, 32, 32)


def test_pickle_with_foreign_class_is_refused(tmp_path):
    import collections

    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(tmp_path / name, "wb") as f:
            pickle.dump(collections.Counter(a=1), f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refused"):
        load_dataset("cifar10", root=tmp_path)


@pytest.mark.skipif(not Path(DEFAULT_ROOTS["fashion-mnist"]).is_dir(), reason="Fashion-MNIST not installed")
def test_real_fashion_mnist():
    d = load_dataset("fashion-mnist", downscale=4, train_size=2000)
    assert d.input_shape == (1, 7, 7) and d.split_sizes == {"train": 2000, "valid": 10_000, "test": 10_000}
