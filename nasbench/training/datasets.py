"""Datasets with fixed, recorded splits: digits, Fashion-MNIST, CIFAR-10/100, ImageNet16-120.

`load_dataset(name, root=None, ...)` returns a `Data` whose images are (n, channels, h, w)
tensors (uint8, or float32 on the 0..255 scale after downscaling) and int64 labels, plus a
`provenance` dict recording where the files were, the split rule, the seeds, the downscaling and
the subsetting, so that a table can state exactly what it was trained on.

`root` is the dataset's folder (`cifar-10-batches-py`, `cifar-100-python`, `ImageNet16`)
or a folder that holds it. The real formats are read: CIFAR's python pickles
(`data_batch_1..5`, `test_batch`; `train`, `test`) and Downsampled ImageNet's 16x16
pickles (`train_data_batch_1..10`, `val_data`; labels 1..1000, classes 1..120 kept as 0..119),
always through the restricted unpickler of `nasbench.util.safe_pickle`.

Default splits:

* `digits`: scikit-learn's 1,797 8x8 digits, seeded permutation -> 1000 / 400 / 397.
* `fashion-mnist`: official 60k train -> seeded 50k train / 10k valid; official 10k test.
* `cifar10`: NAS-Bench-201's `cifar10-valid`: the training images in halves, 25k train / 25k
  valid; the official 10k test.
* `cifar100`, `imagenet16-120`: NAS-Bench-201's shape: the full training set; the test (val)
  set in halves, `x-valid` / `x-test`.

The halves are NAS-Bench-201's published ones when its split file lies in the data folder or its
parent (`cifar-split.txt`, `cifar100-test-split.txt`, `imagenet-16-120-test-split.txt` from
D-X-Y/AutoDL-Projects `configs/nas-benchmark/`, not redistributed here); otherwise a permutation
seeded by `split_seed`, which is not the published split. `provenance["split_source"]` says which.
"""
from __future__ import annotations

import gzip
import json
import os
import pickle
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..util.checks import check_positive_int
from ..util.limits import read_capped
from ..util.safe_pickle import DATASET_ALLOWED, ForbiddenPickle, RestrictedUnpickler
from ..errors import NasbenchError

DATASETS = ("digits", "fashion-mnist", "cifar10", "cifar100", "imagenet16-120")
_ALIASES = {"fashion_mnist": "fashion-mnist", "fmnist": "fashion-mnist", "cifar-10": "cifar10",
            "cifar-100": "cifar100", "imagenet16": "imagenet16-120", "imagenet16_120": "imagenet16-120"}
DEFAULT_ROOTS = {
    "fashion-mnist": "/usr/share/datasets/fashion-mnist",
    "cifar10": "~/.torch/cifar.python/cifar-10-batches-py",
    "cifar100": "~/.torch/cifar.python/cifar-100-python",
    "imagenet16-120": "~/.torch/cifar.python/ImageNet16",
}
_HOW_TO_GET = {
    "fashion-mnist": "the four idx files (train-images-idx3-ubyte[.gz], ...) from "
                     "https://github.com/zalandoresearch/fashion-mnist",
    "cifar10": "cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and extract it "
               "(it holds cifar-10-batches-py/)",
    "cifar100": "cifar-100-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and extract it "
                "(it holds cifar-100-python/)",
    "imagenet16-120": "the 16x16 Downsampled ImageNet (Chrabaszcz et al. 2017, pickle format: "
                      "train_data_batch_1..10 and val_data) into a folder ImageNet16/, as NAS-Bench-201 uses it",
}
#: the folder each dataset's files lie in (`root` may be it or its parent)
FOLDERS = {"fashion-mnist": "fashion-mnist", "cifar10": "cifar-10-batches-py", "cifar100": "cifar-100-python",
           "imagenet16-120": "ImageNet16"}
#: a file that must be there for the folder to be the dataset's
_FIRST_FILE = {"cifar10": "data_batch_1", "cifar100": "train", "imagenet16-120": "train_data_batch_1"}
#: NAS-Bench-201's split files (D-X-Y/AutoDL-Projects configs/nas-benchmark/) and their two keys
SPLIT_FILES = {"cifar10": ("cifar-split.txt", "train", "valid"),
               "cifar100": ("cifar100-test-split.txt", "xvalid", "xtest"),
               "imagenet16-120": ("imagenet-16-120-test-split.txt", "xvalid", "xtest")}
_MAX_SPLIT_FILE = 4 << 20  # the published ones are 0.4 MB at most


class DatasetError(NasbenchError, ValueError):
    """Unknown dataset, missing files, or bad options."""


class DatasetMissing(DatasetError):
    """The dataset's files are not where we looked."""


@dataclass
class Data:
    """A dataset's three splits (images on the 0..255 scale and labels), its classes and its `provenance`."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    valid_x: torch.Tensor
    valid_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    provenance: dict[str, Any] = field(default_factory=dict)
    #: fixed normalisation (mean, std per channel, 0..1 scale) where the recipe prescribes it
    #: (NAS-Bench-201's per-dataset constants); None: the training split's own statistics
    norm: tuple[list[float], list[float]] | None = None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """`(channels, height, width)` of the images."""
        return tuple(self.train_x.shape[1:])  # type: ignore[return-value]

    @property
    def split_sizes(self) -> dict[str, int]:
        """Images per split: `train`, `valid`, `test`."""
        return {"train": len(self.train_y), "valid": len(self.valid_y), "test": len(self.test_y)}

    def channel_stats(self) -> tuple[list[float], list[float]]:
        """Per-channel mean and std on the 0..1 scale: `norm` where set, else the training images'."""
        if self.norm is not None:
            return list(self.norm[0]), list(self.norm[1])
        x = self.train_x.float() / 255.0
        return x.mean(dim=(0, 2, 3)).tolist(), x.std(dim=(0, 2, 3)).tolist()


def canonical_name(name: str) -> str:
    """The canonical name of a dataset (case and known aliases folded).

    Args:
        name: a dataset name.

    Returns:
        A key of `DATASETS`.

    Raises:
        DatasetError: an unknown dataset.
    """
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
    return key


def load_dataset(
    name: str,
    root: str | os.PathLike[str] | None = None,
    *,
    split_seed: int = 0,
    downscale: int = 1,
    train_size: int | None = None,
    valid_size: int | None = None,
    test_size: int | None = None,
    subset_seed: int = 0,
) -> Data:
    """Load a dataset with its default split (see the module doc).

    Args:
        name: the dataset.
        root: its folder (or the folder's parent); None: `DEFAULT_ROOTS`.
        split_seed: seeds the split where it is drawn at random (see the module doc).
        downscale: average-pool the images by this integer factor (28x28 -> 7x7 with 4).
        train_size: keep a seeded random subset of the training split.
        valid_size: likewise for the validation split.
        test_size: likewise for the test split.
        subset_seed: seeds the subsets.

    Returns:
        The data, with its `provenance`.

    Raises:
        DatasetError: an unknown dataset or a bad option (a factor that does not divide the
            image size, a subset larger than its split).
        DatasetMissing: the dataset's files are not found.
    """
    key = canonical_name(name)
    for opt, v in (("downscale", downscale), ("train_size", train_size), ("valid_size", valid_size),
                   ("test_size", test_size)):
        check_positive_int(v, opt, DatasetError, allow_none=True)
    raw = _LOADERS[key](_root(key, root), split_seed)
    data = Data(key, *raw.arrays, num_classes=raw.num_classes)
    prov: dict[str, Any] = {"dataset": key, "source": raw.source, "split": raw.split_rule,
                            "split_source": raw.split_source, "split_seed": split_seed, "downscale": downscale}
    if downscale > 1:
        for part in ("train", "valid", "test"):
            x = getattr(data, f"{part}_x")
            if x.shape[-1] % downscale or x.shape[-2] % downscale:
                raise DatasetError(f"downscale {downscale} does not divide the image size {tuple(x.shape[-2:])}")
            setattr(data, f"{part}_x", F.avg_pool2d(x.float(), downscale))
    g = np.random.default_rng(subset_seed)
    for part, n in (("train", train_size), ("valid", valid_size), ("test", test_size)):
        if n is None:
            continue
        total = len(getattr(data, f"{part}_y"))
        if n > total:
            raise DatasetError(f"{part}_size {n} exceeds the {total} images of the {part} split")
        keep = torch.from_numpy(np.sort(g.permutation(total)[:n]))
        setattr(data, f"{part}_x", getattr(data, f"{part}_x")[keep])
        setattr(data, f"{part}_y", getattr(data, f"{part}_y")[keep])
    prov["subset"] = {"train": train_size, "valid": valid_size, "test": test_size, "seed": subset_seed}
    prov["split_sizes"] = data.split_sizes
    prov["input_shape"] = list(data.input_shape)
    prov["num_classes"] = data.num_classes
    data.provenance = prov
    return data


#: the fields of a recorded data spec (`nasbench.generation.config.DataSpec`; a table's `meta.extra["data"]`)
#: that `load_dataset` takes as options, with its defaults
SPEC_OPTIONS: dict[str, Any] = {"split_seed": 0, "downscale": 1, "train_size": None, "valid_size": None,
                                "test_size": None, "subset_seed": 0}


def load_data_spec(spec: Any, root: str | os.PathLike[str] | None = None) -> Data:
    """`load_dataset` for a recorded data spec.

    Args:
        spec: a mapping or an object (a `DataSpec`) with `dataset` and any of `SPEC_OPTIONS` (a
            missing one takes its default), and optionally a fixed `mean` and `std` per channel.
        root: the dataset's folder.

    Returns:
        The data.

    Raises:
        DatasetError: as `load_dataset`, or a bad `mean`/`std`.
    """
    get = spec.get if isinstance(spec, dict) else (lambda k, d=None: getattr(spec, k, d))
    data = load_dataset(get("dataset"), root, **{k: get(k, d) for k, d in SPEC_OPTIONS.items()})
    mean, std = get("mean"), get("std")
    if mean is not None or std is not None:
        ch = data.input_shape[0]
        ok = all(isinstance(v, (list, tuple)) and len(v) == ch and all(isinstance(x, (int, float)) for x in v)
                 for v in (mean, std)) and all(x > 0 for x in std)
        if not ok:
            raise DatasetError(f"data spec mean/std must be two lists of {ch} numbers (std > 0), got {mean!r}, {std!r}")
        data.norm = ([float(x) for x in mean], [float(x) for x in std])
        data.provenance["normalisation"] = {"mean": data.norm[0], "std": data.norm[1]}
    return data


# -- raw loaders ---------------------------------------------------------------------------
@dataclass
class _Raw:
    arrays: tuple[torch.Tensor, ...]  # train_x, train_y, valid_x, valid_y, test_x, test_y
    num_classes: int
    source: str
    split_rule: str
    split_source: str = "seeded"


def _root(key: str, root: str | os.PathLike[str] | None) -> Path | None:
    if key == "digits":
        return None
    path = Path(os.path.expanduser(str(root if root is not None else DEFAULT_ROOTS[key])))
    first = _FIRST_FILE.get(key)
    if first is not None and not (path / first).exists() and (path / FOLDERS[key] / first).exists():
        path = path / FOLDERS[key]  # the parent of the dataset's folder
    if not path.is_dir() or (first is not None and not (path / first).exists()):
        what = f"no directory {path}" if not path.is_dir() else f"no {FOLDERS[key]}/{first} in {path}"
        raise DatasetMissing(f"{key}: {what}; get {_HOW_TO_GET[key]}, then pass the folder with --data-dir DIR "
                             f"(root= in Python)")
    return path


def _tensors(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.asarray(y, dtype=np.int64))


def _split(x: np.ndarray, y: np.ndarray, n_first: int, seed: int) -> tuple[np.ndarray, ...]:
    perm = np.random.default_rng(seed).permutation(len(y))
    a, b = np.sort(perm[:n_first]), np.sort(perm[n_first:])
    return x[a], y[a], x[b], y[b]


def _digits(root: Path | None, seed: int) -> _Raw:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = np.round(d.images * (255.0 / 16.0)).astype(np.uint8)[:, None]  # 0..16 -> 0..255
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(seed).permutation(len(y))
    parts = [np.sort(perm[:1000]), np.sort(perm[1000:1400]), np.sort(perm[1400:])]
    arrays = sum((_tensors(x[p], y[p]) for p in parts), ())
    return _Raw(arrays, 10, "sklearn.datasets.load_digits (pixel values 0..16 scaled to 0..255)",
                "seeded permutation of the 1,797 images: 1000 train / 400 valid / 397 test")


#: the largest shape of each Fashion-MNIST IDX file (the official one; a smaller file may hold
#: fewer or smaller images): a file is read (decompressed) up to its header and these bytes and no further,
#: so a file that is longer (a "gzip bomb") costs nothing
IDX_SHAPES = {"train-images-idx3-ubyte": (60_000, 28, 28), "train-labels-idx1-ubyte": (60_000,),
              "t10k-images-idx3-ubyte": (10_000, 28, 28), "t10k-labels-idx1-ubyte": (10_000,)}


def _read_idx(root: Path, stem: str) -> np.ndarray:
    for path in (root / stem, root / f"{stem}.gz"):
        if path.is_file():
            shape = IDX_SHAPES.get(stem)
            limit = 4 + 4 * len(shape) + int(np.prod(shape)) if shape else 1 << 30
            opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
            try:
                with opener(path, "rb") as f:
                    raw = read_capped(f, limit, str(path), DatasetError)
            except (OSError, EOFError, zlib.error) as exc:
                raise DatasetError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None
            return parse_idx(raw, str(path), shape)
    raise DatasetMissing(f"fashion-mnist: no {stem}[.gz] in {root}; get {_HOW_TO_GET['fashion-mnist']}, then pass "
                         f"the folder with --data-dir DIR (root= in Python)")


def parse_idx(raw: bytes, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The unsigned-byte array of an IDX file's bytes, its header checked.

    Args:
        raw: the (decompressed) file content.
        name: the file, for the messages.
        shape: the largest shape the file may declare: as many dimensions, each at most as large
            (a smaller file holds fewer or smaller images; None: any).

    Returns:
        The array.

    Raises:
        DatasetError: a truncated or malformed header, another type than unsigned byte, a shape
        beyond `shape`, or fewer or more data bytes than the header declares.
    """
    if len(raw) < 4:
        raise DatasetError(f"{name}: truncated IDX header ({len(raw)} bytes; an IDX file starts with 4 magic bytes)")
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or not 1 <= ndim <= 4:
        raise DatasetError(f"{name}: not an IDX file (magic bytes {raw[:4].hex()}; expected 0000 08 01..04)")
    if dtype != 0x08:
        raise DatasetError(f"{name}: idx type {dtype:#x} is not unsigned byte")
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise DatasetError(f"{name}: truncated IDX header ({len(raw)} bytes, {head} declared)")
    dims = struct.unpack(f">{ndim}I", raw[4:head])
    if shape is not None and (len(dims) != len(shape) or any(a > b for a, b in zip(dims, shape))):
        raise DatasetError(f"{name}: IDX header declares shape {dims}; allowed: up to {tuple(shape)}")
    n = int(np.prod(dims, dtype=np.int64))
    if len(raw) - head != n:
        raise DatasetError(f"{name}: IDX header declares {n:,} bytes of data, the file holds {len(raw) - head:,}")
    return np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(dims).copy()


def _fashion(root: Path | None, seed: int) -> _Raw:
    assert root is not None
    tx, ty = _read_idx(root, "train-images-idx3-ubyte"), _read_idx(root, "train-labels-idx1-ubyte")
    sx, sy = _read_idx(root, "t10k-images-idx3-ubyte"), _read_idx(root, "t10k-labels-idx1-ubyte")
    trx, tr_y, vax, va_y = _split(tx[:, None], ty, 50_000, seed)
    arrays = (*_tensors(trx, tr_y), *_tensors(vax, va_y), *_tensors(sx[:, None], sy))
    return _Raw(arrays, 10, str(root), "official train 60k -> seeded 50k train / 10k valid; official 10k test")


class DatasetPickleError(DatasetError, pickle.UnpicklingError):
    """A dataset pickle that is refused (it asks for more than the format needs) or unreadable."""


def _load_pickle(path: Path, key: str) -> dict:
    """A dataset pickle through the restricted unpickler: dicts, lists and plain numeric numpy arrays
    (checked, see `nasbench.util.safe_pickle`), nothing else."""
    if not path.is_file():
        raise DatasetMissing(f"{key}: no file {path}; get {_HOW_TO_GET[key]}, then pass the folder with --data-dir DIR "
                             f"(root= in Python)")
    try:
        with open(path, "rb") as f:
            obj = RestrictedUnpickler(f, DATASET_ALLOWED, str(path), encoding="latin1").load()
    except ForbiddenPickle as exc:
        raise DatasetPickleError(str(exc).splitlines()[0]) from None
    except (pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError, IndexError, KeyError,
            OverflowError, MemoryError) as exc:  # MemoryError: a forged length or memo index
        raise DatasetPickleError(f"{path}: not a readable {key} pickle ({type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else ''}); get {_HOW_TO_GET[key]}") from None
    if not isinstance(obj, dict):
        raise DatasetPickleError(f"{path}: holds a {type(obj).__name__}, not the dict of 'data' and labels "
                                 f"a {key} pickle holds")
    return {(k.decode() if isinstance(k, bytes) else k): v for k, v in obj.items()}


def _cifar10(root: Path | None, seed: int) -> _Raw:
    assert root is not None
    xs, ys = [], []
    for i in range(1, 6):
        d = _load_pickle(root / f"data_batch_{i}", "cifar10")
        xs.append(np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        ys.append(np.asarray(d["labels"]))
    t = _load_pickle(root / "test_batch", "cifar10")
    x, y = np.concatenate(xs), _labels(np.concatenate(ys), 10, root / "data_batch_1")
    (trx, tr_y, vax, va_y), source = _halves(x, y, seed, root, "cifar10")
    arrays = (*_tensors(trx, tr_y), *_tensors(vax, va_y),
              *_tensors(np.asarray(t["data"], dtype=np.uint8).reshape(-1, 3, 32, 32),
                        _labels(t["labels"], 10, root / "test_batch")))
    return _Raw(arrays, 10, str(root), "cifar10-valid: official train (50k) in halves, 25k train / 25k valid; "
                                       "official 10k test", source)


def _labels(y: Any, classes: int, path: Path) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (len(y) and (y.min() < 0 or y.max() >= classes)):
        raise DatasetError(f"{path}: labels must be integers in 0..{classes - 1}; this is not the dataset's file")
    return y.astype(np.int64)


def _split_file(root: Path, key: str) -> Path | None:
    name = SPLIT_FILES[key][0]
    for where in (root / name, root.parent / name):
        if where.is_file():
            return where
    return None


def _halves(x: np.ndarray, y: np.ndarray, seed: int, root: Path, key: str) -> tuple[tuple[np.ndarray, ...], str]:
    """`x, y` in NAS-Bench-201's two halves: its published split file where found, else seeded."""
    path = _split_file(root, key)
    if path is None:
        return _split(x, y, len(y) // 2, seed), (f"seeded (split_seed {seed}): NOT NAS-Bench-201's published split; "
                                                 f"put its {SPLIT_FILES[key][0]} into the data folder to use it")
    first, second = _read_split_file(path, key, len(y))
    return (x[first], y[first], x[second], y[second]), f"NAS-Bench-201's published split ({path.name})"


def _read_split_file(path: Path, key: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The two index lists of an AutoDL-Projects split file `{"train": ["int", ["0", ...]], ...}`."""
    _, a, b = SPLIT_FILES[key]
    try:
        if path.stat().st_size > _MAX_SPLIT_FILE:
            raise ValueError(f"larger than {_MAX_SPLIT_FILE >> 20} MB")
        obj = json.loads(path.read_text())
        parts = [np.array([int(i) for i in obj[k][1]], dtype=np.int64) for k in (a, b)]
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise DatasetError(f"{path}: not a NAS-Bench-201 split file with {a!r} and {b!r} index lists "
                           f"({type(exc).__name__}: {str(exc)[:80]})") from None
    both = np.concatenate(parts)
    if len(both) != n or len(np.unique(both)) != n or both.min(initial=0) < 0 or both.max(initial=0) >= n:
        raise DatasetError(f"{path}: its {a}/{b} halves ({len(parts[0])} + {len(parts[1])} indices) do not "
                           f"partition the {n} images found; it is not this data's split file")
    return np.sort(parts[0]), np.sort(parts[1])


def _halve_test(tr: tuple[np.ndarray, np.ndarray], te: tuple[np.ndarray, np.ndarray], seed: int, root: Path,
                key: str) -> tuple[tuple, str]:
    (vax, va_y, tex, te_y), source = _halves(te[0], te[1], seed, root, key)
    return (*_tensors(*tr), *_tensors(vax, va_y), *_tensors(tex, te_y)), source


def _cifar100(root: Path | None, seed: int) -> _Raw:
    assert root is not None
    tr, te = _load_pickle(root / "train", "cifar100"), _load_pickle(root / "test", "cifar100")
    prep = lambda d, n: (np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32),  # noqa: E731
                         _labels(d["fine_labels"], 100, root / n))
    arrays, source = _halve_test(prep(tr, "train"), prep(te, "test"), seed, root, "cifar100")
    return _Raw(arrays, 100, str(root), "official train 50k; official test 10k in halves, 5k x-valid / 5k x-test "
                                        "(as NAS-Bench-201)", source)


def _imagenet16(root: Path | None, seed: int) -> _Raw:
    """NAS-Bench-201's ImageNet16-120: the 16x16 Downsampled ImageNet, classes 1..120 (labels are
    1-based in the files), as `train_data_batch_1..10` and `val_data` pickles of
    `{'data': (n, 3072) uint8, 'labels': [...]}`."""
    assert root is not None

    def read(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for n in names:
            d = _load_pickle(root / n, "imagenet16-120")
            x, y = np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 16, 16), _labels(d["labels"], 1001, root / n)
            keep = (y >= 1) & (y <= 120)
            xs.append(x[keep])
            ys.append(y[keep] - 1)
        return np.concatenate(xs), np.concatenate(ys)

    tr = read([f"train_data_batch_{i}" for i in range(1, 11)])
    te = read(["val_data"])
    arrays, source = _halve_test(tr, te, seed, root, "imagenet16-120")
    return _Raw(arrays, 120, str(root), "train batches 1..10, classes 1..120 (151,700); val_data (6,000) in halves, "
                                        "3k x-valid / 3k x-test (as NAS-Bench-201)", source)


_LOADERS: dict[str, Callable[[Path | None, int], _Raw]] = {
    "digits": _digits, "fashion-mnist": _fashion, "cifar10": _cifar10, "cifar100": _cifar100,
    "imagenet16-120": _imagenet16,
}
