"""The stand-in input batch of the data-dependent proxies.

The NAS-Bench-201 tables' images (CIFAR-10/100, ImageNet16-120) are not on this machine, so the
data-dependent proxies read a documented stand-in: `fashion-mnist` = B Fashion-MNIST training
images drawn by a seeded generator, resized (bilinear) to H x W, the grey channel copied to every
input channel, standardised by the batch's mean and std, with their own labels (0..9, valid class
indices for 10, 100 or 120 outputs); `gaussian` = a seeded standard-normal batch with seeded
uniform labels; `train` = B images of the table's own training split (a table trained here,
whose data is on this machine: its recipe's input, normalised per channel by the training
split's statistics as training does, with their own labels), drawn by a seeded generator.
Zen-score always reads its own seeded Gaussian input and perturbation.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..training.datasets import Data, _read_idx
from ..errors import InputError

FASHION_ROOT = Path("/usr/share/datasets/fashion-mnist")
KINDS = ("fashion-mnist", "gaussian", "train")


@dataclass(frozen=True)
class BatchSpec:
    """What the stand-in batch is: recorded beside every computed value."""

    kind: str = "fashion-mnist"
    size: int = 64
    height: int = 32
    width: int = 32
    channels: int = 3
    num_classes: int = 10
    seed: int = 0
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"unknown stand-in batch kind {self.kind!r}; allowed: {', '.join(KINDS)}")
        if self.size < 2:
            raise InputError(f"stand-in batch size must be at least 2, got {self.size}")

    def describe(self) -> str:
        """One line saying what the batch is (images, shape, size, seed, dtype), for headers and reports."""
        what = {"fashion-mnist": "Fashion-MNIST train images resized to", "gaussian": "Gaussian N(0,1)",
                "train": "the table's own training images"}[self.kind]
        return f"{what} {self.channels}x{self.height}x{self.width}, batch {self.size}, seed {self.seed}, {self.dtype}"


@dataclass(frozen=True)
class StandIn:
    """The tensors: the proxy batch (x, y) and Zen-score's Gaussian input and perturbation."""

    spec: BatchSpec
    x: torch.Tensor
    y: torch.Tensor
    zen_x: torch.Tensor
    zen_eps: torch.Tensor


def make_batch(spec: BatchSpec, root: str | Path = FASHION_ROOT, data: "Data | None" = None) -> StandIn:
    """The tensors of a batch spec.

    Args:
        spec: what the batch is.
        root: where the Fashion-MNIST files lie (kind `fashion-mnist`).
        data: the table's loaded dataset (kind `train`).

    Returns:
        The proxy batch and Zen-score's Gaussian input and perturbation.

    Raises:
        InputError: kind `train` without `data`, or with data of another input shape.
    """
    g = torch.Generator().manual_seed(spec.seed)
    shape = (spec.size, spec.channels, spec.height, spec.width)
    if spec.kind == "train":
        if data is None:
            raise InputError("a 'train' batch needs the table's dataset")
        if tuple(data.input_shape) != shape[1:]:
            raise InputError(f"the dataset's images are {tuple(data.input_shape)}, the batch expects {shape[1:]}")
        pick = np.sort(np.random.default_rng(spec.seed).choice(len(data.train_y), spec.size, replace=False))
        mean, std = data.channel_stats()
        m = torch.tensor(mean).view(1, -1, 1, 1)
        s = torch.tensor(std).view(1, -1, 1, 1)
        x = (data.train_x[torch.from_numpy(pick)].float() / 255.0 - m) / s
        y = data.train_y[torch.from_numpy(pick)].long()
    elif spec.kind == "fashion-mnist":
        imgs = _read_idx(Path(root), "train-images-idx3-ubyte")
        labels = _read_idx(Path(root), "train-labels-idx1-ubyte")
        pick = np.random.default_rng(spec.seed).choice(len(imgs), spec.size, replace=False)
        x = torch.from_numpy(imgs[pick].astype(np.float32) / 255.0)[:, None]
        x = F.interpolate(x, size=(spec.height, spec.width), mode="bilinear", align_corners=False)
        x = x.repeat(1, spec.channels, 1, 1)
        x = (x - x.mean()) / x.std()
        y = torch.from_numpy(labels[pick].astype(np.int64)) % spec.num_classes
    else:
        x = torch.randn(shape, generator=g)
        y = torch.randint(0, spec.num_classes, (spec.size,), generator=g)
    zg = torch.Generator().manual_seed(spec.seed + 1)
    zen_x = torch.randn(shape, generator=zg)
    zen_eps = torch.randn(shape, generator=zg)
    dt = getattr(torch, spec.dtype)
    return StandIn(spec, x.to(dt).contiguous(), y, zen_x.to(dt), zen_eps.to(dt))
