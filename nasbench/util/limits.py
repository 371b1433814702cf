"""The stated maxima of everything a user controls, and the checks that refuse more in one line.

Every count a flag, a configuration file or an argument of the Python API sets (runs, simulated
workers, processes, threads, strategies, `--limit`, `verify --retrain`), every configuration
file (bytes, nesting depth) and every array read from a benchmark file (bytes) has a maximum
here; beyond it the suite raises `nasbench.errors.LimitError` naming the value and the
maximum, before any memory is allocated or any work starts. Files named by the user must be
regular files (`check_regular_file`): a FIFO or a device is refused instead of read (which
could block forever). Compressed dataset files are read through `read_capped`, which stops
at a stated size (a "gzip bomb" costs nothing).

The maxima are far above any real use (NAS-Bench-201's own protocol is 500 runs of one strategy)
and far below what would exhaust a workstation's memory.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any

from .checks import is_positive_int
from ..errors import LimitError, NasbenchError

#: runs per strategy of one comparison
MAX_RUNS = 10_000
#: simulated parallel workers of one search run
MAX_WORKERS = 1_024
#: worker processes (or Ray actors) of one command
MAX_JOBS = 512
#: torch threads per process (`proxies --threads`)
MAX_THREADS = 256
#: images of the batch zero-cost proxies are computed on (`proxies --batch-size`)
MAX_PROXY_BATCH = 4_096
#: strategies of one comparison
MAX_STRATEGIES = 64
#: `--limit`: functional classes (`proxies`) or (cell, seed) trainings (`generate`) done in one invocation
MAX_LIMIT = 10_000_000
#: training epochs of a recipe (`generate --epochs`: a table's arrays are sized by it)
MAX_EPOCHS = 10_000
#: rows retrained by `verify --retrain` (each is a real training)
MAX_RETRAIN = 1_000
#: bytes of a configuration file (TOML, YAML, JSON)
MAX_CONFIG_BYTES = 1 << 20
#: nesting depth of a configuration file (tables in tables, lists in lists)
MAX_CONFIG_DEPTH = 32
#: bytes of one array of a table or surrogate file, checked from its declared shape before reading
MAX_ARRAY_BYTES = 2 << 30
#: bytes of all the arrays of one table or surrogate file together
MAX_TABLE_BYTES = 4 << 30


def check_count(v: Any, name: str, maximum: int, error: type[NasbenchError] = LimitError, *,
                allow_none: bool = False) -> None:
    """Refuse `v` unless it is an integer in `1..maximum` (or None with `allow_none`).

    Args:
        v: the value given.
        name: how the user gave it (`--runs`, `runs`).
        maximum: the largest value allowed.
        error: the exception class for a value that is not a positive integer (a project error);
            a value over `maximum` raises `LimitError`.
        allow_none: None means "the default" and passes.

    Raises:
        NasbenchError: `error` or `LimitError`, one line naming `name`, the value and
        what is allowed.
    """
    if allow_none and v is None:
        return
    if not is_positive_int(v):
        raise error(f"{name} must be a positive integer, got {v!r} (allowed: 1..{maximum:,})")
    if v > maximum:
        raise LimitError(f"{name} {v:,} is beyond the maximum of {maximum:,}")


def check_regular_file(path: str | os.PathLike, what: str, error: type[NasbenchError]) -> Path:
    """`path` as a Path if it names a regular file (following symlinks); else one-line `error`.

    A FIFO, socket or device is refused without opening it (opening a FIFO blocks until a writer
    comes); a missing path and a directory are named as such.

    Args:
        path: the file the user named.
        what: what it should be ("table", "config file"), for the message.
        error: the project error to raise.

    Returns:
        The path.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise error(f"no such file: {p}") from None
    except OSError as exc:
        raise error(f"{p}: cannot read the {what} ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p} is a directory, not a {what} file")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{p} is not a regular file (a FIFO, socket or device); a {what} must be a regular file")
    return p


def read_capped(fh: IO[bytes], limit: int, name: str, error: type[NasbenchError]) -> bytes:
    """Read all of `fh` (for example a `gzip.open` stream) but never more than `limit` bytes.

    Args:
        fh: a binary stream.
        limit: the largest size the content may have.
        name: the file, for the message.
        error: the project error to raise.

    Returns:
        The content.

    Raises:
        NasbenchError: `error` when the content is longer than `limit` (a decompression bomb
        or the wrong file).
    """
    data = fh.read(limit + 1)
    if len(data) > limit:
        raise error(f"{name} holds more than the {limit:,} bytes expected of it (decompressed); "
                    f"it is not the dataset file it is named as")
    return data


def check_array_size(shape: tuple[int, ...], itemsize: int, name: str, error: type[NasbenchError]) -> None:
    """Refuse an array whose declared `shape` x `itemsize` exceeds `MAX_ARRAY_BYTES`,
    before reading it.

    Args:
        shape: the declared shape (from the file's header, not its content).
        itemsize: bytes per element.
        name: the array, for the message.
        error: the project error to raise.
    """
    n = itemsize
    for d in shape:
        n *= int(d)
    if n > MAX_ARRAY_BYTES:
        raise error(f"{name} declares {n:,} bytes ({'x'.join(str(int(d)) for d in shape)}), beyond the maximum "
                    f"of {MAX_ARRAY_BYTES:,} bytes per array")
