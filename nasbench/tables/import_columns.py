"""Read a CSV or Parquet file of results and its columns, each refused with a one-line
`nasbench.tables.import_common.ImportError_` that names the file, and where it can the
column and row.

A CSV row must have as many fields as the header; column names hold no `/`, `\\` or `..`.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .import_common import ImportError_, check_arch
from ..util.limits import check_regular_file
from ..space import N_CELLS, SpaceError, to_cell

def read_frame(src: Path):
    """Read a CSV or Parquet file (Parquet by the suffix `.parquet` or `.pq`).

    Args:
        src: the file.

    Returns:
        The file as a pandas DataFrame.

    Raises:
        ImportError_: no such regular file, a CSV row with another number of fields than the
            header, an unreadable file, or a column name holding `/`, `\\` or `..`.
    """
    import pandas as pd

    if not src.exists():
        raise ImportError_(f"no such file: {src}")
    check_regular_file(src, "CSV/Parquet", ImportError_)
    parquet = src.suffix.lower() in (".parquet", ".pq")
    if not parquet:
        _check_csv_rows(src)
    try:
        df = pd.read_parquet(src) if parquet else pd.read_csv(src, index_col=False)
    except ImportError as exc:
        raise ImportError_(f"reading {src} needs an optional package: {exc}") from None
    except Exception as exc:
        raise ImportError_(f"{src} is not a readable CSV/Parquet file ({type(exc).__name__}: {exc})") from None
    bad = [str(c) for c in df.columns if "/" in str(c) or "\\" in str(c) or ".." in str(c)]
    if bad:
        raise ImportError_(f"{src}: column name {bad[0]!r} holds '/', '\\' or '..'; column names are metric "
                           f"and field names (letters, digits, '_')")
    return df


def _check_csv_rows(src: Path) -> None:
    """Every row of the CSV file has as many fields as its header (a longer row would shift its
    columns, a shorter one be padded with NaN); the refusal names the line."""
    import csv

    with open(src, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                raise ImportError_(f"{src}: empty file (a CSV needs a header line)")
            for row in reader:
                if row and len(row) != len(header):
                    raise ImportError_(f"{src}:{reader.line_num}: {len(row)} fields, but the header has "
                                       f"{len(header)}; every row needs one value per column")
        except csv.Error as exc:
            raise ImportError_(f"{src}:{reader.line_num}: not valid CSV ({exc})") from None


def indices_of_frame(df, src: Path) -> np.ndarray:
    """The official cell index of each row, from `arch_index` (checked against `arch_str`
    where both are given) or else `arch_str`.

    Args:
        df: the frame.
        src: its file, for the message.

    Returns:
        The indices, int64, one per row.

    Raises:
        ImportError_: neither column, an index out of range or not an integer, or an arch string
            that is not one or names another cell.
    """
    if "arch_index" in df.columns:
        idx = df["arch_index"].to_numpy()
        if not np.issubdtype(idx.dtype, np.integer):
            raise ImportError_(f"{src}: column arch_index must hold integers")
        bad = (idx < 0) | (idx >= N_CELLS)
        if bad.any():
            raise ImportError_(f"{src}: arch_index {int(idx[bad][0])} out of range 0..{N_CELLS - 1}")
        if "arch_str" in df.columns:
            strs = df["arch_str"].to_numpy()
            for i, s in zip(idx, strs):
                check_arch(int(i), s, str(src))
        return idx.astype(np.int64)
    if "arch_str" in df.columns:
        try:
            return np.array([to_cell(s).index for s in df["arch_str"]], dtype=np.int64)
        except SpaceError as exc:
            raise ImportError_(f"{src}: {exc}") from None
    raise ImportError_(f"{src}: needs an 'arch_index' or 'arch_str' column; has: {', '.join(map(str, df.columns))}")


def float_column(df, column: str, src: Path) -> np.ndarray:
    """Column `column` as float64.

    Args:
        df: the frame.
        column: the column's name.
        src: its file, for the message.

    Returns:
        The values.

    Raises:
        ImportError_: the column holds something other than numbers.
    """
    try:
        return df[column].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ImportError_(f"{src}: column {column} must hold numbers") from None


def unique_indices(df, src: Path) -> np.ndarray:
    """`indices_of_frame`, each cell on one row only (the wide layouts).

    Args:
        df: the frame.
        src: its file, for the message.

    Returns:
        The indices, int64, one per row.

    Raises:
        ImportError_: as `indices_of_frame`, or an index repeats.
    """
    idx = indices_of_frame(df, src)
    if len(np.unique(idx)) != len(idx):
        raise ImportError_(f"{src}: arch_index values repeat; the wide layout has one row per cell")
    return idx


def _bad_row(src: Path, col: str, r: int, value: Any, rule: str) -> ImportError_:
    where = f"row {r}" if src.suffix.lower() in (".parquet", ".pq") else f"row {r} (line {r + 2})"
    return ImportError_(f"{src}: column {col}, {where}: {value!r}; {rule}")


def int_column(df, col: str, src: Path, lo: int, hi: int) -> np.ndarray:
    """Column `col` as int64, every value a whole number in lo..hi (no NaN, no overflow).

    Args:
        df: the frame.
        col: the column's name.
        src: its file, for the message.
        lo: the smallest value allowed.
        hi: the largest value allowed.

    Returns:
        The values.

    Raises:
        ImportError_: a value that is not a whole number in range, naming its row.
    """
    rule = f"{col} must be a whole number in {lo}..{hi}"
    v = df[col].to_numpy()
    if v.dtype.kind in "iu":
        bad = np.flatnonzero((v < lo) | (v > hi))
        if len(bad):
            raise _bad_row(src, col, int(bad[0]), v[bad[0]].item(), rule)
        return v.astype(np.int64)
    out = np.empty(len(v), dtype=np.int64)
    for r, x in enumerate(v.tolist()):  # floats (a NaN makes pandas read the column as float) or text
        i = _as_int(x)
        if i is None or not lo <= i <= hi:
            raise _bad_row(src, col, r, x, rule)
        out[r] = i
    return out


def _as_int(x: Any) -> int | None:
    """A whole number given as int, integral float or text; None for anything else (NaN, 1.5, 'a')."""
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        return int(x) if math.isfinite(x) and x.is_integer() else None
    if isinstance(x, str):
        try:
            return int(x.strip())
        except ValueError:
            try:
                return _as_int(float(x))
            except ValueError:
                return None
    return None


def finite_column(df, col: str, src: Path) -> np.ndarray:
    """Column `col` as float64: numbers, NaN (missing) allowed, infinities and text refused.

    Args:
        df: the frame.
        col: the column's name.
        src: its file, for the message.

    Returns:
        The values.

    Raises:
        ImportError_: an infinity or text, naming its row.
    """
    rule = f"{col} must be a finite number (or empty for missing)"
    try:
        v = df[col].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        import pandas as pd

        num = pd.to_numeric(df[col], errors="coerce")
        r = int(np.flatnonzero(num.isna().to_numpy() & df[col].notna().to_numpy())[0])
        raise _bad_row(src, col, r, df[col].iloc[r], rule) from None
    bad = np.flatnonzero(np.isinf(v))
    if len(bad):
        raise _bad_row(src, col, int(bad[0]), float(v[bad[0]]), rule)
    return v
