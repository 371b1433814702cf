"""The operations of the NAS-Bench-201 network, each able to hold K models stacked as groups.

Checked against NAS-Bench-201's public code (`ReLUConvBN`, `ResNetBasicblock`, `TinyNetwork`):
`nor_conv_k` = ReLU -> Conv(k, pad k//2, no bias) -> BN (`ReLUConvBN`), `avg_pool_3x3` =
AvgPool2d(3, 1, 1, count_include_pad=False) (`AvgPool3x3`), `skip_connect` = identity, `none` =
zero. The reduction between stages is the stride-2 ResNet basic block (`ResNetBlock`) and the
head a linear layer (`GroupedLinear`). Every BN has affine weights and tracks running
statistics; convolutions have no bias.

One deviation, invisible at NAS-Bench-201's sizes: the shortcut pool uses `ceil_mode=True` so that
odd feature maps (7x7 Fashion-MNIST) reduce to the same size as the stride-2 convolution
(ceil(h/2)); for even sizes it is exactly AvgPool2d(2).

Contract: with `groups=K` every module holds K independent models side by side along the channel
axis (model k owns channels `[k*c, (k+1)*c)`), and models never exchange information. The op ids
`NONE`, `SKIP`, `CONV1`, `CONV3`, `POOL` index `nasbench.space.OPS`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..space import OPS

NONE, SKIP, CONV1, CONV3, POOL = range(5)
_KERNEL = {CONV1: 1, CONV3: 3}
assert OPS[CONV1] == "nor_conv_1x1" and OPS[CONV3] == "nor_conv_3x3" and OPS[POOL] == "avg_pool_3x3"


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
        """Apply the module.

        Args:
            x: the input batch, `(n, channels, height, width)`.

        Returns:
            The output batch.
        """
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
        """Apply the module.

        Args:
            x: the input batch, `(n, channels, height, width)`.

        Returns:
            The output batch.
        """
        return self.shortcut(self.pool(x)) + self.conv_b(self.conv_a(x))


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
        """Apply the module.

        Args:
            x: the input batch.

        Returns:
            The output batch.
        """
        if self.weight.shape[0] == 1:
            return F.linear(x, self.weight[0], self.bias[0])
        return torch.einsum("bki,koi->bko", x, self.weight) + self.bias
