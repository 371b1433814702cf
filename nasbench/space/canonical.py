"""Canonical forms of NAS-Bench-201 cells: which cells are one class, and which edges count.

Three canonical rules are offered (`CANONICAL_RULES`):

* `nb201` -- NAS-Bench-201's own rule, 6,466 classes: write each node as the sorted,
  '+'-joined list of its incoming terms, where an edge is `#` if its op is `none` or its source
  is `#`, the source's own expression if its op is `skip_connect`, and `(source)@op`
  otherwise; node 0 is `0`; cells with equal node-3 expressions are one class (15,625 classes
  without the zero and skip rules, 12,751 with the skip rule alone);
* `fine` -- the same rule with zero terms dropped from every sum, 5,390 classes;
* `functional` -- isomorphism of the pruned module graph (only edges that can influence the
  output; each convolution a distinct module, pools named by what they compute, skips passing
  terms through), 5,260 classes. Members of one class build the same network: from one seed
  they compute the same function throughout training (tested in `tests/test_network.py`).

The `fine` rule is *not* a functional equivalence: it merges, for example,
`n1 = conv(x0); n3 = conv'(x0) + skip(n1)` (two independent convolutions) with
`n1 = conv(x0); n2 = skip(n1); n3 = skip(n1) + skip(n2)` (one convolution counted twice),
which have different parameters. The `nb201` rule itself merges such pairs in 430 classes
(the 150 published parameter counts taken from a sibling cell are among them). Tables are
therefore generated one cell per `functional` class.

Contract: `canonical_key` and `functional_key` give a cell's class key, `class_table` numbers the
classes of all 15,625 cells, `canonical_index` names a class by its lowest official index, and
`effective_edges` flags the edges that can influence the output. `_canonical` also returns the
names of the live conv modules under the canonical numbering; the network builder seeds its
modules by them.
"""
from __future__ import annotations

import functools
import itertools
from typing import Sequence

import numpy as np

from .cells import EDGES, N_CELLS, N_EDGES, N_NODES, OPS, Cell, CellLike, SpaceError, ops_table, to_cell

CANONICAL_RULES = ("nb201", "fine", "functional")
_ZERO = "#"


def _node_exprs(ops: Sequence[int], drop_zero: bool) -> list[str]:
    """Expression of each node, NAS-Bench-201 style (the `nb201` rule of the module docstring)."""
    exprs = ["0"]
    k = 0
    for j in range(1, N_NODES):
        terms: list[str] = []
        for i in range(j):
            op, src = OPS[ops[k]], exprs[i]
            k += 1
            if op == "none" or src == _ZERO:
                terms.append(_ZERO)
            elif op == "skip_connect":
                terms.append(src)
            else:
                terms.append(f"({src})@{op}")
        if drop_zero:
            kept = [t for t in terms if t != _ZERO]
            exprs.append("+".join(sorted(kept)) if kept else _ZERO)
        else:
            exprs.append("+".join(sorted(terms)))
    return exprs


# -- the functional rule: isomorphism of the pruned module graph --------------------------------
_SKIP, _CONV1, _CONV3, _POOL = 1, 2, 3, 4


def _describe(ops: Sequence[int], live: Sequence[bool], label: dict[int, int]) -> tuple[dict[int, str], str]:
    """Names of the live conv edges under one numbering, and the description of the whole cell.

    The pruned cell is a DAG of modules: each conv edge is a distinct module named `op#n`; a pool
    has no parameters, so it is named by what it computes; a skip passes its source's terms on. A
    node's value is the multiset of its terms (input `x`, conv and pool names)."""
    values: list[list[str]] = [["x"]]
    names: dict[int, str] = {}  # conv and pool edges: the term they contribute
    defs: list[str] = []
    for j in range(1, N_NODES):
        terms: list[str] = []
        for e, (t, s) in enumerate(EDGES):
            if t != j or not live[e]:
                continue
            src = "+".join(sorted(values[s]))
            if ops[e] == _SKIP:
                terms.extend(values[s])
            elif ops[e] == _POOL:
                names[e] = f"pool({src})"
                terms.append(names[e])
            else:
                names[e] = f"{OPS[ops[e]]}#{label[e]}"
                defs.append(f"{names[e]}=({src})")
                terms.append(names[e])
        values.append(terms)
    return names, ";".join(sorted(defs)) + "|" + ("+".join(sorted(values[N_NODES - 1])) or "0")


@functools.lru_cache(maxsize=None)
def _canonical(ops: tuple[int, ...], live: tuple[bool, ...]) -> tuple[dict[int, str], str]:
    """The numbering of conv modules (within each op) that gives the smallest description.

    Brute force over the numberings (at most 6! for six live 3x3 convs, usually a handful): two
    cells get the same description exactly when their pruned module graphs are isomorphic, and
    then corresponding modules get the same names."""
    groups = [[e for e in range(N_EDGES) if live[e] and ops[e] == o] for o in (_CONV1, _CONV3)]
    best: tuple[dict[int, str], str] | None = None
    for p1 in itertools.permutations(range(len(groups[0]))):
        for p3 in itertools.permutations(range(len(groups[1]))):
            label = {e: n for e, n in zip(groups[0], p1)} | {e: n for e, n in zip(groups[1], p3)}
            cand = _describe(ops, live, label)
            if best is None or cand[1] < best[1]:
                best = cand
    assert best is not None
    return best


def functional_key(cell: CellLike) -> str:
    """Canonical description of the pruned cell's module graph.

    Cells with equal keys build isomorphic pruned networks whose corresponding modules get the
    same seeds: from one seed they are the same function with the same parameters, before and
    throughout training.

    Args:
        cell: anything `to_cell` reads.

    Returns:
        The key (equal keys: one `functional` class).
    """
    c = to_cell(cell)
    return _canonical(c.ops, effective_edges(c))[1]


def canonical_key(cell: CellLike, rule: str = "nb201") -> str:
    """String key of a cell's class under a canonical rule.

    Args:
        cell: anything `to_cell` reads.
        rule: `nb201`, `fine` or `functional` (see the module docstring).

    Returns:
        The key; two cells with equal keys are one class.

    Raises:
        SpaceError: unknown rule.
    """
    if rule not in CANONICAL_RULES:
        raise SpaceError(f"unknown canonical rule {rule!r}; allowed: {', '.join(CANONICAL_RULES)}")
    if rule == "functional":
        return functional_key(cell)
    return _node_exprs(to_cell(cell).ops, drop_zero=(rule == "fine"))[-1]


@functools.lru_cache(maxsize=None)
def class_table(rule: str = "nb201") -> tuple[np.ndarray, np.ndarray]:
    """Classes of every cell under a canonical rule.

    `class_of_index[i]` numbers the classes 0..K-1 in order of their lowest official index;
    `representative_of_class[k]` is that lowest index.

    Args:
        rule: `nb201`, `fine` or `functional`.

    Returns:
        `(class_of_index, representative_of_class)`.

    Raises:
        SpaceError: unknown rule.
    """
    if rule not in CANONICAL_RULES:
        raise SpaceError(f"unknown canonical rule {rule!r}; allowed: {', '.join(CANONICAL_RULES)}")
    seen: dict[str, int] = {}
    cls = np.empty(N_CELLS, dtype=np.int32)
    reps: list[int] = []
    for idx, row in enumerate(ops_table()):
        ops = tuple(int(o) for o in row)
        if rule == "functional":
            key = _canonical(ops, effective_edges(Cell(ops)))[1]
        else:
            key = _node_exprs(ops, drop_zero=(rule == "fine"))[-1]
        k = seen.get(key)
        if k is None:
            k = seen[key] = len(reps)
            reps.append(idx)
        cls[idx] = k
    rep = np.array(reps, dtype=np.int64)
    cls.setflags(write=False)
    rep.setflags(write=False)
    return cls, rep


def canonical_index(cell: CellLike, rule: str = "nb201") -> int:
    """The lowest official index of the cell's class.

    Args:
        cell: anything `to_cell` reads.
        rule: `nb201`, `fine` or `functional`.

    Returns:
        The official index of the class's representative.
    """
    cls, rep = class_table(rule)
    return int(rep[cls[to_cell(cell).index]])


def effective_edges(cell: CellLike) -> tuple[bool, ...]:
    """Which edges can influence the output.

    An edge counts where its op is not `none`, its source is not identically zero, and its target
    node reaches node 3 through non-`none` edges.

    Args:
        cell: anything `to_cell` reads.

    Returns:
        One flag per edge, in `EDGES` order.
    """
    ops = to_cell(cell).ops
    zero = [False] * N_NODES
    k = 0
    for j in range(1, N_NODES):
        live = False
        for i in range(j):
            if OPS[ops[k]] != "none" and not zero[i]:
                live = True
            k += 1
        zero[j] = not live
    reaches = [False] * N_NODES
    reaches[N_NODES - 1] = True
    for j in range(N_NODES - 1, 0, -1):
        if not reaches[j]:
            continue
        for e, (t, s) in enumerate(EDGES):
            if t == j and OPS[ops[e]] != "none":
                reaches[s] = True
    return tuple(
        OPS[ops[e]] != "none" and not zero[s] and reaches[t] for e, (t, s) in enumerate(EDGES)
    )
