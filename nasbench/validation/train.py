"""Training the selected cells for validation: the recipe, data and seeds (recorded values with
the config's overrides), one resumable unit per (cell, seed group) with its checkpoint and its
finished JSON, and the workers that train them (`nasbench.training.workers`, shared with `generate`)."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..tables.benchmark import Benchmark

from .config import TRAIN_METRICS, ValidateConfig, ValidateError
from ..training.workers import WORKER, run_tasks


def resolve_device(device: str, allow_cpu_fallback: bool = False) -> str:
    """The torch device the trainings use.

    Args:
        device: `auto` (`cuda` when available, else `cpu`), `cpu`, `cuda` or `cuda:N`.
        allow_cpu_fallback: run on the CPU when `cuda` is asked for and no GPU is available.

    Returns:
        The device name.

    Raises:
        ValidateError: `cuda` without a GPU (and no fallback), or a GPU number not visible.
    """
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            if allow_cpu_fallback:
                return "cpu"
            raise ValidateError(f"--device {device} but no CUDA GPU is available to torch {torch.__version__}; "
                                "use --device cpu, or --allow-cpu-fallback")
        if ":" in device and int(device.split(":")[1]) >= torch.cuda.device_count():
            raise ValidateError(f"--device {device} but only {torch.cuda.device_count()} GPU(s) are visible")
    return device


def train_checkpointed(cell: Any, seeds: Sequence[int], data: Any, recipe: Any, device: str = "cpu",
                       prepared: Any = None, checkpoint: str | os.PathLike | None = None, checkpoint_every: int = 1,
                       key: str = "", on_epoch: Callable[[int], None] | None = None) -> list:
    """Train one cell with the given seeds stacked, checkpointing and resuming.

    K = len(seeds); K=1 is exactly `nasbench.training.train.train_cell`. See `train_many`.

    Args:
        cell: anything `to_cell` reads.
        seeds: the seeds, trained together.
        data: the loaded dataset.
        recipe: the training recipe.
        device: the torch device.
        prepared: the data already on the device (optional).
        checkpoint: the checkpoint path; resumed from when it holds one with the same `key`.
        checkpoint_every: epochs between checkpoints.
        key: identifies the training the checkpoint belongs to.
        on_epoch: called with each finished epoch.

    Returns:
        One `TrainRecord` per seed.

    Raises:
        RecipeError: no seed.
    """
    from ..space import to_cell
    from ..training.train import RecipeError, train_many

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise RecipeError("need at least one seed")
    return train_many([to_cell(cell)] * len(seeds), seeds, data, recipe, device, prepared, checkpoint=checkpoint,
                      checkpoint_every=checkpoint_every, key=key, on_epoch=on_epoch)


# -- units and workers ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Unit:
    cell: int
    seeds: tuple[int, ...]
    key: str
    checkpoint: str
    result: str
    checkpoint_every: int = 1


def _run_unit(u: _Unit) -> dict[str, Any]:
    from ..training.train import record_to_dict

    recs = train_checkpointed(u.cell, u.seeds, WORKER["data"], WORKER["recipe"], WORKER["device"],
                              WORKER["prepared"], u.checkpoint, u.checkpoint_every, u.key)
    body = {"key": u.key, "cell": u.cell, "seeds": list(u.seeds), "records": [record_to_dict(r) for r in recs]}
    _write_json(Path(u.result), body)
    try:
        Path(u.checkpoint).unlink()
    except FileNotFoundError:
        pass
    return body


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj))
    os.replace(tmp, path)


def _results(units: Sequence[_Unit], init: tuple, jobs: int, executor: str, address: str | None,
             cuda: bool) -> Iterator[dict[str, Any]]:
    """The body of each unit as it finishes (workers set up by `nasbench.training.workers.init_training_worker`)."""
    return run_tasks(_run_unit, units, jobs, init, executor, address, gpu=cuda, error=ValidateError)


def _load_data(spec: dict[str, Any], data_dir: str | None):
    from ..training.datasets import DatasetMissing, load_data_spec

    try:
        return load_data_spec(spec, data_dir)
    except DatasetMissing as exc:
        where = f" in {data_dir}" if data_dir else ""
        raise ValidateError(f"dataset {spec['dataset']!r} missing{where}: {str(exc).splitlines()[0]}") from None


@dataclass(frozen=True)
class Schedule:
    """What a comparison's metric is, in training terms.

    Attributes:
        measures: the accuracy of the retrained runs that estimates the metric.
        schedule: the table's schedule that produced it (a key of the table's
            `extra["training"]["schedules"]`; None for a table without one).
        test_pair: the table metric of the same runs' test accuracy, if any.
    """

    metric: str
    measures: str
    schedule: str | None = None
    test_pair: str | None = None


def training_spec_of(bench: Benchmark) -> dict[str, Any]:
    """A table's recorded training spec.

    Args:
        bench: the table.

    Returns:
        `meta.details.training`, the stored `meta.extra["training"]` (schedules, metrics, data;
        see `nasbench.training.nb201_recipe`), or {} when it records none.
    """
    return bench.meta.details.training


def schedule_of(bench: Benchmark, metric: str) -> Schedule:
    """How a metric of a table is measured by training (see `Schedule`).

    Args:
        bench: the table.
        metric: the comparison's metric.

    Returns:
        The schedule.

    Raises:
        ValidateError: the metric cannot be measured by training (one line, naming those that
            can).
    """
    training = training_spec_of(bench)
    entry = (training.get("metrics") or {}).get(metric)
    if isinstance(entry, dict):
        if not entry.get("measures"):
            usable = [m for m, e in training["metrics"].items() if isinstance(e, dict) and e.get("measures")]
            raise ValidateError(f"metric {metric!r} of {bench.name or 'the table'} comes from a training on another "
                                f"data split than the one validation retrains; use --metric with one of "
                                f"{', '.join(usable)}")
        return Schedule(metric, str(entry["measures"]), str(entry.get("schedule")) or None, entry.get("test_pair"))
    if metric not in TRAIN_METRICS:
        known = [m for m, e in (training.get("metrics") or {}).items() if isinstance(e, dict) and e.get("measures")]
        raise ValidateError(f"metric {metric!r} is not measured by training; use one of "
                            f"{', '.join(known or TRAIN_METRICS)}")
    return Schedule(metric, metric)


def _recipe_of(bench: Benchmark, cfg: ValidateConfig, schedule: Schedule | None = None
               ) -> tuple[dict[str, Any], list[str]]:
    """The recorded recipe (as a Recipe dict; the schedule's where the table records schedules)
    with overrides applied, and notes."""
    from ..training.train import Recipe, RecipeError, recipe_from_dict

    notes: list[str] = []
    schedules = training_spec_of(bench).get("schedules") or {}
    if schedule is not None and schedule.schedule in schedules:
        try:
            recipe = asdict(recipe_from_dict(dict(schedules[schedule.schedule])))
        except (RecipeError, TypeError) as exc:
            raise ValidateError(f"table {bench.name!r} records a bad {schedule.schedule}-epoch recipe: "
                                f"{str(exc).splitlines()[0]}") from None
        notes.append(f"{schedule.metric} comes from the table's {schedule.schedule}-epoch schedule: trained with "
                     f"its recorded recipe (SGD Nesterov {recipe['momentum']}, lr {recipe['lr']} {recipe['schedule']}, "
                     f"wd {recipe['weight_decay']}, batch {recipe['batch_size']}, crop pad {recipe['crop_padding']} + "
                     f"flip, C={recipe['C']}, N={recipe['N']}, {recipe['epochs']} epochs)")
    else:
        rec = dict(bench.meta.recipe or {})
        try:
            recipe = asdict(recipe_from_dict(rec))
        except (RecipeError, TypeError):
            # a descriptive recipe (an imported NAS-Bench-201 table): NAS-Bench-201's own recipe
            recipe = asdict(Recipe(epochs=int(rec.get("epochs", 200)), C=int(rec.get("channels", 16)),
                                   N=int(rec.get("cells_per_stage", 5)), augment=True))
            notes.append("the table records a descriptive recipe; trained with NAS-Bench-201's recipe "
                         f"(SGD Nesterov, lr 0.1 cosine, wd 5e-4, batch 256, crop+flip) at C={recipe['C']}, "
                         f"N={recipe['N']}, {recipe['epochs']} epochs")
    for name, key in (("epochs", "epochs"), ("C", "C"), ("N", "N"), ("batch_size", "batch_size")):
        v = getattr(cfg, name)
        if v is not None and v != recipe[key]:
            notes.append(f"recipe override {key}={v} (recorded {recipe[key]}): predictions are for the recorded recipe")
            recipe[key] = v
    try:
        recipe_from_dict(recipe)
    except RecipeError as exc:
        raise ValidateError(str(exc)) from None
    return recipe, notes


def _canonical_or_none(name: Any) -> str | None:
    from ..training.datasets import DatasetError, canonical_name

    if not isinstance(name, str) or not name:
        return None
    try:
        return canonical_name(name)
    except DatasetError:
        return None


def _data_of(bench: Benchmark, cfg: ValidateConfig) -> tuple[dict[str, Any], list[str]]:
    from ..training.datasets import DatasetError, canonical_name
    from ..generation.config import DataSpec

    notes: list[str] = []
    training = training_spec_of(bench)
    spec = bench.data_spec() or dict((training.get("data") or {}).get("spec") or {})
    own = _canonical_or_none(spec.get("dataset"))  # the data the table records it was trained on
    if cfg.dataset is not None:
        try:
            name = canonical_name(cfg.dataset)
        except DatasetError as exc:
            raise ValidateError(str(exc)) from None
        if own is not None and name != own:
            raise ValidateError(f"--dataset {cfg.dataset}: table {bench.name!r} was trained on {own}, and validation "
                                f"compares it with trainings on that data only; leave --dataset out (or give {own})")
        named = _canonical_or_none(bench.meta.dataset)
        if own is None and named is not None and named != name:
            notes.append(f"--dataset {name}, but the table names {named} as its dataset (it records no data spec): "
                         f"the comparison is only meaningful on the table's own data")
        if spec.get("dataset") != name:
            spec = asdict(DataSpec(name))
    if not spec:
        raise ValidateError(f"table {bench.name!r} records no training data spec (an imported "
                            "table); give --dataset (and --data-dir, --downscale, --train-size ... as needed)")
    for name in ("downscale", "train_size", "valid_size", "test_size"):
        v = getattr(cfg, name)
        if v is not None and v != spec.get(name):
            notes.append(f"data override {name}={v} (recorded {spec.get(name)})")
            spec[name] = v
    return spec, notes


def _check_loaded_data(bench: Benchmark, data: Any) -> list[str]:
    """Refuse data whose shape or classes are not the table's recorded ones; notes on the split."""
    notes: list[str] = []
    files = (training_spec_of(bench).get("data") or {})
    want_classes, want_size = files.get("num_classes"), files.get("image_size")
    if isinstance(want_classes, int) and data.num_classes != want_classes:
        raise ValidateError(f"the data has {data.num_classes} classes, table {bench.name!r} was trained on "
                            f"{want_classes}; it is not the table's dataset")
    if isinstance(want_size, int) and tuple(data.input_shape[1:]) != (want_size, want_size) \
            and int((data.provenance or {}).get("downscale", 1)) == 1:
        raise ValidateError(f"the data's images are {data.input_shape[1]}x{data.input_shape[2]}, table "
                            f"{bench.name!r} was trained on {want_size}x{want_size}; it is not the table's dataset")
    split = (data.provenance or {}).get("split_source")
    if files and split:
        notes.append(f"data split: {split}")
    return notes


def _seeds_of(bench: Benchmark, cfg: ValidateConfig) -> tuple[tuple[int, ...], str]:
    table_seeds = [int(s) for s in np.asarray(bench.seeds)]
    if cfg.seeds == "table":
        seeds = tuple(s for s in table_seeds if s >= 0)
        if not seeds:
            raise ValidateError("--seeds table but the table records no seed numbers")
        return seeds, "the table's seeds (a reproduction check: same seeds, same recipe)"
    if cfg.seeds is None:
        seeds, s = [], 1
        while len(seeds) < 3:
            if s not in table_seeds:
                seeds.append(s)
            s += 1
        return tuple(seeds), "fresh seeds, not among the table's"
    overlap = sorted(set(cfg.seeds) & set(table_seeds))
    return tuple(cfg.seeds), ("given seeds" + (f"; {overlap} are also table seeds (those runs are not independent)"
                                               if overlap else ", not among the table's"))


def unit_key(cell: int, seeds: Sequence[int], recipe: dict[str, Any], data: dict[str, Any], device: str) -> str:
    """The identity of one training unit: a hash of its cell, seeds, recipe, data and device kind.

    Args:
        cell: official index.
        seeds: the seeds trained together.
        recipe: the recipe dict.
        data: the data spec.
        device: the device (only its kind, `cpu` or `cuda`, counts).

    Returns:
        16 hex digits.
    """
    ident = {"cell": int(cell), "seeds": [int(s) for s in seeds], "recipe": recipe, "data": data,
             "device": device.split(":")[0]}
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]


def _read_unit(path: Path, key: str) -> dict[str, Any] | None:
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return body if body.get("key") == key else None
