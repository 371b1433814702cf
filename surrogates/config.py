"""What fitting a surrogate benchmark takes (`SurrogateConfig`) and the constants of its
file; `surrogates.benchmark` re-exports them. Imports nothing of this package."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nasbench.tables.fileformat import TableError
from nasbench.space import N_CELLS

FORMAT = "nasbench-surrogate"
FORMAT_VERSION = 1
NOISE_MODES = ("seed", "ensemble", "none")
_FINGERPRINT_CELLS = np.arange(0, N_CELLS, 977)  # 16 fixed cells
#: what `fit` models without `metrics`, where the table has it: the validation and test
#: accuracy, and the 12-epoch schedule's validation accuracy (`valid_acc_s12`, the search signal
#: of the NAS-Bench-201 tables' presets, so a surrogate of such a table keeps its protocol)
DEFAULT_METRICS = ("valid_acc", "test_acc", "valid_acc_s12")


class SurrogateFileError(TableError):
    """A file that cannot be read as a surrogate benchmark of this format."""


@dataclass
class SurrogateConfig:
    """How to fit a surrogate benchmark.

    Attributes:
        model: a name of `surrogates.registry.ESTIMATORS` (default: an ensemble of 5 XGBoost
            models, which gives the spread for `noise="ensemble"`).
        model_params: its parameters.
        metrics: the table metrics to model (None: those of `DEFAULT_METRICS` the table has).
        epochs: table epochs to model (None: the last).
        train_fraction: the part of the covered cells to fit on.
        n_train: the number of covered cells to fit on (wins over `train_fraction`).
        noise: `seed`, `ensemble` or `none` (see `surrogates.benchmark`).
        runtime: also fit the cost model, where the table records `time`.
        seed: seeds the split, the models and the fixed per-seed draws.
    """

    model: str = "ensemble"
    model_params: dict[str, Any] = field(default_factory=dict)
    metrics: tuple[str, ...] | None = None
    epochs: tuple[int, ...] | None = None
    train_fraction: float = 1.0
    n_train: int | None = None
    noise: str = "seed"
    runtime: bool = True
    seed: int = 0


def _key(metric: str, epoch: int) -> str:
    return f"{metric}@{int(epoch)}"
