"""A proxy journal on disk: each line one JSON record carrying a checksum, read back verified.

Line 1 is `{"header": {...}}`; every further line one class,
`{"class": k, "index": i, "values": {proxy: float|null}, "seconds": {proxy: float}}`. Each line
written by this module also has `"crc"`: the first 16 hex digits of the SHA-256 of the record
without it (`json.dumps(..., sort_keys=True)`). Lines without `crc` (from journals that carry
no checksums) are accepted too, verified by parsing and by their fields' types.

Reading (`scan`): a last line without its newline is a write cut short (a kill): it is left
out, and `repair` cuts the file back to the last whole record (one note) before anything is
appended, so a record never lands on a broken line. Any other line that does not parse, has the
wrong fields or a checksum that does not match is refused (`JournalDamaged`, naming the
file and line): the journal was altered, and merging the rest would be silently wrong.

Each line is appended with one `write` on a file opened for appending, so lines of the several
processes of one `nasbench proxies --jobs N` never interleave.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import NasbenchError


class JournalDamaged(NasbenchError, ValueError):
    """A proxy journal line other than a cut last one is damaged."""


def _crc(rec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()[:16]


def encode(rec: dict[str, Any]) -> bytes:
    """One journal line: `rec` with its `crc`, newline-terminated.

    Args:
        rec: a header (`{"header": {...}}`) or class record.

    Returns:
        The line's bytes.
    """
    return (json.dumps({**rec, "crc": _crc(rec)}, sort_keys=True) + "\n").encode()


def append(path: str | os.PathLike, recs: list[dict[str, Any]]) -> None:
    """Append records to `path`, each line one `write` (whole lines, never interleaved).

    Args:
        path: the journal.
        recs: the records to append.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        for rec in recs:
            line = encode(rec)
            if os.write(fd, line) != len(line):  # pragma: no cover - a full disk
                raise OSError(f"{path}: short write (disk full?)")
    finally:
        os.close(fd)


@dataclass
class Scan:
    """What `scan` found: the header, the merged classes, the length of the whole records
    and whether a last line was cut short."""

    header: dict | None
    done: dict[int, dict] = field(default_factory=dict)
    good_bytes: int = 0
    cut: bool = False


def _number(v: Any) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


def _check(rec: Any) -> str | None:
    """What is wrong with a parsed record (None: nothing); pops and checks its `crc`."""
    if not isinstance(rec, dict):
        return f"a JSON {type(rec).__name__}, not a record"
    crc = rec.pop("crc", None)
    if crc is not None and crc != _crc(rec):
        return "its checksum does not match (altered)"
    if "header" in rec:
        return None if isinstance(rec["header"], dict) else "a header that is not an object"
    for k in ("class", "index"):
        if not isinstance(rec.get(k), int) or isinstance(rec.get(k), bool) or rec[k] < 0:
            return f"{k!r} is not a non-negative whole number"
    for k in ("values", "seconds"):
        d = rec.get(k, {})
        if not isinstance(d, dict) or not all(isinstance(n, str) and _number(v) for n, v in d.items()):
            return f"{k!r} is not an object of numbers"
    return None


def scan(path: str | os.PathLike) -> Scan:
    """Read a journal, verifying every line.

    Args:
        path: the journal (absent: an empty scan).

    Returns:
        The header, `{class: {"index", "values", "seconds"}}` merged over the whole records, the
        byte length of those and whether the last line was cut short.

    Raises:
        JournalDamaged: a line other than a cut last one that does not parse or verify.
    """
    p = Path(path)
    if not p.exists():
        return Scan(None)
    raw = p.read_bytes()
    out = Scan(None)
    pos, n = 0, 0
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        if end < 0:
            out.cut = True
            break
        n += 1
        line = raw[pos:end]
        try:
            rec = json.loads(line)
            why = _check(rec)
        except ValueError as exc:
            why = f"not JSON ({str(exc).splitlines()[0]})"
        if n == 1 and (why is not None or "header" not in rec):
            raise JournalDamaged(f"{p} is not a proxy journal (line 1 is not its header"
                                 f"{': ' + why if why else ''}); move it away or give another --journal")
        if why is not None:
            raise JournalDamaged(f"{p}: line {n} is damaged ({why}); the journal was altered: restore it, or cut it "
                                 f"before line {n} to recompute what follows")
        pos = end + 1
        if "header" in rec:
            out.header = out.header or rec["header"]
            continue
        k = rec["class"]
        cur = out.done.setdefault(k, {"index": rec["index"], "values": {}, "seconds": {}})
        cur["values"].update(rec.get("values", {}))
        cur["seconds"].update(rec.get("seconds", {}))
    out.good_bytes = pos
    return out


def repair(path: str | os.PathLike) -> str | None:
    """Cut a last line that was cut short (a kill mid-write) so that appends start on a new line.

    Args:
        path: the journal.

    Returns:
        A one-line note of what was cut, or None where the journal was whole.
    """
    s = scan(path)
    if not s.cut:
        return None
    size = Path(path).stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(s.good_bytes)
    return (f"{path}: its last line was cut short ({size - s.good_bytes} bytes, a write interrupted); "
            f"cut back to the last whole record, that class is computed again")


__all__ = ["JournalDamaged", "Scan", "append", "encode", "repair", "scan"]
