"""One cell of the NAS-Bench-201 network: its edges, built for K stacked models.

Node j is the sum of its incoming edges; the cell's output is node 3. The K stacked models may be
different cells: an edge whose op differs between models computes each op present and masks
channels. With `prune=True` only the edges of `nasbench.space.effective_edges` are built (the
rest cannot reach the output or read an all-zero node).

Contract: `CellBlock(cells, c, prune)` maps (B, K*c, H, W) to (B, K*c, H, W); cells with equal
`functional_key` do the same float operations in the same order, so their outputs are
bit-identical, not just equal in exact arithmetic.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..space import EDGES, N_EDGES, N_NODES, Cell, effective_edges
from ..space.canonical import _canonical
from .ops import _KERNEL, NONE, POOL, SKIP, AvgPool3x3, ReLUConvBN


class _Edge(nn.Module):
    """One edge of K stacked cells: the ops present among the models, each with a channel mask
    (None when every model uses that op)."""

    def __init__(self, ops_per_model: Sequence[int], c: int) -> None:
        super().__init__()
        K = len(ops_per_model)
        self.kinds: list[int] = sorted({o for o in ops_per_model if o != NONE})
        self.mods = nn.ModuleDict()
        self.masked: dict[int, bool] = {}
        for o in self.kinds:
            if o in _KERNEL:
                self.mods[str(o)] = ReLUConvBN(c, c, _KERNEL[o], groups=K)
            elif o == POOL:
                self.mods[str(o)] = AvgPool3x3()
            use = torch.tensor([float(m == o) for m in ops_per_model]).repeat_interleave(c)
            self.masked[o] = bool((use == 0).any())
            if self.masked[o]:
                self.register_buffer(f"mask{o}", use.view(1, -1, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor | None:
        out: torch.Tensor | None = None
        for o in self.kinds:
            y = x if o == SKIP else self.mods[str(o)](x)
            if self.masked[o]:
                y = y * getattr(self, f"mask{o}")
            out = y if out is None else out + y
        return out


class CellBlock(nn.Module):
    """K stacked cells (possibly different) at `c` channels each.

    Node values are kept as lists of named terms and summed in sorted-name order only where an op
    reads them, so cells with equal `functional_key` do the same float operations in the same
    order (bit-identical outputs), not just the same maths.

    Args:
        cells: one cell per model.
        c: channels per model.
        prune: build only the edges that can influence the output.
    """

    def __init__(self, cells: Sequence[Cell], c: int, prune: bool) -> None:
        super().__init__()
        self.cells = tuple(cells)
        live = [effective_edges(cl) if prune else tuple(o != NONE for o in cl.ops) for cl in cells]
        self.live = live
        self.edges = nn.ModuleDict()
        for e in range(N_EDGES):
            ops_e = [cl.ops[e] if lv[e] else NONE for cl, lv in zip(cells, live)]
            if any(o != NONE for o in ops_e):
                self.edges[str(e)] = _Edge(ops_e, c)
        if prune and all(cl == cells[0] for cl in cells):
            self.term_names = dict(_canonical(cells[0].ops, live[0])[0])
        else:
            self.term_names = {e: f"e{e}" for e in range(N_EDGES)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the module.

        Args:
            x: the input batch, `(n, channels, height, width)`.

        Returns:
            The output batch.
        """
        values: list[list[tuple[str, torch.Tensor]]] = [[("x", x)]]
        for j in range(1, N_NODES):
            terms: list[tuple[str, torch.Tensor]] = []
            for e, (t, s) in enumerate(EDGES):
                if t != j or str(e) not in self.edges:
                    continue
                edge = self.edges[str(e)]
                if edge.kinds == [SKIP] and not edge.masked[SKIP]:
                    terms.extend(values[s])
                    continue
                # an all-zero source (unpruned builds only): NAS-Bench-201 feeds zeros
                src = _sum_terms(values[s]) if values[s] else torch.zeros_like(x)
                y = edge(src)
                if y is not None:
                    terms.append((self.term_names[e], y))
            values.append(terms)
        out = values[-1]
        return _sum_terms(out) if out else torch.zeros_like(x)


def _sum_terms(terms: list[tuple[str, torch.Tensor]]) -> torch.Tensor:
    ordered = sorted(terms, key=lambda t: t[0])
    acc = ordered[0][1]
    for _, y in ordered[1:]:
        acc = acc + y
    return acc
