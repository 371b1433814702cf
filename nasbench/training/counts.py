"""The size of the NAS-Bench-201 skeleton and its parameter and FLOP counts.

Counting follows NAS-Bench-201's convention: params = every parameter of the unpruned network
(convs, BN affine, linear); FLOPs (millions) = multiply-adds of every conv and of the linear,
plus one per linear output; pooling/BN/ReLU/additions are free.

Contract: `NetConfig` holds the skeleton's size (C, N, classes, image channels), each a positive
integer. `count_params`, `count_flops` and `count_all` compute the counts from the cell's ops by
formula, with no network built (`nasbench.training.network.count_module_flops` counts a built
network and agrees with them on the unpruned build).
"""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

import numpy as np

from ..space import N_CELLS, CellLike, ops_table, to_cell
from ..util.checks import check_positive_int
from .ops import CONV1, CONV3


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
