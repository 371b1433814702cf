"""Cells of the NAS-Bench-201 space: operations, edges, arch strings and the official index order.

A cell is a DAG of 4 nodes; each of its 6 edges `j <- i` (`i < j`) carries one of five
operations (`OPS`). The official architecture string lists, for nodes 1, 2, 3 in turn, the
incoming edges `op~i`:

    |op~0|+|op~0|op~1|+|op~0|op~1|op~2|

Official index order: NAS-Bench-201 enumerated the 5^6 cells with the first edge as the most
significant digit and then shuffled the list with Python's `random.seed(88)`; the same
permutation is recomputed here (checked against all 15,625 published rows), so no table of
strings is needed.

Contract: `Cell` holds six op ids in `EDGES` order; `to_cell` reads anything that names a cell
(a `Cell`, an arch string, an official index, six op names or ids) and `to_indices` does the same
for many cells at once; `ops_table` lists every cell's op ids in official index order. Every
malformed input raises `SpaceError`.
"""
from __future__ import annotations

import functools
import random as _pyrandom
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence, Union

import numpy as np

from ..errors import NasbenchError

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
N_OPS = len(OPS)
N_NODES = 4
#: edges as (target node, source node), in the order of the arch string
EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
N_EDGES = len(EDGES)
N_CELLS = N_OPS**N_EDGES  # 15,625
_OP_ID = {name: i for i, name in enumerate(OPS)}
_POW = np.array([N_OPS ** (N_EDGES - 1 - e) for e in range(N_EDGES)], dtype=np.int64)

CellLike = Union["Cell", str, int, np.integer, Sequence[Union[int, str]]]


class SpaceError(NasbenchError, ValueError):
    """A cell, arch string or index that is not part of the space."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of the NAS-Bench-201 space: the op id of each edge, in `EDGES` order."""

    ops: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.ops) != N_EDGES:
            raise SpaceError(f"a cell has {N_EDGES} edges, got {len(self.ops)} ops")
        for o in self.ops:
            if not isinstance(o, (int, np.integer)) or isinstance(o, bool) or not 0 <= o < N_OPS:
                raise SpaceError(f"op id {o!r} is not one of 0..{N_OPS - 1} ({', '.join(OPS)})")
        object.__setattr__(self, "ops", tuple(int(o) for o in self.ops))

    # -- conversions ---------------------------------------------------------------------
    @classmethod
    def from_str(cls, arch: str) -> "Cell":
        """The cell of an official arch string.

        Args:
            arch: an official NAS-Bench-201 arch string, e.g. `|nor_conv_3x3~0|+|...|`.

        Returns:
            The cell.

        Raises:
            SpaceError: the string is malformed or names an unknown op.
        """
        return cls(parse_arch_str(arch))

    @classmethod
    def from_index(cls, index: int) -> "Cell":
        """The cell at an official NAS-Bench-201 index.

        Args:
            index: official index, 0..15,624.

        Returns:
            The cell.

        Raises:
            SpaceError: the index is not an integer in range.
        """
        return cls(tuple(int(o) for o in ops_table()[check_index(index)]))

    @classmethod
    def from_names(cls, names: Sequence[str]) -> "Cell":
        """The cell of six op names, one per edge in `EDGES` order.

        Args:
            names: six op names out of `OPS`.

        Returns:
            The cell.

        Raises:
            SpaceError: a name is not an op.
        """
        return cls(tuple(_op_id(n) for n in names))

    def to_str(self) -> str:
        """The official arch string of the cell."""
        return format_arch_str(self.ops)

    @property
    def index(self) -> int:
        """Official NAS-Bench-201 index."""
        return int(_code_to_index()[self.code])

    @property
    def code(self) -> int:
        """Position in the unshuffled enumeration (first edge most significant)."""
        return int(np.dot(self.ops, _POW))

    @property
    def op_names(self) -> tuple[str, ...]:
        """The op name of each edge, in `EDGES` order."""
        return tuple(OPS[o] for o in self.ops)

    def __str__(self) -> str:
        return self.to_str()


def _op_id(name: str) -> int:
    try:
        return _OP_ID[name]
    except KeyError:
        raise SpaceError(f"unknown op {name!r}; allowed: {', '.join(OPS)}") from None


def parse_arch_str(arch: str) -> tuple[int, ...]:
    """Parse an official arch string into 6 op ids, with a precise error for each malformation.

    Args:
        arch: the arch string (surrounding whitespace is ignored).

    Returns:
        The op id of each edge, in `EDGES` order.

    Raises:
        SpaceError: the string is not a `str`, is malformed, or names an unknown op.
    """
    if not isinstance(arch, str):
        raise SpaceError(f"arch string must be a str, got {type(arch).__name__}")
    s = arch.strip()
    example = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"
    nodes = s.split("+")
    if len(nodes) != N_NODES - 1:
        raise SpaceError(
            f"malformed arch string {arch!r}: expected {N_NODES - 1} node groups separated by '+', "
            f"got {len(nodes)}; example: {example}"
        )
    ops: list[int] = []
    for j, group in enumerate(nodes, start=1):
        if not (group.startswith("|") and group.endswith("|")) or len(group) < 2:
            raise SpaceError(
                f"malformed arch string {arch!r}: node {j} group {group!r} must start and end with '|'; "
                f"example: {example}"
            )
        edges = group[1:-1].split("|")
        if len(edges) != j:
            raise SpaceError(
                f"malformed arch string {arch!r}: node {j} must have {j} incoming edge(s), got {len(edges)}"
            )
        for i, edge in enumerate(edges):
            name, sep, src = edge.partition("~")
            if not sep:
                raise SpaceError(f"malformed arch string {arch!r}: edge {edge!r} must look like 'op~source'")
            if src != str(i):
                raise SpaceError(
                    f"malformed arch string {arch!r}: edge {edge!r} into node {j} must come from node {i} "
                    f"(edges into node {j} list sources 0..{j - 1} in order)"
                )
            ops.append(_op_id(name))
    return tuple(ops)


def format_arch_str(ops: Sequence[int]) -> str:
    """The official arch string of six op ids.

    Args:
        ops: the op id of each edge, in `EDGES` order.

    Returns:
        The arch string, e.g. `|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...|`.
    """
    names = [OPS[o] for o in ops]
    parts, k = [], 0
    for j in range(1, N_NODES):
        parts.append("|" + "|".join(f"{names[k + i]}~{i}" for i in range(j)) + "|")
        k += j
    return "+".join(parts)


def check_index(index: int) -> int:
    """Check an official cell index.

    Args:
        index: the index to check (an integer; `bool` is refused).

    Returns:
        The index as an `int`.

    Raises:
        SpaceError: it is not an integer or lies outside 0..15,624.
    """
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise SpaceError(f"cell index must be an integer, got {index!r}")
    if not 0 <= int(index) < N_CELLS:
        raise SpaceError(f"cell index {int(index)} out of range; allowed: 0..{N_CELLS - 1}")
    return int(index)


# -- official index order ----------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _index_to_code() -> np.ndarray:
    codes = list(range(N_CELLS))
    rnd = _pyrandom.Random(88)  # NAS-Bench-201's generate_meta_info: random.seed(88); random.shuffle
    rnd.shuffle(codes)
    arr = np.array(codes, dtype=np.int64)
    arr.setflags(write=False)
    return arr


@functools.lru_cache(maxsize=None)
def _code_to_index() -> np.ndarray:
    inv = np.empty(N_CELLS, dtype=np.int64)
    inv[_index_to_code()] = np.arange(N_CELLS)
    inv.setflags(write=False)
    return inv


@functools.lru_cache(maxsize=None)
def ops_table() -> np.ndarray:
    """int8 array (15625, 6): the op ids of every cell, in official index order."""
    codes = _index_to_code()
    table = (codes[:, None] // _POW[None, :]) % N_OPS
    table = table.astype(np.int8)
    table.setflags(write=False)
    return table


def indices_of_ops(ops: np.ndarray) -> np.ndarray:
    """Vectorised: official indices of an (n, 6) array of op ids.

    Args:
        ops: array of shape (n, 6), op ids 0..4.

    Returns:
        int64 array (n,) of official indices.

    Raises:
        SpaceError: the shape is wrong or an op id is out of range.
    """
    ops = np.asarray(ops)
    if ops.ndim != 2 or ops.shape[1] != N_EDGES:
        raise SpaceError(f"expected an (n, {N_EDGES}) array of op ids, got shape {ops.shape}")
    if ops.size and (ops.min() < 0 or ops.max() >= N_OPS):
        raise SpaceError(f"op ids must lie in 0..{N_OPS - 1}")
    return _code_to_index()[ops.astype(np.int64) @ _POW]


def to_cell(x: CellLike) -> Cell:
    """Read anything that names a cell as a `Cell`.

    Args:
        x: a `Cell`, an official arch string, an official index (an integer or a string of
            digits), or a sequence of 6 op names or 6 op ids.

    Returns:
        The cell.

    Raises:
        SpaceError: `x` names no cell of the space.
    """
    if isinstance(x, Cell):
        return x
    if isinstance(x, str):
        s = x.strip()
        if s.lstrip("-").isdigit():
            return Cell.from_index(int(s))
        return Cell.from_str(s)
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return Cell.from_index(int(x))
    if isinstance(x, (tuple, list, np.ndarray)):
        seq = list(x)
        if len(seq) != N_EDGES:
            raise SpaceError(f"a cell has {N_EDGES} edges, got a sequence of {len(seq)}")
        if all(isinstance(v, str) for v in seq):
            return Cell.from_names(seq)
        return Cell(tuple(seq))
    raise SpaceError(
        f"cannot read {x!r} as a cell; give a Cell, an arch string, an index 0..{N_CELLS - 1}, "
        f"or 6 op names/ids"
    )


def to_indices(cells: Iterable[CellLike] | np.ndarray) -> np.ndarray:
    """Vectorised form of `to_cell(...).index`; integer arrays are checked and passed through.

    Args:
        cells: anything `to_cell` reads, one per cell, or a 1-d integer array of indices.

    Returns:
        int64 array of official indices.

    Raises:
        SpaceError: an entry names no cell, or an index is out of range.
    """
    if isinstance(cells, np.ndarray) and np.issubdtype(cells.dtype, np.integer) and cells.ndim == 1:
        if cells.size and (cells.min() < 0 or cells.max() >= N_CELLS):
            bad = cells[(cells < 0) | (cells >= N_CELLS)][0]
            raise SpaceError(f"cell index {int(bad)} out of range; allowed: 0..{N_CELLS - 1}")
        return cells.astype(np.int64, copy=False)
    return np.array([to_cell(c).index for c in cells], dtype=np.int64)


def all_cells() -> Iterator[Cell]:
    """All 15,625 cells in official index order.

    Yields:
        Each cell of the space, index 0 first.
    """
    for row in ops_table():
        yield Cell(tuple(int(o) for o in row))
