"""Import the tidy CSV/Parquet layout: one row per cell x seed x epoch, columns `arch_index` or
`arch_str`, `seed`, `epoch` (from 1), any of `TIDY_METRICS`, and optionally
`params`, `flops` and `latency_<device>` (per-cell columns: one value repeated on every row
of a cell, or blank).

Seeds are whole numbers in 0..2^63-1 and epochs in 1..2^31-1; metrics are finite numbers or
blank (missing). Every refusal names the file, and where it can the column and row.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .benchmark import TableMeta
from .hdf5 import code_version
from .import_columns import finite_column, indices_of_frame, int_column
from .import_common import METRIC_KEYS, ImportError_
from .tabular import TabularBenchmark
from ..space import N_CELLS

TIDY_REQUIRED = ("seed", "epoch")
TIDY_METRICS = METRIC_KEYS


def import_tidy(df, src: Path, dataset: str | None) -> TabularBenchmark:
    """The tidy layout: one row per cell x seed x epoch (see README).

    Args:
        df: the file's frame.
        src: the file, for messages and the table's source.
        dataset: the dataset name to record (None: the file's stem).

    Returns:
        The table, one row per cell, seeds and epochs as the union of those given.

    Raises:
        ImportError_: a missing, unknown or malformed column, a (cell, seed, epoch) given twice, or
            a per-cell column with different values on the rows of one cell.
    """
    missing = [c for c in TIDY_REQUIRED if c not in df.columns]
    if missing:
        raise ImportError_(
            f"{src}: the tidy CSV layout needs columns arch_index or arch_str, seed, epoch and metrics "
            f"({', '.join(TIDY_METRICS)}); missing: {', '.join(missing)}"
        )
    metric_cols = [c for c in TIDY_METRICS if c in df.columns]
    if not metric_cols:
        raise ImportError_(f"{src}: no metric columns; allowed: {', '.join(TIDY_METRICS)}")
    unknown = [c for c in df.columns if c not in (*TIDY_METRICS, *TIDY_REQUIRED, "arch_index", "arch_str",
                                                  "params", "flops") and not c.startswith("latency_")]
    if unknown:
        raise ImportError_(f"{src}: unknown column(s) {', '.join(unknown)}; see the README's tidy CSV layout")
    idx = indices_of_frame(df, src)
    # seeds are stored as int64, -1 meaning "not recorded"; epochs count from 1
    seeds_col = int_column(df, "seed", src, 0, 2**63 - 1)
    epochs_col = int_column(df, "epoch", src, 1, 2**31 - 1)
    cells, row_of = np.unique(idx, return_inverse=True)
    seeds, seed_of = np.unique(seeds_col, return_inverse=True)
    epochs, epoch_of = np.unique(epochs_col, return_inverse=True)
    key = (row_of * len(seeds) + seed_of) * len(epochs) + epoch_of
    if len(np.unique(key)) != len(key):
        raise ImportError_(f"{src}: a (cell, seed, epoch) appears more than once")
    metrics = {}
    for c in metric_cols:
        arr = np.full((len(cells), len(seeds), len(epochs)), np.nan)
        arr[row_of, seed_of, epoch_of] = finite_column(df, c, src)
        metrics[c] = arr
    run_seed = np.full((len(cells), len(seeds)), -1, dtype=np.int64)
    run_seed[row_of, seed_of] = seeds[seed_of]
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    arch_row[cells] = np.arange(len(cells))

    def per_row(col: str) -> np.ndarray:
        """A per-cell column (params, flops, latency): one value per cell, NaN where not given."""
        v = finite_column(df, col, src)
        lo, hi = np.full(len(cells), np.inf), np.full(len(cells), -np.inf)
        np.fmin.at(lo, row_of, v)
        np.fmax.at(hi, row_of, v)
        clash = np.flatnonzero(lo < hi)
        if len(clash):
            r = clash[0]
            raise ImportError_(f"{src}: column {col}: cell {int(cells[r])} has different values ({lo[r]:g} and "
                               f"{hi[r]:g}); a per-cell column must repeat one value on all rows of the cell")
        return np.where(lo <= hi, lo, np.nan)

    latency = {c.removeprefix("latency_"): per_row(c) for c in df.columns if c.startswith("latency_")}
    meta = TableMeta(space="nb201", dataset=dataset or src.stem, split_sizes={}, recipe={},
                     code_version=code_version(), source=f"tidy CSV: {src.name}")
    return TabularBenchmark(meta=meta, arch_row=arch_row, row_arch=cells, seeds=seeds, epochs=epochs,
                            metrics=metrics, run_seed=run_seed,
                            params=per_row("params") if "params" in df.columns else None,
                            flops=per_row("flops") if "flops" in df.columns else None, latency=latency)
