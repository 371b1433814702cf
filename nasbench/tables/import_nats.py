"""Import a NATS-Bench topology-space "simple" directory (`NATS-tss-v1_0-3ffb9-simple`):
`meta.pickle.pbz2` and one `NNNNNN.pickle.pbz2` per cell; a partial directory imports the
cells it holds.

Each cell file is decompressed in a stream and refused past `NATS_CELL_MAX_BYTES`, then read
with `nasbench.util.safe_pickle`'s restricted unpickler: a crafted pickle cannot run code.
"""
from __future__ import annotations

import bz2
import re
from pathlib import Path
from typing import Any, Mapping

from .import_common import NB201_DATASETS, SCHEDULES, ImportError_, check_arch, check_choice, malformed_record, nb201_meta
from .import_records import Run, runs_of_record, table_of_runs
from .tabular import TabularBenchmark
from ..util.safe_pickle import NATS_ALLOWED, ForbiddenPickle, loads

#: the most a NATS-Bench per-cell `NNNNNN.pickle.pbz2` may decompress to. The published files
#: (all 4 datasets x 2 schedules) decompress to 325,796-325,810 bytes; 4 MiB is 12.9x that.
NATS_CELL_MAX_BYTES = 4 << 20
_CHUNK = 1 << 16


def _bz2_capped(path: Path, cap: int) -> bytes:
    """Decompress a bz2 file (one or more streams) chunk by chunk, refusing it as soon as the
    output would exceed `cap` bytes: a few KB of bz2 can expand to gigabytes."""
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
    """Import a NATS-Bench topology 'simple' directory for one dataset and schedule.

    Args:
        src: the directory.
        dataset: one of `cifar10-valid`, `cifar10`, `cifar100`, `ImageNet16-120`.
        schedule: `"200"` or `"12"` (epochs).

    Returns:
        The table, one row per cell file with results for `dataset`.

    Raises:
        ImportError_: a bad choice, not such a directory, or a file that cannot be read or holds
            a malformed record.
    """
    src = Path(src)
    check_choice(dataset, NB201_DATASETS, "dataset")
    check_choice(str(schedule), SCHEDULES, "schedule")
    if not src.is_dir():
        raise ImportError_(f"{src} is not a directory; nats-simple expects the NATS-tss-v1_0-3ffb9-simple folder")
    files = sorted(p for p in src.glob("*.pickle.pbz2") if re.fullmatch(r"\d{6}\.pickle\.pbz2", p.name))
    if not files:
        raise ImportError_(f"{src} holds no NNNNNN.pickle.pbz2 files; is it a NATS-Bench 'simple' directory?")
    epochs = int(schedule)
    per_cell: dict[int, list[Run]] = {}
    for f in files:
        data = _load_pbz2(f)
        if not isinstance(data, Mapping) or str(schedule) not in data:
            raise ImportError_(f"{f} has no schedule {schedule!r} (has: {', '.join(map(str, data)) if isinstance(data, Mapping) else type(data).__name__})")
        with malformed_record(f):
            rec = data[str(schedule)]
            idx = check_arch(int(rec.get("arch_index", int(f.name[:6]))), rec.get("arch_str"), str(f))
            runs = runs_of_record(rec, dataset, epochs, str(f))
        if runs:
            per_cell[idx] = runs
    meta = nb201_meta(dataset, schedule, f"NATS-Bench tss simple: {src.name} ({len(files)} cell files)")
    return table_of_runs(per_cell, epochs, meta)
