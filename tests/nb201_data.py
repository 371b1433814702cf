"""Small SYNTHETIC data folders in the real on-disk formats NAS-Bench-201 trains on (random pixels,
few images): CIFAR-10 / CIFAR-100 python batches as Python 2's cPickle writes them, Downsampled
ImageNet 16x16 pickles, and split files in AutoDL-Projects' format. For tests of the real loaders
and of `nasbench validate` end to end; no number measured on them means anything."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np

from crafted_pickles import py2_cifar


def write_cifar10(parent: Path, per_batch: int = 12, n_test: int = 12, seed: int = 0) -> Path:
    """``parent/cifar-10-batches-py/data_batch_1..5, test_batch`` ({b'data', b'labels'}); returns the folder."""
    rng = np.random.default_rng(seed)
    root = parent / "cifar-10-batches-py"
    root.mkdir(parents=True, exist_ok=True)
    for name, n in [(f"data_batch_{i}", per_batch) for i in range(1, 6)] + [("test_batch", n_test)]:
        x = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        (root / name).write_bytes(py2_cifar(x, rng.integers(0, 10, n).tolist(), name))
    return root


def write_cifar100(parent: Path, n_train: int = 40, n_test: int = 20, seed: int = 0) -> Path:
    """``parent/cifar-100-python/train, test`` ({b'data', b'fine_labels'}); returns the folder."""
    rng = np.random.default_rng(seed)
    root = parent / "cifar-100-python"
    root.mkdir(parents=True, exist_ok=True)
    for name, n in (("train", n_train), ("test", n_test)):
        x = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        (root / name).write_bytes(py2_cifar(x, rng.integers(0, 100, n).tolist(), name, label_key="fine_labels"))
    return root


def write_imagenet16(parent: Path, per_batch: int = 8, n_val: int = 24, seed: int = 0) -> Path:
    """``parent/ImageNet16/train_data_batch_1..10, val_data`` ({'data': (n, 768) uint8, 'labels':
    1..1000}, the train batches with a float 'mean' too); about half the labels are <= 120 (kept)."""
    rng = np.random.default_rng(seed)
    root = parent / "ImageNet16"
    root.mkdir(parents=True, exist_ok=True)
    for name, n in [(f"train_data_batch_{i}", per_batch) for i in range(1, 11)] + [("val_data", n_val)]:
        labels = np.where(rng.random(n) < 0.5, rng.integers(1, 121, n), rng.integers(121, 1001, n))
        body = {"data": rng.integers(0, 256, (n, 768), dtype=np.uint8), "labels": labels.tolist()}
        if name != "val_data":
            body["mean"] = rng.random(768)
        (root / name).write_bytes(pickle.dumps(body, protocol=2))
    return root


def write_split_file(path: Path, first: str, second: str, n: int, seed: int = 0) -> tuple[list[int], list[int]]:
    """An AutoDL-Projects split file ``{first: ["int", ["3", ...]], second: [...]}`` halving ``n``."""
    perm = np.random.default_rng(seed).permutation(n)
    a, b = sorted(perm[: n // 2].tolist()), sorted(perm[n // 2:].tolist())
    path.write_text(json.dumps({first: ["int", [str(i) for i in a]], second: ["int", [str(i) for i in b]]}))
    return a, b
