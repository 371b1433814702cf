"""A comparison's runs on Ray actors (`nasbench compare --executor ray --address ADDR`).

The search state every run shares (`nasbench.search.runner._Shared`: the search view, the
test values, the strategies' context) is built once by the caller, put in Ray's object store
once, and fetched once by each actor; each actor then runs one `(strategy, run)` at a time and
sends its columns back. The caller writes every run file as its result arrives, so the results
directory need not be on a filesystem the cluster shares, and a comparison killed at any moment
keeps every finished run (`--resume` continues it). The actors are the generator's and
validation's (`nasbench.util.executors.ray_map`); this module only says what they run.

Where runs execute (`--executor`, `--jobs`: processes here or actors on a cluster) changes
nothing in the results: each run's seeds depend on its strategy label and run number alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from ..strategies.plugins import PluginError, init_worker
from ..util.executors import connect_ray, ray_map


@dataclass(frozen=True)
class FinishedRun:
    """One finished search: its strategy label, run number and tidy columns."""

    label: str
    run: int
    cols: dict[str, list]


def connect(address: str | None, error: type[Exception]) -> int:
    """Connect to the Ray cluster (or start a local instance).

    Args:
        address: the cluster's address, or None for a local instance.
        error: the error type raised (one line) when Ray is missing or `address` cannot be reached.

    Returns:
        The number of CPUs the cluster has (at least 1).
    """
    ray = connect_ray(address, error)
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


#: what an actor holds once set up: the shared search state, the search function, or the plug-in error
_ACTOR: dict[str, Any] = {}

#: one search: (shared state, strategy spec, run number) -> the run's tidy columns
RunFn = Callable[[Any, Any, int], dict[str, list]]


def _init_actor(box: list, run: RunFn, imports: tuple[str, ...] = ()) -> None:
    """Actor set-up: import the plug-ins the strategies come from (`nasbench.strategies.plugins`),
    then fetch the shared search state once (`box` holds its object reference). A plug-in that
    fails to import here is raised by the actor's first task, as itself (one line naming it)."""
    import ray

    _ACTOR["run"] = run
    try:
        init_worker(imports)
    except PluginError as exc:
        _ACTOR["error"] = exc
    _ACTOR["shared"] = ray.get(box[0])


def _run(task: tuple[Any, int]) -> FinishedRun:
    if "error" in _ACTOR:
        raise _ACTOR["error"]
    spec, r = task
    return FinishedRun(spec.label, r, _ACTOR["run"](_ACTOR["shared"], spec, r))


def ray_runs(shared: Any, todo: Sequence[tuple[Any, int]], run: RunFn, actors: int, address: str | None,
             error: type[Exception], imports: tuple[str, ...] = ()) -> Iterator[FinishedRun]:
    """Run every `(StrategySpec, run)` of `todo` on Ray actors.

    Args:
        shared: the search state every run needs (put once into Ray's object store).
        todo: the `(StrategySpec, run number)` pairs.
        run: the search function each actor calls (a module-level function, sent by reference).
        actors: the number of actors (never more than runs).
        address: the cluster's address (None: a local instance).
        error: the one-line error raised when Ray is missing or the cluster cannot be reached.
        imports: the plug-ins each actor imports first (module names, or .py paths that exist on
            every node).

    Yields:
        The finished runs, in the order they finish.
    """
    if not todo:
        return
    ray = connect_ray(address, error)
    box = [ray.put(shared)]  # one copy in the object store, whatever the number of actors
    yield from ray_map(_run, list(todo), min(actors, len(todo)), _init_actor, (box, run, tuple(imports)), address,
                       error=error)


__all__ = ["FinishedRun", "connect", "ray_runs"]
