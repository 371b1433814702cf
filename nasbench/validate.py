"""Train the winners of a comparison for real and compare with what the benchmark predicted.

>>> from nasbench.validate import ValidateConfig, validate
>>> report = validate(ValidateConfig(results="results/default", top_k=5))
>>> print(report.summary())

**Which cells.** ``top_k`` picks the best K distinct final incumbents of a comparison, across
its runs and strategies: every (strategy, run)'s last incumbent, de-duplicated by the table row
that holds it (cells of one canonical class share a row and build the same network), ranked by
the benchmark's seed-mean of the comparison's validation metric at the table's last epoch (ties:
the lower cell index). Or ``cells``: explicit arch strings or indices.

**How they are trained.** With the benchmark's recorded recipe (``bench.meta.recipe``) and data
(``bench.meta.extra["data"]``, a :class:`~nasbench.generate.DataSpec`; imported NAS-Bench-201
tables record none, so then ``dataset`` / ``data_dir`` must be given), or overrides (epochs,
seeds, C, N, batch size, dataset, data directory, sizes). Seeds default to three fresh seeds not
in the table (1, 2, 3 unless taken), so that the measurement is independent of the table's own
runs; ``seeds="table"`` retrains the table's seeds, in the table's seed groups (seeds the
generator stacked are stacked again), which on CPU with the recorded recipe reproduces the
table bit for bit (a reproducibility check, not a noise check).

**The statistics**: see :mod:`nasbench.validation_report`.

**Checkpoints.** Every training saves model, optimiser and data-generator state after each
finished epoch (``<out>/checkpoints``, numpy ``.npz`` + JSON, no pickle, written atomically); a
killed run resumes from its last finished epoch, and on CPU the result is bit-identical to an
uninterrupted run. Finished trainings are kept as JSON (``<out>/units``) and are not redone.

**Hardware.** ``device="auto"``: CUDA when available, else CPU; ``device="cuda"`` without a GPU is an
error unless ``allow_cpu_fallback``. On CPU each (cell, seed) is its own training, ``jobs`` worker
processes in parallel (one thread each). On CUDA the seeds of one cell are stacked into one network
(:func:`nasbench.train.train_many`'s channel stacking), ``jobs`` processes share the GPU;
``executor="ray"`` spreads the trainings over a Ray cluster (one GPU per actor on CUDA).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .benchmark import Benchmark
from .executors import EXECUTORS, keep_freed_memory, pool_map, ray_map
from .noise import POOL_ROWS
from .validation_report import ValidationReport, build_report_frame, kendall, plot_report

DEVICES = ("auto", "cpu", "cuda")
TRAIN_METRICS = ("train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss")


class ValidateError(ValueError):
    """Bad input to validation (one line)."""


# -- config ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ValidateConfig:
    """What to validate and how. ``results``: a comparison's results directory (``top_k`` cells of
    it), or None with ``table`` and ``cells``. Every ``None`` override keeps the recorded value."""

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
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ValidateError(f"{name} must be a positive integer, got {v!r}")
        if self.device not in DEVICES and not str(self.device).startswith("cuda:"):
            raise ValidateError(f"unknown device {self.device!r}; allowed: auto, cpu, cuda, cuda:N")
        if self.executor not in EXECUTORS:
            raise ValidateError(f"unknown executor {self.executor!r}; allowed: {', '.join(EXECUTORS)}")
        if isinstance(self.seeds, str) and self.seeds != "table":
            raise ValidateError(f"seeds must be integers or 'table', got {self.seeds!r}")
        if isinstance(self.seeds, tuple) and (not self.seeds or len(set(self.seeds)) != len(self.seeds)):
            raise ValidateError(f"seeds must be distinct and at least one, got {list(self.seeds)}")
        if self.results is None and not self.cells:
            raise ValidateError("give a results directory (its top-k cells) or explicit cells with a table")
        if self.results is None and self.table is None:
            raise ValidateError("explicit cells without a results directory need a table")


def resolve_device(device: str, allow_cpu_fallback: bool = False) -> str:
    """``auto`` -> ``cuda`` when available else ``cpu``; ``cuda`` without a GPU is an error unless
    ``allow_cpu_fallback``."""
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
    """Train one cell with the given seeds stacked (K = len(seeds); K=1 is exactly
    :func:`nasbench.train.train_cell`), checkpointing every ``checkpoint_every`` epochs and
    resuming from ``checkpoint`` when it holds one with the same ``key`` (see ``train_many``)."""
    from .space import to_cell
    from .train import RecipeError, train_many

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise RecipeError("need at least one seed")
    return train_many([to_cell(cell)] * len(seeds), seeds, data, recipe, device, prepared, checkpoint=checkpoint,
                      checkpoint_every=checkpoint_every, key=key, on_epoch=on_epoch)


# -- workers -------------------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _init_worker(data: dict[str, Any], recipe: dict[str, Any], data_dir: str | None, device: str, threads: int) -> None:
    import torch

    from .generate import recipe_from_dict
    from .train import prepare_data

    keep_freed_memory()
    if threads:
        torch.set_num_threads(threads)
    ds = _load_data(data, data_dir)
    rec = recipe_from_dict(recipe)
    _WORKER.update(data=ds, recipe=rec, device=device, prepared=prepare_data(ds, rec, device))


@dataclass(frozen=True)
class _Unit:
    cell: int
    seeds: tuple[int, ...]
    key: str
    checkpoint: str
    result: str
    checkpoint_every: int = 1


def _run_unit(u: _Unit) -> dict[str, Any]:
    from .train import record_to_dict

    recs = train_checkpointed(u.cell, u.seeds, _WORKER["data"], _WORKER["recipe"], _WORKER["device"],
                              _WORKER["prepared"], u.checkpoint, u.checkpoint_every, u.key)
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
    if executor == "ray" and units:
        yield from ray_map(_run_unit, units, min(jobs, len(units)), _init_worker, init, address, gpu=cuda,
                           error=ValidateError)
    elif jobs > 1 and len(units) > 1:
        yield from pool_map(_run_unit, units, min(jobs, len(units)), _init_worker, init)
    else:
        _init_worker(*init)
        try:
            yield from map(_run_unit, units)
        finally:
            _WORKER.clear()


# -- inputs: results, benchmark, cells, recipe, data ---------------------------------------------
def _load_data(spec: dict[str, Any], data_dir: str | None):
    from .datasets import DatasetMissing, load_dataset

    try:
        return load_dataset(spec["dataset"], data_dir, split_seed=spec.get("split_seed", 0),
                            downscale=spec.get("downscale", 1), train_size=spec.get("train_size"),
                            valid_size=spec.get("valid_size"), test_size=spec.get("test_size"),
                            subset_seed=spec.get("subset_seed", 0))
    except DatasetMissing as exc:
        where = f" in {data_dir}" if data_dir else ""
        raise ValidateError(f"dataset {spec['dataset']!r} missing{where}: {str(exc).splitlines()[0]}") from None


def _open_results(path: str):
    from .experiment import ConfigError, open_results

    p = Path(path)
    if not p.is_dir():
        raise ValidateError(f"no results directory {p}")
    try:
        res = open_results(p)
        frame = res.frame()
    except ConfigError as exc:
        raise ValidateError(f"{str(exc)}; run `nasbench compare --out {p}` first") from None
    except Exception as exc:  # an empty results.csv, unreadable JSON
        raise ValidateError(f"{p} holds no readable runs ({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
    if frame.empty or not {"strategy", "run", "step", "incumbent"} <= set(frame.columns):
        raise ValidateError(f"{p} holds no runs")
    return res, frame


def _load_bench(table: str, results_path: str | None = None):
    from .experiment import load_benchmark

    candidates = [table]
    if results_path is not None and not Path(table).is_absolute():
        candidates.append(str(Path(results_path) / table))
    err = None
    for t in candidates:
        try:
            return load_benchmark(t)
        except Exception as exc:  # TableError and friends
            err = err or exc
    raise ValidateError(f"cannot load table {table!r}: {str(err).splitlines()[0]} (give --table)")


def select_top(frame: Any, bench: Benchmark, k: int, metric: str = "valid_acc") -> tuple[list[int], dict[int, dict]]:
    """The best ``k`` distinct final incumbents of a comparison's tidy frame: de-duplicated by table
    row, ranked by the benchmark's seed mean of ``metric`` (last epoch), ties by lower index.
    Returns the cells and, per cell, how often and by which strategies it was the final incumbent."""
    from .experiment import final_rows

    fin = final_rows(frame)
    groups: dict[int, dict[str, Any]] = {}
    for cell, strat in zip(fin["incumbent"].astype(int), fin["strategy"].astype(str)):
        key = bench.result_key(cell) if cell >= 0 else -1
        if key < 0:  # not (or no longer) covered by the table
            continue
        g = groups.setdefault(key, {"cells": {}, "strategies": set()})
        g["cells"][cell] = g["cells"].get(cell, 0) + 1
        g["strategies"].add(strat)
    if not groups:
        raise ValidateError("the comparison has no final incumbents")
    if k > len(groups):
        raise ValidateError(f"--top-k {k} but the comparison's final incumbents are only {len(groups)} distinct "
                            f"cell(s); use --top-k {len(groups)} or less")
    reps = []
    for key, g in groups.items():
        cell = min(g["cells"], key=lambda c: (-g["cells"][c], c))  # most often found, then lowest index
        reps.append((cell, key, g))
    vals = np.asarray(bench.query_many(np.array([r[0] for r in reps]), metric, None, "mean"), dtype=np.float64)
    order = sorted(range(len(reps)), key=lambda i: (-(vals[i] if np.isfinite(vals[i]) else -np.inf), reps[i][0]))
    chosen = [reps[i] for i in order[:k]]
    info = {c: {"found_by_runs": sum(g["cells"].values()), "strategies": ",".join(sorted(g["strategies"]))}
            for c, _, g in chosen}
    return [c for c, _, _ in chosen], info


def _recipe_of(bench: Benchmark, cfg: ValidateConfig) -> tuple[dict[str, Any], list[str]]:
    """The recorded recipe (as a Recipe dict) with overrides applied, and notes."""
    from .generate import GenerateError, recipe_from_dict
    from .train import Recipe, RecipeError

    notes: list[str] = []
    rec = dict(bench.meta.recipe or {})
    try:
        recipe = asdict(recipe_from_dict(rec))
    except (GenerateError, RecipeError, TypeError):
        # a descriptive recipe (imported NAS-Bench-201 tables): NAS-Bench-201's own recipe
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
    except (GenerateError, RecipeError) as exc:
        raise ValidateError(str(exc)) from None
    return recipe, notes


def _data_of(bench: Benchmark, cfg: ValidateConfig) -> tuple[dict[str, Any], list[str]]:
    from .datasets import DatasetError, canonical_name
    from .generate import DataSpec

    notes: list[str] = []
    spec = bench.data_spec()
    if cfg.dataset is not None:
        try:
            name = canonical_name(cfg.dataset)
        except DatasetError as exc:
            raise ValidateError(str(exc)) from None
        if spec.get("dataset") != name:
            if spec:
                notes.append(f"dataset override {name} (table trained on {spec.get('dataset')})")
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


# -- what the benchmark predicted ------------------------------------------------------------
def _predictions(bench: Benchmark, cells: Sequence[int], metric: str) -> dict[str, np.ndarray]:
    """pred_mean, pred_sd (the cell's own), pred_runs (inf for a surrogate), the sd the
    differences are measured in with its source, and (for a table) the winner's-curse-corrected
    expectation of each cell."""
    cells_a = np.asarray(cells, dtype=np.int64)
    try:
        return bench.fresh_run_prediction(cells_a, metric)
    except Exception as exc:  # QueryError and friends: one line
        raise ValidateError(f"cannot predict {metric} for the cells: {str(exc).splitlines()[0]}") from None


# -- the driver ---------------------------------------------------------------------------------------
def unit_key(cell: int, seeds: Sequence[int], recipe: dict[str, Any], data: dict[str, Any], device: str) -> str:
    ident = {"cell": int(cell), "seeds": [int(s) for s in seeds], "recipe": recipe, "data": data,
             "device": device.split(":")[0]}
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]


def validate(cfg: ValidateConfig, bench: Benchmark | None = None,
             on_unit: Callable[[dict[str, Any]], None] | None = None) -> ValidationReport:
    """Select, train (resumably), compare, write CSV / JSON / plot into ``cfg.out``."""
    import pandas as pd

    t0 = time.perf_counter()
    notes: list[str] = []
    frame = res = None
    if cfg.results is not None:
        res, frame = _open_results(cfg.results)
    device = resolve_device(cfg.device, cfg.allow_cpu_fallback)
    if cfg.device.startswith("cuda") and device == "cpu":
        notes.append(f"--device {cfg.device} asked, no GPU: fell back to CPU (--allow-cpu-fallback)")
    prov = res.provenance if res is not None else {}
    table = cfg.table or prov.get("config", {}).get("table")
    if bench is None:
        bench = _load_bench(table, cfg.results)
    table_name = bench.name or str(table)
    if res is not None:
        rec_sha = prov.get("table", {}).get("sha256", "")
        from .experiment import table_sha256

        now = table_sha256(bench)
        if rec_sha and now and rec_sha != now:
            notes.append("the table changed since the comparison (sha256 differs); predictions are from the "
                         "current table")
    metric = cfg.metric or prov.get("config", {}).get("protocol", {}).get("metric") or "valid_acc"
    if metric not in TRAIN_METRICS:
        raise ValidateError(f"metric {metric!r} is not measured by training; use one of {', '.join(TRAIN_METRICS)}")
    if metric not in bench.metric_names:
        raise ValidateError(f"metric {metric!r} not in the table; it has {', '.join(bench.metric_names)}")
    # cells
    from .space import to_cell

    extra: dict[int, dict[str, Any]] = {}
    if cfg.cells:
        try:
            cells = [to_cell(int(c) if isinstance(c, str) and c.strip().isdigit() else c).index for c in cfg.cells]
        except Exception as exc:
            raise ValidateError(f"bad cell: {str(exc).splitlines()[0]}") from None
        cells = list(dict.fromkeys(cells))
        missing = [c for c in cells if bench.result_key(c) < 0]
        if missing:
            raise ValidateError(f"cell(s) {missing[:5]} not covered by table {table_name!r} "
                                f"({len(bench.covered)} cells covered)")
    else:
        cells, extra = select_top(frame, bench, cfg.top_k or 5, metric)
    recipe, n1 = _recipe_of(bench, cfg)
    data, n2 = _data_of(bench, cfg)
    seeds, seeds_note = _seeds_of(bench, cfg)
    notes += n1 + n2
    ds = _load_data(data, cfg.data_dir)  # fail early (and once) when the dataset is missing
    del ds
    cuda = device.startswith("cuda")
    stack = cfg.stack_seeds if cfg.stack_seeds is not None else cuda
    groups = [tuple(seeds)] if stack else [(s,) for s in seeds]
    table_groups = bench.meta.extra.get("seed_groups")
    if cfg.seeds == "table" and cfg.stack_seeds is None and not cuda and table_groups:
        groups = [tuple(int(s) for s in g) for g in table_groups]  # stacked as generated: bit-identical
    out = Path(cfg.out)
    units, finished = [], []
    for c in cells:
        for g in groups:
            key = unit_key(c, g, recipe, data, device)
            name = f"{c}-{'_'.join(map(str, g))}-{key}"
            u = _Unit(c, g, key, str(out / "checkpoints" / f"{name}.npz"), str(out / "units" / f"{name}.json"),
                      cfg.checkpoint_every)
            body = _read_unit(Path(u.result), key)
            (finished.append(body) if body is not None else units.append(u))
    bodies = list(finished)
    threads = 1 if not cuda else 0
    init = (data, recipe, cfg.data_dir, device, threads)
    bar = None
    if cfg.progress and units:
        from tqdm import tqdm

        bar = tqdm(total=len(units), desc="validate", unit="training")
    try:
        results = _results(units, init, cfg.jobs, cfg.executor, cfg.address, cuda)
        for body in results:
            bodies.append(body)
            if bar is not None:
                bar.update(1)
            if on_unit is not None:
                on_unit(body)
    finally:
        if bar is not None:
            bar.close()
    measured: dict[int, dict[int, float]] = {c: {} for c in cells}
    records: list[dict[str, Any]] = []
    for body in bodies:
        for r in body["records"]:
            measured[int(r["cell"])][int(r["seed"])] = float(r[metric][-1])
            records.append(r)
    pred = _predictions(bench, cells, metric)
    notes_sd = []
    if pred.get("surrogate"):
        notes_sd.append("sd_used: the surrogate's seed-noise sd of each cell")
    else:
        notes_sd.append(f"sd_used: the table's seed sd pooled over the {min(POOL_ROWS, pred['n_sd_rows'])} rows "
                        f"(of {pred['n_sd_rows']} with >= 2 runs) nearest to each cell in seed mean (pred_sd: the "
                        f"cell's own)" if pred["n_sd_rows"] else "sd_used: none in the table (one run per cell), so "
                        "the sd of the measured seeds, pooled over the validated cells")
    if recipe["epochs"] != int(np.asarray(bench.epochs)[-1]):
        notes.append(f"measured after {recipe['epochs']} epochs, predicted at the table's epoch "
                     f"{int(np.asarray(bench.epochs)[-1])}")
    for c in cells:
        if set(measured[c]) != set(seeds):
            raise ValidateError(f"internal: cell {c} lacks seeds {sorted(set(seeds) - set(measured[c]))}")
    if "test_acc" in bench.metric_names and metric != "test_acc":
        try:
            t_pred = np.asarray(bench.query_many(np.asarray(cells), "test_acc", None, "mean"), dtype=float)
        except Exception:
            t_pred = np.full(len(cells), np.nan)
        for i, c in enumerate(cells):
            t_meas = [float(r["test_acc"][-1]) for r in records if int(r["cell"]) == c]
            extra.setdefault(c, {}).update(pred_test=float(t_pred[i]), meas_test=float(np.mean(t_meas)))
    # the table's own value for any retrained table seed (reproduction check)
    if bench.measured_runs and metric not in bench.mean_only:
        for c in cells:
            diffs = []
            for s in seeds:
                v = bench.query_many(np.array([c]), metric, None, int(s))[0] if s in set(bench.seeds.tolist()) \
                    else np.nan
                if np.isfinite(v):
                    diffs.append(abs(measured[c][s] - v))
            if diffs:
                extra.setdefault(c, {})["max_abs_diff_same_seed"] = float(max(diffs))
    df = build_report_frame(cells, pred, measured, seeds, extra)
    tau, p = kendall(df["pred_mean"].to_numpy(float), df["meas_mean"].to_numpy(float))
    report = ValidationReport(df, metric, tau, p, tuple(seeds), seeds_note, recipe, data, device, table_name,
                              notes + notes_sd, out, [], records, time.perf_counter() - t0, len(units))
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "validation.csv", index=False)
    tidy = []
    for r in records:
        for e in range(len(r["valid_acc"])):
            tidy.append({"cell": r["cell"], "seed": r["seed"], "epoch": e + 1,
                         **{m: r[m][e] for m in (*TRAIN_METRICS, "train_time")}})
    pd.DataFrame(tidy).sort_values(["cell", "seed", "epoch"]).to_csv(out / "curves.csv", index=False)
    files = [out / "validation.csv", out / "curves.csv", out / "validation.json"]
    if cfg.plots:
        files += plot_report(report, out)
    report.files = files
    _write_json(out / "validation.json", {
        "table": table_name, "results": cfg.results, "metric": metric, "cells": [int(c) for c in cells],
        "seeds": list(seeds), "seeds_note": seeds_note, "recipe": recipe, "data": data, "device": device,
        "kendall_tau": tau, "kendall_p": p, "notes": report.notes, "seconds": report.seconds,
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()}})
    return report


def _read_unit(path: Path, key: str) -> dict[str, Any] | None:
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return body if body.get("key") == key else None


__all__ = ["EXECUTORS", "ValidateConfig", "ValidateError", "ValidationReport", "build_report_frame",
           "kendall", "plot_report", "resolve_device",
           "select_top", "train_checkpointed", "unit_key", "validate"]
