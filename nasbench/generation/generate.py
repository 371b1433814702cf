"""Fill a table by training one cell per canonical class, resumably: `generate`.

Work runs seed-group-major: every class with the first group of seeds, then every class with
the second, and so on, so that a table covers the whole space early (with fewer seeds; missing
runs are NaN) and each later pass adds seeds. The default groups are one seed each. Every
finished training is recorded in the journal beside the table (`nasbench.generation.journal`)
before the next is accepted, and a group left incomplete by a kill is trained again whole. The
HDF5 table is rebuilt from the journal (`nasbench.generation.journal_table`) atomically every
`save_every` seconds and at the end, so the table on disk is always complete for the cells it
covers. One writer at a time: the journal is locked while a generation runs.

The settings are `nasbench.generation.config`, the training of the units
`nasbench.generation.train_units`.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .config import GenerateConfig, GenerateError, validate_config
from .journal import Journal, journal_path
from .journal_table import table_of_journal
from .train_units import trained_units, work_order
from ..tables.hdf5 import code_version, write_table

@dataclass
class GenerateReport:
    """What a `generate` call did: the table file, the units done before, trained now and in total, and the seconds taken."""

    out: Path
    done_before: int
    trained_now: int
    total: int
    seconds: float



def _header(cfg: GenerateConfig) -> dict[str, Any]:
    """The journal header: identity plus provenance of the data (loaded once here).

    Args:
        cfg: the generation's settings.

    Returns:
        The header: identity, split sizes, data provenance, code version, machine and fingerprint.
    """
    import platform

    from ..training.datasets import load_data_spec
    from ..training.fingerprint import current as current_fingerprint

    ds = load_data_spec(cfg.data, cfg.data_dir)
    return {"identity": cfg.identity(), "split_sizes": ds.split_sizes, "data_provenance": ds.provenance,
            "code_version": code_version(),
            "machine": {"platform": platform.platform(), "processor": platform.processor(),
                        "cpus": os.cpu_count(), "device": cfg.device},
            "fingerprint": current_fingerprint(1, cfg.device).to_dict()}  # workers train with one thread


def generate(out: str | os.PathLike, cfg: GenerateConfig, progress: bool = True,
             on_unit: Callable[[dict[str, Any]], None] | None = None) -> GenerateReport:
    """Train what the journal of `out` still lacks, writing the table as it grows.

    At most `cfg.limit` trainings (in whole seed groups, at least one) are done per call.

    Safe to kill and rerun with the same settings. One writer at a time: the journal is locked
    (`nasbench.util.locking`) and a second `generate` on it is refused at once.

    Args:
        out: the table file.
        cfg: the settings.
        progress: show a progress bar.
        on_unit: called with each finished unit.

    Returns:
        How many units were done before, trained now and in total, and the seconds taken.

    Raises:
        GenerateError: bad settings, a table without a journal at `out`, or a journal made
            with other settings.
        LockHeld: another process is writing the journal.
    """
    from ..util.locking import exclusive

    validate_config(cfg)
    out = Path(out)
    if out.exists() and not journal_path(out).exists():
        raise GenerateError(f"{out} exists but has no generation journal beside it; refusing to overwrite it "
                            f"(choose another output)")
    header = _header(cfg)
    jpath = journal_path(out)
    jpath.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(jpath, f"generation journal {jpath}"):
        return _generate(out, cfg, header, progress, on_unit)


def _generate(out: Path, cfg: GenerateConfig, header: dict[str, Any], progress: bool,
              on_unit: Callable[[dict[str, Any]], None] | None) -> GenerateReport:
    """`generate` with the journal locked."""
    journal = Journal.open(journal_path(out), header)
    order = work_order(cfg.rule, cfg.order_seed)
    groups = [tuple(g) for g in cfg.groups()]
    tasks = [(int(c), g) for g in groups for c in order]  # seed-group-major
    todo = [(c, g) for c, g in tasks if any((c, s) not in journal.units for s in g)]
    if cfg.limit is not None:  # at most `limit` trainings now, but whole groups (at least one)
        n = np.cumsum([len(g) for _, g in todo])
        todo = todo[: max(1, int(np.searchsorted(n, cfg.limit, side="right")))]
    total = sum(len(g) for _, g in tasks)
    done_before = len(journal.units)
    t0 = last_save = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=done_before, unit="training", desc=out.stem, smoothing=0.05)
    trained = 0
    try:
        for units in trained_units(cfg, todo):
            for unit in units:  # a unit trained under a fingerprint the journal lacks: record it first
                machine = unit.pop("_machine", None)
                if machine is not None:
                    journal.note_machine(machine)
            new = journal.append_many(units)
            trained += new
            if bar is not None:
                bar.update(new)
            if on_unit is not None:
                for unit in units:
                    on_unit(unit)
            if time.perf_counter() - last_save > cfg.save_every:
                write_table(out, table_of_journal(journal, out))
                last_save = time.perf_counter()
    finally:
        if bar is not None:
            bar.close()
        if journal.units:
            write_table(out, table_of_journal(journal, out))
    return GenerateReport(out, done_before, trained, total, time.perf_counter() - t0)
