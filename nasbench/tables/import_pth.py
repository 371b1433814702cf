"""Import the NAS-Bench-201 `.pth` (`meta_archs`, `arch2infos`, `evaluated_indexes`), a
torch.save file in the zip or the legacy format, read without torch.

The pickle is read with `nasbench.util.safe_pickle`'s restricted unpickler (a crafted pickle
cannot run code), and its size is capped before memory is spent (`PTH_MAX_BYTES`,
`PTH_MAX_RATIO`).
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Mapping

from .import_common import NB201_DATASETS, SCHEDULES, ImportError_, check_arch, check_choice, malformed_record, nb201_meta
from .import_records import Run, runs_of_record, table_of_runs
from .tabular import TabularBenchmark
from ..util.safe_pickle import PTH_ALLOWED, ForbiddenPickle, RestrictedUnpickler
from ..space import N_CELLS

#: the most pickle data a `.pth` may hold: 15,625 cells x 640 KiB, about twice the published
#: per-cell records (both schedules, all datasets: ~326 KB pickled, see NATS_CELL_MAX_BYTES)
PTH_MAX_BYTES = N_CELLS * (640 << 10)
#: torch.save stores `data.pkl` uncompressed; a compressed one may expand at most this much
PTH_MAX_RATIO = 20


def _pth_entry(z: zipfile.ZipFile, path: Path) -> zipfile.ZipInfo:
    """The `data.pkl` of a torch.save zip, refused if it would expand beyond the caps."""
    infos = [i for i in z.infolist() if i.filename.endswith("/data.pkl") or i.filename == "data.pkl"]
    if not infos:
        raise ImportError_(f"{path} is a zip file but not a torch.save file (no data.pkl)")
    info = infos[0]
    if info.file_size > PTH_MAX_BYTES:
        raise ImportError_(f"{path}: {info.filename} holds {info.file_size:,} bytes, more than the {PTH_MAX_BYTES:,} "
                           f"a NAS-Bench-201 .pth needs; refused")
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > PTH_MAX_RATIO * max(info.compress_size, 1):
        raise ImportError_(f"{path}: {info.filename} expands {info.compress_size:,} compressed bytes to "
                           f"{info.file_size:,} (more than {PTH_MAX_RATIO}x; torch.save stores it uncompressed); "
                           f"refused as a decompression bomb")
    return info  # zipfile reads no more than the declared file_size


def _load_pth(path: Path) -> Any:
    """Read a torch.save file (zip or legacy) with the restricted unpickler, without torch."""
    src = str(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                with z.open(_pth_entry(z, path)) as fh:
                    return RestrictedUnpickler(fh, PTH_ALLOWED, src).load()
        size = path.stat().st_size
        if size > PTH_MAX_BYTES:  # legacy files are not compressed: the unpickler reads the file itself
            raise ImportError_(f"{path} holds {size:,} bytes, more than the {PTH_MAX_BYTES:,} a NAS-Bench-201 .pth "
                               f"needs; refused")
        with open(path, "rb") as fh:
            # legacy torch serialization: magic number, protocol version, sys info, then the object
            up = lambda: RestrictedUnpickler(fh, PTH_ALLOWED, src)  # noqa: E731
            magic = up().load()
            if magic != 0x1950A86A20F9469CFC6C:
                raise ImportError_(f"{path} is not a torch.save file (bad magic number)")
            up().load()
            up().load()
            return up().load()
    except ForbiddenPickle as exc:
        raise ImportError_(str(exc)) from None
    except ImportError_:
        raise
    except Exception as exc:
        raise ImportError_(f"{path} is not a readable NAS-Bench-201 .pth ({type(exc).__name__}: {exc})") from None


def import_nb201_pth(src: str | Path, dataset: str = "cifar10-valid", schedule: str = "200") -> TabularBenchmark:
    """Import the NAS-Bench-201 `.pth` for one dataset and schedule ('200' = 'full', '12' = 'less').

    Args:
        src: the `.pth` file.
        dataset: one of `cifar10-valid`, `cifar10`, `cifar100`, `ImageNet16-120`.
        schedule: `"200"` or `"12"` (epochs).

    Returns:
        The table, one row per cell with results for `dataset`.

    Raises:
        ImportError_: a bad choice, no such file, a file that is not a readable NAS-Bench-201
            `.pth` or exceeds the caps, or a malformed record.
    """
    src = Path(src)
    check_choice(dataset, NB201_DATASETS, "dataset")
    check_choice(str(schedule), SCHEDULES, "schedule")
    if not src.is_file():
        raise ImportError_(f"no such file: {src}")
    data = _load_pth(src)
    if not isinstance(data, Mapping) or not {"meta_archs", "arch2infos"} <= set(data):
        raise ImportError_(f"{src} lacks the NAS-Bench-201 keys 'meta_archs' and 'arch2infos'")
    key = "full" if str(schedule) == "200" else "less"
    epochs = int(schedule)
    per_cell: dict[int, list[Run]] = {}
    with malformed_record(src):
        for i, infos in data["arch2infos"].items():
            i = int(i)
            arch = data["meta_archs"][i] if i < len(data["meta_archs"]) else None
            idx = check_arch(i, arch, str(src))
            if key not in infos:
                raise ImportError_(f"{src}: arch2infos[{i}] has no {key!r} record")
            runs = runs_of_record(infos[key], dataset, epochs, f"{src} arch {i}")
            if runs:
                per_cell[idx] = runs
    meta = nb201_meta(dataset, schedule, f"NAS-Bench-201 .pth: {src.name} ({len(data['arch2infos'])} cells)")
    return table_of_runs(per_cell, epochs, meta)
