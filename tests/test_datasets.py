"""Datasets: splits, provenance, downscaling, subsetting, errors; fake CIFAR files for the pickle path."""
from __future__ import annotations

import gzip
import io
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from crafted_pickles import (array_op, dataset_dict, dtype_op, forged_array, forged_void, object_field_state,
                             py2_cifar, u as _u)
from nasbench.training.datasets import DEFAULT_ROOTS, DatasetError, DatasetMissing, DatasetPickleError, load_dataset
from nasbench.util.safe_pickle import DATASET_ALLOWED, ForbiddenPickle, RestrictedUnpickler


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


def _read(raw: bytes):
    return RestrictedUnpickler(io.BytesIO(raw), DATASET_ALLOWED, "t", encoding="latin1").load()


def _same(a, b) -> None:
    """Equal as pickle.loads gives them: same types, keys, lists, and arrays of the same dtype, shape,
    memory order and writeability."""
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
        assert (a.flags.c_contiguous, a.flags.f_contiguous, a.flags.writeable) == \
            (b.flags.c_contiguous, b.flags.f_contiguous, b.flags.writeable)
    else:
        assert a == b


def test_dataset_pickles_load_as_pickle_does():
    """Real formats: Python 2 cPickle (CIFAR's python files, str keys and data), Python 3 protocols
    2-4 (bytes via _codecs.encode at 2), a float mean image and big-endian/Fortran arrays; each read
    by the restricted unpickler exactly as the unrestricted one reads it."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (20, 3072), dtype=np.uint8)
    labels = rng.integers(0, 10, 20).tolist()
    py2 = py2_cifar(x, labels, "training batch 1 of 5")
    _same(_read(py2), pickle.loads(py2, encoding="latin1"))
    assert _read(py2)["data"].tobytes() == x.tobytes() and _read(py2)["labels"] == labels
    img16 = {"data": x[:, :768], "labels": labels, "mean": x[:, :768].mean(axis=0)}  # Downsampled ImageNet
    cifar = {b"batch_label": b"testing batch 1 of 1", b"data": x, b"labels": labels,
             b"filenames": [b"a.png"] * 20, b"shared": [x, x]}  # one array referenced twice
    odd = {"f4": np.asfortranarray(rng.random((3, 4), dtype=np.float32)), "be": np.arange(5, dtype=">i8"),
           "i4": np.ones((1, 2), np.int32), "label": np.int64(3)}
    for obj in (img16, cifar, odd):
        for protocol in (2, 3, 4):
            raw = pickle.dumps(obj, protocol=protocol)
            _same(_read(raw), pickle.loads(raw, encoding="latin1"))
    shared = _read(pickle.dumps(cifar, protocol=2))[b"shared"]
    assert shared[0] is shared[1]


def test_dataset_pickle_numpy_rules():
    """Only allow-listed names, yet each would build what the format does not hold: refused, one line."""
    ok = dataset_dict(array_op(dtype_op("u1"), b"abc", (3,)))
    assert _read(ok)["data"].tobytes() == b"abc"
    cases = {  # payload -> what the refusal says
        dataset_dict(forged_void()): r"numpy\.dtype\('V8'\); refused \(allowed: f4, f8, i4, i8, u1\)",
        dataset_dict(forged_array()): r"numpy\.dtype\('V8'\); refused",
        dataset_dict(array_op(dtype_op("O8"), b"A" * 8, (1,))): r"numpy\.dtype\('O8'\); refused",
        dataset_dict(array_op(dtype_op("u1"), b"A" * 8, (8,), object_field_state())):
            r"numpy\.dtype\('O8'\); refused",  # the object field's own dtype is refused first
        dataset_dict(array_op(dtype_op("u1"), b"A", (1,), b"(K\x03" + _u("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff"
                                                               b"\xff\xffK\x3ft")):
            r"restores numpy\.dtype\('u1'\) with the state \(3, '\|', None, None, None, -1, -1, 63\)",
        dataset_dict(array_op(dtype_op("u1"), b"A" * 8, (1,), b"(K\x03" + _u("|") + b"N(" + _u("a") + b"t}"
                              + _u("a") + b"(" + dtype_op("f8") + b"K\x00tsK\x08K\x01K\x00t")):
            r"restores numpy\.dtype\('u1'\) with the state",  # a structured state on the plain dtype
        dataset_dict(array_op(dtype_op("u1"), b"abc", (4,))): r"3 bytes; refused \(allowed: exactly 4 bytes\)",
        dataset_dict(array_op(dtype_op("f8"), b"A" * 8, (2,))): r"allowed: exactly 16 bytes",
        dataset_dict(array_op(dtype_op("u1"), b"", (-1,))): r"of shape \(-1,\)",
        dataset_dict(b"cnumpy\nndarray\n(K\x01\x85" + _u("u1") + b"tR"): r"calls numpy\.ndarray\(\) directly",
        dataset_dict(b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\nK\x08\x85C\x01btR"):
            r"_reconstruct\(.*\); refused \(allowed: \(ndarray, \(0,\), 'b'\)\)",
        dataset_dict(b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\nK\x00\x85C\x01btR"):
            r"never given its data",
        b"\x80\x04(" + array_op(dtype_op("u1"), b"a", (1,)) + b"\x85." : r"inside a tuple",
        b"\x80\x04cbuiltins\neval\n(" + _u("1") + b"tR.": r"asks to load builtins\.eval",
    }
    for raw, match in cases.items():
        with pytest.raises(ForbiddenPickle, match=match) as e:
            _read(raw)
        assert "\n" not in str(e.value) and str(e.value).startswith("t ")


def _cifar10_dir(root: Path, first: bytes) -> None:
    """CIFAR-10's six files, small and real-format, with ``first`` as data_batch_1."""
    rng = np.random.default_rng(1)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        raw = py2_cifar(rng.integers(0, 256, (10, 3072), dtype=np.uint8), rng.integers(0, 10, 10).tolist(), name)
        (root / name).write_bytes(first if name == "data_batch_1" else raw)


def test_forged_dataset_pickle_is_refused_with_one_line(tmp_path):
    """The forged-pointer pickles crash an unrestricted load (as tests/test_importers.py shows for
    the scalar; the array form does the same); the dataset loader refuses both with one line naming
    the file. Run in a subprocess, so that a regression crashes the child, not the test run."""
    code = ("import sys; from nasbench.training.datasets import DatasetError, load_dataset\n"
            "for root in sys.argv[1:]:\n"
            "    try:\n        load_dataset('cifar10', root=root)\n"
            "    except DatasetError as e:\n        print(type(e).__name__ + ': ' + str(e), flush=True)\n")
    roots = [tmp_path / "scalar", tmp_path / "array"]
    for root, payload in zip(roots, (forged_void(), forged_array())):
        root.mkdir()
        _cifar10_dir(root, dataset_dict(payload))
    r = subprocess.run([sys.executable, "-c", code, *map(str, roots)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)  # not killed by a signal
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("DatasetPickleError: ") for line in lines)
    for root, line in zip(roots, lines):
        assert f"{root / 'data_batch_1'} asks for numpy.dtype('V8'); refused" in line


def test_bad_dataset_pickles_are_one_line_dataset_errors(tmp_path):
    rng = np.random.default_rng(2)
    for first, match in ((b"\x80\x04}(" + _u("data") + array_op(dtype_op("O8"), b"A" * 8, (1,)) + b"u.",
                          r"data_batch_1 asks for numpy\.dtype\('O8'\); refused"),
                         (py2_cifar(rng.integers(0, 256, (10, 3072), dtype=np.uint8), [0] * 10, "x")[:-40],
                          r"data_batch_1: not a readable cifar10 pickle"),
                         (pickle.dumps([1, 2], protocol=2), r"data_batch_1: holds a list, not the dict"),
                         (b"\x80\x04\x95" + struct.pack("<Q", 2**63 + 1), r"readable cifar10 pickle \(OverflowError"),
                         (b"\x80\x04\x8e" + struct.pack("<Q", 2**62) + b"ab.", r"readable cifar10 pickle \(MemoryError")):
        _cifar10_dir(tmp_path, first)
        with pytest.raises(DatasetPickleError, match=match) as e:
            load_dataset("cifar10", root=tmp_path)
        assert isinstance(e.value, DatasetError) and isinstance(e.value, pickle.UnpicklingError)
        assert "\n" not in str(e.value)


def test_real_format_cifar_pickles_load_identically(tmp_path):
    """Python 2 style CIFAR-100 files: the images and labels come out exactly as written."""
    rng = np.random.default_rng(3)
    tr_x, te_x = (rng.integers(0, 256, (n, 3072), dtype=np.uint8) for n in (30, 10))
    tr_y, te_y = (rng.integers(0, 100, n).tolist() for n in (30, 10))
    for name, x, y in (("train", tr_x, tr_y), ("test", te_x, te_y)):
        (tmp_path / name).write_bytes(py2_cifar(x, y, name, label_key="fine_labels"))
    d = load_dataset("cifar100", root=tmp_path)
    assert d.split_sizes == {"train": 30, "valid": 5, "test": 5}
    assert torch.equal(d.train_x, torch.from_numpy(tr_x.reshape(-1, 3, 32, 32)))
    assert d.train_y.tolist() == tr_y
    held = zip(np.concatenate([d.valid_x.numpy(), d.test_x.numpy()]).reshape(10, -1),
               np.concatenate([d.valid_y.numpy(), d.test_y.numpy()]))
    assert sorted((x.tobytes(), int(y)) for x, y in held) == sorted(zip(map(bytes, te_x), te_y))


@pytest.mark.skipif(not Path(DEFAULT_ROOTS["fashion-mnist"]).is_dir(), reason="Fashion-MNIST not installed")
def test_real_fashion_mnist():
    d = load_dataset("fashion-mnist", downscale=4, train_size=2000)
    assert d.input_shape == (1, 7, 7) and d.split_sizes == {"train": 2000, "valid": 10_000, "test": 10_000}
