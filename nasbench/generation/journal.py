"""The journal of a generation: one line per finished training, beside the table
(`<out>.journal.jsonl`), from which the table is rebuilt and a killed generation resumes.

Every finished training (one cell, one seed) is appended as one line (a stacked group's lines in
one write) and flushed to disk before the next is accepted, so a kill at any moment (`kill -9`
included) loses at most the trainings in flight. Each line carries a checksum of its body. A
truncated last line is dropped on opening (one note on stderr); a damaged line followed by more
lines is an altered journal, refused. A unit recorded twice keeps its first copy: nothing is
doubled. The first line, the header, records the identity of the generation (dataset, split,
recipe, seeds, seed groups); a generation with other settings refuses to mix with it.

Machines: the header records the numeric fingerprint of the machine that started the journal
(`nasbench.training.fingerprint`) and every unit the id of the fingerprint it was trained under. A
journal continued under another fingerprint (another machine, or a journal older than
fingerprints) is not refused: a `machine` line with the new fingerprint is appended before its
first unit.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .config import GenerateError, comparable_identity

JOURNAL_SUFFIX = ".journal.jsonl"


def journal_path(out: str | os.PathLike) -> Path:
    """The journal beside a table file: `T.h5` -> `T` + `JOURNAL_SUFFIX`.

    Args:
        out: the table file.

    Returns:
        The journal's path.
    """
    out = Path(out)
    return out.with_name(out.name.removesuffix(".h5") + JOURNAL_SUFFIX)


def _line(obj: dict[str, Any]) -> str:
    """A journal line: the body with the checksum of its canonical JSON."""
    body = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    crc = hashlib.sha256(body.encode()).hexdigest()[:16]
    return json.dumps({"crc": crc, "body": obj}, sort_keys=True, separators=(",", ":")) + "\n"


def _parse(line: str) -> dict[str, Any] | None:
    """A journal line's body, or None if the line is incomplete or damaged."""
    if not line.endswith("\n"):
        return None
    try:
        wrapped = json.loads(line)
        body = wrapped["body"]
        crc = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]
    except (ValueError, KeyError, TypeError):
        return None
    return body if crc == wrapped.get("crc") else None


@dataclass
class Journal:
    """The header and the finished units of a journal file."""

    path: Path
    header: dict[str, Any]
    units: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # (cell, seed) -> unit body
    machines: dict[str, dict[str, Any]] = field(default_factory=dict)  # fingerprint id -> fingerprint

    @classmethod
    def open(cls, path: Path, header: dict[str, Any]) -> "Journal":
        """Read an existing journal (checking that its header matches) or start a new one.

        A damaged or incomplete last line (a kill in the middle of a write) ends the readable part;
        the file is cut back to it so that new lines append cleanly.

        Args:
            path: the journal file.
            header: the header this generation writes (its identity must match an existing one's).

        Returns:
            The journal, with its finished units and machines.

        Raises:
            GenerateError: the journal was made with different settings, or a damaged line is
                followed by more lines.
        """
        if not path.exists() or path.stat().st_size == 0:  # empty: created by the lock, or a kill before the header
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w") as fh:
                fh.write(_line({"kind": "header", **header}))
                fh.flush()
                os.fsync(fh.fileno())
            return cls(path, header, machines=_machines_of(header))
        units: dict[int, dict[str, Any]] = {}
        machines: dict[str, dict[str, Any]] = {}
        good = 0
        with open(path, "r", newline="") as fh:
            first = fh.readline()
            head = _parse(first)
            if head is None or head.get("kind") != "header":
                raise GenerateError(f"{path} is not a generation journal (bad first line); move it away to start anew")
            good = len(first.encode())
            machines.update(_machines_of(head))
            mine = comparable_identity(header["identity"])
            theirs = comparable_identity(head.get("identity") or {})
            if theirs != mine:
                names = {"data": "data split", "seeds": "seed list", "rule": "canonical rule",
                         "order_seed": "order seed", "seed_groups": "stacking of seeds (seed groups)"}
                diff = [names.get(k, k) for k in mine if theirs.get(k) != mine[k]]
                raise GenerateError(
                    f"{path} was made with a different {', '.join(diff) or 'setup'}; refusing to mix results "
                    f"(use another --out, or the same settings to resume)"
                )
            n = 1
            while line := fh.readline():
                n += 1
                body = _parse(line)
                if body is None:
                    if fh.read(1):  # whole lines follow: not a cut last line but an altered journal
                        raise GenerateError(f"{path}: line {n} is damaged and more lines follow it (the journal was "
                                            f"altered); restore it, or cut it before line {n} to retrain what follows")
                    break
                good += len(line.encode())
                if body.get("kind") == "unit":
                    units.setdefault((int(body["cell"]), int(body["seed"])), body)  # first copy wins; never doubled
                elif body.get("kind") == "machine":
                    machines.update(_machines_of(body))
        size = path.stat().st_size
        if good != size:
            with open(path, "r+b") as fh:
                fh.truncate(good)
            print(f"{path}: its last line was cut short ({size - good} bytes, a write interrupted); cut back to the "
                  "last whole record, that training is done again", file=sys.stderr)
        return cls(path, head, units, machines)

    def note_machine(self, fingerprint: dict[str, Any]) -> None:
        """Record a fingerprint the journal does not know yet (one `machine` line).

        The units trained under it can then name it by id.

        Args:
            fingerprint: the machine's fingerprint, as a dict.
        """
        from ..training.fingerprint import Fingerprint

        fid = Fingerprint.from_dict(fingerprint).id
        if fid in self.machines:
            return
        with open(self.path, "a") as fh:
            fh.write(_line({"kind": "machine", "fingerprint": fingerprint}))
            fh.flush()
            os.fsync(fh.fileno())
        self.machines[fid] = fingerprint

    def append(self, unit: dict[str, Any]) -> None:
        """Append one unit (skipped if already recorded).

        Args:
            unit: the unit's body.
        """
        self.append_many([unit])

    def append_many(self, units: Sequence[dict[str, Any]]) -> int:
        """Append units (a stacked group's) in one write, skipping any already recorded.

        Args:
            units: the unit bodies.

        Returns:
            How many were new.
        """
        new = [u for u in units if (int(u["cell"]), int(u["seed"])) not in self.units]
        if not new:
            return 0
        with open(self.path, "a") as fh:
            fh.write("".join(_line({"kind": "unit", **u}) for u in new))
            fh.flush()
            os.fsync(fh.fileno())
        for u in new:
            self.units[(int(u["cell"]), int(u["seed"]))] = u
        return len(new)


def _machines_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{id: fingerprint} of the fingerprint a header or machine line records (none: {})."""
    from ..training.fingerprint import Fingerprint

    fp = body.get("fingerprint")
    return {Fingerprint.from_dict(fp).id: fp} if isinstance(fp, dict) else {}
