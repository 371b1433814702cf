"""The NAS-Bench-201 cell space.

A cell is a DAG of 4 nodes whose 6 edges each carry one of five operations; the space holds
all 15,625 such cells, numbered in NAS-Bench-201's official index order. This package is the
one place that knows the cell's layout, one idea per module:

* `nasbench.space.cells` -- operations, edges, `Cell`, arch strings, the official index order,
  `to_cell` / `to_indices`;
* `nasbench.space.canonical` -- canonical forms and classes (`nb201`, `fine`, `functional`),
  effective edges;
* `nasbench.space.encodings` -- feature encodings of cells (`encode_ops`);
* `nasbench.space.moves` -- sampling, mutation and the one-op neighbourhood;
* `nasbench.space.nb201_space` -- the space as one object (`NB201Space`, `NB201`, `get_space`).

Every public name of those modules is importable from `nasbench.space` itself; so are
`_canonical` and `_code_to_index`, whose home is their submodule.
"""
from __future__ import annotations

from .canonical import (CANONICAL_RULES, canonical_index, canonical_key, class_table, effective_edges,
                        functional_key)
from .canonical import _canonical  # noqa: F401
from .cells import (EDGES, N_CELLS, N_EDGES, N_NODES, N_OPS, OPS, Cell, CellLike, SpaceError, all_cells, check_index,
                    format_arch_str, indices_of_ops, ops_table, parse_arch_str, to_cell, to_indices)
from .cells import _code_to_index  # noqa: F401
from .encodings import ENCODINGS, encode_ops
from .moves import mutate, neighbour_table, neighbours, sample
from .nb201_space import NB201, NB201Space, get_space

__all__ = [
    "CANONICAL_RULES", "EDGES", "ENCODINGS", "N_CELLS", "N_EDGES", "N_NODES", "N_OPS", "NB201", "OPS", "Cell",
    "CellLike", "NB201Space", "SpaceError", "all_cells", "canonical_index", "canonical_key", "check_index",
    "class_table", "effective_edges", "encode_ops", "format_arch_str", "functional_key", "get_space",
    "indices_of_ops", "mutate", "neighbour_table", "neighbours", "ops_table", "parse_arch_str", "sample",
    "to_cell", "to_indices",
]
