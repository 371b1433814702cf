"""NATS-Bench's names translated to the embedded NAS-Bench-201 tables, and its arguments checked.

NATS-Bench names a dataset (`cifar10-valid`, `cifar10`, `cifar100`, `ImageNet16-120`), a
training schedule (`hp`, `'12'` or `'200'`), result keys (`valid-accuracy` ...) and evaluation
sets (`x-valid`, `ori-test` ...). This module maps each of them onto an embedded table and its
metrics, and checks an argument against what the tables hold: every check raises
`NATSCompatError` with a one-line message naming what is allowed.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import NasbenchError
from ..space import N_CELLS

#: NATS-Bench's dataset names -> the embedded table holding them
DATASET_TABLES: dict[str, str] = {
    "cifar10-valid": "nb201-cifar10", "cifar10": "nb201-cifar10",
    "cifar100": "nb201-cifar100", "ImageNet16-120": "nb201-imagenet16-120",
}
DATASETS = tuple(DATASET_TABLES)
#: the datasets `simulate_train_eval` takes (`cifar10` is searched on `cifar10-valid`, as in NATS-Bench)
SIMULATE_DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
HPS = ("12", "200")
#: the schedule's length in epochs per `hp`
EPOCHS = {"12": 12, "200": 200}

#: (dataset, hp) -> NATS-Bench key -> table metric; the accuracies each table holds
ACCURACY: dict[tuple[str, str], dict[str, str]] = {
    ("cifar10-valid", "200"): {"valid-accuracy": "valid_acc", "test-accuracy": "valid_test_acc"},
    ("cifar10", "200"): {"test-accuracy": "test_acc"},
    ("cifar10-valid", "12"): {"valid-accuracy": "valid_acc_s12"},
    ("cifar10", "12"): {"test-accuracy": "test_acc_s12"},
}
for _ds in ("cifar100", "ImageNet16-120"):
    ACCURACY[(_ds, "200")] = {"valid-accuracy": "valid_acc", "test-accuracy": "test_acc",
                              "valtest-accuracy": "valtest_acc"}
    ACCURACY[(_ds, "12")] = {"valid-accuracy": "valid_acc_s12", "test-accuracy": "test_acc_s12"}
#: NATS-Bench's evaluation-set names per dataset (`NATSTrial.get_eval`) -> key of `ACCURACY`
EVAL_SETS: dict[str, dict[str, str]] = {
    "cifar10-valid": {"x-valid": "valid-accuracy", "valid": "valid-accuracy", "ori-test": "test-accuracy"},
    "cifar10": {"ori-test": "test-accuracy"},
    "cifar100": {"x-valid": "valid-accuracy", "valid": "valid-accuracy", "x-test": "test-accuracy",
                 "ori-test": "valtest-accuracy"},
}
EVAL_SETS["ImageNet16-120"] = EVAL_SETS["cifar100"]
#: datasets whose table records the training time (cifar10's 50k trainings have none in the data)
TIMED_DATASETS = ("cifar10-valid", "cifar100", "ImageNet16-120")


class NATSCompatError(NasbenchError, ValueError):
    """A NATS-Bench call this object cannot answer.

    Raised for an unknown dataset, hp, index, epoch or seed, or for a value the tables do not hold;
    the message is one line naming what is allowed.
    """


def check_iepoch(iepoch: Any, epochs: int) -> int:
    """Check an epoch argument: only the final epoch of a schedule is recorded.

    Args:
        iepoch: None or the last epoch, `epochs - 1`.
        epochs: the schedule's length.

    Returns:
        The last epoch, `epochs - 1`.

    Raises:
        NATSCompatError: any other epoch.
    """
    if iepoch is None or (not isinstance(iepoch, bool) and isinstance(iepoch, (int, np.integer))
                          and int(iepoch) == epochs - 1):
        return epochs - 1
    raise NATSCompatError(f"iepoch {iepoch!r} not recorded: the tables hold only the final epoch of the "
                          f"{epochs}-epoch schedule; use iepoch=None or {epochs - 1}")


def check_index(index: Any) -> int:
    """Check an architecture index.

    Args:
        index: an integer (not a bool).

    Returns:
        The index as an `int`.

    Raises:
        NATSCompatError: not an integer, or outside `[0, 15625)`.
    """
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise NATSCompatError(f"architecture index must be an integer in [0, {N_CELLS}), got {index!r}")
    if not 0 <= int(index) < N_CELLS:
        raise NATSCompatError(f"architecture index {int(index)} out of range; allowed: 0 .. {N_CELLS - 1}")
    return int(index)


def check_dataset(dataset: Any, allowed: tuple[str, ...] = DATASETS) -> str:
    """Check a dataset name.

    Args:
        dataset: NATS-Bench's dataset name.
        allowed: the names the call takes.

    Returns:
        The dataset name.

    Raises:
        NATSCompatError: a name not in `allowed`.
    """
    if dataset not in allowed:
        raise NATSCompatError(f"unknown dataset {dataset!r}; allowed: {', '.join(allowed)}")
    return str(dataset)


def check_hp(hp: Any) -> str:
    """Check a training schedule.

    Args:
        hp: `'12'` or `'200'` (an integer is read as its string).

    Returns:
        The schedule as a string.

    Raises:
        NATSCompatError: another schedule (NATS-Bench's `'01'` and `'90'` are not embedded).
    """
    h = str(hp)
    if h not in HPS:
        raise NATSCompatError(f"hp {hp!r} not held; allowed: '12' (the 12-epoch schedule) or '200'; "
                              "NATS-Bench's '01' and '90' are not embedded")
    return h
