"""This process's connection to Ray: connect (or start a local instance), report Ray's failures in
one line, and stop a local instance that this process started, whichever way the process ends.

- `connect_ray` refuses in one line, before anything runs: Ray missing, an address with no
  host (`:6379`), an address that does not answer, or any failure of `ray.init` (without
  Ray's colour codes or logged traceback). It puts back the SIGINT/SIGTERM handlers of
  `nasbench.util.interrupt` that `ray.init` replaces (Ray's SIGTERM handler ends the process
  with a C++ stack dump).
- A local instance started here (no address) is this process's: `release_ray` shuts it down
  on a normal end or an error; after an interrupt, `release_ray(exit_code=...)` kills its
  processes and ends this process at once (Ray's graceful shutdown would wait seconds on each of
  its processes, and Ray's driver exits with status 1 as soon as its raylet dies).
- Linux: a watcher process (`nasbench.util._reaper`, started before `ray.init`) kills the local
  instance's processes when this process dies without stopping them (kill -9). Without it Ray's
  dashboard and runtime-env agents outlive a killed driver by a minute or more.

A cluster given by address is never stopped; only this process's actors on it are (by
`nasbench.util.executors.ray_map`).
"""
from __future__ import annotations

import os
import re
import signal
import sys
from typing import Any

from .interrupt import Interrupted, rearm

_RAY: dict[str, Any] = {}  # "started": a local instance this process started; "reaper": its watcher
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def one_line(exc: BaseException) -> str:
    """The first non-empty line of an error's message, without terminal colour codes (Ray colours
    its messages and prefixes them with actor names and ids).

    Args:
        exc: the error.

    Returns:
        The line (the exception's class name if its message is empty).
    """
    for line in _ANSI.sub("", str(exc)).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


#: the last line of a Python traceback: `ModuleNotFoundError: No module named 'x'`
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit)\w*): (.+)$")


def ray_cause(exc: BaseException) -> str:
    """What a Ray failure was underneath its wrapper, in one line: `Type: message` of the
    exception the task (or an actor's set-up) raised, found as Ray's `cause` or as the last line
    of the remote traceback Ray quotes; else `one_line`.

    Args:
        exc: a Ray exception (`RayTaskError`, `RayActorError` ...).

    Returns:
        The line, without colour codes, actor names or ids.
    """
    cause: BaseException = exc
    for _ in range(10):  # a task error may wrap another
        inner = getattr(cause, "cause", None)
        if not isinstance(inner, BaseException) or inner is cause:
            break
        cause = inner
    if cause is not exc and not type(cause).__module__.startswith("ray."):
        return f"{type(cause).__name__}: {one_line(cause)}"
    for line in reversed(_ANSI.sub("", str(exc)).splitlines()):
        m = _EXC_LINE.match(line.strip())
        if m:
            return f"{m.group(1).rsplit('.', 1)[-1]}: {m.group(2).strip()}"
    return one_line(exc)


def _check_address(address: str, error: type[Exception], timeout: float = 5.0) -> None:
    """A `host:port` (or `ray://host:port`) address must name a host and accept a TCP
    connection within `timeout` seconds: Ray itself retries an unreachable one for many minutes,
    and answers one without a host with a logged traceback."""
    import socket

    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
    if sep and port.isdigit() and not host.strip("[]"):
        raise error(f"Ray address {address!r} names no host; give host:port, e.g. 127.0.0.1:{port}")
    if not sep or not host or not port.isdigit():
        return  # "auto", "local" and other forms Ray resolves itself
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise error(f"cannot reach a Ray cluster at {address} ({exc.strerror or type(exc).__name__}); start one "
                    "with `ray start --head` and give its address (host:port), or leave --address out for a local "
                    "instance") from None


def connect_ray(address: str | None = None, error: type[Exception] = RuntimeError):
    """Ray, connected to the cluster at `address` (a new local instance when None; a no-op when
    this process is already connected).

    Args:
        address: `host:port` of a running cluster, or None for a local instance.
        error: the exception class of the one-line refusals.

    Returns:
        The `ray` module, initialised.
    """
    import logging

    try:
        import ray
    except ImportError:
        raise error("--executor ray needs Ray: pip install 'nasbench[ray]'") from None
    if ray.is_initialized():
        return ray
    if address:
        _check_address(address, error)
    if not address and not os.environ.get("RAY_ADDRESS"):  # a local instance: ours to stop
        _RAY["started"] = True
        _start_reaper()
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    except SystemExit as exc:  # Ray's own SIGTERM handler, set for the duration of ray.init
        if exc.code == signal.SIGTERM:
            raise Interrupted(signal.SIGTERM) from None
        raise
    except ConnectionError as exc:
        release_ray()
        raise error(f"cannot connect to the Ray cluster at {address}: {one_line(exc)}") from None
    except Exception as exc:  # Ray's own refusals (a malformed address, a failed start): one line
        release_ray()
        where = f"connect to the Ray cluster at {address}" if address else "start a local Ray instance"
        raise error(f"cannot {where}: {one_line(exc)}") from None
    finally:
        rearm()
    return ray


def _start_reaper() -> None:
    """Linux: the watcher of `nasbench.util._reaper` for this process (best effort)."""
    import subprocess

    if not sys.platform.startswith("linux"):  # pragma: no cover
        return
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_reaper.py")  # a script: imports nothing of ours
    try:
        _RAY["reaper"] = subprocess.Popen([sys.executable, "-I", "-S", script, str(os.getpid())],
                                          stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError:  # pragma: no cover
        pass


def release_ray(exit_code: int | None = None) -> None:
    """Stop the local Ray instance that `connect_ray` started in this process, and its watcher;
    a no-op when there is none (a cluster given by address is never stopped).

    Args:
        exit_code: None: shut Ray down gracefully and return. An exit status (the command was
            interrupted; its message is printed): SIGKILL the instance's processes and end this
            process now with that status, if there was an instance; else return.
    """
    started = _RAY.pop("started", False)
    reaper = _RAY.pop("reaper", None)
    if started and exit_code is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        if sys.platform.startswith("linux"):
            from ._reaper import descendants

            for pid in descendants(os.getpid()):  # every child of a command that started Ray is Ray's
                if reaper is None or pid != reaper.pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        os._exit(exit_code)  # the reaper sees its pipe close and kills anything these missed
    if started:
        import ray

        try:
            ray.shutdown()
        finally:
            rearm()
    if reaper is not None:
        reaper.stdin.close()  # the watcher kills whatever is left (nothing) and exits
        reaper.wait()


__all__ = ["connect_ray", "one_line", "release_ray"]
