"""NAS-Bench-201 from the nasbench suite's embedded tables, as an OptunaHub benchmark."""

from __future__ import annotations

from typing import Any
from typing import Sequence

import optunahub


try:
    import nasbench
    from nasbench.bridges.optuna_problem import OptunaProblem
except ModuleNotFoundError:
    raise ModuleNotFoundError(
        "Please install the nasbench suite (`pip install nasbench`) to use `nasbench201_tables`."
    )


_TABLES = {
    "cifar10": "nb201-cifar10",
    "cifar100": "nb201-cifar100",
    "ImageNet16-120": "nb201-imagenet16-120",
}


class Problem(OptunaProblem, optunahub.benchmarks.BaseProblem):
    """NAS-Bench-201's cell search space (six edges, five operations each) on CIFAR-10,
    CIFAR-100 or ImageNet16-120, read from the recorded training runs."""

    available_dataset_names: list[str] = list(_TABLES)
    available_metric_names: list[str] = [
        "valid_acc",
        "valid_acc_s12",
        "cost",
        "params",
        "flops",
        "latency:<device>",
    ]

    def __init__(
        self,
        dataset_id: int | str = 0,
        metric_names: Sequence[str] | None = None,
        seed: int | None = None,
        run_seed: Any = "mean",
        epoch: int | None = None,
    ) -> None:
        if isinstance(dataset_id, str):
            if dataset_id not in _TABLES:
                raise ValueError(
                    f"dataset {dataset_id!r} unknown; available: {', '.join(_TABLES)}."
                )
            self.dataset_name = dataset_id
        else:
            if not 0 <= dataset_id < len(_TABLES):
                raise ValueError(
                    f"dataset_id must be between 0 and {len(_TABLES) - 1}, but got {dataset_id}."
                )
            self.dataset_name = self.available_dataset_names[dataset_id]
        super().__init__(
            nasbench.load(_TABLES[self.dataset_name]),
            objectives=tuple(metric_names or ("valid_acc",)),
            epoch=epoch,
            seed=run_seed,
            rng=seed,
        )
