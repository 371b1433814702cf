"""Encodings of NAS-Bench-201 cells for learning.

Convention used by every estimator in `surrogates`: the input `X` is an `(n, 6)` array
of op ids (one column per edge in `nasbench.space.EDGES` order, values 0..4 in
`nasbench.space.OPS` order) -- lossless, and what `NB201.encode(cells, "ops")` or
`ops_of` gives. Each estimator turns it into its own features with an `encoding`
parameter, so models, pipelines, cross-validation and ensembles all share one `X`.

Encodings (`encode(ops, kind)`):

* `onehot`, `adjacency`, `path`, `ops` -- exactly `nasbench.space.encode_ops`;
* `canonical` -- one-hot of the canonical ops: every edge that cannot influence the output
  (`nasbench.space.effective_edges`) is set to `none`;
* `canonical_adjacency` -- the adjacency encoding of the canonical ops;
* `counts` -- number of effective edges carrying each op (skip, conv1x1, conv3x3, pool) and
  their total (5 features);
* `combined` -- `canonical` + `path` + `counts` (30 + 84 + 5 = 119), the default of the
  tree models: it measured the best Kendall tau on NB201 CIFAR-10 (see scripts/bench_surrogates.py);
* `<kind>+zc:<table>` -- `<kind>` followed by the zero-cost proxies that table stores for
  every cell (`nasbench.zero_cost.features`), e.g. `combined+zc:nb201-cifar10`.

`encode_graph` gives the graph form (node features + adjacency) for graph networks.

A new encoding plugs in by one module that calls `register_encoding` at import: every
estimator then accepts `encoding=<name>`. A surrogate file that uses it loads only where that
module has been imported (the file stores the encoding's name, not its code).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from nasbench.space import (
    ENCODINGS as SPACE_ENCODINGS,
    N_CELLS,
    N_EDGES,
    N_OPS,
    SpaceError,
    effective_edges,
    encode_ops,
    indices_of_ops,
    ops_table,
    to_indices,
)

ENCODINGS: tuple[str, ...] = SPACE_ENCODINGS + ("canonical", "canonical_adjacency", "counts", "combined")
_REGISTERED: dict[str, Callable[[np.ndarray], np.ndarray]] = {}


def register_encoding(name: str, fn: Callable[[np.ndarray], np.ndarray]) -> None:
    """Add an encoding that estimators accept as `encoding=name`.

    Args:
        name: the encoding's name.
        fn: maps a checked `(n, 6)` int64 op-id array to `(n, k)` features.

    Raises:
        SpaceError: the name is empty or already taken.
    """
    if not isinstance(name, str) or not name or name in encoding_names():
        raise SpaceError(f"encoding name {name!r} is taken or empty; taken: {', '.join(encoding_names())}")
    _REGISTERED[name] = fn


def encoding_names() -> tuple[str, ...]:
    """The built-in encodings, then the registered ones.

    Returns:
        The names, built-in first.
    """
    return ENCODINGS + tuple(_REGISTERED)


def check_ops(X: object, what: str = "X") -> np.ndarray:
    """Validate the estimator input: an `(n, 6)` array of op ids 0..4.

    Args:
        X: the input.
        what: its name, for the messages.

    Returns:
        The op ids as int64.

    Raises:
        SpaceError: another shape, non-numeric ids, or an id outside 0..4.
    """
    a = np.asarray(X)
    if a.ndim != 2 or a.shape[1] != N_EDGES:
        raise SpaceError(
            f"{what} must be an (n, {N_EDGES}) array of op ids (one column per edge), got shape {a.shape}; "
            f"use surrogates.encodings.ops_of(cells)"
        )
    if a.size == 0:
        return a.astype(np.int64).reshape(0, N_EDGES)
    if not np.issubdtype(a.dtype, np.number) or np.any(np.isnan(a.astype(np.float64))):
        raise SpaceError(f"{what} must hold numeric op ids 0..{N_OPS - 1}")
    ai = a.astype(np.int64)
    if np.any(ai != a) or ai.min() < 0 or ai.max() >= N_OPS:
        bad = a[(ai != a) | (ai < 0) | (ai >= N_OPS)].ravel()[0]
        raise SpaceError(f"{what} holds op id {bad!r}, outside the space (allowed: 0..{N_OPS - 1})")
    return ai


def ops_of(cells) -> np.ndarray:
    """The op ids of cells.

    Args:
        cells (Iterable): official indices, Cells, arch strings or op tuples.

    Returns:
        An `(n, 6)` int64 array of op ids.
    """
    return ops_table()[to_indices(cells)].astype(np.int64)


@functools.lru_cache(maxsize=None)
def effective_table() -> np.ndarray:
    """bool (15625, 6): `nasbench.space.effective_edges` of every cell, official order.

    Returns:
        A read-only bool array, one row per cell.
    """
    t = np.array([effective_edges(i) for i in range(N_CELLS)], dtype=bool)
    t.setflags(write=False)
    return t


def canonical_ops(ops: np.ndarray) -> np.ndarray:
    """Op ids with every ineffective edge set to `none` (0).

    Args:
        ops: an `(n, 6)` op-id array.

    Returns:
        A new `(n, 6)` int64 array.
    """
    ops = check_ops(ops, "ops")
    eff = effective_table()[indices_of_ops(ops)]
    return np.where(eff, ops, 0)


def op_counts(ops: np.ndarray) -> np.ndarray:
    """(n, 5): effective edges with skip, conv1x1, conv3x3, pool, and their total.

    Args:
        ops: an `(n, 6)` op-id array.

    Returns:
        An `(n, 5)` array of counts.
    """
    c = canonical_ops(ops)
    counts = np.stack([(c == k).sum(axis=1) for k in range(1, N_OPS)], axis=1)
    return np.concatenate([counts, counts.sum(axis=1, keepdims=True)], axis=1).astype(np.float32)


def encode(ops: np.ndarray, kind: str = "combined") -> np.ndarray:
    """float32 features of an `(n, 6)` op-id array (see the module docstring).

    Args:
        ops: an `(n, 6)` op-id array.
        kind: an encoding name (`encoding_names`).

    Returns:
        An `(n, k)` float32 array.

    Raises:
        SpaceError: an unknown encoding, or a registered one that returns another shape.
    """
    ops = check_ops(ops, "ops")
    if isinstance(kind, str) and "+zc:" in kind:
        from nasbench.zero_cost.features import proxy_features

        base, table = kind.split("+zc:", 1)
        try:
            zc = proxy_features(table, indices_of_ops(ops))
        except ValueError as exc:
            raise SpaceError(f"encoding {kind!r}: {exc}") from None
        return np.concatenate([encode(ops, base), zc], axis=1)
    if kind in SPACE_ENCODINGS:
        return encode_ops(ops, kind).reshape(len(ops), -1)
    if kind == "canonical":
        return encode_ops(canonical_ops(ops), "onehot").reshape(len(ops), -1)
    if kind == "canonical_adjacency":
        return encode_ops(canonical_ops(ops), "adjacency").reshape(len(ops), -1)
    if kind == "counts":
        return op_counts(ops)
    if kind == "combined":
        c = canonical_ops(ops)
        return np.concatenate(
            [encode_ops(c, "onehot").reshape(len(ops), -1), encode_ops(c, "path").reshape(len(ops), -1),
             op_counts(ops)], axis=1)
    fn = _REGISTERED.get(kind) if isinstance(kind, str) else None
    if fn is not None:
        out = np.asarray(fn(ops), dtype=np.float32)
        if out.ndim != 2 or len(out) != len(ops):
            raise SpaceError(f"encoding {kind!r} returned shape {out.shape}; expected ({len(ops)}, k)")
        return out
    raise SpaceError(f"unknown encoding {kind!r}; allowed: {', '.join(encoding_names())}")


# -- graph form ---------------------------------------------------------------------------
#: node types of the op-on-node graph: the input, the output, then one per op
NODE_TYPES: tuple[str, ...] = ("input", "output", "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                               "avg_pool_3x3")
N_GRAPH_NODES = N_EDGES + 2


@functools.lru_cache(maxsize=None)
def op_node_adjacency() -> np.ndarray:
    """(8, 8) adjacency of the op-on-node DAG (0 = input, 1..6 = the op of edge e-1, 7 = output),
    read back from the space's own `adjacency` encoding rather than rebuilt here.

    Returns:
        An (8, 8) float32 array, 1 for an edge i -> j.
    """
    bits = encode_ops(np.zeros((1, N_EDGES), dtype=np.int64), "adjacency")[0]
    iu = np.triu_indices(N_GRAPH_NODES, k=1)
    adj = np.zeros((N_GRAPH_NODES, N_GRAPH_NODES), dtype=np.float32)
    adj[iu] = bits[: len(iu[0])]
    adj.setflags(write=False)
    return adj


@dataclass(frozen=True)
class GraphBatch:
    """Dense graph form of a batch of cells.

    Edges into or out of a `none` node are removed (`canonical=True` first sets ineffective
    edges to `none`).

    Attributes:
        nodes: (n, 8, 7) one-hot node types.
        adj: (n, 8, 8), `adj[b, i, j] = 1` for an edge i -> j.
    """

    nodes: np.ndarray
    adj: np.ndarray


def encode_graph(ops: np.ndarray, canonical: bool = True) -> GraphBatch:
    """Dense graph form of cells, for graph networks.

    Args:
        ops: an `(n, 6)` op-id array.
        canonical: first set ineffective edges to `none`.

    Returns:
        A `GraphBatch`: `nodes` (n, 8, 7) one-hot node types and `adj` (n, 8, 8), with the
        edges into or out of a `none` node removed.
    """
    ops = canonical_ops(ops) if canonical else check_ops(ops, "ops")
    n = len(ops)
    types = np.empty((n, N_GRAPH_NODES), dtype=np.int64)
    types[:, 0] = 0
    types[:, -1] = 1
    types[:, 1:-1] = ops + 2
    nodes = np.zeros((n, N_GRAPH_NODES, len(NODE_TYPES)), dtype=np.float32)
    nodes[np.arange(n)[:, None], np.arange(N_GRAPH_NODES)[None, :], types] = 1.0
    alive = np.ones((n, N_GRAPH_NODES), dtype=np.float32)
    alive[:, 1:-1] = (ops != 0)
    adj = op_node_adjacency()[None, :, :] * alive[:, :, None] * alive[:, None, :]
    return GraphBatch(nodes=nodes, adj=adj.astype(np.float32))
