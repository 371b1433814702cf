"""Files that carry their own length and checksum, and the checks that read them back.

A run file (`runs/<label>/<run>.csv` of a results directory) is a plain CSV followed by one
trailer line:

```text
# nasbench run file: rows=25 sha256=<64 hex digits of every byte before this line>
```

`read_run_file` returns the CSV text only when the trailer is there and both the row count
and the SHA-256 match; a file cut anywhere (mid-line or at a line boundary, the trailer
included), altered, or written before run files carried a trailer is refused with
`DamagedFile`, whose message names the file and what is wrong (`compare --resume` then
redoes that run: runs are deterministic, so the redone file is the one a whole run writes).

`read_json` reads a JSON file a command wrote (`config.json`, `provenance.json`,
`multitable.json`): such files are written whole by `nasbench.util.atomic`, so a parse
error means a cut or altered file, refused in one line naming it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from .atomic import atomic_write
from ..errors import NasbenchError

_TRAILER = re.compile(rb"# nasbench run file: rows=(\d+) sha256=([0-9a-f]{64})\n\Z")


class DamagedFile(NasbenchError, ValueError):
    """A file a command wrote is cut short, altered, or lacks its checksum."""


def run_file_bytes(csv_text: str) -> bytes:
    """`csv_text` (a header line and one line per row, each ending in a newline) with its trailer.

    Args:
        csv_text: the CSV the run file holds.

    Returns:
        The bytes of the run file.
    """
    body = csv_text.encode()
    rows = max(body.count(b"\n") - 1, 0)
    return body + f"# nasbench run file: rows={rows} sha256={hashlib.sha256(body).hexdigest()}\n".encode()


def write_run_file(path: str | os.PathLike, csv_text: str, root: str | os.PathLike | None = None) -> None:
    """Write a run file atomically (`nasbench.util.atomic.atomic_write`) with its trailer.

    Args:
        path: the run file.
        csv_text: its CSV (header and rows, newline-terminated).
        root: the results directory (folders below it are checked for planted links).
    """
    atomic_write(path, run_file_bytes(csv_text), root)


def read_run_file(path: str | os.PathLike) -> str:
    """The CSV text of a whole, unaltered run file.

    Args:
        path: the run file.

    Returns:
        The CSV text without the trailer.

    Raises:
        DamagedFile: no trailer (cut short, or written by a version without one), a row count or
            checksum that does not match.
    """
    raw = Path(path).read_bytes()
    cut = raw.rfind(b"# nasbench run file: ")
    m = _TRAILER.match(raw, cut) if cut >= 0 else None
    if m is None:
        raise DamagedFile(f"{path}: no checksum line at the end (cut short, or written before run files "
                          "carried one)")
    body = raw[:cut]
    rows = max(body.count(b"\n") - 1, 0)
    if not body.endswith(b"\n") or rows != int(m.group(1)):
        raise DamagedFile(f"{path}: {rows} rows where its checksum line records {int(m.group(1))} (cut or altered)")
    if hashlib.sha256(body).hexdigest() != m.group(2).decode():
        raise DamagedFile(f"{path}: content does not match its SHA-256 (altered)")
    return body.decode()


def read_json(path: str | os.PathLike, fix: str = "") -> Any:
    """A JSON file a command wrote, refused in one line (`DamagedFile`) where it does not parse.

    Args:
        path: the file.
        fix: what to do about a damaged file (appended to the message).

    Returns:
        The parsed value.
    """
    text = Path(path).read_text()
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DamagedFile(f"{path}: not valid JSON (cut short or altered: {str(exc).splitlines()[0]})"
                          + (f"; {fix}" if fix else "")) from None


def sha256_bytes(data: bytes) -> str:
    """The hex SHA-256 of `data`.

    Args:
        data: the bytes to hash.

    Returns:
        The hex digest.
    """
    return hashlib.sha256(data).hexdigest()


__all__ = ["DamagedFile", "read_json", "read_run_file", "run_file_bytes", "sha256_bytes", "write_run_file"]
