"""The surrogate-benchmark file: writing (`save_surrogate`, what
`SurrogateBenchmark.save` does), reading (`load_surrogate`, what
`surrogates.benchmark.load_surrogate_benchmark` and so `nasbench.load` do for this kind) and
the hash. It reads into the benchmark's constructor arguments and imports no benchmark class (the
benchmark module imports it). The format is described in
`surrogates.benchmark`; the HDF5 and hash helpers are shared with tables
(`nasbench.tables.fileformat`)."""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from nasbench.tables.benchmark import TableMeta
from nasbench.tables.fileformat import check_hash, first_line, hash_arrays, new_hash
from nasbench.util.limits import MAX_TABLE_BYTES, check_array_size
from nasbench.util.parsing import parse_json

from .base import SurrogateRegressor
from .config import _FINGERPRINT_CELLS, FORMAT, FORMAT_VERSION, SurrogateConfig, SurrogateFileError, _key
from .encodings import ops_of
from .registry import _from_json, _jsonable, from_spec, spec_of


def _collect(self: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays: dict[str, np.ndarray] = {"train_cells": self.train_cells.astype(np.int64)}
    entries: dict[str, Any] = {}

    def put(name: str, est: SurrogateRegressor | None) -> None:
        if est is None:
            entries[name] = None
            return
        info, arr = est.get_state()
        fp = np.asarray(est.predict(self._X[_FINGERPRINT_CELLS]), dtype=np.float64)
        entries[name] = {"spec": spec_of(est), "state": info, "fingerprint": fp.tolist()}
        for k, v in arr.items():
            arrays[f"{name}/{k}"] = np.ascontiguousarray(v)

    for key, est in self.models.items():
        put(f"model/{key}", est)
        put(f"noise/{key}", self.noise_models.get(key))
    put("runtime", self.runtime)
    manifest = {
        "name": self.name,
        "meta": dataclasses.asdict(self.meta),
        "config": {**dataclasses.asdict(self.config),
                   "model_params": {k: _jsonable(v) for k, v in self.config.model_params.items()}},
        "seeds": self.seeds.tolist(),
        "epochs": self.epochs.tolist(),
        "metrics": list(self._metrics),
        "mean_only": sorted(self.mean_only),
        "noise_scale": self.noise_scale,
        "time_epoch": self.time_epoch,
        "source_sha256": self.source_sha256,
        "source_table": self.source_table,
        "entries": entries,
    }
    return manifest, arrays


def save_surrogate(self: Any, path: str | os.PathLike) -> str:
    """Write a fitted surrogate benchmark to `path` (HDF5, atomically).

    Args:
        self: the `SurrogateBenchmark`.
        path: the file to write.

    Returns:
        Its SHA-256.
    """
    from nasbench._version import __version__
    from nasbench.util.atomic import atomic_h5

    manifest, arrays = _collect(self)
    manifest["code_version"] = f"nasbench {__version__}"
    text = json.dumps(manifest, sort_keys=True)
    digest = _digest(text, arrays)
    with atomic_h5(path) as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["manifest"] = text
        f.attrs["sha256"] = digest
        g = f.create_group("arrays")
        for k, v in arrays.items():
            g.create_dataset(k, data=v)
    self.sha256 = self.stored_sha256 = digest
    return digest


def _digest(manifest_text: str, arrays: dict[str, np.ndarray]) -> str:
    h = new_hash(FORMAT, FORMAT_VERSION)
    h.update(manifest_text.encode())
    hash_arrays(h, arrays, lead="\n")
    return h.hexdigest()


def load_surrogate(path: str | os.PathLike, verify: bool | None, build: Callable[..., Any]) -> Any:
    """Read a file written by `SurrogateBenchmark.save` into `build` (the benchmark class,
    called with its constructor's arguments). One-line `SurrogateFileError`
    for a missing or non-HDF5 file, another format or version, a wrong hash, or models that do not
    reproduce their saved predictions. `verify=False` (or `$NASBENCH_NO_VERIFY_HASH=1` when
    `verify` is None) loads a file with a wrong hash anyway, with a warning (forensic use); the
    result's `sha256` is always the recomputed hash, `stored_sha256` the file's.

    Args:
        path: the file.
        verify: check the hash (None: unless `$NASBENCH_NO_VERIFY_HASH=1`).
        build: the benchmark class.

    Returns:
        The benchmark `build` made.

    Raises:
        SurrogateFileError: see above.
    """
    import h5py

    from nasbench.tables.fileformat import open_hdf5

    p = Path(path)
    f = open_hdf5(p, "surrogate benchmark", SurrogateFileError)
    try:
        with f:
            fmt = str(f.attrs.get("format", ""))
            if fmt != FORMAT:
                raise SurrogateFileError(f"{p} is not a surrogate benchmark (format={fmt!r}, expected {FORMAT!r})")
            ver = f.attrs.get("format_version")
            if not isinstance(ver, (int, np.integer)) or int(ver) != FORMAT_VERSION:
                raise SurrogateFileError(
                    f"{p} has surrogate format version {ver}; this nasbench reads version {FORMAT_VERSION}")
            text = str(f.attrs["manifest"])
            stored = str(f.attrs.get("sha256", ""))
            datasets: dict[str, Any] = {}
            f["arrays"].visititems(lambda n, o: datasets.__setitem__(n, o) if isinstance(o, h5py.Dataset) else None)
            _check_sizes(datasets, p)
            arrays = {n: o[()] for n, o in datasets.items()}
    except SurrogateFileError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise SurrogateFileError(f"{p} is truncated or corrupt ({first_line(exc)})") from None
    computed = _digest(text, arrays)
    check_hash(p, stored, computed, verify, what="surrogate file", error=SurrogateFileError)
    m = parse_json(text, f"{p}: manifest", SurrogateFileError)
    try:
        sb = _from_manifest(m, arrays, p, computed, build)
        sb.stored_sha256 = stored
        return sb
    except SurrogateFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError) as exc:
        # a model's library (numpy, torch, xgboost, ...) given weights of the wrong shape or kind
        raise SurrogateFileError(f"{p} has an inconsistent manifest or model weights ({type(exc).__name__}: "
                                 f"{first_line(exc)})") from None


def _check_sizes(datasets: dict[str, Any], p: Path) -> None:
    """No array of the file (nor all of them together) is beyond the caps of `nasbench.util.limits`,
    from the declared shapes, before reading."""
    total = 0
    for name, obj in datasets.items():
        check_array_size(tuple(obj.shape), obj.dtype.itemsize, f"{p}: array {name!r}", SurrogateFileError)
        total += int(np.prod(obj.shape, dtype=np.float64)) * obj.dtype.itemsize
    if total > MAX_TABLE_BYTES:
        raise SurrogateFileError(f"{p}: its arrays declare {total:,} bytes together, beyond the maximum of "
                                 f"{MAX_TABLE_BYTES:,} bytes")


def _from_manifest(m: dict[str, Any], arrays: dict[str, np.ndarray], p: Path, digest: str,
                   build: Callable[..., Any]) -> Any:
    X_fp = ops_of(_FINGERPRINT_CELLS)

    def get(name: str) -> SurrogateRegressor | None:
        entry = m["entries"].get(name)
        if entry is None:
            return None
        est = from_spec(entry["spec"])
        pre = name + "/"
        est.set_state(entry["state"], {k[len(pre):]: v for k, v in arrays.items() if k.startswith(pre)})
        fp = np.asarray(est.predict(X_fp), dtype=np.float64)
        if not np.allclose(fp, entry["fingerprint"], rtol=1e-5, atol=1e-5):
            raise SurrogateFileError(f"{p}: model {name!r} does not reproduce its saved predictions "
                                     f"(library versions differ?); refit the surrogate")
        return est

    cfg = m["config"]
    cfg["metrics"] = tuple(cfg["metrics"]) if cfg.get("metrics") else None
    cfg["epochs"] = tuple(cfg["epochs"]) if cfg.get("epochs") else None
    cfg["model_params"] = {k: _from_json(v) for k, v in cfg["model_params"].items()}
    config = SurrogateConfig(**cfg)
    keys = [_key(mt, e) for mt in m["metrics"] for e in m["epochs"]]
    models = {k: get(f"model/{k}") for k in keys}
    noise = {k: get(f"noise/{k}") for k in keys}
    meta = TableMeta.from_dict(m["meta"], str(p), SurrogateFileError)
    return build(meta, config, np.array(m["seeds"]), np.array(m["epochs"]), models,
                 noise, {k: float(v) for k, v in m["noise_scale"].items()}, m["mean_only"],
                 get("runtime"), m["time_epoch"], arrays["train_cells"], name=m["name"],
                 source_sha256=m.get("source_sha256", ""), sha256=digest,
                 source_table=str(m.get("source_table", "")))


@dataclasses.dataclass(frozen=True)
class SurrogateSource:
    """What a surrogate file says of its origin, read without loading its models.

    Attributes:
        table: the name of the table it was fitted on ("" where the file does not record it).
        metrics: the metrics it models.
    """

    table: str
    metrics: tuple[str, ...]


def surrogate_source(path: str | os.PathLike) -> SurrogateSource:
    """The origin recorded in a surrogate file's manifest (no hash check, no models loaded).

    Args:
        path: a file written by `SurrogateBenchmark.save`.

    Returns:
        The source table's name and the modelled metrics.

    Raises:
        SurrogateFileError: not a readable surrogate file.
    """
    from nasbench.tables.fileformat import first_line, open_hdf5

    p = Path(path)
    try:
        with open_hdf5(p, "surrogate benchmark", SurrogateFileError) as f:
            if str(f.attrs.get("format", "")) != FORMAT:
                raise SurrogateFileError(f"{p} is not a surrogate benchmark")
            m = json.loads(str(f.attrs["manifest"]))
        return SurrogateSource(str(m.get("source_table", "")), tuple(str(x) for x in m.get("metrics", ())))
    except SurrogateFileError:
        raise
    except (OSError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise SurrogateFileError(f"{p} is truncated or corrupt ({first_line(exc)})") from None
