"""The errors a benchmark query raises, each with its message.

Every kind of benchmark (a table, a surrogate, a new kind) refuses the same mistakes in the same
words, because the words live here, with the errors, and `nasbench.tables.benchmark.Benchmark`
raises them from its public methods after checking the arguments once. Each is a
`QueryError` (so `except QueryError` / `except ValueError` in callers keep working);
`kind` is the word the message uses for the benchmark ("table", "surrogate", ...).

This module imports nothing of the project but `nasbench.errors`.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from ..errors import NasbenchError


class QueryError(NasbenchError, ValueError):
    """A query names a metric, epoch, seed or cell the benchmark does not hold."""


def epoch_ranges(values: Iterable[int]) -> str:
    """Epoch numbers as a short text.

    Args:
        values: the epoch numbers.

    Returns:
        `'1..12'` for three or more consecutive values, else a comma-separated list; `'(none)'`
        when empty.
    """
    v = [int(x) for x in values]
    if not v:
        return "(none)"
    if v == list(range(v[0], v[-1] + 1)) and len(v) > 2:
        return f"{v[0]}..{v[-1]}"
    return ", ".join(map(str, v))


class UnknownMetric(QueryError):
    """A metric the benchmark does not answer.

    Args:
        metric: the metric asked for.
        kind: the word for the benchmark ("table", "surrogate", ...).
        allowed: the metrics it answers.
    """

    def __init__(self, metric: object, kind: str, allowed: Sequence[str]) -> None:
        super().__init__(f"unknown metric {metric!r}; this {kind} has: {', '.join(allowed)}")


class UnknownEpoch(QueryError):
    """An epoch the benchmark does not hold.

    Args:
        epoch: the epoch asked for.
        kind: the word for the benchmark ("table", "surrogate", ...).
        held: how its epochs came to be ("recorded", "modelled").
        epochs: the epochs it holds.
    """

    def __init__(self, epoch: object, kind: str, held: str, epochs: Iterable[int]) -> None:
        super().__init__(f"epoch {epoch!r} not {held}; this {kind} has epochs {epoch_ranges(epochs)}")


class UnknownSeed(QueryError):
    """A seed number (or a non-number) that is not one of the benchmark's seeds.

    Args:
        seed: the seed asked for.
        seeds: the benchmark's seeds.
    """

    def __init__(self, seed: object, seeds: Sequence[int]) -> None:
        super().__init__(f"seed {seed!r} not in this table; allowed: 'mean', 'random', or one of {[int(x) for x in seeds]}")


class BadSeedWord(QueryError):
    """A seed given as a word other than 'mean' or 'random'.

    Args:
        seed: the word given.
        seeds: the benchmark's seeds.
    """

    def __init__(self, seed: object, seeds: Sequence[int]) -> None:
        super().__init__(f"seed {seed!r} not allowed; use 'mean', 'random' or one of {[int(x) for x in seeds]}")


class MeanOnlySeed(QueryError):
    """A seed number asked of a metric held only as the mean over seeds.

    Args:
        metric: the metric.
    """

    def __init__(self, metric: str) -> None:
        super().__init__(f"metric {metric!r} holds only the mean over seeds in this table; use seed='mean'")


class NeedRng(QueryError):
    """`seed='random'` without a `numpy.random.Generator`.

    Args:
        rng: what was given instead (None: nothing).
    """

    def __init__(self, rng: object) -> None:
        got = "" if rng is None else f", got {type(rng).__name__}"
        super().__init__(f"seed='random' needs rng=numpy.random.Generator (numpy.random.default_rng(...)){got}")


class NotCovered(QueryError):
    """A cell the benchmark does not answer for.

    Args:
        cell: the cell's official index.
        kind: the word for the benchmark ("table", "surrogate", ...).
        covered: how many cells it answers for.
    """

    def __init__(self, cell: int, kind: str, covered: int) -> None:
        super().__init__(f"cell {int(cell)} is not covered by this {kind} ({covered} cells are)")


class NoObjective(QueryError):
    """An objective (`params`, `flops`, `latency:<device>`) the benchmark does not record.

    Args:
        name: the objective asked for.
        kind: the word for the benchmark ("table", "surrogate", ...).
        allowed: the objectives it records.
    """

    def __init__(self, name: object, kind: str, allowed: Sequence[str]) -> None:
        super().__init__(f"objective {name!r}: this {kind} records no such values; it has: "
                         f"{', '.join(allowed) or '(none)'}")


class UnknownProxy(QueryError):
    """A zero-cost proxy the benchmark does not hold, or holds without its compute seconds.

    Args:
        name: the proxy asked for.
        kind: the word for the benchmark ("table", "surrogate", ...).
        allowed: the proxies it holds.
        untimed: the proxy is held, but its compute seconds are not.
    """

    def __init__(self, name: object, kind: str, allowed: Sequence[str], untimed: bool = False) -> None:
        if untimed:
            super().__init__(f"proxy {name!r} of this {kind} has no recorded compute time")
        else:
            super().__init__(f"unknown proxy {name!r}; this {kind} has: {', '.join(allowed) or 'none'}")


class BadMode(QueryError):
    """`best(mode=...)` other than 'max' or 'min'.

    Args:
        mode: the mode given.
    """

    def __init__(self, mode: object) -> None:
        super().__init__(f"mode {mode!r} not allowed; use 'max' or 'min'")
