"""What `nasbench validate` is asked to do: `ValidateConfig` (checked when made) and
`ValidateError`, the one-line error of every bad input to validation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..util.checks import check_positive_int
from ..util.executors import EXECUTORS
from ..errors import NasbenchError

DEVICES = ("auto", "cpu", "cuda")
MAX_SEED = 2**32 - 1  # numpy's and torch's seed range: a training seed must fit in 32 bits
TRAIN_METRICS = ("train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss")
#: stated maxima of what a user asks for: epochs (NAS-Bench-201's longest schedule is 200; the
#: checkpoints and result files grow with the epochs, and the disk is checked as well), cells
#: (`top_k` or explicit), seeds, parallel jobs, network size and batch
LIMITS: dict[str, int] = {"epochs": 1000, "top_k": 1000, "cells": 1000, "seeds": 100, "jobs": 256, "C": 256,
                          "N": 32, "batch_size": 65536, "checkpoint_every": 1000}


class ValidateError(NasbenchError, ValueError):
    """Bad input to validation (one line)."""


@dataclass(frozen=True)
class ValidateConfig:
    """What to validate and how. `results`: a comparison's results directory (`top_k` cells of
    it), or None with `table` and `cells`. Every `None` override keeps the recorded value."""

    results: str | None = None
    top_k: int | None = 5
    cells: tuple[Any, ...] = ()
    table: str | None = None  # default: the comparison's table
    metric: str | None = None  # default: the comparison's validation metric (valid_acc)
    # training overrides
    epochs: int | None = None
    seeds: tuple[int, ...] | str | None = None  # None: 3 fresh seeds; "table": the table's seeds
    C: int | None = None
    N: int | None = None
    batch_size: int | None = None
    # data overrides
    dataset: str | None = None
    data_dir: str | None = None
    downscale: int | None = None
    train_size: int | None = None
    valid_size: int | None = None
    test_size: int | None = None
    # how to run
    device: str = "auto"
    allow_cpu_fallback: bool = False
    jobs: int = 1
    executor: str = "local"
    address: str | None = None
    stack_seeds: bool | None = None  # default: True on CUDA, False on CPU
    checkpoint_every: int = 1
    out: str = "results/validate"
    plots: bool = True
    progress: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.cells, (str, int)):
            object.__setattr__(self, "cells", (self.cells,))
        else:
            object.__setattr__(self, "cells", tuple(self.cells))
        if isinstance(self.seeds, (list, tuple)):
            object.__setattr__(self, "seeds", tuple(int(s) for s in self.seeds))
        for name in ("top_k", "epochs", "C", "N", "batch_size", "downscale", "train_size", "valid_size",
                     "test_size", "jobs", "checkpoint_every"):
            check_positive_int(getattr(self, name), name, ValidateError, allow_none=True)
        for name, most in LIMITS.items():
            v = getattr(self, name, None)
            n = len(v) if isinstance(v, tuple) else v
            if isinstance(n, int) and n > most:
                what = f"{n} given" if isinstance(v, tuple) else f"got {n}"
                raise ValidateError(f"{name} must be at most {most:,}, {what}")
        if self.device not in DEVICES and not str(self.device).startswith("cuda:"):
            raise ValidateError(f"unknown device {self.device!r}; allowed: auto, cpu, cuda, cuda:N")
        if self.executor not in EXECUTORS:
            raise ValidateError(f"unknown executor {self.executor!r}; allowed: {', '.join(EXECUTORS)}")
        if isinstance(self.seeds, str) and self.seeds != "table":
            raise ValidateError(f"seeds must be integers or 'table', got {self.seeds!r}")
        if isinstance(self.seeds, tuple) and (not self.seeds or len(set(self.seeds)) != len(self.seeds)
                                              or not all(0 <= s <= MAX_SEED for s in self.seeds)):
            raise ValidateError(f"seeds must be at least one, distinct, each an integer in 0..{MAX_SEED} (2**32-1), "
                                f"or 'table'; got {' '.join(map(str, self.seeds))}")
        if self.results is None and not self.cells:
            raise ValidateError("give a results directory (its top-k cells) or explicit cells with a table")
        if self.results is None and self.table is None:
            raise ValidateError("explicit cells without a results directory need a table")
