"""Importers of published results into the HDF5 table format.

* ``nats-simple``: a NATS-Bench topology-space "simple" directory (``meta.pickle.pbz2`` and one
  ``NNNNNN.pickle.pbz2`` per cell; a partial directory imports the cells it holds);
* ``nb201-pth``: the NAS-Bench-201 ``.pth`` (``meta_archs``, ``arch2infos``, ``evaluated_indexes``);
* ``csv``: a CSV or Parquet file, either the tidy layout documented in the README (one row per
  cell x seed x epoch) or the wide NAS-Bench-201 CIFAR-10 layout of ``shared/data``.

Pickles are read with :mod:`nasbench.safe_pickle`: a crafted pickle cannot run code.
"""
from __future__ import annotations

import bz2
import json
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from .benchmark import TableMeta, TabularBenchmark
from .safe_pickle import NATS_ALLOWED, PTH_ALLOWED, ForbiddenPickle, RestrictedUnpickler, loads
from .space import N_CELLS, SpaceError, to_cell
from .table import code_version

FORMATS = ("nats-simple", "nb201-pth", "csv")
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


class ImportError_(ValueError):
    """The source cannot be imported; the message says why."""


# -- per-cell records, shared by the NATS and .pth importers ----------------------------------
@dataclass
class _Run:
    """One training run of one cell, per-epoch arrays of length ``epochs``."""

    seed: int
    metrics: dict[str, np.ndarray]
    params: float
    flops: float
    latency_ms: float


_METRIC_KEYS = ("train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss", "time")


def _runs_of_record(record: Mapping[str, Any], dataset: str, epochs: int, source: str) -> list[_Run]:
    """The runs of one cell's schedule record for ``dataset`` (NATS / NAS-Bench-201 structure)."""
    try:
        results = record["all_results"]
    except (KeyError, TypeError):
        raise ImportError_(f"{source}: record lacks 'all_results'") from None
    runs = []
    for key, res in results.items():
        if not (isinstance(key, tuple) and len(key) == 2) or key[0] != dataset:
            continue
        seed = int(key[1])
        m = {k: np.full(epochs, np.nan) for k in _METRIC_KEYS}
        for e, v in res.get("train_acc1es", {}).items():
            if int(e) < epochs:
                m["train_acc"][int(e)] = float(v)
        for e, v in res.get("train_losses", {}).items():
            if int(e) < epochs:
                m["train_loss"][int(e)] = float(v)
        times = np.full(epochs, np.nan)
        for e, v in res.get("train_times", {}).items():
            if int(e) < epochs:
                times[int(e)] = float(v)
        m["time"] = np.cumsum(times)
        names = list(res.get("eval_names", []))
        test_name = "x-test" if "x-test" in names else "ori-test"
        for k, v in res.get("eval_acc1es", {}).items():
            name, _, e = k.rpartition("@")
            if int(e) < epochs and name in ("x-valid", test_name):
                m["valid_acc" if name == "x-valid" else "test_acc"][int(e)] = float(v)
        for k, v in res.get("eval_losses", {}).items():
            name, _, e = k.rpartition("@")
            if int(e) < epochs and name in ("x-valid", test_name):
                m["valid_loss" if name == "x-valid" else "test_loss"][int(e)] = float(v)
        lat = res.get("latency") or [np.nan]
        runs.append(_Run(seed, m, float(res.get("params", np.nan)), float(res.get("flop", np.nan)),
                         1000.0 * float(np.mean([float(x) for x in lat]))))
    return runs


def _assemble(per_cell: dict[int, list[_Run]], epochs: int, meta: TableMeta) -> TabularBenchmark:
    """Build a table with one row per imported cell, seeds as the union of the runs' seeds."""
    if not per_cell:
        raise ImportError_(f"{meta.source}: no results for dataset {meta.dataset!r} were found")
    seeds = sorted({r.seed for runs in per_cell.values() for r in runs})
    pos = {s: i for i, s in enumerate(seeds)}
    cells = sorted(per_cell)
    n_rows = len(cells)
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    arch_row[cells] = np.arange(n_rows)
    metrics = {k: np.full((n_rows, len(seeds), epochs), np.nan) for k in _METRIC_KEYS}
    run_seed = np.full((n_rows, len(seeds)), -1, dtype=np.int64)
    params = np.full(n_rows, np.nan)
    flops = np.full(n_rows, np.nan)
    latency = np.full(n_rows, np.nan)
    for r, idx in enumerate(cells):
        for run in per_cell[idx]:
            s = pos[run.seed]
            run_seed[r, s] = run.seed
            for k in _METRIC_KEYS:
                metrics[k][r, s] = run.metrics[k]
        first = per_cell[idx][0]
        params[r], flops[r], latency[r] = first.params, first.flops, np.nanmean(
            [x.latency_ms for x in per_cell[idx]])
    # drop metrics that the source never records (e.g. valid_* for 'cifar10')
    metrics = {k: v for k, v in metrics.items() if not np.all(np.isnan(v))}
    return TabularBenchmark(
        meta=meta, arch_row=arch_row, row_arch=np.array(cells), seeds=np.array(seeds),
        epochs=np.arange(1, epochs + 1), metrics=metrics, run_seed=run_seed,
        params=params, flops=flops, latency={"nats_gpu_ms": latency},
    )


def _check_choice(value: str, allowed: Iterable[str], what: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ImportError_(f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")
    return value


def _nb201_meta(dataset: str, schedule: str, source: str) -> TableMeta:
    recipe = dict(NB201_RECIPE, epochs=int(schedule))
    return TableMeta(space="nb201", dataset=dataset, split_sizes=NB201_SPLITS[dataset], recipe=recipe,
                     code_version=code_version(), source=source)


def _check_arch(idx: int, arch_str: str | None, source: str) -> int:
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


# -- NATS-Bench "simple" directory -----------------------------------------------------------
def _load_pbz2(path: Path) -> Any:
    try:
        raw = bz2.decompress(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ImportError_(f"{path} is not a bz2-compressed pickle ({exc})") from None
    try:
        return loads(raw, NATS_ALLOWED, str(path))
    except ForbiddenPickle as exc:
        raise ImportError_(str(exc)) from None
    except Exception as exc:  # malformed pickle data
        raise ImportError_(f"{path} is not a readable pickle ({type(exc).__name__}: {exc})") from None


def import_nats_simple(src: str | Path, dataset: str = "cifar10-valid", schedule: str = "200") -> TabularBenchmark:
    """Import a NATS-Bench topology 'simple' directory for one dataset and schedule."""
    src = Path(src)
    _check_choice(dataset, NB201_DATASETS, "dataset")
    _check_choice(str(schedule), SCHEDULES, "schedule")
    if not src.is_dir():
        raise ImportError_(f"{src} is not a directory; nats-simple expects the NATS-tss-v1_0-3ffb9-simple folder")
    files = sorted(p for p in src.glob("*.pickle.pbz2") if re.fullmatch(r"\d{6}\.pickle\.pbz2", p.name))
    if not files:
        raise ImportError_(f"{src} holds no NNNNNN.pickle.pbz2 files; is it a NATS-Bench 'simple' directory?")
    epochs = int(schedule)
    per_cell: dict[int, list[_Run]] = {}
    for f in files:
        data = _load_pbz2(f)
        if not isinstance(data, Mapping) or str(schedule) not in data:
            raise ImportError_(f"{f} has no schedule {schedule!r} (has: {', '.join(map(str, data)) if isinstance(data, Mapping) else type(data).__name__})")
        rec = data[str(schedule)]
        idx = _check_arch(int(rec.get("arch_index", int(f.name[:6]))), rec.get("arch_str"), str(f))
        runs = _runs_of_record(rec, dataset, epochs, str(f))
        if runs:
            per_cell[idx] = runs
    meta = _nb201_meta(dataset, schedule, f"NATS-Bench tss simple: {src.name} ({len(files)} cell files)")
    return _assemble(per_cell, epochs, meta)


# -- NAS-Bench-201 .pth --------------------------------------------------------------------------
def _load_pth(path: Path) -> Any:
    """Read a torch.save file (zip or legacy) with the restricted unpickler, without torch."""
    src = str(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                names = [n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
                if not names:
                    raise ImportError_(f"{path} is a zip file but not a torch.save file (no data.pkl)")
                with z.open(names[0]) as fh:
                    return RestrictedUnpickler(fh, PTH_ALLOWED, src).load()
        with open(path, "rb") as fh:
            # legacy torch serialization: magic number, protocol version, sys info, then the object
            up = lambda: RestrictedUnpickler(fh, PTH_ALLOWED, src)  # noqa: E731
            magic = up().load()
            if magic != 0x1950A86A20F9469CFC6C:
                raise ImportError_(f"{path} is not a torch.save file (bad magic number)")
            up().load()
            up().load()
            return up().load()
    except ForbiddenPickle as exc:
        raise ImportError_(str(exc)) from None
    except ImportError_:
        raise
    except Exception as exc:
        raise ImportError_(f"{path} is not a readable NAS-Bench-201 .pth ({type(exc).__name__}: {exc})") from None


def import_nb201_pth(src: str | Path, dataset: str = "cifar10-valid", schedule: str = "200") -> TabularBenchmark:
    """Import the NAS-Bench-201 ``.pth`` for one dataset and schedule ('200' = 'full', '12' = 'less')."""
    src = Path(src)
    _check_choice(dataset, NB201_DATASETS, "dataset")
    _check_choice(str(schedule), SCHEDULES, "schedule")
    if not src.is_file():
        raise ImportError_(f"no such file: {src}")
    data = _load_pth(src)
    if not isinstance(data, Mapping) or not {"meta_archs", "arch2infos"} <= set(data):
        raise ImportError_(f"{src} lacks the NAS-Bench-201 keys 'meta_archs' and 'arch2infos'")
    key = "full" if str(schedule) == "200" else "less"
    epochs = int(schedule)
    per_cell: dict[int, list[_Run]] = {}
    for i, infos in data["arch2infos"].items():
        i = int(i)
        arch = data["meta_archs"][i] if i < len(data["meta_archs"]) else None
        idx = _check_arch(i, arch, str(src))
        if key not in infos:
            raise ImportError_(f"{src}: arch2infos[{i}] has no {key!r} record")
        runs = _runs_of_record(infos[key], dataset, epochs, f"{src} arch {i}")
        if runs:
            per_cell[idx] = runs
    meta = _nb201_meta(dataset, schedule, f"NAS-Bench-201 .pth: {src.name} ({len(data['arch2infos'])} cells)")
    return _assemble(per_cell, epochs, meta)


# -- CSV / Parquet ---------------------------------------------------------------------------
NB201_WIDE_KEY = "cifar10_valid__valid_acc_200ep_per_seed"
TIDY_REQUIRED = ("seed", "epoch")
TIDY_METRICS = _METRIC_KEYS


def _read_frame(src: Path):
    import pandas as pd

    if not src.is_file():
        raise ImportError_(f"no such file: {src}")
    try:
        if src.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(src)
        return pd.read_csv(src)
    except ImportError as exc:
        raise ImportError_(f"reading {src} needs an optional package: {exc}") from None
    except Exception as exc:
        raise ImportError_(f"{src} is not a readable CSV/Parquet file ({type(exc).__name__}: {exc})") from None


def import_csv(src: str | Path, dataset: str | None = None) -> TabularBenchmark:
    """Import a CSV/Parquet file: the NAS-Bench-201 wide layout or the tidy layout."""
    src = Path(src)
    df = _read_frame(src)
    if NB201_WIDE_KEY in df.columns:
        return _import_nb201_wide(df, src)
    return _import_tidy(df, src, dataset)


def _indices_of_frame(df, src: Path) -> np.ndarray:
    if "arch_index" in df.columns:
        idx = df["arch_index"].to_numpy()
        if not np.issubdtype(idx.dtype, np.integer):
            raise ImportError_(f"{src}: column arch_index must hold integers")
        bad = (idx < 0) | (idx >= N_CELLS)
        if bad.any():
            raise ImportError_(f"{src}: arch_index {int(idx[bad][0])} out of range 0..{N_CELLS - 1}")
        if "arch_str" in df.columns:
            strs = df["arch_str"].to_numpy()
            for i, s in zip(idx, strs):
                _check_arch(int(i), s, str(src))
        return idx.astype(np.int64)
    if "arch_str" in df.columns:
        try:
            return np.array([to_cell(s).index for s in df["arch_str"]], dtype=np.int64)
        except SpaceError as exc:
            raise ImportError_(f"{src}: {exc}") from None
    raise ImportError_(f"{src}: needs an 'arch_index' or 'arch_str' column; has: {', '.join(map(str, df.columns))}")


def _import_nb201_wide(df, src: Path) -> TabularBenchmark:
    """The wide NAS-Bench-201 CIFAR-10 table: 200-epoch results and the 12-epoch schedule.

    ``valid_acc`` = cifar10-valid validation accuracy per seed (slots 777, 888, 999; two-seed
    cells, whose seeds are not recorded, fill two slots with seed -1); ``test_acc`` =
    NAS-Bench-201's reported CIFAR-10 test accuracy (trained on all 50k, seed mean);
    ``valid_test_acc`` = test accuracy of the cifar10-valid runs (seed mean); ``valid_acc_s12`` and
    ``test_acc_s12`` = final results of the separate 12-epoch schedule; ``time`` = recorded
    200-epoch training seconds.
    """
    idx = _indices_of_frame(df, src)
    if len(np.unique(idx)) != len(idx):
        raise ImportError_(f"{src}: arch_index values repeat; the wide layout has one row per cell")
    n = len(idx)
    seeds = np.array([777, 888, 999])
    valid = np.full((n, 3, 1), np.nan)
    run_seed = np.full((n, 3), -1, dtype=np.int64)
    for r, text in enumerate(df[NB201_WIDE_KEY].to_numpy()):
        try:
            vals = [float(v) for v in json.loads(text)]
        except (TypeError, ValueError):
            raise ImportError_(f"{src}: row {r}: {NB201_WIDE_KEY} must be a list like [90.1, 90.2, 90.3], got {text!r}") from None
        if not 1 <= len(vals) <= 3:
            raise ImportError_(f"{src}: row {r}: expected 1 to 3 seeds, got {len(vals)}")
        valid[r, : len(vals), 0] = vals
        if len(vals) == 3:
            run_seed[r] = seeds  # three-seed cells are in seed order 777, 888, 999
    col = lambda name: df[name].to_numpy(dtype=np.float64).reshape(n, 1, 1)  # noqa: E731
    metrics = {"valid_acc": valid}
    mean_only = []
    for name, column in (("test_acc", "cifar10__test_acc_200ep_mean"),
                         ("valid_test_acc", "cifar10_valid__test_acc_200ep_mean"),
                         ("valid_acc_s12", "cifar10_valid__valid_acc_12ep"),
                         ("test_acc_s12", "cifar10__test_acc_12ep"),
                         ("time", "cifar10_valid__train_time_s_200ep")):
        if column in df.columns:
            metrics[name] = col(column)
            mean_only.append(name)
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    arch_row[idx] = np.arange(n)
    latency = {c.removeprefix("latency_ms__"): df[c].to_numpy(dtype=np.float64)
               for c in df.columns if c.startswith("latency_ms__")}
    params = df["params_mb"].to_numpy(dtype=np.float64) if "params_mb" in df.columns else None
    meta = TableMeta(
        space="nb201", dataset="cifar10", split_sizes={"train": 25000, "valid": 25000, "test": 10000},
        recipe=dict(NB201_RECIPE, epochs=200), code_version=code_version(),
        source=f"NAS-Bench-201 CIFAR-10 wide CSV: {src.name}",
        notes=("valid_acc: cifar10-valid validation (per seed); test_acc: NAS-Bench-201 'cifar10' test "
               "(trained on 50k, seed mean); valid_test_acc: test of the cifar10-valid runs; *_s12: the "
               "separate 12-epoch schedule; time: recorded 200-epoch training seconds; params in millions; "
               "latency in ms per device"),
        extra={"metric_units": "percent", "params_unit": "M"},
    )
    return TabularBenchmark(meta=meta, arch_row=arch_row, row_arch=idx, seeds=seeds, epochs=np.array([200]),
                            metrics=metrics, run_seed=run_seed, mean_only=mean_only, params=params,
                            latency=latency)


def _import_tidy(df, src: Path, dataset: str | None) -> TabularBenchmark:
    """The tidy layout: one row per cell x seed x epoch (see README)."""
    missing = [c for c in TIDY_REQUIRED if c not in df.columns]
    if missing:
        raise ImportError_(
            f"{src}: the tidy CSV layout needs columns arch_index or arch_str, seed, epoch and metrics "
            f"({', '.join(TIDY_METRICS)}); missing: {', '.join(missing)}"
        )
    metric_cols = [c for c in TIDY_METRICS if c in df.columns]
    if not metric_cols:
        raise ImportError_(f"{src}: no metric columns; allowed: {', '.join(TIDY_METRICS)}")
    unknown = [c for c in df.columns if c not in (*TIDY_METRICS, *TIDY_REQUIRED, "arch_index", "arch_str",
                                                  "params", "flops") and not c.startswith("latency_")]
    if unknown:
        raise ImportError_(f"{src}: unknown column(s) {', '.join(unknown)}; see the README's tidy CSV layout")
    idx = _indices_of_frame(df, src)
    # seeds are stored as int64, -1 meaning "not recorded"; epochs count from 1
    seeds_col = _int_column(df, "seed", src, 0, 2**63 - 1)
    epochs_col = _int_column(df, "epoch", src, 1, 2**31 - 1)
    cells, row_of = np.unique(idx, return_inverse=True)
    seeds, seed_of = np.unique(seeds_col, return_inverse=True)
    epochs, epoch_of = np.unique(epochs_col, return_inverse=True)
    key = (row_of * len(seeds) + seed_of) * len(epochs) + epoch_of
    if len(np.unique(key)) != len(key):
        raise ImportError_(f"{src}: a (cell, seed, epoch) appears more than once")
    metrics = {}
    for c in metric_cols:
        arr = np.full((len(cells), len(seeds), len(epochs)), np.nan)
        arr[row_of, seed_of, epoch_of] = _float_column(df, c, src)
        metrics[c] = arr
    run_seed = np.full((len(cells), len(seeds)), -1, dtype=np.int64)
    run_seed[row_of, seed_of] = seeds[seed_of]
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    arch_row[cells] = np.arange(len(cells))

    def per_row(col: str) -> np.ndarray:
        """A per-cell column (params, flops, latency): one value per cell, NaN where not given."""
        v = _float_column(df, col, src)
        lo, hi = np.full(len(cells), np.inf), np.full(len(cells), -np.inf)
        np.fmin.at(lo, row_of, v)
        np.fmax.at(hi, row_of, v)
        clash = np.flatnonzero(lo < hi)
        if len(clash):
            r = clash[0]
            raise ImportError_(f"{src}: column {col}: cell {int(cells[r])} has different values ({lo[r]:g} and "
                               f"{hi[r]:g}); a per-cell column must repeat one value on all rows of the cell")
        return np.where(lo <= hi, lo, np.nan)

    latency = {c.removeprefix("latency_"): per_row(c) for c in df.columns if c.startswith("latency_")}
    meta = TableMeta(space="nb201", dataset=dataset or src.stem, split_sizes={}, recipe={},
                     code_version=code_version(), source=f"tidy CSV: {src.name}")
    return TabularBenchmark(meta=meta, arch_row=arch_row, row_arch=cells, seeds=seeds, epochs=epochs,
                            metrics=metrics, run_seed=run_seed,
                            params=per_row("params") if "params" in df.columns else None,
                            flops=per_row("flops") if "flops" in df.columns else None, latency=latency)


def _bad_row(src: Path, col: str, r: int, value: Any, rule: str) -> ImportError_:
    where = f"row {r}" if src.suffix.lower() in (".parquet", ".pq") else f"row {r} (line {r + 2})"
    return ImportError_(f"{src}: column {col}, {where}: {value!r}; {rule}")


def _int_column(df, col: str, src: Path, lo: int, hi: int) -> np.ndarray:
    """Column ``col`` as int64, every value a whole number in lo..hi (no NaN, no overflow)."""
    rule = f"{col} must be a whole number in {lo}..{hi}"
    v = df[col].to_numpy()
    if v.dtype.kind in "iu":
        bad = np.flatnonzero((v < lo) | (v > hi))
        if len(bad):
            raise _bad_row(src, col, int(bad[0]), v[bad[0]].item(), rule)
        return v.astype(np.int64)
    out = np.empty(len(v), dtype=np.int64)
    for r, x in enumerate(v.tolist()):  # floats (a NaN makes pandas read the column as float) or text
        i = _as_int(x)
        if i is None or not lo <= i <= hi:
            raise _bad_row(src, col, r, x, rule)
        out[r] = i
    return out


def _as_int(x: Any) -> int | None:
    """A whole number given as int, integral float or text; None for anything else (NaN, 1.5, 'a')."""
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        return int(x) if math.isfinite(x) and x.is_integer() else None
    if isinstance(x, str):
        try:
            return int(x.strip())
        except ValueError:
            try:
                return _as_int(float(x))
            except ValueError:
                return None
    return None


def _float_column(df, col: str, src: Path) -> np.ndarray:
    """Column ``col`` as float64: numbers, NaN (missing) allowed, infinities and text refused."""
    rule = f"{col} must be a finite number (or empty for missing)"
    try:
        v = df[col].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        import pandas as pd

        num = pd.to_numeric(df[col], errors="coerce")
        r = int(np.flatnonzero(num.isna().to_numpy() & df[col].notna().to_numpy())[0])
        raise _bad_row(src, col, r, df[col].iloc[r], rule) from None
    bad = np.flatnonzero(np.isinf(v))
    if len(bad):
        raise _bad_row(src, col, int(bad[0]), float(v[bad[0]]), rule)
    return v


def import_any(fmt: str, src: str | Path, dataset: str | None = None, schedule: str = "200") -> TabularBenchmark:
    """Dispatch on ``fmt`` (one of :data:`FORMATS`)."""
    _check_choice(fmt, FORMATS, "import format")
    if fmt == "nats-simple":
        return import_nats_simple(src, dataset or "cifar10-valid", schedule)
    if fmt == "nb201-pth":
        return import_nb201_pth(src, dataset or "cifar10-valid", schedule)
    return import_csv(src, dataset)
