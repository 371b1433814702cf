"""The NAS-Bench-201 cell space.

A cell is a DAG of 4 nodes; each of its 6 edges `j <- i` (`i < j`) carries one of five
operations. The official architecture string lists, for nodes 1, 2, 3 in turn, the incoming
edges `op~i`:

    |op~0|+|op~0|op~1|+|op~0|op~1|op~2|

Official index order: NAS-Bench-201 enumerated the 5^6 cells with the first edge as the most
significant digit and then shuffled the list with Python's `random.seed(88)`; we recompute the
same permutation (checked against all 15,625 published rows), so no table of strings is needed.

Three canonical forms are offered:

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

The module is longer than most (about 600 lines) because it is the one place that knows the
cell's layout: indices, strings, canonical forms, encodings and neighbours all read the same
index arithmetic and `EDGES`/`OPS` tables, and splitting them would spread that knowledge.
"""
from __future__ import annotations

import functools
import itertools
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


# -- canonical forms ---------------------------------------------------------------------
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


CANONICAL_RULES = ("nb201", "fine", "functional")


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


# -- encodings ---------------------------------------------------------------------------
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


# -- sampling, mutation, neighbourhood ---------------------------------------------------
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


# -- the space object ------------------------------------------------------------------------
# One concrete space, no pluggable-space protocol: every table (``arch_row`` has one entry per
# cell of this space), encoding, surrogate feature and the network builder are NAS-Bench-201
# shaped (6 edges x 5 ops), so a protocol covering only sampling would promise a pluggability the
# rest of the code does not have. What the next features need from a space is what this object
# gives: an outside optimiser's configuration space (``nasbench/strategies/cellspace.py``, a
# ConfigSpace of the cell) is ``edges`` x ``ops`` categorical choices; multi-fidelity lives on the benchmark
# (its ``epochs``), not the space. Strategies reach the space through ``SearchContext.space``
# (their neighbours come from its ``neighbour_table()``); tables and surrogates hold it as ``.space``.
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
        """The cell at an official index (`Cell.from_index`)."""
        return Cell.from_index(index)

    def index(self, cell: CellLike) -> int:
        """The official index of anything `to_cell` reads."""
        return to_cell(cell).index

    def indices(self, cells: Iterable[CellLike] | np.ndarray) -> np.ndarray:
        """Official indices of several cells (`to_indices`)."""
        return to_indices(cells)

    def sample(self, rng: np.random.Generator) -> Cell:
        """One uniformly random cell."""
        return sample(rng)  # type: ignore[return-value]

    def sample_indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Official indices of `n` uniformly random cells (with repetition)."""
        return rng.integers(0, N_CELLS, n)

    def mutate(self, cell: CellLike, rng: np.random.Generator) -> Cell:
        """The cell with one edge's op changed (`mutate`)."""
        return mutate(cell, rng)

    def mutate_index(self, index: int, rng: np.random.Generator) -> int:
        """The official index of a random one-op mutation of the cell at `index`."""
        return mutate(Cell.from_index(index), rng).index

    def neighbours(self, cell: CellLike) -> list[Cell]:
        """All 24 cells one op change away (`neighbours`)."""
        return neighbours(cell)

    def neighbour_indices(self, index: int) -> np.ndarray:
        """Official indices of the 24 one-op neighbours of the cell at `index`."""
        return neighbour_table()[check_index(index)]

    def neighbour_table(self) -> np.ndarray:
        """(n_cells, n_neighbours) official indices of every cell's one-op neighbours."""
        return neighbour_table()

    @property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """The cell's edges `(to, from)` (node `to` <- node `from`) in the order of a cell's `ops`."""
        return EDGES

    def encode(self, cells: Iterable[CellLike] | np.ndarray, kind: str = "onehot") -> np.ndarray:
        """Encodings of several cells (`encode_ops`; `kind` as there)."""
        return encode_ops(ops_table()[to_indices(cells)], kind)

    def canonical(self, cell: CellLike, rule: str = "nb201") -> int:
        """The lowest official index of the cell's class under `rule` (`canonical_index`)."""
        return canonical_index(cell, rule)


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


NB201 = NB201Space()


def get_space(name: str) -> NB201Space:
    """The space a table names.

    Only `nb201` exists (see the comment above `NB201Space`).

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
