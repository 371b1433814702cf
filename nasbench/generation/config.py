"""The settings of a generation and their checks.

A `GenerateConfig` holds what decides the numbers in a table (the `DataSpec`, the
recipe, the seeds and their groups, the canonical rule and the order seed; its
`GenerateConfig.identity`, compared on resume) and how to run (jobs, executor, device,
limit, save interval; free to change between resumes). `validate_config` refuses bad
settings with a `GenerateError` before anything is written; `comparable_identity`
completes an identity recorded by a journal with the defaults of the fields it lacks.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..errors import NasbenchError
from ..util.executors import EXECUTORS
from ..util.limits import MAX_EPOCHS, MAX_JOBS, MAX_LIMIT, check_count

#: the largest seed: a table stores seeds as int64, and -1 there means "seed not recorded"
MAX_SEED = 2**63 - 1


class GenerateError(NasbenchError, ValueError):
    """Bad generation settings, or a journal that belongs to another recipe."""


@dataclass(frozen=True)
class DataSpec:
    """Which data, split and size a table is trained on (recorded in the table)."""

    dataset: str
    downscale: int = 1
    train_size: int | None = None
    valid_size: int | None = None
    test_size: int | None = None
    split_seed: int = 0
    subset_seed: int = 0


@dataclass(frozen=True)
class GenerateConfig:
    """What decides the numbers in a table (compared on resume) and how to run (not compared)."""

    data: DataSpec
    recipe: dict[str, Any]
    seeds: tuple[int, ...] = (777, 888, 999)
    rule: str = "functional"
    order_seed: int = 0
    # how to run: free to change between resumes
    jobs: int = 1
    executor: str = "local"
    address: str | None = None
    limit: int | None = None
    save_every: float = 120.0
    data_dir: str | None = None
    device: str = "cpu"
    seed_groups: tuple[tuple[int, ...], ...] | None = None  # None: one group per seed

    def groups(self) -> list[list[int]]:
        """The seed groups, each trained in one stacked network (default: one group per seed)."""
        return seed_groups_or_default(self.seed_groups, self.seeds)

    def identity(self) -> dict[str, Any]:
        """What decides the numbers: data, recipe, seeds, rule, order seed and seed groups (compared on resume)."""
        return {"data": asdict(self.data), "recipe": self.recipe, "seeds": list(self.seeds), "rule": self.rule,
                "order_seed": self.order_seed, "seed_groups": self.groups()}


def seed_groups_or_default(groups: Any, seeds: Any) -> list[list[int]]:
    """The passes of seeds as lists.

    Args:
        groups: the recorded seed groups, or None/empty where a table or journal records none.
        seeds: the seeds.

    Returns:
        The groups; without recorded groups, each seed trained alone.
    """
    return [[int(s) for s in g] for g in groups] if groups else [[int(s)] for s in seeds]


def recipe_from_dict(d: dict[str, Any]):
    """`nasbench.training.train.recipe_from_dict`, importable from this module too.

    Args:
        d: the recipe's fields (missing ones take their defaults).

    Returns:
        The recipe (a `nasbench.training.train.Recipe`).
    """
    from ..training.train import recipe_from_dict as _from_dict

    return _from_dict(d)


def comparable_identity(identity: dict[str, Any]) -> dict[str, Any]:
    """An identity completed by the defaults of the fields a journal may lack (a journal without
    a field trained with that field's default): recipe fields, and seed groups (one per seed).

    Args:
        identity: a generation's identity (`GenerateConfig.identity`), as a journal records it.

    Returns:
        A copy with the seed groups and, where the recipe is readable, every recipe field filled in.
    """
    out = dict(identity)
    out["seed_groups"] = seed_groups_or_default(out.get("seed_groups"), out.get("seeds", []))
    try:
        out["recipe"] = asdict(recipe_from_dict(identity.get("recipe") or {}))
    except (TypeError, ValueError, GenerateError):
        pass
    return out


def validate_config(cfg: GenerateConfig) -> None:
    """Check a generation's settings before anything is written.

    Args:
        cfg: the settings.

    Raises:
        GenerateError: seeds that repeat, are out of range or are not split exactly by the seed
            groups; a count out of range; an unknown executor, or an address without Ray; a bad
            save interval or device.
    """
    from ..training.datasets import canonical_name

    canonical_name(cfg.data.dataset)
    recipe_from_dict(cfg.recipe)
    if not cfg.seeds or len(set(cfg.seeds)) != len(cfg.seeds):
        raise GenerateError(f"seeds must be distinct and at least one, got {list(cfg.seeds)}")
    flat = [s for g in cfg.groups() for s in g]
    if sorted(flat) != sorted(int(s) for s in cfg.seeds) or any(not g for g in cfg.groups()):
        raise GenerateError(f"seed groups {cfg.groups()} must split the seeds {list(cfg.seeds)} into non-empty "
                            f"groups, each seed exactly once")
    check_count(cfg.jobs, "jobs", MAX_JOBS, GenerateError, allow_none=True)
    check_count(cfg.limit, "limit", MAX_LIMIT, GenerateError, allow_none=True)
    check_count(cfg.recipe.get("epochs"), "epochs", MAX_EPOCHS, GenerateError, allow_none=True)
    if cfg.executor not in EXECUTORS:
        raise GenerateError(f"unknown executor {cfg.executor!r}; allowed: {', '.join(EXECUTORS)}")
    if cfg.address is not None and cfg.executor != "ray":
        raise GenerateError("address is a Ray cluster's address: give it with executor ray (--executor ray)")
    bad = [s for s in cfg.seeds if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s <= MAX_SEED]
    if bad:  # a table stores seeds as int64, and -1 there means "seed not recorded"
        raise GenerateError(f"seeds must be integers in 0..{MAX_SEED} (2^63 - 1), got {bad[0]!r}")
    sv = cfg.save_every
    if isinstance(sv, bool) or not isinstance(sv, (int, float)) or not sv >= 0:  # NaN fails too
        raise GenerateError(f"save_every must be a number of seconds >= 0 (inf: only at the end), got {sv!r}")
    check_device(cfg.device)


def check_device(device: str) -> None:
    """Check a training device: `cpu`, `cuda` or `cuda:N`, and a CUDA device only where torch sees one.

    Args:
        device: the device name.

    Raises:
        GenerateError: another name, or a CUDA device torch does not see.
    """
    if not isinstance(device, str) or not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise GenerateError(f"unknown device {device!r}; allowed: cpu, cuda, cuda:N")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise GenerateError(f"device {device}: no CUDA GPU is available to torch {torch.__version__}; use cpu")
        if ":" in device and int(device.split(":")[1]) >= torch.cuda.device_count():
            raise GenerateError(f"device {device}: only {torch.cuda.device_count()} GPU(s) are visible")
