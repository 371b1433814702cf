"""The HDF5 table file: writing, reading with checks, and verifying the stored hash.

One file holds one search space x one dataset x one training recipe; the schema is in the file
format reference (`docs/reference/file-format.md`), and everything can be read with h5py alone.
`read_table` refuses, with a one-line `TableError`, a file it cannot serve as stored: a missing
or non-HDF5 file, a truncated one, another format version, arrays beyond the size caps or whose
shapes disagree, or content whose SHA-256 differs from the stored one (unless the check is off).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..util.atomic import atomic_h5
from .table_hash import (FORMAT, FORMAT_VERSION, JSON_ATTRS, META_ATTRS, arrays_of,  # noqa: F401
                         compute_sha256, meta_attrs)
from .meta import TableMeta
from .tabular import TabularBenchmark
from ..util.limits import MAX_TABLE_BYTES, check_array_size
from ..util.parsing import parse_json
from ..space import N_CELLS
from .fileformat import (NO_VERIFY_ENV, HashMismatchWarning, TableError, check_hash, file_format,  # noqa: F401
                         first_line as _first_line, open_hdf5, verify_hash_default)

_META_ATTRS, _JSON_ATTRS = META_ATTRS, JSON_ATTRS
_arrays_of, _meta_attrs = arrays_of, meta_attrs  # table_hash's helpers, also importable from here


def code_version() -> str:
    """The code version a file records.

    Returns:
        `nasbench <version>`.
    """
    return f"nasbench {__version__}"


# -- writing ---------------------------------------------------------------------------
def write_table(path: str | os.PathLike, bench: TabularBenchmark) -> str:
    """Write a table to a file atomically.

    The file is written to a temporary file, then renamed, so that an interrupted write never
    leaves a half-written table behind.

    Args:
        path: the file to write (replaced where it exists).
        bench: the table.

    Returns:
        The SHA-256 stored in the file.
    """
    arrays = _arrays_of(bench)
    attrs = _meta_attrs(bench.meta)
    mean_only = sorted(bench.mean_only)
    digest = compute_sha256(arrays, attrs, mean_only)
    with atomic_h5(path) as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = FORMAT_VERSION
        for k, v in attrs.items():
            f.attrs[k] = v
        f.attrs["mean_only"] = json.dumps(mean_only)
        f.attrs["sha256"] = digest
        for name, a in arrays.items():
            f.create_dataset(name, data=a)
        for k in mean_only:
            f[f"metrics/{k}"].attrs["mean_only"] = 1
    return digest


# -- reading ---------------------------------------------------------------------------
def _open(path: str | os.PathLike):
    return open_hdf5(path, "table")


def _check_header(f, p: Path) -> None:
    fmt = f.attrs.get("format")
    if fmt != FORMAT:
        raise TableError(f"{p} is an HDF5 file but not a nasbench table (format={fmt!r}, expected {FORMAT!r})")
    ver = f.attrs.get("format_version")
    if not _is_int_scalar(ver) or int(ver) != FORMAT_VERSION:
        raise TableError(
            f"{p} has table format version {ver}; this nasbench ({__version__}) reads version {FORMAT_VERSION}"
        )


def _text_attrs(f, p: Path) -> dict[str, str]:
    """The metadata attributes, each stored as text (an array or a number where text belongs is refused)."""
    out = {}
    for k in _META_ATTRS:
        if k in f.attrs:
            v = f.attrs[k]
            if isinstance(v, bytes):
                v = v.decode("utf-8", errors="replace")
            if not isinstance(v, str):
                raise TableError(f"{p}: attribute {k} must be text, got {type(v).__name__}")
            out[k] = v
    return out


def _is_int_scalar(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


#: the dimensions of each array, by HDF5 path (a prefix ending in "/": every array under it):
#: "n" rows, "s" seeds, "e" epochs, "N" every cell of the space
_SHAPES = {"arch_row": ("N",), "row_arch": ("n",), "seeds": ("s",), "epochs": ("e",), "run_seed": ("n", "s"),
           "metrics/": ("n", "s", "e"), "params": ("n",), "flops": ("n",), "latency/": ("n",), "proxies/": ("n",),
           "proxy_seconds/": ("n",)}


def _check_shapes(datasets: dict[str, Any], p: Path) -> None:
    """Check the declared shapes from the HDF5 headers, before any array is read.

    Every array's declared shape has the layout's dimensions (rows x seeds x epochs for a metric;
    at most one row per cell), and no array (nor all of them together) is beyond the size caps of
    `nasbench.util.limits`. That the sizes agree with each other is checked once read
    (`TabularBenchmark`).
    """
    total = 0
    for name, obj in datasets.items():
        check_array_size(tuple(obj.shape), obj.dtype.itemsize, f"{p}: array {name!r}", TableError)
        total += int(np.prod(obj.shape, dtype=np.float64)) * obj.dtype.itemsize
    if total > MAX_TABLE_BYTES:
        raise TableError(f"{p}: its arrays declare {total:,} bytes together, beyond the maximum of "
                         f"{MAX_TABLE_BYTES:,} bytes of a table")
    for name, obj in datasets.items():
        want = next((v for k, v in _SHAPES.items() if name == k or (k.endswith("/") and name.startswith(k))), None)
        if want is None:
            continue
        rows = obj.shape[0] if obj.shape else 0
        if len(obj.shape) != len(want) or (want[0] in "Nn" and rows > N_CELLS):
            raise TableError(f"{p}: array {name!r} declares shape {tuple(obj.shape)}; the layout's is "
                             f"({' x '.join(_DIM_NAMES[d] for d in want)}) with at most {N_CELLS:,} rows")


_DIM_NAMES = {"N": "cells", "n": "rows", "s": "seeds", "e": "epochs"}


def _read_arrays(f, p: Path) -> dict[str, np.ndarray]:
    datasets: dict[str, Any] = {}

    def visit(name: str, obj: Any) -> None:
        if hasattr(obj, "shape") and hasattr(obj, "dtype"):
            if obj.dtype.kind not in "biuf":
                raise ValueError(f"array {name!r} holds {obj.dtype}, not numbers")
            datasets[name] = obj

    f.visititems(visit)
    _check_shapes(datasets, p)
    return {name: obj[()] for name, obj in datasets.items()}


@dataclass(frozen=True)
class _Contents:
    """Everything a table file holds, as stored."""

    arrays: dict[str, np.ndarray]
    attrs: dict[str, str]
    mean_only: list[str]
    sha256: str


def _read_contents(p: Path) -> _Contents:
    with _open(p) as f:
        _check_header(f, p)
        try:
            contents = _Contents(
                arrays=_read_arrays(f, p),
                attrs=_text_attrs(f, p),
                mean_only=parse_json(str(f.attrs.get("mean_only", "[]")), f"{p}: attribute mean_only", TableError),
                sha256=str(f.attrs.get("sha256", "")),
            )
        except TableError:
            raise
        except (OSError, KeyError, ValueError) as exc:
            raise TableError(f"{p} is truncated or corrupt ({_first_line(exc)})") from None
    if not (isinstance(contents.mean_only, list) and all(isinstance(m, str) for m in contents.mean_only)):
        raise TableError(f"{p}: attribute mean_only must be a list of metric names, got {contents.mean_only!r:.60}")
    return contents


def read_table(path: str | os.PathLike, name: str = "", verify: bool | None = None) -> TabularBenchmark:
    """Read a table file into memory.

    Args:
        path: the table file.
        name: the table's name; "": the file's stem.
        verify: check the stored SHA-256; False loads a mismatching file anyway, with a
            `HashMismatchWarning`; None: check unless `$NASBENCH_NO_VERIFY_HASH=1`.

    Returns:
        The table; its `sha256` is always the recomputed hash, `stored_sha256` the file's.

    Raises:
        TableError: a one-line message for a missing file, a file that is not HDF5, a truncated
            file, another format version, arrays that do not agree (an `arch_row` pointing past
            the rows, ...) or content whose SHA-256 differs from the stored one.
    """
    p = Path(path)
    c = _read_contents(p)
    computed = compute_sha256(c.arrays, c.attrs, c.mean_only)
    check_hash(p, c.sha256, computed, verify)
    bench = _bench_from(c.arrays, c.attrs, c.mean_only, computed, name or p.stem, p)
    bench.stored_sha256 = c.sha256
    return bench


def _bench_from(arrays: dict[str, np.ndarray], attrs: dict[str, str], mean_only: list[str],
                digest: str, name: str, p: Path) -> TabularBenchmark:
    missing = [k for k in ("arch_row", "row_arch", "seeds", "epochs", "run_seed") if k not in arrays]
    if missing:
        raise TableError(f"{p} lacks the required array(s) {', '.join(missing)}")
    for k in ("arch_row", "row_arch", "seeds", "epochs", "run_seed"):
        if arrays[k].dtype.kind not in "iu":
            raise TableError(f"{p} is inconsistent: {k} must hold integers, it holds {arrays[k].dtype}")
    meta_kwargs: dict[str, Any] = {}
    for k in _META_ATTRS:
        v = attrs.get(k, "{}" if k in _JSON_ATTRS else "")
        meta_kwargs[k] = parse_json(v, f"{p}: attribute {k}", TableError) if k in _JSON_ATTRS else v
    meta = TableMeta.from_dict(meta_kwargs, str(p), TableError)
    metrics = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("metrics/")}
    latency = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("latency/")}
    proxies = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("proxies/")}
    proxy_seconds = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("proxy_seconds/")}
    try:
        return TabularBenchmark(
            meta=meta, arch_row=arrays["arch_row"], row_arch=arrays["row_arch"], seeds=arrays["seeds"],
            epochs=arrays["epochs"], metrics=metrics, run_seed=arrays["run_seed"], mean_only=mean_only,
            params=arrays.get("params"), flops=arrays.get("flops"), latency=latency, name=name, sha256=digest,
            proxies=proxies, proxy_seconds=proxy_seconds,
        )
    except ValueError as exc:
        raise TableError(f"{p} is inconsistent: {exc}") from None


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `verify_table`.

    Attributes:
        path: the file.
        stored: the SHA-256 the file states ("" where none).
        computed: the SHA-256 of its content.
    """

    path: str
    stored: str
    computed: str

    @property
    def ok(self) -> bool:
        """Whether the file states a hash and its content matches it."""
        return bool(self.stored) and self.stored == self.computed


def verify_table(path: str | os.PathLike) -> VerifyResult:
    """Recompute the SHA-256 of a table's arrays and metadata and compare it with the stored one.

    Where they match, the layout is checked too, as on load, so that an OK file also loads.

    Args:
        path: the table file.

    Returns:
        The stored and the computed hash.

    Raises:
        TableError: a file that cannot be read as a table, or whose hash matches but whose layout
            is inconsistent.
    """
    p = Path(path)
    c = _read_contents(p)
    res = VerifyResult(str(p), c.sha256, compute_sha256(c.arrays, c.attrs, c.mean_only))
    if res.ok:
        _bench_from(c.arrays, c.attrs, c.mean_only, res.computed, p.stem, p)
    return res
