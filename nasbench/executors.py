"""Independent tasks run in worker processes, each worker set up once by an initialiser and the
results yielded as they finish: a local spawn pool (``--jobs``) or Ray actors (``--executor ray``)."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

EXECUTORS = ("local", "ray")


def die_with_parent(parent: int | None = None) -> None:
    """Linux: this process gets SIGKILL when its parent dies, so no orphan worker trains on.
    ``parent``: the pid that started this process; if it died before the signal was armed (this
    process already belongs to another), exit at once."""
    import os

    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def keep_freed_memory() -> bool:
    """Linux/glibc: keep memory that PyTorch frees for reuse instead of handing it back to the
    kernel. By default glibc trims the heap and unmaps large blocks after every batch, and the next
    batch page-faults them back in: a long-running CPU training worker spent 15-18 % of its time in
    the kernel that way (~80,000 page faults a second). Process-wide; it changes where tensors
    live, never what is computed. True when it took effect."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
        return bool(libc.mallopt(m_trim_threshold, 1 << 30) and libc.mallopt(m_top_pad, 64 << 20)
                    and libc.mallopt(m_mmap_threshold, 32 << 20))  # 32 MiB: glibc's largest
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False


def _pool_init(init: Callable[..., None], init_args: tuple) -> None:
    die_with_parent()
    init(*init_args)


def pool_map(fn: Callable[[Any], Any], tasks: Iterable[Any], jobs: int, init: Callable[..., None],
             init_args: tuple = ()) -> Iterator[Any]:
    """``fn(task)`` for each task in ``jobs`` spawned processes (each ran ``init(*init_args)``
    first and dies with this one), in the order they finish."""
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(jobs, initializer=_pool_init, initargs=(init, init_args)) as pool:
        yield from pool.imap_unordered(fn, tasks, chunksize=1)


def _check_reachable(address: str, error: type[Exception], timeout: float = 5.0) -> None:
    """A ``host:port`` (or ``ray://host:port``) address must accept a TCP connection within
    ``timeout`` seconds: Ray itself retries an unreachable one for many minutes."""
    import socket

    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
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
    """Ray, connected to the cluster at ``address`` (a new local instance when None; a no-op when
    this process is already connected). Raises ``error`` (one line) when Ray is not installed or
    the address cannot be reached, before anything else happens."""
    try:
        import ray
    except ImportError:
        raise error("--executor ray needs Ray: pip install 'nasbench[ray]'") from None
    if not ray.is_initialized():
        if address:
            _check_reachable(address, error)
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        except ConnectionError as exc:
            raise error(f"cannot connect to the Ray cluster at {address}: {str(exc).splitlines()[0]}") from None
    return ray


def ray_map(fn: Callable[[Any], Any], tasks: Iterable[Any], workers: int, init: Callable[..., None],
            init_args: tuple = (), address: str | None = None, gpu: bool = False,
            error: type[Exception] = RuntimeError) -> Iterator[Any]:
    """The same on ``workers`` Ray actors (one CPU each, and one GPU each when ``gpu``) of the
    cluster at ``address`` (a local instance when None), each fed its next task as it finishes
    one (handed over before the result is yielded, so no actor waits on the caller). Without Ray
    installed, or with an address that cannot be reached, raises ``error`` saying so."""
    ray = connect_ray(address, error)

    @ray.remote(num_cpus=1, num_gpus=1 if gpu else 0)
    class Worker:
        def __init__(self) -> None:
            init(*init_args)

        def run(self, task: Any) -> Any:
            return fn(task)

    actors = [Worker.remote() for _ in range(max(1, workers))]
    pending: dict[Any, Any] = {}
    it = iter(tasks)
    for actor in actors:
        task = next(it, None)
        if task is not None:
            pending[actor.run.remote(task)] = actor
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        actor = pending.pop(done[0])
        result = ray.get(done[0])
        task = next(it, None)
        if task is not None:
            pending[actor.run.remote(task)] = actor
        yield result
