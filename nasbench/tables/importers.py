"""Importers of published results into the HDF5 table format.

* ``nats-simple``: a NATS-Bench topology-space "simple" directory (``meta.pickle.pbz2`` and one
  ``NNNNNN.pickle.pbz2`` per cell; a partial directory imports the cells it holds);
* ``nb201-pth``: the NAS-Bench-201 ``.pth`` (``meta_archs``, ``arch2infos``, ``evaluated_indexes``);
* ``csv``: a CSV or Parquet file, either the tidy layout documented in the README (one row per
  cell x seed x epoch) or one of the two wide NAS-Bench-201 CSV layouts (one row per cell; CIFAR-10;
  CIFAR-100 and ImageNet16-120 side by side, one chosen with ``dataset``).

Pickles are read with :mod:`nasbench.util.safe_pickle`: a crafted pickle cannot run code.

Size: over 400 lines because the three importers share the per-cell record handling and the
checks of what a source may hold (first section); each further section is one source format.
"""
from __future__ import annotations

import bz2
import json
import math
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from .benchmark import TableMeta
from .tabular import TabularBenchmark
from ..util.limits import check_regular_file
from ..util.safe_pickle import NATS_ALLOWED, PTH_ALLOWED, ForbiddenPickle, RestrictedUnpickler, loads
from ..space import N_CELLS, SpaceError, to_cell
from .hdf5 import code_version
from ..errors import NasbenchError

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


class ImportError_(NasbenchError, ValueError):
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


@contextmanager
def _malformed(source: Path) -> Iterator[None]:
    """A record of the wrong structure (a list where a dict belongs, text where a number does) is
    one line naming the file, not a traceback."""
    try:
        yield
    except ImportError_:
        raise
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        raise ImportError_(f"{source} holds a malformed record ({type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else ''})") from None


# -- NATS-Bench "simple" directory -----------------------------------------------------------
#: the most a NATS-Bench per-cell ``NNNNNN.pickle.pbz2`` may decompress to. The published files
#: (all 4 datasets x 2 schedules) decompress to 325,796-325,810 bytes; 4 MiB is 12.9x that.
NATS_CELL_MAX_BYTES = 4 << 20
_CHUNK = 1 << 16


def _bz2_capped(path: Path, cap: int) -> bytes:
    """Decompress a bz2 file (one or more streams) chunk by chunk, refusing it as soon as the
    output would exceed ``cap`` bytes: a few KB of bz2 can expand to gigabytes."""
    out = bytearray()
    with open(path, "rb") as fh:
        d = bz2.BZ2Decompressor()
        pending = fh.read(_CHUNK)
        if not pending:
            raise ValueError("empty file")
        while True:
            if d.eof:  # a stream ended; more data is the next stream
                pending = d.unused_data or fh.read(_CHUNK)
                if not pending:
                    return bytes(out)
                d = bz2.BZ2Decompressor()
            if not pending and d.needs_input:
                pending = fh.read(_CHUNK)
                if not pending:
                    raise ValueError("compressed file ended before the end-of-stream marker was reached")
            out += d.decompress(pending, max_length=cap + 1 - len(out))
            pending = b""
            if len(out) > cap:
                raise ImportError_(f"{path} decompresses to more than {cap:,} bytes, the limit for this format "
                                   f"(published NATS-Bench cell files are ~326 KB); refused as a decompression bomb")


def _load_pbz2(path: Path) -> Any:
    try:
        raw = _bz2_capped(path, NATS_CELL_MAX_BYTES)
    except ImportError_:
        raise
    except (OSError, ValueError, EOFError) as exc:
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
        with _malformed(f):
            rec = data[str(schedule)]
            idx = _check_arch(int(rec.get("arch_index", int(f.name[:6]))), rec.get("arch_str"), str(f))
            runs = _runs_of_record(rec, dataset, epochs, str(f))
        if runs:
            per_cell[idx] = runs
    meta = _nb201_meta(dataset, schedule, f"NATS-Bench tss simple: {src.name} ({len(files)} cell files)")
    return _assemble(per_cell, epochs, meta)


# -- NAS-Bench-201 .pth --------------------------------------------------------------------------
#: the most pickle data a ``.pth`` may hold: 15,625 cells x 640 KiB, about twice the published
#: per-cell records (both schedules, all datasets: ~326 KB pickled, see NATS_CELL_MAX_BYTES)
PTH_MAX_BYTES = N_CELLS * (640 << 10)
#: torch.save stores ``data.pkl`` uncompressed; a compressed one may expand at most this much
PTH_MAX_RATIO = 20


def _pth_entry(z: zipfile.ZipFile, path: Path) -> zipfile.ZipInfo:
    """The ``data.pkl`` of a torch.save zip, refused if it would expand beyond the caps."""
    infos = [i for i in z.infolist() if i.filename.endswith("/data.pkl") or i.filename == "data.pkl"]
    if not infos:
        raise ImportError_(f"{path} is a zip file but not a torch.save file (no data.pkl)")
    info = infos[0]
    if info.file_size > PTH_MAX_BYTES:
        raise ImportError_(f"{path}: {info.filename} holds {info.file_size:,} bytes, more than the {PTH_MAX_BYTES:,} "
                           f"a NAS-Bench-201 .pth needs; refused")
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > PTH_MAX_RATIO * max(info.compress_size, 1):
        raise ImportError_(f"{path}: {info.filename} expands {info.compress_size:,} compressed bytes to "
                           f"{info.file_size:,} (more than {PTH_MAX_RATIO}x; torch.save stores it uncompressed); "
                           f"refused as a decompression bomb")
    return info  # zipfile reads no more than the declared file_size


def _load_pth(path: Path) -> Any:
    """Read a torch.save file (zip or legacy) with the restricted unpickler, without torch."""
    src = str(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                with z.open(_pth_entry(z, path)) as fh:
                    return RestrictedUnpickler(fh, PTH_ALLOWED, src).load()
        size = path.stat().st_size
        if size > PTH_MAX_BYTES:  # legacy files are not compressed: the unpickler reads the file itself
            raise ImportError_(f"{path} holds {size:,} bytes, more than the {PTH_MAX_BYTES:,} a NAS-Bench-201 .pth "
                               f"needs; refused")
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
    with _malformed(src):
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
#: the second wide layout (CIFAR-100 and ImageNet16-120 side by side): each dataset's column prefix
NB201_WIDE2_PREFIX = {"cifar100": "cifar100", "ImageNet16-120": "imagenet16_120"}
#: (classes, input pixels) of each NAS-Bench-201 dataset's network: what its FLOPs are counted for
NB201_CLASSIFIER = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}
#: the seeds of three-run cells, in the order the wide layouts list them
NB201_SEEDS = (777, 888, 999)
TIDY_REQUIRED = ("seed", "epoch")
TIDY_METRICS = _METRIC_KEYS


def _read_frame(src: Path):
    import pandas as pd

    if not src.exists():
        raise ImportError_(f"no such file: {src}")
    check_regular_file(src, "CSV/Parquet", ImportError_)
    parquet = src.suffix.lower() in (".parquet", ".pq")
    if not parquet:
        _check_csv_rows(src)
    try:
        df = pd.read_parquet(src) if parquet else pd.read_csv(src, index_col=False)
    except ImportError as exc:
        raise ImportError_(f"reading {src} needs an optional package: {exc}") from None
    except Exception as exc:
        raise ImportError_(f"{src} is not a readable CSV/Parquet file ({type(exc).__name__}: {exc})") from None
    bad = [str(c) for c in df.columns if "/" in str(c) or "\\" in str(c) or ".." in str(c)]
    if bad:
        raise ImportError_(f"{src}: column name {bad[0]!r} holds '/', '\\' or '..'; column names are metric "
                           f"and field names (letters, digits, '_')")
    return df


def _check_csv_rows(src: Path) -> None:
    """Every row of the CSV file has as many fields as its header (a longer row would shift its
    columns, a shorter one be padded with NaN); the refusal names the line."""
    import csv

    with open(src, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                raise ImportError_(f"{src}: empty file (a CSV needs a header line)")
            for row in reader:
                if row and len(row) != len(header):
                    raise ImportError_(f"{src}:{reader.line_num}: {len(row)} fields, but the header has "
                                       f"{len(header)}; every row needs one value per column")
        except csv.Error as exc:
            raise ImportError_(f"{src}:{reader.line_num}: not valid CSV ({exc})") from None


def import_csv(src: str | Path, dataset: str | None = None) -> TabularBenchmark:
    """Import a CSV/Parquet file: a wide NAS-Bench-201 layout (detected by its columns) or the tidy
    layout. ``dataset`` picks ``cifar100`` or ``ImageNet16-120`` from the layout that holds both
    (required there); for the tidy layout it is the dataset name to record."""
    src = Path(src)
    df = _read_frame(src)
    if NB201_WIDE_KEY in df.columns:
        if dataset is not None and dataset not in ("cifar10", "cifar10-valid"):
            raise ImportError_(f"{src} is the wide NAS-Bench-201 CIFAR-10 layout: it holds cifar10 only, "
                               f"not {dataset!r}; omit --dataset")
        return _import_nb201_wide(df, src)
    held = [d for d, p in NB201_WIDE2_PREFIX.items() if f"{p}__valid_acc_200ep_per_seed" in df.columns]
    if held:
        return _import_nb201_wide2(df, src, _wide2_dataset(dataset, held, src))
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


def _per_seed(df, column: str, src: Path) -> tuple[np.ndarray, np.ndarray]:
    """A column of per-seed lists (``"[90.1, 90.2, 90.3]"``) as an (n, 3) array padded with NaN,
    and the number of values of each row."""
    if column not in df.columns:
        raise ImportError_(f"{src}: missing column {column} (the wide NAS-Bench-201 layout has it)")
    out = np.full((len(df), len(NB201_SEEDS)), np.nan)
    counts = np.zeros(len(df), dtype=np.int64)
    for r, text in enumerate(df[column].to_numpy()):
        try:
            vals = [float(v) for v in json.loads(text)]
        except (TypeError, ValueError):
            raise ImportError_(f"{src}: row {r}: {column} must be a list like [90.1, 90.2, 90.3], got {text!r}") from None
        if not 1 <= len(vals) <= len(NB201_SEEDS):
            raise ImportError_(f"{src}: row {r}: expected 1 to {len(NB201_SEEDS)} seeds, got {len(vals)}")
        out[r, : len(vals)] = vals
        counts[r] = len(vals)
    return out, counts


def _float_column(df, column: str, src: Path) -> np.ndarray:
    try:
        return df[column].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ImportError_(f"{src}: column {column} must hold numbers") from None


def _run_seeds(counts: np.ndarray) -> np.ndarray:
    """Seeds of the run slots: 777, 888, 999 for three-run cells (listed in that order); -1 where
    the source does not record them (cells with fewer runs)."""
    run_seed = np.full((len(counts), len(NB201_SEEDS)), -1, dtype=np.int64)
    run_seed[counts == len(NB201_SEEDS)] = NB201_SEEDS
    return run_seed


def _unique_indices(df, src: Path) -> np.ndarray:
    idx = _indices_of_frame(df, src)
    if len(np.unique(idx)) != len(idx):
        raise ImportError_(f"{src}: arch_index values repeat; the wide layout has one row per cell")
    return idx


def _nb201_counts(dataset: str, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(params in millions, FLOPs in millions) of ``cells`` for ``dataset``'s NAS-Bench-201 network
    (C=16, N=5, its classes and input size), counted by :mod:`nasbench.training.network`."""
    from ..training.network import count_all  # torch: only when a NAS-Bench-201 layout is imported

    classes, size = NB201_CLASSIFIER[dataset]
    params, flops = count_all(NB201_RECIPE["channels"], NB201_RECIPE["cells_per_stage"], classes, 3, size)
    return params[cells] / 1e6, flops[cells].copy()


def _params_that_differ(published: np.ndarray, computed: np.ndarray, cells: np.ndarray) -> dict[str, float]:
    """The network's own count of the cells whose published count is another (not just rounded)."""
    differ = np.nonzero(np.abs(published - computed) > 1e-5)[0]
    return {str(int(cells[r])): float(computed[r]) for r in differ}


def _params_note(n_differ: int, rounding: str) -> str:
    return (f"params: as published (millions{rounding}); in {n_differ:,} cells the published count is not the "
            "count of the network the arch string describes (it differs by one convolution: the record was "
            "taken from another cell of its NAS-Bench-201 class), and extra['params_computed'] gives the "
            "network's own count for those; flops: counted by nasbench.network from the arch string "
            "(NAS-Bench-201 counting: multiply-adds of convolutions and the classifier)")


def _published_mean_subsets(per_seed: np.ndarray, counts: np.ndarray, published: np.ndarray) -> dict[str, int]:
    """How the published seed-mean column relates to the per-seed lists: cells where it is not
    the mean of all listed runs, and of those, where it is the second run alone (two-run cells) or
    the mean of the first two (three-run cells)."""
    tol = 1e-6  # the published means carry 8 decimals, truncated
    full = np.nanmean(per_seed, axis=1)
    differs = np.abs(published - full) > tol
    second = differs & (counts == 2) & (np.abs(published - per_seed[:, 1]) <= tol)
    first_two = differs & (counts == 3) & (np.abs(published - per_seed[:, :2].mean(axis=1)) <= tol)
    return {"differs": int(differs.sum()), "second_run_only": int(second.sum()),
            "first_two_runs": int(first_two.sum()), "other": int((differs & ~second & ~first_two).sum())}


def _runs_note(counts: np.ndarray) -> str:
    two = {int(k): int((counts == k).sum()) for k in (1, 2)}
    fewer = " and ".join(f"{v:,} list {'two' if k == 2 else 'one'}" for k, v in sorted(two.items(), reverse=True) if v)
    return (f"{int((counts == 3).sum()):,} cells list three runs (seeds 777, 888, 999 in that order)"
            + (f", {fewer}, whose seeds the source does not record (run_seed -1)" if fewer else ""))


def _import_nb201_wide(df, src: Path) -> TabularBenchmark:
    """The wide NAS-Bench-201 CIFAR-10 table: 200-epoch results and the 12-epoch schedule.

    ``valid_acc`` = cifar10-valid validation accuracy per seed (slots 777, 888, 999; two-seed
    cells, whose seeds are not recorded, fill two slots with seed -1); ``valid_acc_published_mean``
    = the source's own mean column (kept because in some cells it is a mean over fewer runs);
    ``test_acc`` = NAS-Bench-201's reported CIFAR-10 test accuracy (trained on all 50k, seed mean);
    ``valid_test_acc`` = test accuracy of the cifar10-valid runs (seed mean); ``valid_acc_s12`` and
    ``test_acc_s12`` = final results of the separate 12-epoch schedule; ``time`` = recorded
    200-epoch training seconds; ``params`` as published, ``flops`` counted; seven latencies.
    """
    idx = _unique_indices(df, src)
    n = len(idx)
    valid, counts = _per_seed(df, NB201_WIDE_KEY, src)
    col = lambda name: _float_column(df, name, src).reshape(n, 1, 1)  # noqa: E731
    metrics = {"valid_acc": valid[:, :, None]}
    mean_only = []
    for name, column in (("valid_acc_published_mean", "cifar10_valid__valid_acc_200ep_mean"),
                         ("test_acc", "cifar10__test_acc_200ep_mean"),
                         ("valid_test_acc", "cifar10_valid__test_acc_200ep_mean"),
                         ("valid_acc_s12", "cifar10_valid__valid_acc_12ep"),
                         ("test_acc_s12", "cifar10__test_acc_12ep"),
                         ("time", "cifar10_valid__train_time_s_200ep")):
        if column in df.columns:
            metrics[name] = col(column)
            mean_only.append(name)
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    arch_row[idx] = np.arange(n)
    latency = {c.removeprefix("latency_ms__"): _float_column(df, c, src)
               for c in df.columns if c.startswith("latency_ms__")}
    computed, flops = _nb201_counts("cifar10", idx)
    params = _float_column(df, "params_mb", src) if "params_mb" in df.columns else computed
    differ = _params_that_differ(params, computed, idx)
    notes = [
        "valid_acc: cifar10-valid validation accuracy after 200 epochs per seed (trained on 25k, validated on "
        f"the other 25k); {_runs_note(counts)}",
        "test_acc: NAS-Bench-201's 'cifar10' test accuracy (trained on all 50k; seed mean, as published); "
        "valid_test_acc: test accuracy of the cifar10-valid runs (seed mean, as published); valid_acc_s12, "
        "test_acc_s12: final results of the separate 12-epoch schedule (seed means); time: recorded 200-epoch "
        "training seconds (one per cell); latency: ms per device",
        _params_note(len(differ), ", 6 decimals") if "params_mb" in df.columns else
        "params, flops: counted by nasbench.network from the arch string",
    ]
    if "valid_acc_published_mean" in metrics:
        q = _published_mean_subsets(valid, counts, metrics["valid_acc_published_mean"][:, 0, 0])
        notes.append(
            f"valid_acc_published_mean: the source's mean column. In {q['differs']:,} cells it is not the mean of "
            f"the listed runs: in {q['second_run_only']:,} two-run cells it is the second run alone, in "
            f"{q['first_two_runs']:,} three-run cells the mean of the first two (seeds 777, 888)"
            + (f", in {q['other']:,} neither" if q["other"] else "")
            + "; it was taken over fewer runs than the list holds. The table's seed mean (query seed='mean') "
            "is the mean of all listed runs. The published valid_test_acc of those cells appears to come from the "
            "same fewer runs (it tracks the published mean more closely than the mean of all runs)")
    meta = TableMeta(
        space="nb201", dataset="cifar10", split_sizes={"train": 25000, "valid": 25000, "test": 10000},
        recipe=dict(NB201_RECIPE, epochs=200), code_version=code_version(),
        source=f"NAS-Bench-201 CIFAR-10 wide CSV: {src.name}",
        notes="; ".join(notes),
        extra={"metric_units": "percent", "params_unit": "M", "flops_unit": "M",
               "flops_network": {"C": 16, "N": 5, "classes": 10, "input": 32}, "params_computed": differ},
    )
    return TabularBenchmark(meta=meta, arch_row=arch_row, row_arch=idx, seeds=np.array(NB201_SEEDS),
                            epochs=np.array([200]), metrics=metrics, run_seed=_run_seeds(counts),
                            mean_only=mean_only, params=params, flops=flops, latency=latency)


def _wide2_dataset(dataset: str | None, held: list[str], src: Path) -> str:
    if dataset is None:
        raise ImportError_(f"{src} holds NAS-Bench-201 results of {' and '.join(held)}: choose one with "
                           f"--dataset (allowed: {', '.join(held)})")
    by_lower = {d.lower(): d for d in held}
    if dataset.lower() not in by_lower:
        raise ImportError_(f"{src} holds no {dataset!r} results; allowed --dataset: {', '.join(held)}")
    return by_lower[dataset.lower()]


def _import_nb201_wide2(df, src: Path, dataset: str) -> TabularBenchmark:
    """One dataset of the wide NAS-Bench-201 CIFAR-100 / ImageNet16-120 table (200 epochs).

    ``valid_acc`` = ``x-valid`` per seed (the first half of the official test set); ``valtest_acc`` =
    ``ori-test`` per seed (the whole test set); ``test_acc`` = ``x-test`` per seed (the second half),
    derived as ``2 * valtest_acc - valid_acc`` (equal halves) and rounded to 4 decimals, the
    source's precision; ``time`` = recorded 200-epoch training seconds; ``params`` as published,
    ``flops`` counted for the dataset's network.
    """
    p = NB201_WIDE2_PREFIX[dataset]
    idx = _unique_indices(df, src)
    n = len(idx)
    valid, counts = _per_seed(df, f"{p}__valid_acc_200ep_per_seed", src)
    valtest, counts_vt = _per_seed(df, f"{p}__valtest_acc_200ep_per_seed", src)
    if (counts != counts_vt).any():
        r = int(np.nonzero(counts != counts_vt)[0][0])
        raise ImportError_(f"{src}: row {r}: {counts[r]} {p} validation values but {counts_vt[r]} valtest values; "
                           "each run has both")
    test = np.round(2.0 * valtest - valid, 4)
    metrics = {"valid_acc": valid[:, :, None], "test_acc": test[:, :, None], "valtest_acc": valtest[:, :, None]}
    mean_only = []
    if f"{p}__train_time_s_200ep" in df.columns:
        metrics["time"] = _float_column(df, f"{p}__train_time_s_200ep", src).reshape(n, 1, 1)
        mean_only.append("time")
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    arch_row[idx] = np.arange(n)
    computed, flops = _nb201_counts(dataset, idx)
    has_params = f"{p}__params_mb" in df.columns
    params = _float_column(df, f"{p}__params_mb", src) if has_params else computed
    differ = _params_that_differ(params, computed, idx)
    splits = NB201_SPLITS[dataset]
    classes, size = NB201_CLASSIFIER[dataset]
    notes = [
        f"valid_acc: x-valid after 200 epochs per seed (the first {splits['valid']:,} images of the official test "
        f"set); test_acc: x-test per seed (the other {splits['test']:,}), derived as 2 * valtest_acc - valid_acc "
        "and rounded to 4 decimals; valtest_acc: ori-test per seed (the whole test set); trained on the full "
        f"training set ({splits['train']:,} images); {_runs_note(counts)}",
        "time: recorded 200-epoch training seconds (one per cell)",
        _params_note(len(differ), ", 6 significant digits") if has_params else
        "params, flops: counted by nasbench.network from the arch string",
    ]
    meta = TableMeta(
        space="nb201", dataset=dataset, split_sizes=splits, recipe=dict(NB201_RECIPE, epochs=200),
        code_version=code_version(), source=f"NAS-Bench-201 / NATS-Bench {dataset} wide CSV: {src.name}",
        notes="; ".join(notes),
        extra={"metric_units": "percent", "params_unit": "M", "flops_unit": "M",
               "flops_network": {"C": 16, "N": 5, "classes": classes, "input": size}, "params_computed": differ},
    )
    return TabularBenchmark(meta=meta, arch_row=arch_row, row_arch=idx, seeds=np.array(NB201_SEEDS),
                            epochs=np.array([200]), metrics=metrics, run_seed=_run_seeds(counts),
                            mean_only=mean_only, params=params, flops=flops)


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
        arr[row_of, seed_of, epoch_of] = _finite_column(df, c, src)
        metrics[c] = arr
    run_seed = np.full((len(cells), len(seeds)), -1, dtype=np.int64)
    run_seed[row_of, seed_of] = seeds[seed_of]
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    arch_row[cells] = np.arange(len(cells))

    def per_row(col: str) -> np.ndarray:
        """A per-cell column (params, flops, latency): one value per cell, NaN where not given."""
        v = _finite_column(df, col, src)
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


def _finite_column(df, col: str, src: Path) -> np.ndarray:
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
