"""The content hash of a table: what its file's `sha256` attribute holds.

`compute_sha256` hashes every array (name, dtype, shape, little-endian C-order bytes,
sorted by name) and the metadata attributes as stored; `table_sha256` is the hash a table
in memory would carry in its file. `nasbench.tables.hdf5` (the file) and
`nasbench.tables.tabular.TabularBenchmark` (in memory) both use it; it imports neither.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from .fileformat import hash_arrays, new_hash
from .meta import TableMeta

FORMAT = "nasbench-table"
FORMAT_VERSION = 1
META_ATTRS = ("space", "dataset", "split_sizes", "recipe", "code_version", "source", "notes", "extra")
JSON_ATTRS = ("split_sizes", "recipe", "extra")


def arrays_of(bench: Any) -> dict[str, np.ndarray]:
    """Every array of a table's file (`bench`: a `TabularBenchmark`), by its HDF5 path, in
    the dtypes they are stored with.

    Args:
        bench: the `TabularBenchmark`.

    Returns:
        HDF5 path -> array.
    """
    out: dict[str, np.ndarray] = {
        "arch_row": bench.arch_row.astype(np.int32),
        "row_arch": bench.row_arch.astype(np.int32),
        "seeds": bench.seeds.astype(np.int64),
        "epochs": bench.epochs.astype(np.int32),
        "run_seed": bench.run_seed.astype(np.int64),
    }
    for k, v in bench.metrics.items():
        out[f"metrics/{k}"] = v.astype(np.float64)
    if bench.params is not None:
        out["params"] = bench.params.astype(np.float64)
    if bench.flops is not None:
        out["flops"] = bench.flops.astype(np.float64)
    for k, v in bench.latency.items():
        out[f"latency/{k}"] = v.astype(np.float64)
    for k, v in bench.proxies.items():
        out[f"proxies/{k}"] = v.astype(np.float64)
    for k, v in bench.proxy_seconds.items():
        out[f"proxy_seconds/{k}"] = v.astype(np.float64)
    return out


def meta_attrs(meta: TableMeta) -> dict[str, str]:
    """The metadata as the file's text attributes (the mappings as sorted-key JSON).

    Args:
        meta: the table's metadata.

    Returns:
        attribute name -> text.
    """
    attrs = {}
    for k in META_ATTRS:
        v = getattr(meta, k)
        attrs[k] = json.dumps(v, sort_keys=True) if k in JSON_ATTRS else str(v)
    return attrs


def compute_sha256(arrays: dict[str, np.ndarray], attrs: dict[str, str], mean_only: list[str]) -> str:
    """SHA-256 over every array (name, dtype, shape, little-endian C-order bytes, sorted by
    name) and the metadata attributes (sorted by name).

    Args:
        arrays: HDF5 path -> array, as `arrays_of` gives.
        attrs: attribute name -> text, as `meta_attrs` gives.
        mean_only: the metrics stored as seed means only.

    Returns:
        The hex digest.
    """
    h = new_hash(FORMAT, FORMAT_VERSION)
    hash_arrays(h, arrays)
    for name in sorted(attrs):
        h.update(f"{name}={attrs[name]}\n".encode())
    h.update(("mean_only=" + ",".join(sorted(mean_only))).encode())
    return h.hexdigest()


def table_sha256(bench: Any) -> str:
    """The hash `bench` (a `TabularBenchmark`) would carry in its file.

    Args:
        bench: the `TabularBenchmark`.

    Returns:
        The hex digest.
    """
    return compute_sha256(arrays_of(bench), meta_attrs(bench.meta), sorted(bench.mean_only))
