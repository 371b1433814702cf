"""Write a file so that readers see the old one or the complete new one, never a half-written one,
and never write through a symbolic link the command did not create.

Every writer of a file a later command reads back goes through `atomic_path` (or
`atomic_write`): the new content is written to `<name>.tmp` beside the target, created
exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`), then renamed over the target. A rename replaces
a link at the target's name instead of writing into what it points to. A symbolic link (or any
non-regular file) planted at the temporary name is refused with `LinkRefused` naming it,
its target untouched; a regular file left there by a killed writer is left alone and a unique
temporary name is used instead.

Folders the command creates inside an output directory are made by `ensure_dir`, which
refuses a component below the output directory that is a symbolic link or not a folder (e.g. a
planted `runs/<label>` or `figures` link); the output directory itself, being named by the
user, may be a link.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import Iterator

from ..errors import NasbenchError

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class LinkRefused(NasbenchError, ValueError):
    """A path the command would write is a symbolic link (or not a regular file or folder) that
    the command did not create."""


def _refuse(path: Path, what: str) -> LinkRefused:
    return LinkRefused(f"{path} is {what}; nasbench does not write through links or special files it did not "
                       "create: remove it (its target is untouched) and run again")


def _kind(st: os.stat_result) -> str:
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link"
    if stat.S_ISDIR(st.st_mode):
        return "a folder"
    return "not a regular file"


def ensure_dir(path: str | os.PathLike, root: str | os.PathLike | None = None) -> Path:
    """Create the folder `path` (and its parents) and return it, refusing (`LinkRefused`)
    any component below `root` that is a symbolic link or not a folder. Without `root` nothing
    is checked (the folder was named by the user); with `path` outside `root` only `path`.

    Args:
        path: the folder to create.
        root: the output directory the command was given; components from it down are checked.

    Returns:
        `path` as a Path.
    """
    path = Path(path)
    if root is None:
        path.mkdir(parents=True, exist_ok=True)
        return path
    Path(root).mkdir(parents=True, exist_ok=True)
    for p in _below(path, root):
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            p.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.mkdir(p)
                continue
            except FileExistsError:
                st = os.lstat(p)
        if not stat.S_ISDIR(st.st_mode):
            raise _refuse(p, _kind(st))
    return path


def _below(path: Path, root: str | os.PathLike | None) -> list[Path]:
    """The components of `path` from just below `root` down to `path` (only `path` without
    `root` or outside it)."""
    if root is None:
        return [path]
    try:
        rel = path.relative_to(root)
    except ValueError:
        return [path]
    return [Path(root).joinpath(*rel.parts[:i]) for i in range(1, len(rel.parts) + 1)]


def check_dir(path: str | os.PathLike, root: str | os.PathLike | None = None) -> None:
    """Refuse (`LinkRefused`) a component of `path` below `root` (only `path` itself
    without `root`) that exists and is a symbolic link or not a folder; create nothing.

    Args:
        path: a folder the command will write into.
        root: the output directory the command was given.
    """
    for p in _below(Path(path), root):
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(st.st_mode):
            raise _refuse(p, _kind(st))


def _open_temp(path: Path) -> tuple[int, Path]:
    """An exclusive new temporary file beside `path`: `<name>.tmp`, or a unique name where a
    regular file (a killed writer's, or another writer's) already holds that one."""
    mode = 0o666  # less the umask, as for any new file (not mkstemp's 0600)
    tmp = path.with_name(path.name + ".tmp")
    try:
        return os.open(tmp, _FLAGS, mode), tmp
    except FileExistsError:  # O_EXCL: a link there is never followed
        pass
    st = os.lstat(tmp)
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(tmp, _kind(st))
    while True:
        alt = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(alt, _FLAGS, mode), alt
        except FileExistsError:
            continue


def check_target(path: str | os.PathLike) -> None:
    """Refuse a target that exists and is neither a regular file nor a symbolic link (a folder,
    a FIFO, a device: renaming onto it would fail or hang a reader).

    Args:
        path: the file about to be replaced.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        raise _refuse(Path(path), _kind(st))


def check_writable(paths) -> None:
    """Refuse, before a command writes anything, a planted link (or special file) at the
    temporary name of any of `paths` or at `paths` themselves (see `check_target`).

    Args:
        paths: the files the command will write.
    """
    for path in paths:
        path = Path(path)
        check_target(path)
        tmp = path.with_name(path.name + ".tmp")
        try:
            st = os.lstat(tmp)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(tmp, _kind(st))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, root: str | os.PathLike | None = None) -> Iterator[Path]:
    """Yield a new, exclusively created temporary path beside `path`; on success it replaces
    `path` (with the usual file mode), on any exception it is removed and `path` is untouched.

    Args:
        path: the file to write.
        root: the output directory `path` lies in: folders below it are created by
            `ensure_dir` (a planted link refused).

    Returns:
        A context manager yielding the temporary path to write.
    """
    path = Path(path)
    ensure_dir(path.parent, root)
    check_target(path)
    fd, tmp = _open_temp(path)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: str | bytes, root: str | os.PathLike | None = None,
                 fsync: bool = False) -> None:
    """Write `data` (text as UTF-8) to `path` atomically through `atomic_path`.

    Args:
        path: the file to write.
        data: its whole content.
        root: the output directory, as for `atomic_path`.
        fsync: flush the file to disk before the rename.
    """
    raw = data.encode() if isinstance(data, str) else data
    path = Path(path)
    ensure_dir(path.parent, root)
    check_target(path)
    fd, tmp = _open_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_h5(path: str | os.PathLike):
    """An `h5py.File` opened for writing that appears at `path` only once fully written.

    Args:
        path: the file to write.

    Yields:
        The open `h5py.File`.
    """
    import h5py

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        yield f


__all__ = ["LinkRefused", "atomic_h5", "atomic_path", "atomic_write", "check_dir", "check_target", "check_writable", "ensure_dir"]
