"""What a proxy-guided strategy may know about the table's zero-cost proxies, and what scoring costs.

A strategy never holds the benchmark: the runner builds a `ProxyInputs` from the table
(`proxy_inputs`) and passes it as `SearchContext.proxies`; the strategy reads values and
is charged, as each job's `overhead` (`Job.overhead`), the seconds the table records for computing them.

`seconds[name][cell]` is what scoring `cell` by `name` alone costs: the table's
`proxy_cost_many`, i.e. the whole pass that yields
`name` (one backward pass gives snip, grad_norm and fisher; one forward and one input
gradient give jacob_cov and naswot). `ProxyInputs.cost` of several proxies charges every
pass touched once (`passes`, as the table records them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from ..space import N_CELLS
from ..errors import NasbenchError


class ProxyInputError(NasbenchError, ValueError):
    """A proxy the table does not hold (or holds without compute seconds, or not for every cell)."""


@dataclass(frozen=True)
class ProxyInputs:
    """The table's zero-cost proxies per official cell index (NaN: not computed, or undefined for
    that cell), the seconds scoring a cell by each costs (NaN: not recorded), and which proxies
    share a computation pass."""

    values: Mapping[str, np.ndarray]
    seconds: Mapping[str, np.ndarray]
    #: pass name -> the proxies it yields (a proxy in no pass is a pass of its own)
    passes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        """The proxies held, sorted."""
        return tuple(sorted(self.values))

    def require(self, name: str, candidates: np.ndarray) -> None:
        """Check that a proxy was computed (has seconds) for every candidate.

        Args:
            name: the proxy.
            candidates: official indices of the table's cells.

        Raises:
            ProxyInputError: the proxy is not held, has no compute seconds, or misses candidates.
        """
        have = ", ".join(self.names) or "none"
        if name not in self.values:
            raise ProxyInputError(f"proxy {name!r} is not in this table; it has: {have}")
        sec = self.seconds.get(name)
        if sec is None:
            raise ProxyInputError(f"proxy {name!r} has no recorded compute seconds in this table, so its "
                                  f"cost cannot be charged; proxies with seconds: "
                                  f"{', '.join(sorted(self.seconds)) or 'none'}")
        missing = int((~np.isfinite(sec[np.asarray(candidates, dtype=np.int64)])).sum())
        if missing:
            full = [n for n in self.names if n in self.seconds
                    and np.all(np.isfinite(self.seconds[n][np.asarray(candidates, dtype=np.int64)]))]
            raise ProxyInputError(f"proxy {name!r} was not computed for {missing:,} of the table's "
                                  f"{len(candidates):,} cells; proxies computed for all: {', '.join(full) or 'none'}")

    def cost(self, names: Iterable[str], cells: np.ndarray) -> float:
        """Seconds to compute some proxies for some cells: each pass touched charged once, whole.

        Args:
            names: the proxies.
            cells: official indices.

        Returns:
            The seconds (cells without recorded seconds add nothing).
        """
        cells = np.asarray(cells, dtype=np.int64)
        pass_of = {m: p for p, members in self.passes.items() for m in members}
        charged: set[str] = set()
        total = 0.0
        for n in names:
            p = pass_of.get(n, n)
            if p in charged:
                continue
            charged.add(p)
            v = self.seconds[n][cells]
            total += float(v[np.isfinite(v)].sum())
        return total


def proxy_inputs(bench: Any) -> ProxyInputs | None:
    """The proxies a benchmark serves, per cell, with what scoring a cell by each costs.

    The costs are the table's recorded compute seconds; a proxy without them has none here, and
    strategies refuse it.

    Args:
        bench: the benchmark.

    Returns:
        The inputs, or None when the benchmark has no proxies.
    """
    names = tuple(bench.proxy_names)
    if not names:
        return None
    cov = np.asarray(bench.covered, dtype=np.int64)
    values, seconds = {}, {}
    for n in names:
        v = np.full(N_CELLS, np.nan)
        v[cov] = bench.query_many(cov, n)
        values[n] = v
        if n in bench.timed_proxy_names:
            s = np.full(N_CELLS, np.nan)
            s[cov] = bench.proxy_cost_many(cov, n)
            seconds[n] = s
    passes = bench.meta.details.proxy_passes
    for a in (*values.values(), *seconds.values()):
        a.setflags(write=False)
    return ProxyInputs(values, seconds, {p: tuple(m) for p, m in passes.items()})
