"""Moves in the NAS-Bench-201 space: uniform sampling, one-op mutation and the one-op neighbourhood.

Contract: `sample` draws uniform cells from a generator, `mutate` changes one uniformly chosen
edge to a different op, `neighbours` lists the 24 cells one op change away (edge-then-op order),
and `neighbour_table` holds the official indices of every cell's 24 neighbours (edge-then-shift
order). Results depend only on the cell and the generator's state.
"""
from __future__ import annotations

import functools

import numpy as np

from .cells import N_CELLS, N_EDGES, N_OPS, Cell, CellLike, indices_of_ops, ops_table, to_cell

def sample(rng: np.random.Generator, n: int | None = None) -> Cell | list[Cell]:
    """Uniform random cell(s).

    Args:
        rng: the random generator.
        n: how many cells; None: one.

    Returns:
        One cell where `n` is None, else a list of `n` cells.
    """
    if n is None:
        return Cell(tuple(int(o) for o in rng.integers(0, N_OPS, N_EDGES)))
    return [Cell(tuple(int(o) for o in row)) for row in rng.integers(0, N_OPS, (n, N_EDGES))]


def mutate(cell: CellLike, rng: np.random.Generator) -> Cell:
    """Change the op of one uniformly chosen edge to a different, uniformly chosen op.

    Args:
        cell: anything `to_cell` reads.
        rng: the random generator.

    Returns:
        The mutated cell.
    """
    ops = list(to_cell(cell).ops)
    e = int(rng.integers(N_EDGES))
    ops[e] = (ops[e] + 1 + int(rng.integers(N_OPS - 1))) % N_OPS
    return Cell(tuple(ops))


def neighbours(cell: CellLike) -> list[Cell]:
    """All 24 cells one op change away, in edge-then-op order.

    Args:
        cell: anything `to_cell` reads.

    Returns:
        The neighbouring cells.
    """
    base = to_cell(cell).ops
    out = []
    for e in range(N_EDGES):
        for o in range(N_OPS):
            if o != base[e]:
                ops = list(base)
                ops[e] = o
                out.append(Cell(tuple(ops)))
    return out


@functools.lru_cache(maxsize=None)
def neighbour_table() -> np.ndarray:
    """int64 array (15625, 24): official indices of each cell's one-op neighbours."""
    ops = ops_table().astype(np.int64)
    out = np.empty((N_CELLS, N_EDGES * (N_OPS - 1)), dtype=np.int64)
    col = 0
    for e in range(N_EDGES):
        for shift in range(1, N_OPS):
            new = ops.copy()
            new[:, e] = (new[:, e] + shift) % N_OPS
            out[:, col] = indices_of_ops(new)
            col += 1
    out.setflags(write=False)
    return out
