"""Stopping at once on SIGINT and SIGTERM while keeping every finished result.

The contract, for the command line and for the runners it calls:

- `handlers` (installed by `nasbench` around every command) makes both signals raise
  `Interrupted` in the main thread. It is a `KeyboardInterrupt`, so code that cleans up on
  Ctrl-C cleans up on SIGTERM too, and library users who never install the handlers still get
  `KeyboardInterrupt` for Ctrl-C as Python gives it. A second signal during the clean-up ends
  the process at once (exit 128 + signal number).
- A runner that owns worker processes stops them at once when it sees the interrupt (no queued
  task is started, no running one is waited for), keeps every result already on disk and re-raises
  `interrupted` with how many it kept; the command prints one line and exits
  128 + the signal number: 130 for SIGINT, 143 for SIGTERM.
- Worker processes are started with `starting_workers` around their creation and call
  `worker_signals` first: they ignore SIGINT (a terminal sends Ctrl-C to the whole process
  group; the parent decides) and die at once on SIGTERM, which is how their parent stops them.

Only the standard library is used here, so every layer may import it.
"""
from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Iterator

#: the signals that stop a command
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_ACTIVE: dict[str, object] = {}  # "previous": the handlers `handlers()` replaced, "hits": signals seen


class Interrupted(KeyboardInterrupt):
    """A command stopped by SIGINT or SIGTERM.

    Attributes:
        signum: the signal that stopped it.
        kept: finished results kept on disk (runs of a comparison), None where not counted.
    """

    def __init__(self, signum: int = signal.SIGINT, kept: int | None = None) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)
        self.kept = kept

    @property
    def exit_code(self) -> int:
        """128 + the signal number (130 for SIGINT, 143 for SIGTERM), as a shell reports it."""
        return 128 + self.signum


def interrupted(exc: BaseException, kept: int | None = None) -> Interrupted:
    """`exc` (an `Interrupted`, or a plain `KeyboardInterrupt` from Python's own SIGINT
    handler) as an `Interrupted` that records `kept` finished results.

    Args:
        exc: the interrupt caught.
        kept: finished results on disk.

    Returns:
        The exception to raise (`raise interrupted(exc, n) from None`).
    """
    return Interrupted(getattr(exc, "signum", signal.SIGINT), kept)


def _raise(signum: int, frame) -> None:
    hits = int(_ACTIVE.get("hits", 0)) + 1
    _ACTIVE["hits"] = hits
    if hits > 1:  # a second signal while cleaning up: stop now (workers die with this process)
        os.write(2, b"interrupted again: stopped at once\n")
        os._exit(128 + signum)
    raise Interrupted(signum)


@contextmanager
def handlers() -> Iterator[None]:
    """SIGINT and SIGTERM raise `Interrupted` inside this block (main thread only; a no-op
    elsewhere); the previous handlers are restored after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    _ACTIVE.clear()
    _ACTIVE["previous"] = previous
    for s in STOP_SIGNALS:
        signal.signal(s, _raise)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        _ACTIVE.clear()


def rearm() -> None:
    """Put this module's handlers back where a library replaced them (`ray.init` installs its
    own SIGTERM handler); a no-op outside `handlers` or off the main thread."""
    if "previous" in _ACTIVE and threading.current_thread() is threading.main_thread():
        for s in STOP_SIGNALS:
            signal.signal(s, _raise)


@contextmanager
def starting_workers(fork: bool) -> Iterator[None]:
    """Block SIGINT (and SIGTERM for `fork`) in this thread while worker processes are created, so
    that no worker sees a signal before `worker_signals` has run; signals that arrive in the
    meantime are delivered to this process when the block ends.

    Args:
        fork: the workers are forked (they inherit this process's Python handlers until their
            initialiser runs); spawned workers start with default handlers, so SIGTERM stays
            deliverable and stops them even while they import.
    """
    if not fork:  # multiprocessing starts its resource tracker with the first spawned process and then
        from multiprocessing import resource_tracker  # unblocks SIGINT/SIGTERM: start it before blocking

        resource_tracker.ensure_running()
    block = {signal.SIGINT, signal.SIGTERM} if fork else {signal.SIGINT}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, block)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def worker_signals() -> None:
    """In a worker process: ignore SIGINT, die at once on SIGTERM, and unblock both (the mask
    `starting_workers` set is inherited)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, set(STOP_SIGNALS))


__all__ = ["Interrupted", "STOP_SIGNALS", "handlers", "interrupted", "rearm", "starting_workers", "worker_signals"]
