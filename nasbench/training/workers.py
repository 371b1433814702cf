"""Training workers shared by `generate` (tables) and `validate` (retraining the winners).

Each worker process loads the data and prepares it for the recipe once (`init_training_worker`,
state in `WORKER`), then trains the tasks it is handed. `run_tasks` runs the tasks in
this process (one job), in a spawned local pool (`jobs` > 1) or on Ray actors (`executor="ray"`),
never starting more workers than there are tasks, and yields the results as they finish. The
generic process plumbing (spawn pool, Ray actors, dying with the parent) is in
`nasbench.util.executors`.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

from ..util.executors import keep_freed_memory, pool_map, ray_map

#: this process's training state: `data`, `recipe` (a Recipe), `device`, `prepared` (the data
#: on the device), and with `fingerprint=True` also `fingerprint` / `fingerprint_id`
WORKER: dict[str, Any] = {}


def init_training_worker(data: Any, recipe: dict[str, Any], data_dir: str | None, device: str, threads: int,
                         fingerprint: bool = False) -> None:
    """Set this process up to train: `data` a data spec (a DataSpec or its dict), `recipe` a
    Recipe dict, `threads` torch threads (0: leave torch's default), `fingerprint`: record
    this machine's fingerprint for the units it trains.

    Args:
        data: a `DataSpec` or its dict.
        recipe: a `Recipe` dict.
        data_dir: where the dataset files are; None: the default.
        device: the torch device.
        threads: torch threads; 0: torch's default.
        fingerprint: record this machine's fingerprint.
    """
    import torch

    from .datasets import load_data_spec
    from .train import prepare_data, recipe_from_dict

    keep_freed_memory()
    if threads:
        torch.set_num_threads(threads)
    ds = load_data_spec(data, data_dir)
    rec = recipe_from_dict(recipe)
    WORKER.update(data=ds, recipe=rec, device=device, prepared=prepare_data(ds, rec, device))
    if fingerprint:
        from .fingerprint import current

        fp = current(threads, device)
        WORKER.update(fingerprint=fp.to_dict(), fingerprint_id=fp.id)


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], jobs: int, init_args: tuple,
              executor: str = "local", address: str | None = None, gpu: bool = False,
              error: type[Exception] = RuntimeError) -> Iterator[Any]:
    """`fn(task)` for every task, each worker set up by `init_training_worker(*init_args)`; the
    results in the order they finish (in order for one job). `error`: raised, with how to get
    Ray, when `executor="ray"` and Ray is missing.

    Args:
        fn: the function applied to each task.
        tasks: the tasks.
        jobs: number of workers.
        init_args: arguments of `init_training_worker`.
        executor: `local` or `ray`.
        address: the Ray cluster's address; None: a local instance.
        gpu: give each Ray worker one GPU.
        error: the exception class raised when Ray is missing.

    Yields:
        Each task's result, as it finishes.
    """
    if not tasks:
        return
    jobs = min(jobs, len(tasks))  # never more workers than tasks
    if executor == "ray":
        yield from ray_map(fn, tasks, jobs, init_training_worker, init_args, address, gpu=gpu, error=error)
    elif jobs > 1:
        yield from pool_map(fn, tasks, jobs, init_training_worker, init_args)
    else:
        init_training_worker(*init_args)
        try:
            yield from map(fn, tasks)
        finally:
            WORKER.clear()
