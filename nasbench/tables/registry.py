"""Where embedded tables live and how a name or path becomes a benchmark.

`load` reads tables itself; another kind of benchmark file (a surrogate benchmark, say) is read
by the `FileFormat` registered under the file's `format` attribute, either by `register_format`
or through the entry-point group `nasbench.file_formats`, so that this module never imports the
packages that add formats.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable

from ..util.suggest import did_you_mean
from .benchmark import Benchmark
from .fileformat import TableError, file_format
from .hdf5 import FORMAT, read_table
from .importers import import_csv

DATA_DIR_ENV = "NASBENCH_DATA"
#: the entry-point group through which an installed package adds a kind of benchmark file
FORMAT_GROUP = "nasbench.file_formats"


@dataclass(frozen=True)
class FileFormat:
    """A kind of benchmark file that `load` reads, found by the file's `format` attribute.

    Attributes:
        name: the value of the file's `format` attribute.
        load: `(path, verify) -> Benchmark`; `verify` as `load`'s.
        source: `path -> record` with the `table` the file was made from and the `metrics` it
            answers for (None: the format records no source table).
    """

    name: str
    load: Callable[[Path, bool | None], Benchmark]
    source: Callable[[Path], Any] | None = None


_FORMATS: dict[str, FileFormat] = {}


def register_format(fmt: FileFormat) -> None:
    """Make `load` read files whose `format` attribute is `fmt.name` with `fmt.load`.

    Args:
        fmt: the file format.

    Raises:
        TableError: `fmt.name` is the table format itself.
    """
    if fmt.name in (FORMAT, ""):
        raise TableError(f"file format {fmt.name!r} is the table format; choose another name")
    _FORMATS[fmt.name] = fmt


def format_reader(name: str) -> FileFormat | None:
    """The registered reader of files of format `name`, looked up in the entry points on first use.

    Args:
        name: a file's `format` attribute.

    Returns:
        The `FileFormat`, or None where no installed package reads it.
    """
    if name not in _FORMATS:
        for ep in entry_points(group=FORMAT_GROUP):
            if ep.name == name:
                register_format(ep.load())
                break
    return _FORMATS.get(name)


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
    """A path as given if it exists or looks like a path; else an embedded table by name.

    Args:
        name_or_path: an embedded table's name or a file path.

    Returns:
        The path of the table file.

    Raises:
        TableError: no such file and no embedded table of that name.
    """
    s = str(name_or_path)
    p = Path(s)
    if p.exists() or os.sep in s or s.endswith((".h5", ".hdf5")):
        return p
    for d in data_dirs():
        cand = d / f"{s}.h5"
        if cand.exists():
            return cand
    names = embedded_names()
    raise TableError(
        f"no table named {s!r} and no such file; embedded tables: {', '.join(names) if names else '(none built yet)'}"
        f"{did_you_mean(s, names)}"
    )


def load(name_or_path: str | os.PathLike, verify: bool | None = None) -> Benchmark:
    """Load a benchmark -- the one entry point for every kind of source: an embedded table by
    name (`nb201-fashion-mnist`), a table or surrogate-benchmark file of this project's formats
    (the kind is read from the file's `format` attribute), or a NAS-Bench-201 results CSV
    (imported on the fly; it carries no hash to check). The file's SHA-256 is recomputed and a
    mismatch refused; `verify=False` (or `$NASBENCH_NO_VERIFY_HASH=1` when `verify` is None)
    loads it anyway, with a warning, for forensic use.

    Args:
        name_or_path: an embedded table's name, a table or surrogate-benchmark file, or a CSV file.
        verify: check the file's SHA-256; None reads `$NASBENCH_NO_VERIFY_HASH`.

    Returns:
        The benchmark.

    Raises:
        TableError: no such table, or a file of unknown format.
    """
    if str(name_or_path).lower().endswith(".csv"):
        return import_csv(name_or_path)
    p = resolve(name_or_path)
    fmt = file_format(p)
    if fmt == FORMAT or fmt == "":
        return read_table(p, name=p.stem, verify=verify)
    reader = format_reader(fmt)
    if reader is not None:
        return reader.load(p, verify)
    raise TableError(f"{p} has unknown format {fmt!r}; expected a nasbench table or a format an installed "
                     f"package registers ({', '.join(sorted(_FORMATS)) or 'none registered'}; surrogate "
                     "benchmarks need the project installed: pip install -e .)")


def source_table_of(name_or_path: str | os.PathLike, metrics: tuple[str, ...] = ()) -> str | None:
    """The table a surrogate-benchmark file was fitted on, read from its manifest (no models are
    loaded), when it models every one of `metrics`; None for anything else (a table, a name, a
    missing or unreadable file, an older surrogate file that does not record it).

    Args:
        name_or_path: what a config's `table` names.
        metrics: metrics the surrogate must model for the answer to count.

    Returns:
        The source table's name, or None.
    """
    p = Path(str(name_or_path))
    try:
        if not p.is_file():
            return None
        fmt = file_format(p)
        reader = format_reader(fmt) if fmt not in (FORMAT, "") else None
        if reader is None or reader.source is None:
            return None
        src = reader.source(p)
    except (OSError, ImportError, TableError):  # loading the table reports what is wrong with it
        return None
    if not src.table or not set(metrics) <= set(src.metrics):
        return None
    return src.table
