"""Where embedded tables live and how a name or path becomes a benchmark."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .benchmark import Benchmark

DATA_DIR_ENV = "NASBENCH_DATA"


def data_dirs() -> list[Path]:
    """Folders searched for embedded tables: $NASBENCH_DATA (if set), then the repository's data/
    (a source checkout or an editable install), then the tables a wheel installs as nasbench/data/."""
    dirs = []
    if os.environ.get(DATA_DIR_ENV):
        dirs.append(Path(os.environ[DATA_DIR_ENV]))
    package = Path(__file__).resolve().parents[1]  # nasbench/
    installed = package / "data"  # only a wheel has it; a checkout keeps the tables beside the package
    dirs.append(installed if installed.is_dir() else package.parent / "data")
    return dirs


def embedded_names() -> list[str]:
    names: set[str] = set()
    for d in data_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.h5"))
    return sorted(names)


def resolve(name_or_path: str | os.PathLike) -> Path:
    """A path as given if it exists or looks like a path; else an embedded table by name."""
    from .hdf5 import TableError

    s = str(name_or_path)
    p = Path(s)
    if p.exists() or os.sep in s or s.endswith((".h5", ".hdf5")):
        return p
    for d in data_dirs():
        cand = d / f"{s}.h5"
        if cand.exists():
            return cand
    names = embedded_names()
    from ..util.suggest import did_you_mean

    raise TableError(
        f"no table named {s!r} and no such file; embedded tables: {', '.join(names) if names else '(none built yet)'}"
        f"{did_you_mean(s, names)}"
    )


def load(name_or_path: str | os.PathLike, verify: bool | None = None) -> "Benchmark":
    """Load a benchmark -- the one entry point for every kind of source: an embedded table by
    name (``nb201-fashion-mnist``), a table or surrogate-benchmark file of this project's formats
    (the kind is read from the file's ``format`` attribute), or a NAS-Bench-201 results CSV
    (imported on the fly; it carries no hash to check). The file's SHA-256 is recomputed and a
    mismatch refused; ``verify=False`` (or ``$NASBENCH_NO_VERIFY_HASH=1`` when ``verify`` is None)
    loads it anyway, with a warning, for forensic use."""
    from .hdf5 import FORMAT, file_format, read_table

    if str(name_or_path).lower().endswith(".csv"):
        from .importers import import_csv

        return import_csv(name_or_path)
    p = resolve(name_or_path)
    fmt = file_format(p)
    if fmt == FORMAT or fmt == "":
        return read_table(p, name=p.stem, verify=verify)
    if fmt == "nasbench-surrogate":
        from surrogates.benchmark import load_surrogate_benchmark  # optional second package

        return load_surrogate_benchmark(p, verify=verify)
    from .hdf5 import TableError

    raise TableError(f"{p} has unknown format {fmt!r}; expected a nasbench table or surrogate benchmark")


def source_table_of(name_or_path: str | os.PathLike, metrics: tuple[str, ...] = ()) -> str | None:
    """The table a surrogate-benchmark file was fitted on, read from its manifest (no models are
    loaded), when it models every one of ``metrics``; None for anything else (a table, a name, a
    missing or unreadable file, an older surrogate file that does not record it).

    Args:
        name_or_path: what a config's ``table`` names.
        metrics: metrics the surrogate must model for the answer to count.

    Returns:
        The source table's name, or None.
    """
    from .fileformat import TableError, file_format

    p = Path(str(name_or_path))
    try:
        if not p.is_file() or file_format(p) != "nasbench-surrogate":
            return None
        from surrogates.surrogate_file import surrogate_source  # optional second package

        src = surrogate_source(p)
    except (OSError, ImportError, TableError):  # loading the table reports what is wrong with it
        return None
    if not src.table or not set(metrics) <= set(src.metrics):
        return None
    return src.table
