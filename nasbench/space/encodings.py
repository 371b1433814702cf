"""Feature encodings of NAS-Bench-201 cells for predictors and model-based strategies.

Contract: `encode_ops` turns an (n, 6) array of op ids into float32 features of one of the
`ENCODINGS` (one-hot, adjacency, BANANAS path, raw op ids); an unknown encoding raises
`SpaceError`.
"""
from __future__ import annotations

import functools
import itertools

import numpy as np

from .cells import EDGES, N_EDGES, N_NODES, N_OPS, SpaceError

ENCODINGS = ("onehot", "adjacency", "path", "ops")


def _paths() -> list[tuple[int, ...]]:
    """Edge sequences from node 0 to node 3."""
    by_target = {j: [(e, s) for e, (t, s) in enumerate(EDGES) if t == j] for j in range(N_NODES)}

    def walk(node: int) -> list[tuple[int, ...]]:
        if node == 0:
            return [()]
        return [p + (e,) for e, s in by_target[node] for p in walk(s)]

    return walk(N_NODES - 1)


_PATHS = _paths()  # 4 paths: 0->3, 0->1->3, 0->2->3, 0->1->2->3
_NONZERO_OPS = tuple(range(1, N_OPS))
_PATH_FEATURES = [seq for L in range(1, N_NODES) for seq in itertools.product(_NONZERO_OPS, repeat=L)]
_PATH_FEATURE_ID = {seq: i for i, seq in enumerate(_PATH_FEATURES)}


def encode_ops(ops: np.ndarray, kind: str = "onehot") -> np.ndarray:
    """Vectorised encodings of an (n, 6) array of op ids (float32 features).

    * `onehot`: 6 x 5 one-hot of the op on each edge (30);
    * `adjacency`: the op-on-node DAG (input, 6 op nodes, output) as its flattened upper
      triangular 8 x 8 adjacency followed by the one-hot ops (28 + 30 = 58); since the edge
      structure is fixed, this is the one-hot plus constant adjacency bits, offered for
      compatibility with NAS-Bench-101-style predictors;
    * `path`: BANANAS path encoding, one bit per sequence of non-`none` ops on a path from
      input to output (4 + 16 + 64 = 84);
    * `ops`: the raw op ids (6).

    Args:
        ops: array of shape (n, 6), op ids 0..4.
        kind: one of the encodings above.

    Returns:
        float32 array (n, width of the encoding).

    Raises:
        SpaceError: unknown encoding.
    """
    ops = np.asarray(ops, dtype=np.int64)
    if ops.ndim == 1:
        ops = ops[None, :]
    n = ops.shape[0]
    if kind == "ops":
        return ops.astype(np.float32)
    if kind == "onehot":
        out = np.zeros((n, N_EDGES, N_OPS), dtype=np.float32)
        out[np.arange(n)[:, None], np.arange(N_EDGES)[None, :], ops] = 1.0
        return out.reshape(n, -1)
    if kind == "adjacency":
        adj = _op_node_adjacency()
        iu = np.triu_indices(adj.shape[0], k=1)
        return np.concatenate([np.tile(adj[iu], (n, 1)), encode_ops(ops, "onehot")], axis=1)
    if kind == "path":
        out = np.zeros((n, len(_PATH_FEATURES)), dtype=np.float32)
        for path in _PATHS:
            seq_ops = ops[:, list(path)]
            ok = (seq_ops != 0).all(axis=1)
            for r in np.nonzero(ok)[0]:
                out[r, _PATH_FEATURE_ID[tuple(int(v) for v in seq_ops[r])]] = 1.0
        return out
    raise SpaceError(f"unknown encoding {kind!r}; allowed: {', '.join(ENCODINGS)}")


@functools.lru_cache(maxsize=None)
def _op_node_adjacency() -> np.ndarray:
    # nodes: 0 = input, 1..6 = the op on edge e-1, 7 = output
    adj = np.zeros((N_EDGES + 2, N_EDGES + 2), dtype=np.float32)
    for e, (t, s) in enumerate(EDGES):
        if s == 0:
            adj[0, e + 1] = 1
        else:
            for e2, (t2, _) in enumerate(EDGES):
                if t2 == s:
                    adj[e2 + 1, e + 1] = 1
        if t == N_NODES - 1:
            adj[e + 1, N_EDGES + 1] = 1
    return adj
