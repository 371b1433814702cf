"""A weight-sharing supernet of the NAS-Bench-201 space, for DARTS and GDAS.

Same skeleton as `nasbench.training.network` (stem, three stages of N cells with ResNet reduction
blocks between them, BN-ReLU-pool-linear head), reusing its `ReLUConvBN` and `ResNetBlock`;
every edge of every cell holds all five ops, and the architecture weights `alpha` (6 edges x 5
ops, shared by all cells) mix them:

* `mode="darts"`: every op is computed and summed with weights `softmax(alpha)`;
* `mode="gdas"`: one op per edge is sampled by Gumbel-softmax with temperature `tau`; only
  that op is computed, scaled by its straight-through hard weight (NAS-Bench-201's GDAS code).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..training.network import ReLUConvBN, ResNetBlock
from ..space import EDGES, N_EDGES, N_NODES, N_OPS, OPS
from ..errors import InputError

NONE, SKIP, CONV1, CONV3, POOL = range(5)
assert OPS == ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


class MixedEdge(nn.Module):
    """One supernet edge: every op of the space, mixed by the architecture weights.

    Args:
        c: channels.
    """

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1 = ReLUConvBN(c, c, 1)
        self.conv3 = ReLUConvBN(c, c, 3)
        self.pool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def op(self, k: int, x: torch.Tensor) -> torch.Tensor:
        """One candidate op of the edge.

        Args:
            k: the op id.
            x: the input.

        Returns:
            Op `k` applied to `x`.
        """
        if k == NONE:
            return x.mul(0.0)
        if k == SKIP:
            return x
        if k == CONV1:
            return self.conv1(x)
        if k == CONV3:
            return self.conv3(x)
        return self.pool(x)

    def forward(self, x: torch.Tensor, w: torch.Tensor, hard_index: int | None = None) -> torch.Tensor:
        """The weighted sum of the ops (DARTS), or only the sampled op (GDAS).

        Args:
            x: the edge's input.
            w: the op weights of this edge.
            hard_index: GDAS's sampled op (the other weights enter as constants); None: DARTS.

        Returns:
            The edge's output.
        """
        if hard_index is not None:  # GDAS: compute only the sampled op; other weights enter as constants
            out = w[hard_index] * self.op(hard_index, x)
            return out + sum(w[k] for k in range(N_OPS) if k != hard_index)
        return sum(w[k] * self.op(k, x) for k in range(1, N_OPS))  # 'none' contributes zero


class SearchCell(nn.Module):
    """One supernet cell: a `MixedEdge` per edge of the space.

    Args:
        c: channels.
    """

    def __init__(self, c: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(MixedEdge(c) for _ in range(N_EDGES))

    def forward(self, x: torch.Tensor, weights: torch.Tensor, hard: list[int] | None = None) -> torch.Tensor:
        """The cell's output node.

        Args:
            x: the cell's input.
            weights: op weights, one row per edge.
            hard: GDAS's sampled op per edge; None: DARTS.

        Returns:
            The output node's value.
        """
        nodes = [x]
        for j in range(1, N_NODES):
            acc = None
            for e, (t, s) in enumerate(EDGES):
                if t != j:
                    continue
                y = self.edges[e](nodes[s], weights[e], None if hard is None else hard[e])
                acc = y if acc is None else acc + y
            nodes.append(acc)
        return nodes[-1]


class Supernet(nn.Module):
    """The NAS-Bench-201 skeleton with search cells and architecture parameters `alpha` (edges x ops).

    Args:
        C: channels of the first stage.
        N: cells per stage.
        num_classes: outputs of the classifier.
        in_channels: image channels.
    """

    def __init__(self, C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        c = C
        for stage in range(3):
            if stage > 0:
                layers.append(ResNetBlock(c, 2 * c))
                c *= 2
            layers.extend(SearchCell(c) for _ in range(N))
        self.layers = nn.ModuleList(layers)
        self.head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU())
        self.classifier = nn.Linear(c, num_classes)
        self.alpha = nn.Parameter(1e-3 * torch.randn(N_EDGES, N_OPS))

    def weight_parameters(self) -> list[nn.Parameter]:
        """Every parameter but `alpha` (what the weight optimiser trains)."""
        return [p for n, p in self.named_parameters() if n != "alpha"]

    def forward(self, x: torch.Tensor, mode: str = "darts", tau: float = 1.0) -> torch.Tensor:
        """The supernet's logits.

        Args:
            x: images (B, in_channels, H, W).
            mode: `darts` (softmax of alpha on every edge) or `gdas` (one Gumbel-sampled op per edge).
            tau: the Gumbel-softmax temperature (GDAS).

        Returns:
            Logits (B, num_classes).

        Raises:
            InputError: another mode.
        """
        if mode == "darts":
            weights, hard = torch.softmax(self.alpha, dim=-1), None
        elif mode == "gdas":
            weights, hard = gumbel_hard(self.alpha, tau)
        else:
            raise InputError(f"mode {mode!r}; allowed: darts, gdas")
        self.last_ops = hard  # GDAS: the ops this forward computed (for the cost model)
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x, weights, hard) if isinstance(layer, SearchCell) else layer(x)
        x = self.head(x).mean(dim=(2, 3))
        return self.classifier(x)

    def derive(self) -> tuple[int, ...]:
        """The op ids of the derived cell: argmax of alpha on every edge."""
        return tuple(int(k) for k in self.alpha.detach().argmax(dim=-1))


def gumbel_hard(alpha: torch.Tensor, tau: float) -> tuple[torch.Tensor, list[int]]:
    """Straight-through Gumbel-softmax sample per edge.

    Args:
        alpha: architecture parameters (edges x ops).
        tau: the temperature.

    Returns:
        `(hard weights with gradients, chosen op per edge)`.
    """
    while True:
        gumbels = -torch.empty_like(alpha).exponential_().log()
        logits = (alpha.log_softmax(dim=-1) + gumbels) / tau
        probs = F.softmax(logits, dim=-1)
        index = probs.argmax(dim=-1, keepdim=True)
        one_hot = torch.zeros_like(logits).scatter_(-1, index, 1.0)
        hard = one_hot - probs.detach() + probs
        if torch.isfinite(hard).all() and torch.isfinite(probs).all():
            return hard, [int(i) for i in index.view(-1)]
