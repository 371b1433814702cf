"""Independent tasks run in worker processes, each worker set up once by an initialiser and the
results yielded as they finish: a local pool (`--jobs`) or Ray actors (`--executor ray`).

Stopping (`nasbench.util.interrupt`): every worker dies with the process that started it (a kill -9
leaves no orphan), ignores SIGINT and dies on SIGTERM. When the caller stops consuming the results
(an interrupt, an error, or closing the generator), the local pool's workers are terminated at once:
no queued task starts and no running one is waited for; results already yielded are the caller's.
Ray actors are killed the same way, and a local Ray instance that `connect_ray` started is
shut down by `release_ray` (the command line calls it on every exit).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from .interrupt import starting_workers, worker_signals
from .ray_session import connect_ray, one_line, ray_cause, release_ray  # noqa: F401  (re-exported Ray entry points)

EXECUTORS = ("local", "ray")


def die_with_parent(parent: int | None = None) -> None:
    """Linux: this process gets SIGKILL when its parent dies, so no orphan worker trains on.
    `parent`: the pid that started this process; if it died before the signal was armed (this
    process already belongs to another), exit at once.

    Args:
        parent: the pid that started this process; None: not checked.
    """
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


def become_worker(parent: int | None = None) -> None:
    """A worker process's first step: `die_with_parent` and the signal dispositions of
    `nasbench.util.interrupt.worker_signals` (SIGINT ignored, SIGTERM fatal).

    Args:
        parent: the pid that started this process, as in `die_with_parent`.
    """
    worker_signals()
    die_with_parent(parent)


def _pool_init(init: Callable[..., None], init_args: tuple, parent: int) -> None:
    become_worker(parent)
    init(*init_args)


def pool_map(fn: Callable[[Any], Any], tasks: Iterable[Any], jobs: int, init: Callable[..., None],
             init_args: tuple = ()) -> Iterator[Any]:
    """`fn(task)` for each task in `jobs` spawned processes (each ran `init(*init_args)`
    first and dies with this one), in the order they finish. When the iterator is closed or
    garbage collected before the end (an interrupt or an error in the caller), the workers are
    terminated at once.

    Args:
        fn: the function applied to each task.
        tasks: the tasks.
        jobs: number of processes.
        init: run once in each process.
        init_args: arguments of `init`.

    Yields:
        Each task's result, as it finishes.
    """
    import multiprocessing as mp
    import os

    pool = None
    try:
        with starting_workers(fork=False):  # no worker sees a signal before its initialiser
            pool = mp.get_context("spawn").Pool(jobs, initializer=_pool_init, initargs=(init, init_args, os.getpid()))
        yield from pool.imap_unordered(fn, tasks, chunksize=1)
        pool.close()
    finally:
        if pool is not None:
            pool.terminate()  # SIGTERM to every worker still running (none after a normal end)
            pool.join()


def stop_now(pool: Any) -> None:
    """Stop a `concurrent.futures.ProcessPoolExecutor` at once: cancel the queued tasks and
    SIGTERM the workers (its own shutdown waits for every running task to finish).

    Args:
        pool: the `ProcessPoolExecutor`.
    """
    procs = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.exitcode is None:
            p.terminate()
    for p in procs:
        p.join()
    # the pool's manager thread closes its wake-up pipe when it sees the workers gone; waiting for it
    # here keeps the interpreter's exit hook from writing to that pipe while it is being closed
    if manager is not None:
        manager.join(timeout=10)


def _ignore_sigint() -> None:
    import signal

    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # pragma: no cover - not the main thread of the worker
        pass


def ray_map(fn: Callable[[Any], Any], tasks: Iterable[Any], workers: int, init: Callable[..., None],
            init_args: tuple = (), address: str | None = None, gpu: bool = False,
            error: type[Exception] = RuntimeError) -> Iterator[Any]:
    """The same on `workers` Ray actors (one CPU each, and one GPU each when `gpu`) of the
    cluster at `address` (a local instance when None), each fed its next task as it finishes
    one (handed over before the result is yielded, so no actor waits on the caller). Without Ray
    installed, or with an address that cannot be reached, raises `error` saying so.

    A task's exception is raised here as itself (not wrapped in Ray's coloured, multi-line error),
    except an ImportError (a module the workers cannot import: the environment, not a bug); that,
    and an actor that dies, raise `error` in one line naming the underlying exception's type and
    message (`nasbench.util.ray_session.ray_cause`). When the caller stops early
    (an interrupt, an error, closing the iterator), every actor is killed at once.

    Args:
        fn: the function applied to each task.
        tasks: the tasks.
        workers: number of Ray actors.
        init: run once in each actor.
        init_args: arguments of `init`.
        address: the Ray cluster's address; None: a local instance.
        gpu: give each actor one GPU.
        error: the exception class raised when Ray is missing or unreachable.

    Yields:
        Each task's result, as it finishes.
    """
    ray = connect_ray(address, error)
    from ray.exceptions import RayActorError, RayTaskError

    @ray.remote(num_cpus=1, num_gpus=1 if gpu else 0)
    class Worker:
        def __init__(self) -> None:
            _ignore_sigint()  # a terminal's Ctrl-C reaches a local instance's workers too; the driver decides
            init(*init_args)

        def run(self, task: Any) -> Any:
            return fn(task)

    actors = [Worker.remote() for _ in range(max(1, workers))]
    pending: dict[Any, Any] = {}
    it = iter(tasks)
    try:
        for actor in actors:
            task = next(it, None)
            if task is not None:
                pending[actor.run.remote(task)] = actor
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            actor = pending.pop(done[0])
            try:
                result = ray.get(done[0])
            except RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                if isinstance(cause, Exception) and not isinstance(cause, (RayTaskError, ImportError)):
                    raise cause from None
                raise error(f"a Ray task failed: {ray_cause(exc)}") from None
            except RayActorError as exc:
                raise error(f"a Ray worker died: {ray_cause(exc)}") from None
            task = next(it, None)
            if task is not None:
                pending[actor.run.remote(task)] = actor
            yield result
    finally:
        for actor in actors:
            try:
                ray.kill(actor, no_restart=True)
            except Exception:  # pragma: no cover - already gone, or Ray shut down
                pass
