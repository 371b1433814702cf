"""The NAS-Bench-201 network built from a cell, and its parameter and FLOP counts.

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

Every BN has affine weights and tracks running statistics; convolutions have no bias. Ops:
`nor_conv_k` = ReLU -> Conv(k, pad k//2, no bias) -> BN, `avg_pool_3x3` = AvgPool2d(3, 1, 1,
count_include_pad=False), `skip_connect` = identity, `none` = zero. Node j is the sum of its
incoming edges; the cell's output is node 3.

One deviation, invisible at NAS-Bench-201's sizes: the shortcut pool uses `ceil_mode=True` so that
odd feature maps (7x7 Fashion-MNIST) reduce to the same size as the stride-2 convolution
(ceil(h/2)); for even sizes it is exactly AvgPool2d(2).

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

**Counting** (NAS-Bench-201's convention): params = every parameter of the unpruned network
(convs, BN affine, linear); FLOPs (millions) = multiply-adds of every conv and of the linear,
plus one per linear output; pooling/BN/ReLU/additions are free.

Size: over 400 lines because stacking, pruning and role-seeded initialisation all act on the same
modules (an edge's module is built, masked and seeded in one place); split, each would need the
others' internals.
"""
from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..util.checks import check_positive_int
from ..errors import InputError
from ..space import (EDGES, N_CELLS, N_EDGES, N_NODES, OPS, Cell, CellLike, _canonical, effective_edges,
                    ops_table, to_cell)

NONE, SKIP, CONV1, CONV3, POOL = range(5)
_KERNEL = {CONV1: 1, CONV3: 3}
assert OPS[CONV1] == "nor_conv_1x1" and OPS[CONV3] == "nor_conv_3x3" and OPS[POOL] == "avg_pool_3x3"


@dataclass(frozen=True)
class NetConfig:
    """Size of the skeleton. Published NAS-Bench-201 tables: C=16, N=5."""

    C: int = 16
    N: int = 5
    num_classes: int = 10
    in_channels: int = 3

    def __post_init__(self) -> None:
        for name in ("C", "N", "num_classes", "in_channels"):
            check_positive_int(getattr(self, name), f"NetConfig.{name}")

    def to_dict(self) -> dict:
        """The fields as a dict."""
        return asdict(self)


# -- roles: canonical names of what each edge computes -------------------------------------
# -- modules -------------------------------------------------------------------------------
class ReLUConvBN(nn.Sequential):
    """ReLU, convolution (same padding, no bias) and BatchNorm, K models stacked as groups.

    Args:
        c_in: input channels per model.
        c_out: output channels per model.
        k: kernel size.
        stride: the convolution's stride.
        groups: K, the number of stacked models.
    """

    def __init__(self, c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in * groups, c_out * groups, k, stride=stride, padding=k // 2, bias=False, groups=groups),
            nn.BatchNorm2d(c_out * groups, affine=True, track_running_stats=True),
        )


class AvgPool3x3(nn.Module):
    """`AvgPool2d(3, stride=1, padding=1, count_include_pad=False)` computed as a depthwise
    box-filter convolution divided by the number of in-image neighbours. Same values up to
    float rounding; about twice as fast forward+backward on CPU for the small maps used here
    (PyTorch's CPU avg-pool kernel is the slowest op of a tiny NAS-Bench-201 net)."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def _consts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        C, H, W = x.shape[1:]
        key = (C, H, W, x.device, x.dtype)
        c = self._cache.get(key)
        if c is None:
            ones = torch.ones(1, 1, H, W, device=x.device, dtype=x.dtype)
            count = F.conv2d(ones, torch.ones(1, 1, 3, 3, device=x.device, dtype=x.dtype), padding=1)
            c = self._cache[key] = (torch.ones(C, 1, 3, 3, device=x.device, dtype=x.dtype), count.reciprocal())
        return c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kernel, inv_count = self._consts(x)
        return F.conv2d(x, kernel, padding=1, groups=x.shape[1]) * inv_count


class ResNetBlock(nn.Module):
    """NAS-Bench-201's stride-2 ResNetBasicblock (K models stacked: groups=K).

    Args:
        c_in: input channels per model.
        c_out: output channels per model.
        groups: K, the number of stacked models.
    """

    def __init__(self, c_in: int, c_out: int, groups: int = 1) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2, groups=groups)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, stride=1, groups=groups)
        self.pool = nn.AvgPool2d(2, stride=2, ceil_mode=True)
        self.shortcut = nn.Conv2d(c_in * groups, c_out * groups, 1, bias=False, groups=groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(self.pool(x)) + self.conv_b(self.conv_a(x))


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


class GroupedLinear(nn.Module):
    """K independent Linear(in, out) layers: (B, K, in) -> (B, K, out).

    Args:
        groups: K.
        d_in: input features per model.
        d_out: output features per model.
    """

    def __init__(self, groups: int, d_in: int, d_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(groups, d_out, d_in))
        self.bias = nn.Parameter(torch.empty(groups, d_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.weight.shape[0] == 1:
            return F.linear(x, self.weight[0], self.bias[0])
        return torch.einsum("bki,koi->bko", x, self.weight) + self.bias


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


# -- counting ------------------------------------------------------------------------------
def _conv_counts(ops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number of 1x1 and 3x3 conv edges of each row of an (n, 6) op array (unpruned build)."""
    return (ops == CONV1).sum(axis=1), (ops == CONV3).sum(axis=1)


def _spatial_sizes(input_size: int) -> list[int]:
    s1 = input_size
    s2 = (s1 + 1) // 2
    return [s1, s2, (s2 + 1) // 2]


def _counts(n1: np.ndarray, n3: np.ndarray, cfg: NetConfig, input_size: int) -> tuple[np.ndarray, np.ndarray]:
    C, N, L, cin = cfg.C, cfg.N, cfg.num_classes, cfg.in_channels
    sizes = _spatial_sizes(input_size)
    params = cin * C * 9 + 2 * C + 2 * 4 * C + 4 * C * L + L
    macs = sizes[0] ** 2 * cin * C * 9 + 4 * C * L
    cell_p = np.zeros_like(n1, dtype=np.float64)
    cell_m = np.zeros_like(n1, dtype=np.float64)
    for stage, c in enumerate((C, 2 * C, 4 * C)):
        h = sizes[stage]
        if stage > 0:
            ci = c // 2
            params += 9 * ci * c + 2 * c + 9 * c * c + 2 * c + ci * c
            macs += h * h * (9 * ci * c + 9 * c * c + ci * c)
        cell_p = cell_p + N * (n1 * (c * c + 2 * c) + n3 * (9 * c * c + 2 * c))
        cell_m = cell_m + N * h * h * (n1 * c * c + n3 * 9 * c * c)
    return params + cell_p, (macs + L + cell_m) / 1e6


def count_params(cell: CellLike, C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3) -> int:
    """Parameters of the unpruned network (NAS-Bench-201's `params` is this / 1e6).

    Args:
        cell: anything `to_cell` reads.
        C: channels of the first stage.
        N: cells per stage.
        num_classes: outputs of the classifier.
        in_channels: image channels.

    Returns:
        The parameter count.
    """
    n1, n3 = _conv_counts(np.array([to_cell(cell).ops]))
    return int(_counts(n1, n3, NetConfig(C, N, num_classes, in_channels), 32)[0][0])


def count_flops(cell: CellLike, C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3,
                input_size: int = 32) -> float:
    """FLOPs in millions, NAS-Bench-201's convention.

    Args:
        cell: anything `to_cell` reads.
        C: channels of the first stage.
        N: cells per stage.
        num_classes: outputs of the classifier.
        in_channels: image channels.
        input_size: image height and width.

    Returns:
        The FLOPs (millions).
    """
    n1, n3 = _conv_counts(np.array([to_cell(cell).ops]))
    return float(_counts(n1, n3, NetConfig(C, N, num_classes, in_channels), input_size)[1][0])


@functools.lru_cache(maxsize=32)
def count_all(C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3,
              input_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Parameters and FLOPs of all 15,625 cells in official index order.

    Args:
        C: channels of the first stage.
        N: cells per stage.
        num_classes: outputs of the classifier.
        in_channels: image channels.
        input_size: image height and width.

    Returns:
        `(params int64, FLOPs in millions)`, read-only arrays.
    """
    n1, n3 = _conv_counts(ops_table())
    p, f = _counts(n1, n3, NetConfig(C, N, num_classes, in_channels), input_size)
    p, f = p.astype(np.int64), f.astype(np.float64)
    p.setflags(write=False)
    f.setflags(write=False)
    assert len(p) == N_CELLS
    return p, f


def count_module_params(model: nn.Module) -> int:
    """The number of parameters of a module."""
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
