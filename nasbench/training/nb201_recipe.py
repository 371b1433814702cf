"""NAS-Bench-201's training recipe and data spec, as the embedded NAS-Bench-201 tables carry them.

Every embedded table (`nb201-cifar10`, `nb201-cifar100`, `nb201-imagenet16-120`) holds, in
`meta.extra["training"]` (a `TrainingSpec` as a dict, written by
`scripts/build_nb201_tables.py` through `training_spec`):

* `schedules`: the two schedules NAS-Bench-201 trained every cell with, `"12"` and `"200"`
  epochs, each a `nasbench.training.train.Recipe` dict: network C=16, N=5; SGD with Nesterov momentum
  0.9, learning rate 0.1 cosine-annealed to 0, weight decay 5e-4, batch 256, random crop (zero
  padding 4; ImageNet16-120: 2) and horizontal flip. Source: D-X-Y/AutoDL-Projects,
  `configs/nas-benchmark/hyper-opts/12E.config` and `200E.config` (scheduler `cos`,
  `eta_min` 0, `LR` 0.1, `decay` 0.0005, `momentum` 0.9, `nesterov` 1, `batch_size` 256,
  no warm-up); the augmentation and the per-dataset normalisation constants from the same
  project's dataset transforms.
* `metrics`: for each table metric, the schedule that produced it (`valid_acc_s12` and
  `test_acc_s12`: the 12-epoch one) and which accuracy of that training it is (`measures`:
  `valid_acc` or `test_acc` of the runs `nasbench.validation.run` trains), or `None` where the
  published number comes from another training set (CIFAR-10's `test_acc` and `test_acc_s12`:
  trained on all 50k images, not on the 25k of `cifar10-valid`).
* `data`: the data spec `nasbench.training.datasets.load_data_spec` reads (dataset name and the
  fixed normalisation mean / std on the 0..1 scale), the files to get (archive, folder, file
  names, format) and the split: `cifar10-valid`, the 50k CIFAR-10 training images split in
  halves (25k train / 25k valid), official 10k test; CIFAR-100 and ImageNet16-120, the full
  training set, the official test (val) set split in halves into `x-valid` / `x-test`.
  NAS-Bench-201's own split files (`cifar-split.txt`, `cifar100-test-split.txt`,
  `imagenet-16-120-test-split.txt` in AutoDL-Projects' `configs/nas-benchmark/`) are not
  redistributed here; `nasbench.training.datasets` uses them when they lie in the data directory and
  otherwise splits with a fixed seed, which is *not* the published split (the provenance and
  `nasbench validate` say which one was used).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .train import Recipe

SOURCE = ("NAS-Bench-201 (Dong & Yang, ICLR 2020): D-X-Y/AutoDL-Projects configs/nas-benchmark/hyper-opts/"
          "12E.config and 200E.config (cos schedule, eta_min 0, LR 0.1, decay 0.0005, momentum 0.9, nesterov, "
          "batch 256, no warm-up); network C=16, N=5; random crop + horizontal flip, per-dataset mean/std")
SCHEDULES = ("12", "200")


@dataclass(frozen=True)
class DataFiles:
    """Where one dataset comes from and how NAS-Bench-201 splits it."""

    dataset: str  #: `nasbench.training.datasets.load_dataset`'s name
    archive: str  #: the file to download
    folder: str  #: the folder the archive extracts to (`--data-dir` names it or its parent)
    files: tuple[str, ...]  #: the files inside `folder`
    format: str
    url: str
    split: str
    split_file: str  #: NAS-Bench-201's split file (AutoDL-Projects configs/nas-benchmark/)
    mean: tuple[float, float, float]  #: normalisation, 0..1 scale
    std: tuple[float, float, float]
    crop_padding: int
    num_classes: int
    image_size: int


_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
DATA: dict[str, DataFiles] = {
    "nb201-cifar10": DataFiles(
        "cifar10", "cifar-10-python.tar.gz", "cifar-10-batches-py",
        tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",),
        "python pickles of dicts {b'data': (10000, 3072) uint8, b'labels': [int]}", _CIFAR_URL,
        "cifar10-valid: the 50,000 training images split in halves, 25,000 train / 25,000 valid; the official "
        "10,000 test images as test", "cifar-split.txt",
        (125.3 / 255, 123.0 / 255, 113.9 / 255), (63.0 / 255, 62.1 / 255, 66.7 / 255), 4, 10, 32),
    "nb201-cifar100": DataFiles(
        "cifar100", "cifar-100-python.tar.gz", "cifar-100-python", ("train", "test"),
        "python pickles of dicts {b'data': (n, 3072) uint8, b'fine_labels': [int]}", _CIFAR_URL,
        "the 50,000 training images; the official 10,000 test images split in halves, 5,000 x-valid / "
        "5,000 x-test", "cifar100-test-split.txt",
        (129.3 / 255, 124.1 / 255, 112.4 / 255), (68.2 / 255, 65.4 / 255, 70.4 / 255), 4, 100, 32),
    "nb201-imagenet16-120": DataFiles(
        "imagenet16-120", "Downsampled ImageNet 16x16, pickle format (Imagenet16_train and Imagenet16_val)",
        "ImageNet16", tuple(f"train_data_batch_{i}" for i in range(1, 11)) + ("val_data",),
        "python pickles of dicts {'data': (n, 768) uint8, 'labels': [1..1000]}; classes 1..120 kept",
        "https://image-net.org/download-images (Downsampled ImageNet, Chrabaszcz et al. 2017)",
        "the 151,700 training images of classes 1..120; the 6,000 val images split in halves, 3,000 x-valid / "
        "3,000 x-test", "imagenet-16-120-test-split.txt",
        (122.68 / 255, 116.66 / 255, 104.01 / 255), (63.22 / 255, 61.26 / 255, 65.09 / 255), 2, 120, 16),
}

#: table metric -> (schedule, what of the retrained runs it is; None: another training set)
METRICS: dict[str, dict[str, dict[str, Any]]] = {
    "nb201-cifar10": {
        "valid_acc": {"schedule": "200", "measures": "valid_acc", "test_pair": "valid_test_acc"},
        "valid_acc_published_mean": {"schedule": "200", "measures": "valid_acc", "test_pair": "valid_test_acc"},
        "valid_test_acc": {"schedule": "200", "measures": "test_acc", "test_pair": None},
        "valid_acc_s12": {"schedule": "12", "measures": "valid_acc", "test_pair": None},
        "test_acc": {"schedule": "200", "measures": None, "test_pair": None},
        "test_acc_s12": {"schedule": "12", "measures": None, "test_pair": None},
    },
    **{name: {
        "valid_acc": {"schedule": "200", "measures": "valid_acc", "test_pair": "test_acc"},
        "test_acc": {"schedule": "200", "measures": "test_acc", "test_pair": None},
        "valid_acc_s12": {"schedule": "12", "measures": "valid_acc", "test_pair": "test_acc_s12"},
        "test_acc_s12": {"schedule": "12", "measures": "test_acc", "test_pair": None},
    } for name in ("nb201-cifar100", "nb201-imagenet16-120")},
}


@dataclass(frozen=True)
class TrainingSpec:
    """What `meta.extra["training"]` holds (see the module doc)."""

    schedules: dict[str, dict[str, Any]]
    metrics: dict[str, dict[str, Any]]
    data: dict[str, Any]
    source: str = SOURCE

    def to_dict(self) -> dict[str, Any]:
        """The spec as the dict stored in `meta.extra["training"]`."""
        return asdict(self)


def schedule_recipe(epochs: int, crop_padding: int) -> dict[str, Any]:
    """NAS-Bench-201's recipe for one schedule, as a `nasbench.training.train.Recipe` dict.

    Args:
        epochs: 12 or 200.
        crop_padding: the random crop's zero padding (4 for CIFAR, 2 for ImageNet16-120).

    Returns:
        `Recipe.to_dict()`: SGD Nesterov 0.9, lr 0.1 cosine to 0, wd 5e-4, batch 256, C=16, N=5.
    """
    return Recipe(epochs=epochs, batch_size=256, lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4,
                  schedule="cosine", C=16, N=5, augment=True, crop_padding=crop_padding, normalize=True).to_dict()


def training_spec(table: str, metric_names: tuple[str, ...] | None = None) -> TrainingSpec:
    """The training recipe of both schedules and the data spec of one embedded table.

    Args:
        table: `nb201-cifar10`, `nb201-cifar100` or `nb201-imagenet16-120`.
        metric_names: the table's metrics (only those get a `metrics` entry); None: all known.

    Returns:
        The `TrainingSpec`.

    Raises:
        ValueError: another table.
    """
    if table not in DATA:
        raise ValueError(f"no NAS-Bench-201 recipe for table {table!r}; allowed: {', '.join(DATA)}")
    files = DATA[table]
    metrics = {m: dict(v) for m, v in METRICS[table].items() if metric_names is None or m in metric_names}
    data = {"spec": {"dataset": files.dataset, "mean": [round(x, 8) for x in files.mean],
                     "std": [round(x, 8) for x in files.std]},
            **{k: v for k, v in asdict(files).items() if k not in ("mean", "std", "dataset")}}
    data["files"] = list(files.files)
    return TrainingSpec({s: schedule_recipe(int(s), files.crop_padding) for s in SCHEDULES}, metrics, data)


def with_training_spec(bench: Any, table: str) -> Any:
    """`bench` with its `TrainingSpec` in `meta.extra["training"]` (the build script's step).

    Args:
        bench: a freshly imported embedded table (a `TabularBenchmark`).
        table: its name.

    Returns:
        The same benchmark object, its metadata extended.
    """
    bench.meta = bench.meta.with_extra(training=training_spec(table, tuple(bench.metric_names)).to_dict())
    return bench
