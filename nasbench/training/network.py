"""The NAS-Bench-201 network built from a cell, one model or K stacked models.

Skeleton (checked against NAS-Bench-201's public code, `TinyNetwork` / `InferCell` /
`ResNetBasicblock`):

    stem    Conv3x3(in -> C, pad 1, no bias) -> BN
    stage 1 N cells at C
    reduce  ResNet basic block C -> 2C: ReLU-Conv3x3(stride 2)-BN, ReLU-Conv3x3-BN;
            shortcut AvgPool2d(2, 2) -> Conv1x1 (no bias); output = shortcut + branch
    stage 2 N cells at 2C
    reduce  2C -> 4C
    stage 3 N cells at 4C
    head    BN -> ReLU -> global average pool -> Linear(4C, classes)

The operations live in `nasbench.training.ops`, the cell in `nasbench.training.cell`, the
skeleton's size and its parameter and FLOP counts in `nasbench.training.counts`.

**Stacking.** `NB201Network` holds K >= 1 models side by side along the channel axis
(model k owns channels `[k*c, (k+1)*c)` of every layer), with grouped convolutions (groups=K),
per-channel BN and a per-model linear head. Models never exchange information, so training the
stack with a summed loss and an element-wise optimiser (SGD) trains each model exactly as on its
own; the K models may be different cells (an edge whose op differs between models computes each op
present and masks channels). K=1 is the plain network.

**Pruning.** With `prune=True` only the edges of `nasbench.space.effective_edges` are built
(the rest cannot reach the output or read an all-zero node), and every parametrised module is
initialised from a generator seeded by a hash of the base seed, its place in the skeleton and its
*role*: the canonical expression of what it computes (op applied to the canonical value of its
source node). Cells with equal `functional_key` therefore get identical weights and compute
the identical function from the same seed. Note: in the unpruned build a convolution that reads an
all-zero node outputs its BN bias, a learnable constant, so pruning is a (slight) change of function
for such cells; NAS-Bench-201's class rule treats them as equal.

Contract: `NB201Network` and `build_network` build the network; `count_module_params` and
`count_module_flops` count a built one (for the unpruned network they agree with the formulas of
`nasbench.training.counts`). The names other modules import from here are kept
importable: `NetConfig`, `count_params`, `count_flops`, `count_all` (from `counts`) and
`ReLUConvBN`, `ResNetBlock`, `GroupedLinear` (from `ops`).
"""
from __future__ import annotations

import hashlib
import math
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError
from ..space import Cell, CellLike, effective_edges, to_cell
from ..space.canonical import _canonical
from .cell import CellBlock
from .counts import NetConfig, count_all, count_flops, count_params
from .ops import GroupedLinear, ReLUConvBN, ResNetBlock

__all__ = [
    "NB201Network", "build_network", "NetConfig", "count_params", "count_flops", "count_all", "count_module_params",
    "count_module_flops", "ReLUConvBN", "ResNetBlock", "GroupedLinear",
]


class NB201Network(nn.Module):
    """The NAS-Bench-201 network of one cell, or K stacked models (a sequence of cells).

    Input: (B, K*in_channels, H, W), model k reading channels `[k*in, (k+1)*in)`.
    Output: (B, num_classes) for a single cell, (B, K, num_classes) for a sequence.

    Args:
        cells: one cell (anything `to_cell` reads), or a list or tuple of `Cell` objects to
            stack.
        C: channels of the first stage.
        N: cells per stage.
        num_classes: outputs of the classifier.
        in_channels: image channels of each model.
        prune: build only the edges that can influence the output.
        seeds: one seed per model, one seed for all, or None (see `reset_parameters`).

    Raises:
        InputError: no cell, or a number of seeds other than K.
    """

    def __init__(
        self,
        cells: CellLike | Sequence[CellLike],
        C: int = 16,
        N: int = 5,
        num_classes: int = 10,
        in_channels: int = 3,
        prune: bool = False,
        seeds: int | Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        # a list/tuple of Cell objects is a stack; anything else (arch string, index, 6 ops) is one cell
        self.stacked = isinstance(cells, (list, tuple)) and len(cells) > 0 and all(isinstance(c, Cell) for c in cells)
        cell_list = list(cells) if self.stacked else [to_cell(cells)]  # type: ignore[arg-type]
        K = len(cell_list)
        if K < 1:
            raise InputError("need at least one cell")
        self.config = NetConfig(C, N, num_classes, in_channels)
        self.cells, self.K, self.prune = tuple(cell_list), K, prune
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels * K, C * K, 3, padding=1, bias=False, groups=K), nn.BatchNorm2d(C * K)
        )
        layers: list[nn.Module] = []
        self.layer_names: list[str] = []
        c = C
        for stage in range(3):
            if stage > 0:
                layers.append(ResNetBlock(c, 2 * c, groups=K))
                self.layer_names.append(f"reduce{stage}")
                c *= 2
            for i in range(N):
                layers.append(CellBlock(cell_list, c, prune))
                self.layer_names.append(f"cell{stage}.{i}")
        self.layers = nn.ModuleList(layers)
        self.head_bn = nn.BatchNorm2d(c * K)
        self.classifier = GroupedLinear(K, c, num_classes)
        self.reset_parameters(seeds)

    # -- init --------------------------------------------------------------------------
    def reset_parameters(self, seeds: int | Sequence[int] | None = None) -> None:
        """Initialise every model as PyTorch's defaults would.

        Kaiming-uniform convs, BN 1/0, Linear uniform; each module from its own generator seeded by
        (seed, place, role).

        Args:
            seeds: one per model, one for all, or None to draw each from torch's global generator
                (so the usual `torch.manual_seed` governs it).

        Raises:
            InputError: a number of seeds other than K.
        """
        if seeds is None:
            seed_list = [int(torch.randint(0, 2**62, (1,)).item()) for _ in range(self.K)]
        elif isinstance(seeds, (int, np.integer)):
            seed_list = [int(seeds)] * self.K
        else:
            seed_list = [int(s) for s in seeds]
        if len(seed_list) != self.K:
            raise InputError(f"need {self.K} seeds, got {len(seed_list)}")
        self.seeds = tuple(seed_list)
        for k, base in enumerate(seed_list):
            cell = self.cells[k]
            roles = _canonical(cell.ops, effective_edges(cell))[0] if self.prune else {}
            _init_conv(self.stem[0], k, base, "stem")
            for name, layer in zip(self.layer_names, self.layers):
                if isinstance(layer, ResNetBlock):
                    for part in ("conv_a", "conv_b"):
                        _init_conv(getattr(layer, part)[1], k, base, f"{name}.{part}")
                    _init_conv(layer.shortcut, k, base, f"{name}.shortcut")
                    continue
                for e_str, edge in layer.edges.items():
                    e = int(e_str)
                    mod = edge.mods[str(cell.ops[e])] if str(cell.ops[e]) in edge.mods else None
                    if isinstance(mod, ReLUConvBN) and layer.live[k][e]:
                        role = roles[e] if self.prune else f"edge{e}"
                        _init_conv(mod[1], k, base, f"{name}.{role}")
            g = _generator(base, "classifier")
            w, b = self.classifier.weight, self.classifier.bias
            bound = 1.0 / math.sqrt(w.shape[2])
            with torch.no_grad():
                w[k].copy_(_kaiming_uniform(w.shape[1:], w.shape[2], g))
                b[k].copy_(torch.empty(b.shape[1]).uniform_(-bound, bound, generator=g))
        for m in self.modules():  # BN: weight 1, bias 0, fresh running statistics
            if isinstance(m, nn.BatchNorm2d):
                m.reset_parameters()

    # -- forward -----------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the network.

        Args:
            x: the image batch, `(n, channels, height, width)`.

        Returns:
            The logits, `(n, num_classes)`.
        """
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x)
        x = F.relu(self.head_bn(x))
        x = x.mean(dim=(2, 3))
        out = self.classifier(x.view(x.shape[0], self.K, -1))
        return out if self.stacked else out[:, 0]


def _generator(base: int, name: str) -> torch.Generator:
    h = hashlib.sha256(f"{base}|{name}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(h[:8], "little") & (2**63 - 1))


def _kaiming_uniform(shape: Sequence[int], fan_in: int, g: torch.Generator) -> torch.Tensor:
    # nn.Conv2d / nn.Linear default: kaiming_uniform_(a=sqrt(5)) => bound = 1/sqrt(fan_in)
    bound = 1.0 / math.sqrt(fan_in)
    return torch.empty(tuple(shape)).uniform_(-bound, bound, generator=g)


def _init_conv(conv: nn.Conv2d, k: int, base: int, name: str) -> None:
    out_per = conv.out_channels // conv.groups
    w = conv.weight
    fan_in = w.shape[1] * w.shape[2] * w.shape[3]
    with torch.no_grad():
        w[k * out_per:(k + 1) * out_per].copy_(_kaiming_uniform((out_per, *w.shape[1:]), fan_in, _generator(base, name)))


def build_network(cell: CellLike, C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3,
                  prune: bool = True, seed: int | None = None) -> NB201Network:
    """One cell's network.

    Args:
        cell: anything `to_cell` reads.
        C: channels of the first stage.
        N: cells per stage.
        num_classes: outputs of the classifier.
        in_channels: image channels.
        prune: build only effective edges (the training default).
        seed: the initialisation seed (None: torch's global generator).

    Returns:
        The network.
    """
    return NB201Network(cell, C, N, num_classes, in_channels, prune=prune, seeds=seed)


def count_module_params(model: nn.Module) -> int:
    """The number of parameters of a module.

    Args:
        model: the module.

    Returns:
        The number of parameters.
    """
    return sum(p.numel() for p in model.parameters())


def count_module_flops(model: NB201Network, input_size: int = 32) -> float:
    """FLOPs (millions) by running the real module once and counting conv/linear multiply-adds.

    Args:
        model: the network (for K stacked models, the count per model).
        input_size: image height and width.

    Returns:
        The FLOPs (millions).
    """
    total = 0

    def conv_hook(m: nn.Conv2d, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        kh, kw = m.kernel_size
        total += out[0].numel() * (m.in_channels // m.groups) * kh * kw

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    was_training = model.training
    model.eval()
    cfg = model.config
    with torch.no_grad():
        model(torch.zeros(1, cfg.in_channels * model.K, input_size, input_size))
    model.train(was_training)
    for h in hooks:
        h.remove()
    w = model.classifier.weight
    total += w.numel() + w.shape[0] * w.shape[1]
    return total / 1e6 / model.K
