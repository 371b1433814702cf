"""What both kinds of benchmark file share: opening, the format attribute, and the SHA-256.

Tables (`nasbench.tables.hdf5`) and surrogate benchmarks (`surrogates.benchmark`) use the HDF5
signature check and opening with one-line errors, the `format` attribute, hashing arrays into a
SHA-256, and the stored-hash check with its forensic `verify=False` escape.

Both file kinds are HDF5 with attributes `format`, `format_version` and `sha256`; the hash
covers every array as `name|dtype|shape` followed by its little-endian C-order bytes, sorted by
name (each kind adds its own metadata to the hash; see the README's file format).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import NasbenchError
from ..util.limits import check_regular_file

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

#: set to 1 to load tables and surrogate files whose SHA-256 does not match (forensic use)
NO_VERIFY_ENV = "NASBENCH_NO_VERIFY_HASH"


class TableError(NasbenchError, ValueError):
    """A file that cannot be read as a table of this format."""


class HashMismatchWarning(UserWarning):
    """A file whose content does not match its stored SHA-256 was loaded anyway.

    Issued for a table or surrogate file when the hash check is switched off.
    """


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message.

    Args:
        exc: the exception.

    Returns:
        Its message's first line, or its type's name where it has no message.
    """
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def open_hdf5(path: str | os.PathLike, what: str = "table", error: type[TableError] = TableError) -> Any:
    """Open an HDF5 file of this project for reading, with one-line errors.

    Args:
        path: the file.
        what: the word messages use for the file ("table", "surrogate").
        error: the error class to raise.

    Returns:
        `h5py.File(path, "r")`.

    Raises:
        TableError: (or `error`) a missing path, a directory, a FIFO or other file that is not
            regular, a file without the HDF5 signature, or one h5py cannot open (truncated,
            corrupt).
    """
    import h5py

    p = check_regular_file(path, what, error)  # a FIFO would block the open below forever
    with open(p, "rb") as fh:
        head = fh.read(len(HDF5_SIGNATURE))
    if head != HDF5_SIGNATURE:
        raise error(f"{p} is not an HDF5 file (a nasbench {what} is HDF5; see the README's file format)")
    try:
        return h5py.File(p, "r")
    except OSError as exc:
        raise error(f"{p} is truncated or corrupt and cannot be opened as HDF5 ({first_line(exc)})") from None


def file_format(path: str | os.PathLike) -> str:
    """The `format` attribute of an HDF5 file of this project (table or surrogate).

    Args:
        path: the file.

    Returns:
        The attribute; "" where the file has none.

    Raises:
        TableError: a file that cannot be opened as HDF5.
    """
    with open_hdf5(path) as f:
        return str(f.attrs.get("format", ""))


def hash_arrays(h: "hashlib._Hash", arrays: dict[str, np.ndarray], lead: str = "") -> None:
    """Feed arrays into a hash, sorted by name: a header line, then the bytes.

    Each array adds `{lead}name|dtype|shape` and a newline, then its bytes (little-endian, C
    order).

    Args:
        h: the hash to update.
        arrays: name -> array.
        lead: the separator a file kind puts before each header.
    """
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        h.update(f"{lead}{name}|{a.dtype.str}|{a.shape}\n".encode())
        h.update(a)  # the array's own buffer (C-contiguous): no copy


def new_hash(fmt: str, version: int) -> "hashlib._Hash":
    """A SHA-256 started with the file kind's `{format} v{version}` line.

    Args:
        fmt: the file kind's `format` attribute.
        version: its format version.

    Returns:
        The hash object.
    """
    h = hashlib.sha256()
    h.update(f"{fmt} v{version}\n".encode())
    return h


def verify_hash_default() -> bool:
    """Whether loading checks the SHA-256 when the caller does not say.

    Returns:
        True where `$NASBENCH_NO_VERIFY_HASH` is unset, empty or `0`; False where it is `1`.

    Raises:
        TableError: any other value, so that `false` or `no` never switches the check off by
            accident.
    """
    value = os.environ.get(NO_VERIFY_ENV, "").strip()
    if value in ("", "0"):
        return True
    if value == "1":
        return False
    raise TableError(f"{NO_VERIFY_ENV}={value[:40]!r}: allowed values are 1 (load files whose SHA-256 does not "
                     f"match) and 0 or unset (check it)")


def check_hash(p: Path, stored: str, computed: str, verify: bool | None, what: str = "table",
               error: type[TableError] = TableError) -> None:
    """Refuse a file whose recomputed SHA-256 differs from the stored one.

    With the check off, warn instead (`HashMismatchWarning`).

    Args:
        p: the file (for messages).
        stored: the hash the file states.
        computed: the hash of its content.
        verify: check; None: as `verify_hash_default` says.
        what: the word messages use for the file ("table", "surrogate").
        error: the error class to raise.

    Raises:
        TableError: (or `error`) the hashes differ and the check is on, or
            `$NASBENCH_NO_VERIFY_HASH` has a value other than 0 or 1.
    """
    check = verify_hash_default() if verify is None else verify  # a bad $NASBENCH_NO_VERIFY_HASH: refused always
    if stored == computed:
        return
    found = (f"{p}: SHA-256 mismatch (stored {stored[:12] + '...' if stored else '(none)'}, computed "
             f"{computed[:12]}...): the {what} was altered or is corrupt")
    if check:
        raise error(f"{found}; `nasbench verify` reports it; to load it anyway (forensic use) pass "
                    f"verify=False, --no-verify-hash or set {NO_VERIFY_ENV}=1")
    import warnings

    warnings.warn(f"{found}; loaded anyway because the hash check is off", HashMismatchWarning, stacklevel=3)
