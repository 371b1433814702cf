"""The records the benchmark contract passes around.

A checked `Query`, the `Best` cell and a `FreshRunPrediction`; `nasbench.tables.benchmark`
re-exports them. This module imports nothing of the project.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

import numpy as np

SeedLike = Union[Literal["mean", "random"], int]

#: metrics every table stores (cumulative training seconds is `time`)
CORE_METRICS: tuple[str, ...] = (
    "train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss", "time",
)


@dataclass(frozen=True)
class Query:
    """A query the contract has checked, as the subclass's lookups receive it.

    Attributes:
        metric: one of the benchmark's metrics (or a zero-cost proxy where `proxy`).
        epoch: the epoch number (`None` resolved to the last one the metric has).
        seed: `"mean"`, `"random"` (then `rng` is a Generator) or one of `seeds`; always
            `"mean"` for a proxy.
        rng: the generator for `seed="random"`, else as given.
        proxy: True where `metric` is a zero-cost proxy (no epoch of its own, no seed).
    """

    metric: str
    epoch: int
    seed: Union[str, int]
    rng: np.random.Generator | None = None
    proxy: bool = False


@dataclass(frozen=True)
class Best:
    """The best cell of a table by one metric.

    Attributes:
        index: the cell's official index.
        arch_str: its arch string.
        metric: the metric it is best by.
        value: its seed-mean value.
    """

    index: int
    arch_str: str
    metric: str
    value: float


@dataclass(frozen=True)
class FreshRunPrediction:
    """What a new training of each cell is predicted to give.

    Validation compares it with retrainings. Arrays hold one value per asked cell.

    Attributes:
        mean: the predicted value (the seed mean, or the model's prediction).
        sd: the cell's own run-to-run standard deviation.
        runs: how many runs the mean rests on (inf for a model).
        pooled: the sd differences are measured in (NaN where none).
        pooled_src: where `pooled` comes from (`"table"`; "" where none).
        expected: the winner's-curse-corrected mean (NaN where none).
        pred_model_sd: the model's own uncertainty (zeros for a table).
        n_sd_rows: how many rows of the table have a seed sd (two runs or more).
        surrogate: True where the prediction is a model's.
    """

    mean: np.ndarray
    sd: np.ndarray
    runs: np.ndarray
    pooled: np.ndarray
    pooled_src: str
    expected: np.ndarray
    pred_model_sd: np.ndarray
    n_sd_rows: int
    surrogate: bool = False
