"""An encoding in one module: for each of the cell's three computed nodes, how many of its
incoming edges carry each of the five ops (3 x 5 = 15 counts). Importing this module registers
it as ``node_in_ops``; every surrogate estimator then accepts ``encoding="node_in_ops"``."""
from __future__ import annotations

import numpy as np

from nasbench.space import EDGES, N_OPS
from surrogates.encodings import encoding_names, register_encoding

NAME = "node_in_ops"


def node_in_ops(ops: np.ndarray) -> np.ndarray:
    """(n, 15) float32: column ``(node - 1) * 5 + op`` counts the node's incoming edges with ``op``."""
    out = np.zeros((len(ops), 3 * N_OPS), dtype=np.float32)
    for e, (to, _frm) in enumerate(EDGES):
        np.add.at(out, (np.arange(len(ops)), (to - 1) * N_OPS + ops[:, e]), 1.0)
    return out


if NAME not in encoding_names():  # a second import registers nothing twice
    register_encoding(NAME, node_in_ops)
