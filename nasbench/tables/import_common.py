"""What every importer of published NAS-Bench-201 results shares: the error, the datasets and
schedules a source may hold, the recipe and splits recorded in an imported table, and the
checks of a cell index, a choice and a record's structure.

Every refusal is an `ImportError_` whose one-line message names the source.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from .benchmark import TableMeta
from .hdf5 import code_version
from ..space import N_CELLS, SpaceError, to_cell
from ..errors import NasbenchError

NB201_DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
SCHEDULES = ("200", "12")

#: NAS-Bench-201's training recipe (Dong & Yang, 2020), as recorded in imported tables
NB201_RECIPE: dict[str, Any] = {
    "optimizer": "SGD", "momentum": 0.9, "nesterov": True, "lr": 0.1, "lr_schedule": "cosine to 0",
    "weight_decay": 5e-4, "batch_size": 256, "channels": 16, "cells_per_stage": 5,
    "augmentation": "random crop (pad 4) + horizontal flip", "source": "NAS-Bench-201 / NATS-Bench",
}
NB201_SPLITS: dict[str, dict[str, int]] = {
    "cifar10-valid": {"train": 25000, "valid": 25000, "test": 10000},
    "cifar10": {"train": 50000, "valid": 0, "test": 10000},
    "cifar100": {"train": 50000, "valid": 5000, "test": 5000},
    "ImageNet16-120": {"train": 151700, "valid": 3000, "test": 3000},
}

#: the per-epoch metrics an imported table may hold, in table order
METRIC_KEYS = ("train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss", "time")


class ImportError_(NasbenchError, ValueError):
    """The source cannot be imported; the message says why."""


def check_choice(value: str, allowed: Iterable[str], what: str) -> str:
    """Check that `value` is one of `allowed`.

    Args:
        value: the value given.
        allowed: the values allowed.
        what: what the value is, for the message (e.g. `"dataset"`).

    Returns:
        `value`.

    Raises:
        ImportError_: `value` is not allowed; the message lists what is.
    """
    allowed = tuple(allowed)
    if value not in allowed:
        raise ImportError_(f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")
    return value


def nb201_meta(dataset: str, schedule: str, source: str) -> TableMeta:
    """The metadata of a table imported from an official NAS-Bench-201 / NATS-Bench file.

    Args:
        dataset: one of `NB201_DATASETS`.
        schedule: one of `SCHEDULES` (the epochs trained).
        source: the source's description, recorded in the table.

    Returns:
        The metadata: NAS-Bench-201's recipe with the schedule's epochs and the dataset's splits.
    """
    recipe = dict(NB201_RECIPE, epochs=int(schedule))
    return TableMeta(space="nb201", dataset=dataset, split_sizes=NB201_SPLITS[dataset], recipe=recipe,
                     code_version=code_version(), source=source)


def check_arch(idx: int, arch_str: str | None, source: str) -> int:
    """Check a cell index, and that an arch string given beside it names the same cell.

    Args:
        idx: the official index a source gives.
        arch_str: the arch string it gives with it, or None.
        source: the source, for the message.

    Returns:
        `idx`.

    Raises:
        ImportError_: the index is out of range, the arch string is not one, or it is another cell.
    """
    if not 0 <= idx < N_CELLS:
        raise ImportError_(f"{source}: arch index {idx} out of range 0..{N_CELLS - 1}")
    if arch_str is not None:
        try:
            official = to_cell(arch_str).index
        except SpaceError as exc:
            raise ImportError_(f"{source}: {exc}") from None
        if official != idx:
            raise ImportError_(f"{source}: arch {arch_str} is official index {official}, but the file says {idx}")
    return idx


@contextmanager
def malformed_record(source: Path) -> Iterator[None]:
    """A record of the wrong structure (a list where a dict belongs, text where a number does) is
    one line naming the file, not a traceback.

    Args:
        source: the file the record is read from.

    Raises:
        ImportError_: the code in the block failed on the record's structure.
    """
    try:
        yield
    except ImportError_:
        raise
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        raise ImportError_(f"{source} holds a malformed record ({type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
