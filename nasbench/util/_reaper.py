"""Watcher of a process that started a local Ray instance.

It kills that instance's processes if the process dies without shutting it down (kill -9, a crash).

Run as a script (standard library only, nothing of the package imported):
`python -I -S _reaper.py PID` with its stdin a pipe from process PID. Until the pipe closes it
records, twice a second, every descendant of PID (pid and start time, read from /proc). When the
pipe closes (PID exited or died) it sends SIGKILL to every recorded process that still runs with
the same start time, so a reused pid is never hit. Ray's raylet and GCS die with the driver by
themselves; its agents, reparented when the raylet dies, would otherwise linger for a minute or
more. After a normal shutdown nothing is left to kill. Linux only (it reads /proc).
"""
from __future__ import annotations

import os
import select
import signal
import sys

POLL_S = 0.5


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def descendants(pid: int) -> dict[int, str]:
    """Every live descendant of a process.

    Args:
        pid: the process.

    Returns:
        pid -> start time (clock ticks since boot) of each live descendant.
    """
    seen: dict[int, str] = {}
    todo = _children(pid)
    while todo:
        c = todo.pop()
        if c in seen:
            continue
        t = _start_time(c)
        if t is not None:
            seen[c] = t
            todo += _children(c)
    return seen


def watch(parent: int) -> int:
    """Record `parent`'s descendants until stdin closes, then kill those still running.

    A process counts as still running where its pid has the start time recorded for it.

    Args:
        parent: the watched process (the one whose pipe is this watcher's stdin).

    Returns:
        How many processes were killed.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the command, not for us
    recorded: dict[int, str] = {}
    fd = sys.stdin.fileno()
    while True:
        recorded.update(descendants(parent))
        ready, _, _ = select.select([fd], [], [], POLL_S)
        if ready and not os.read(fd, 4096):
            break
    recorded.pop(os.getpid(), None)  # this watcher is one of the descendants
    killed = 0
    for pid, started in recorded.items():
        if _start_time(pid) == started:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
    return killed


if __name__ == "__main__":
    watch(int(sys.argv[1]))
