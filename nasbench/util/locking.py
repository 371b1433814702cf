"""One writer at a time: an exclusive lock on a results directory or a generation journal.

The lock is `flock(LOCK_EX | LOCK_NB)` on the directory or file itself, so it leaves no lock
file behind and the kernel releases it when the holder exits or dies (`kill -9` included;
worker processes forked by the holder share it, which is why they die with it). A second
writer is refused at once with a `LockHeld` naming the path and, where Linux says
(`/proc/locks`), the pid of the holder. Advisory: it excludes other `nasbench` writers,
not programs that ignore it.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from typing import Iterator

from .atomic import LinkRefused
from ..errors import NasbenchError


class LockHeld(NasbenchError, ValueError):
    """Another process is writing the same results directory or journal."""


def holder_pid(path: str | os.PathLike) -> int | None:
    """The pid holding a `flock` on `path` according to `/proc/locks` (None: unknown).

    Args:
        path: the locked file or directory.

    Returns:
        The pid, or None.
    """
    try:
        st = os.stat(path)
        with open("/proc/locks") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in lines:
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 12345 08:01:1234567 0 EOF" ("->" marks a waiter: skipped)
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5] == want:
            try:
                return int(parts[4])
            except ValueError:
                return None
    return None


@contextlib.contextmanager
def exclusive(path: str | os.PathLike, what: str) -> Iterator[None]:
    """Hold an exclusive lock on `path` (an existing directory, or a file, created empty if
    missing) for the `with` block; raise `LockHeld` at once if another process holds it.
    `what` names the thing in the message (e.g. `results directory results/default`).

    Args:
        path: the directory or file to lock.
        what: the thing's name in the message.

    Raises:
        LockHeld: another process holds the lock.
    """
    p = Path(path)
    # a journal is never opened through a link planted at its name (O_NOFOLLOW: ELOOP)
    flags = os.O_RDONLY if p.is_dir() else os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW
    try:
        fd = os.open(p, flags | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise LinkRefused(f"{p} is a symbolic link; nasbench does not write through links it did not create: "
                          "remove it (its target is untouched) or name the file itself") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = holder_pid(p)
            by = f"process {pid}" if pid is not None else "another process"
            raise LockHeld(f"{what} is being written by {by}; wait for it to finish, or stop it, "
                           "then run again (one writer at a time)") from None
        yield
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def exclusive_dir(path: str | os.PathLike, what: str) -> Iterator[None]:
    """`exclusive` on a directory, created (with its parents) if missing; a directory this
    call created is removed again if the block fails while it is still empty (a refused second
    writer, `LockHeld`, never removes anything).

    Args:
        path: the directory to lock.
        what: the thing's name in the message.

    Raises:
        LockHeld: another process holds the lock.
    """
    p = Path(path)
    created = not p.exists()
    p.mkdir(parents=True, exist_ok=True)
    try:
        with exclusive(p, what):
            yield
    except LockHeld:
        raise
    except BaseException:
        if created:
            try:
                p.rmdir()  # only if still empty
            except OSError:
                pass
        raise


__all__ = ["LockHeld", "exclusive", "exclusive_dir", "holder_pid"]
