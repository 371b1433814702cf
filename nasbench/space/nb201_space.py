"""The NAS-Bench-201 space as one object, the form tables, strategies and surrogates hold it in.

One concrete space, no pluggable-space protocol: every table (`arch_row` has one entry per
cell of this space), encoding, surrogate feature and the network builder are NAS-Bench-201
shaped (6 edges x 5 ops), so a protocol covering only sampling would promise a pluggability the
rest of the code does not have. What the next features need from a space is what this object
gives: an outside optimiser's configuration space (`nasbench/strategies/cellspace.py`, a
ConfigSpace of the cell) is `edges` x `ops` categorical choices; multi-fidelity lives on the
benchmark (its `epochs`), not the space. Strategies reach the space through
`SearchContext.space` (their neighbours come from its `neighbour_table()`); tables and
surrogates hold it as `.space`.

Contract: `NB201Space` gathers the space's size, edges, operations, sampling, neighbours,
encodings and canonical forms behind methods that take and return official indices or cells;
`NB201` is its one instance, and `get_space` returns it for the name a table records.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from .canonical import canonical_index
from .cells import (EDGES, N_CELLS, N_EDGES, N_OPS, OPS, Cell, CellLike, SpaceError, check_index, ops_table, to_cell,
                    to_indices)
from .encodings import encode_ops
from .moves import mutate, neighbour_table, neighbours, sample


@dataclass(frozen=True)
class NB201Space:
    """The NAS-Bench-201 cell space: its size, edges, operations, sampling, neighbours,
    encodings and canonical forms."""

    name: str = "nb201"
    n_cells: int = N_CELLS
    n_edges: int = N_EDGES
    n_ops: int = N_OPS
    ops: tuple[str, ...] = OPS

    def cell(self, index: int) -> Cell:
        """The cell at an official index (`Cell.from_index`).

        Args:
            index: official NAS-Bench-201 index.

        Returns:
            The cell.
        """
        return Cell.from_index(index)

    def index(self, cell: CellLike) -> int:
        """The official index of anything `to_cell` reads.

        Args:
            cell: a cell, arch string, op tuple or index.

        Returns:
            The official index.
        """
        return to_cell(cell).index

    def indices(self, cells: Iterable[CellLike] | np.ndarray) -> np.ndarray:
        """Official indices of several cells (`to_indices`).

        Args:
            cells: cells in any form `to_cell` reads, or an array of indices.

        Returns:
            The official indices, as an integer array.
        """
        return to_indices(cells)

    def sample(self, rng: np.random.Generator) -> Cell:
        """One uniformly random cell.

        Args:
            rng: the random generator.

        Returns:
            The cell.
        """
        return sample(rng)  # type: ignore[return-value]

    def sample_indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Official indices of `n` uniformly random cells (with repetition).

        Args:
            rng: the random generator.
            n: how many cells.

        Returns:
            The indices, as an integer array.
        """
        return rng.integers(0, N_CELLS, n)

    def mutate(self, cell: CellLike, rng: np.random.Generator) -> Cell:
        """The cell with one edge's op changed (`mutate`).

        Args:
            cell: the cell to mutate, in any form `to_cell` reads.
            rng: the random generator.

        Returns:
            The mutated cell.
        """
        return mutate(cell, rng)

    def mutate_index(self, index: int, rng: np.random.Generator) -> int:
        """The official index of a random one-op mutation of the cell at `index`.

        Args:
            index: official index of the cell to mutate.
            rng: the random generator.

        Returns:
            The mutated cell's official index.
        """
        return mutate(Cell.from_index(index), rng).index

    def neighbours(self, cell: CellLike) -> list[Cell]:
        """All 24 cells one op change away (`neighbours`).

        Args:
            cell: the cell, in any form `to_cell` reads.

        Returns:
            The neighbouring cells.
        """
        return neighbours(cell)

    def neighbour_indices(self, index: int) -> np.ndarray:
        """Official indices of the 24 one-op neighbours of the cell at `index`.

        Args:
            index: official index of the cell.

        Returns:
            The neighbours' indices, as an integer array.
        """
        return neighbour_table()[check_index(index)]

    def neighbour_table(self) -> np.ndarray:
        """(n_cells, n_neighbours) official indices of every cell's one-op neighbours."""
        return neighbour_table()

    @property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """The cell's edges `(to, from)` (node `to` <- node `from`) in the order of a cell's `ops`."""
        return EDGES

    def encode(self, cells: Iterable[CellLike] | np.ndarray, kind: str = "onehot") -> np.ndarray:
        """Encodings of several cells (`encode_ops`).

        Args:
            cells: cells in any form `to_cell` reads, or an array of indices.
            kind: the encoding, as in `encode_ops`.

        Returns:
            One row per cell.
        """
        return encode_ops(ops_table()[to_indices(cells)], kind)

    def canonical(self, cell: CellLike, rule: str = "nb201") -> int:
        """The lowest official index of the cell's class under `rule` (`canonical_index`).

        Args:
            cell: the cell, in any form `to_cell` reads.
            rule: the equivalence rule, as in `canonical_index`.

        Returns:
            The canonical official index.
        """
        return canonical_index(cell, rule)


NB201 = NB201Space()


def get_space(name: str) -> NB201Space:
    """The space a table names.

    Only `nb201` exists (see the module docstring).

    Args:
        name: the space's name, as a table records it.

    Returns:
        The space.

    Raises:
        SpaceError: unknown space name.
    """
    if name != NB201.name:
        raise SpaceError(f"unknown space {name!r}; allowed: {NB201.name}")
    return NB201
