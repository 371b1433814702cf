"""Choose the importer of published results for a source: `import_any` by the format's
name, `import_csv` by the layout of a CSV or Parquet file.

* `nats-simple`: a NATS-Bench topology-space "simple" directory
  (`nasbench.tables.import_nats`);
* `nb201-pth`: the NAS-Bench-201 `.pth` (`nasbench.tables.import_pth`);
* `csv`: a CSV or Parquet file, either one of the two wide NAS-Bench-201 layouts (one row per
  cell; `nasbench.tables.import_nb201_csv`) or the tidy layout documented in the README (one
  row per cell x seed x epoch; `nasbench.tables.import_tidy`).

Each importer returns a `nasbench.tables.tabular.TabularBenchmark` or raises
`nasbench.tables.import_common.ImportError_` with a one-line message.
"""
from __future__ import annotations

from pathlib import Path

from .import_columns import read_frame
from .import_common import ImportError_, check_choice
from .import_nats import import_nats_simple
from .import_nb201_csv import NB201_WIDE2_PREFIX, NB201_WIDE_KEY, import_nb201_wide, import_nb201_wide2, wide2_dataset
from .import_pth import import_nb201_pth
from .import_tidy import import_tidy
from .tabular import TabularBenchmark

FORMATS = ("nats-simple", "nb201-pth", "csv")


def import_csv(src: str | Path, dataset: str | None = None) -> TabularBenchmark:
    """Import a CSV/Parquet file: a wide NAS-Bench-201 layout (detected by its columns) or the tidy
    layout. `dataset` picks `cifar100` or `ImageNet16-120` from the layout that holds both
    (required there); for the tidy layout it is the dataset name to record.

    Args:
        src: the file.
        dataset: the dataset to import or record (see above), or None.

    Returns:
        The table.

    Raises:
        ImportError_: the file cannot be read, `dataset` does not fit its layout, or the
            layout's importer refuses it.
    """
    src = Path(src)
    df = read_frame(src)
    if NB201_WIDE_KEY in df.columns:
        if dataset is not None and dataset not in ("cifar10", "cifar10-valid"):
            raise ImportError_(f"{src} is the wide NAS-Bench-201 CIFAR-10 layout: it holds cifar10 only, "
                               f"not {dataset!r}; omit --dataset")
        return import_nb201_wide(df, src)
    held = [d for d, p in NB201_WIDE2_PREFIX.items() if f"{p}__valid_acc_200ep_per_seed" in df.columns]
    if held:
        return import_nb201_wide2(df, src, wide2_dataset(dataset, held, src))
    return import_tidy(df, src, dataset)


def import_any(fmt: str, src: str | Path, dataset: str | None = None, schedule: str = "200") -> TabularBenchmark:
    """Dispatch on `fmt` (one of `FORMATS`).

    Args:
        fmt: the source's format.
        src: the file or directory.
        dataset: the dataset to import (`nats-simple` and `nb201-pth`: None means
            `cifar10-valid`), or for `csv` as in `import_csv`.
        schedule: `"200"` or `"12"` (`nats-simple` and `nb201-pth` only).

    Returns:
        The table.

    Raises:
        ImportError_: an unknown format, or the importer refuses the source.
    """
    check_choice(fmt, FORMATS, "import format")
    if fmt == "nats-simple":
        return import_nats_simple(src, dataset or "cifar10-valid", schedule)
    if fmt == "nb201-pth":
        return import_nb201_pth(src, dataset or "cifar10-valid", schedule)
    return import_csv(src, dataset)
