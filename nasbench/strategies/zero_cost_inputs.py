"""What a proxy-guided strategy may know about the table's zero-cost proxies, and what scoring costs.

A strategy never holds the benchmark: the runner builds a :class:`ProxyInputs` from the table
(:func:`proxy_inputs`) and passes it as ``SearchContext.proxies``; the strategy reads values and
is charged, through the ``overhead()`` hook, the seconds the table records for computing them.

``seconds[name][cell]`` is what the computation attributed to ``name`` for that cell: one pass
can serve several proxies (:data:`PASSES`: one backward pass gives snip, grad_norm and fisher;
one forward and one input gradient give jacob_cov and naswot) and the computation splits a pass's
wall time evenly among the proxies it served. :meth:`ProxyInputs.cost` therefore charges every
pass touched once, whole: the sum of the seconds of all its members, whichever of them are used.

No torch here (the strategies and the runner do not import it); :data:`PASSES` mirrors
``nasbench.zero_cost.proxies._GROUPS`` (a test keeps the two equal).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np

from ..space import N_CELLS

#: the computation passes and the proxies each serves (as nasbench.zero_cost.proxies computes them)
PASSES: dict[str, tuple[str, ...]] = {
    "synflow": ("synflow",), "zen": ("zen",), "grad": ("snip", "grad_norm", "fisher"), "grasp": ("grasp",),
    "jacob": ("jacob_cov", "naswot"),
}
_PASS_OF = {m: p for p, members in PASSES.items() for m in members}


class ProxyInputError(ValueError):
    """A proxy the table does not hold (or holds without compute seconds)."""


@dataclass(frozen=True)
class ProxyInputs:
    """The table's zero-cost proxies per official cell index (NaN: not computed, or undefined for
    that cell) and the seconds their computation took per cell (NaN: not computed)."""

    values: Mapping[str, np.ndarray]
    seconds: Mapping[str, np.ndarray]
    #: where the seconds come from (the table's own record, or a proxy journal), for provenance
    seconds_source: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.values))

    def require(self, name: str, candidates: np.ndarray) -> None:
        """Raise ProxyInputError unless ``name`` was computed (has seconds) for every candidate."""
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
        """Seconds to compute ``names`` for ``cells``: each pass touched charged once, whole (the
        seconds of all the proxies it serves), per cell."""
        cells = np.asarray(cells, dtype=np.int64)
        total = 0.0
        for p in sorted({_PASS_OF.get(n, n) for n in names}):
            for m in PASSES.get(p, (p,)):
                s = self.seconds.get(m)
                if s is not None:
                    v = s[cells]
                    total += float(v[np.isfinite(v)].sum())
        return total


def _per_cell(bench: Any, per_row: np.ndarray) -> np.ndarray:
    out = np.full(N_CELLS, np.nan)
    out[np.asarray(bench.row_arch, dtype=np.int64)] = np.asarray(per_row, dtype=np.float64)
    return out


def proxy_inputs(bench: Any) -> ProxyInputs | None:
    """The proxies ``bench`` serves, per cell, with their compute seconds; None when it has none.

    Seconds come from the table's ``proxy_seconds`` where it records them, else from the proxy
    journal the table's proxies were folded from (``data/proxies/<table>.jsonl`` beside the
    embedded tables), else they are missing (strategies then refuse the proxy)."""
    proxies = getattr(bench, "proxies", None) or {}
    if not proxies or getattr(bench, "row_arch", None) is None:
        return None
    values = {n: _per_cell(bench, v) for n, v in proxies.items()}
    seconds: dict[str, np.ndarray] = {}
    source = ""
    own = getattr(bench, "proxy_seconds", None)
    if callable(own):
        own = own()
    if own:
        seconds = {n: _per_cell(bench, v) for n, v in own.items()}
        source = "table"
    else:
        journal = _journal_for(getattr(bench, "name", ""))
        if journal is not None:
            seconds = _journal_seconds(journal, values)
            source = str(journal)
    for a in (*values.values(), *seconds.values()):
        a.setflags(write=False)
    return ProxyInputs(values, seconds, source)


def _journal_for(table: str):
    from pathlib import Path

    if not table:
        return None
    p = Path(__file__).resolve().parents[2] / "data" / "proxies" / f"{table}.jsonl"
    return p if p.is_file() else None


def _journal_seconds(path, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-cell seconds of every proxy in the journal whose per-cell values equal the table's
    (a journal of another computation is not used)."""
    import json

    from ..space import class_table

    cls, _ = class_table("functional")
    by_class: dict[str, np.ndarray] = {}
    val_class: dict[str, np.ndarray] = {}
    n_cls = int(cls.max()) + 1
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a kill
            if "class" not in rec:
                continue
            k = int(rec["class"])
            for n, s in rec.get("seconds", {}).items():
                by_class.setdefault(n, np.full(n_cls, np.nan))[k] = float(s)
                v = rec.get("values", {}).get(n)
                val_class.setdefault(n, np.full(n_cls, np.nan))[k] = np.nan if v is None else float(v)
    out = {}
    for n, s in by_class.items():
        if n not in values:
            continue
        jv, tv = val_class[n][cls], values[n]
        has = np.isfinite(tv)
        if np.array_equal(np.isfinite(jv[has]), np.ones(int(has.sum()), bool)) and np.allclose(jv[has], tv[has], rtol=1e-9):
            sec = s[cls].copy()
            out[n] = sec
    return out
