"""Training recipe and trainer: one cell and seed at a time, or many models stacked into one.

`train_cell` trains one cell with one seed; `train_many` trains K (cell, seed) pairs at
once as one channel-stacked network (see `nasbench.training.network`): every model has its own
initialisation, its own data order and augmentation draws, its own BN statistics and loss, and
SGD is element-wise, so each model follows the same maths as on its own (the stacked grouped
convolutions may round differently in the last bit). `train_cell` *is* `train_many` with K=1
and therefore the plain single network, so both share one code path, on CPU and CUDA.

Determinism: on CPU, the same (cell, seed, data, recipe) gives bit-identical records, whatever the
global torch RNG state: initialisation comes from the model's seed (hashed per module), data order
and augmentation from a generator seeded by it. Timings are of course not reproducible.

CUDA path: the data live on the device, normalised once; batches are gathered there, augmentation
(random crop with zero padding + horizontal flip) runs there, bf16 autocast and channels_last are
on by default (`Recipe.amp`, `Recipe.channels_last`; both ignored on CPU).
"""
from __future__ import annotations

import hashlib
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..util.checks import check_positive_int
from .checkpoint import load_checkpoint, restore, save_checkpoint, state_to_arrays
from .counts import count_params
from .datasets import Data
from .network import NB201Network
from ..space import Cell, CellLike, to_cell
from ..errors import NasbenchError


class RecipeError(NasbenchError, ValueError):
    """An invalid training recipe."""


@dataclass(frozen=True)
class Recipe:
    """NAS-Bench-201's recipe (SGD, Nesterov momentum 0.9, lr 0.1 cosine-annealed to 0 per step,
    weight decay 5e-4 on all parameters, batch 256) at a chosen size and length.

    `augment`: random crop (zero padding `crop_padding`) + horizontal flip, as NAS-Bench-201
    does for CIFAR. Off by default: the tiny tables use 7x7 / 8x8 grayscale images, where a 4-pixel
    shift destroys most of the image and flipping digits changes their meaning.
    """

    epochs: int = 12
    batch_size: int = 256
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    schedule: str = "cosine"  # cosine from lr to 0 over all steps, updated every step
    C: int = 16
    N: int = 5
    prune: bool = True  # build only effective edges (see network.py)
    augment: bool = False
    crop_padding: int = 4
    normalize: bool = True  # per-channel mean/std of the training split
    eval_batch_size: int = 2048
    amp: bool = True  # bf16 autocast, CUDA only
    channels_last: bool = True  # CUDA only
    cpu_channels_last: bool = False  # channels_last on CPU too (see below)

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "C", "N", "eval_batch_size"):
            check_positive_int(getattr(self, name), f"Recipe.{name}", RecipeError)
        if not self.lr > 0 or self.weight_decay < 0 or not 0 <= self.momentum < 1 or self.crop_padding < 0:
            raise RecipeError("Recipe needs lr > 0, weight_decay >= 0, 0 <= momentum < 1, crop_padding >= 0")
        if self.schedule not in ("cosine", "constant"):
            raise RecipeError(f"unknown schedule {self.schedule!r}; allowed: cosine, constant")

    def to_dict(self) -> dict[str, Any]:
        """The recipe as recorded: the fields plus the descriptive `optimizer` and `loss`."""
        return {"optimizer": "sgd", "loss": "cross_entropy", **asdict(self)}

    def lr_at(self, step: int, total: int) -> float:
        """The learning rate at a step.

        Args:
            step: the optimiser step (0-based).
            total: the run's total steps.

        Returns:
            `lr` for the constant schedule, else the cosine-annealed rate.
        """
        if self.schedule == "constant":
            return self.lr
        return 0.5 * self.lr * (1.0 + math.cos(math.pi * step / total))


def recipe_from_dict(d: dict[str, Any]) -> Recipe:
    """A `Recipe` from its recorded dict (the descriptive keys `optimizer` and `loss` ignored).

    Args:
        d: the recorded dict.

    Returns:
        The recipe.

    Raises:
        RecipeError: an unknown field or a bad value.
    """
    from dataclasses import fields

    names = {f.name for f in fields(Recipe)}
    unknown = sorted(set(d) - names - {"optimizer", "loss"})
    if unknown:
        raise RecipeError(f"unknown recipe field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(names))}")
    return Recipe(**{k: v for k, v in d.items() if k in names})


METRICS = ("train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss", "train_time")


@dataclass
class TrainRecord:
    """Per-epoch metrics of one training (arrays of length `epochs`). Accuracies in percent;
    `train_acc`/`train_loss` are running averages over the epoch's batches (train mode);
    `train_time` is cumulative training seconds (excluding evaluation; for a stacked run, the
    run's time divided by the number of models)."""

    cell: int
    seed: int
    train_acc: np.ndarray
    train_loss: np.ndarray
    valid_acc: np.ndarray
    valid_loss: np.ndarray
    test_acc: np.ndarray
    test_loss: np.ndarray
    train_time: np.ndarray
    params: int = 0
    info: dict[str, Any] = field(default_factory=dict)


def _seed_generator(seed: int, what: str, device: str = "cpu") -> torch.Generator:
    h = hashlib.sha256(f"{seed}|{what}".encode()).digest()
    return torch.Generator(device=device).manual_seed(int.from_bytes(h[:8], "little") & (2**63 - 1))


def random_crop_flip(x: torch.Tensor, padding: int, gen: torch.Generator, flip: bool = True) -> torch.Tensor:
    """Per-sample random crop (zero padding) and horizontal flip, on x's device.

    Args:
        x: images (B, C, H, W).
        padding: the crop's zero padding.
        gen: a CPU generator that draws the offsets and flips (so the draws do not depend on the
            device).
        flip: also flip half of the images, at random.

    Returns:
        The augmented images, same shape.
    """
    B, C, H, W = x.shape
    offs = torch.randint(0, 2 * padding + 1, (2, B), generator=gen).to(x.device)
    flips = (torch.rand(B, generator=gen) < 0.5).to(x.device) if flip else None
    if padding:
        xp = F.pad(x, (padding, padding, padding, padding))
        rows = (offs[0][:, None] + torch.arange(H, device=x.device))[:, None, :, None]
        cols = (offs[1][:, None] + torch.arange(W, device=x.device))[:, None, None, :]
        x = xp[torch.arange(B, device=x.device)[:, None, None, None], torch.arange(C, device=x.device)[None, :, None, None],
               rows, cols]
    if flips is not None:
        x = torch.where(flips[:, None, None, None], x.flip(-1), x)
    return x


@dataclass
class _DeviceData:
    train_x: torch.Tensor
    train_y: torch.Tensor
    valid_x: torch.Tensor
    valid_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


def prepare_data(data: Data, recipe: Recipe, device: torch.device | str = "cpu") -> _DeviceData:
    """Normalised float32 copies of the three splits on a device (done once per run).

    Args:
        data: the dataset.
        recipe: the recipe (`normalize` decides whether the channel statistics apply).
        device: the torch device.

    Returns:
        The splits on the device.
    """
    mean, std = data.channel_stats() if recipe.normalize else ([0.0] * data.input_shape[0], [1.0] * data.input_shape[0])
    m = torch.tensor(mean).view(1, -1, 1, 1)
    s = torch.tensor(std).view(1, -1, 1, 1)
    conv = lambda x: ((x.float() / 255.0 - m) / s).to(device)  # noqa: E731
    return _DeviceData(conv(data.train_x), data.train_y.to(device), conv(data.valid_x), data.valid_y.to(device),
                       conv(data.test_x), data.test_y.to(device))


def train_cell(cell: CellLike, data: Data, recipe: Recipe, seed: int, device: str | torch.device = "cpu",
               prepared: _DeviceData | None = None) -> TrainRecord:
    """Train one cell with one seed.

    Args:
        cell: anything `to_cell` reads.
        data: the dataset.
        recipe: the recipe.
        seed: the seed.
        device: the torch device.
        prepared: the data already on the device (`prepare_data`).

    Returns:
        The per-epoch record.
    """
    return train_many([to_cell(cell)], [seed], data, recipe, device, prepared)[0]


def train_many(cells: Sequence[CellLike], seeds: Sequence[int], data: Data, recipe: Recipe,
               device: str | torch.device = "cpu", prepared: _DeviceData | None = None,
               checkpoint: str | os.PathLike | None = None, checkpoint_every: int = 1, key: str = "",
               on_epoch: Callable[[int], None] | None = None) -> list[TrainRecord]:
    """Train K (cell, seed) pairs at once as one stacked network.

    The cells may repeat (seeds of one cell) or differ (then edges whose op differs compute every
    op present, masked per model: cheapest when the cells share most ops).

    Args:
        cells: the cells, one per model.
        seeds: the seeds, as many as `cells`.
        data: the dataset.
        recipe: the recipe.
        device: the torch device.
        prepared: the data already on the device (`prepare_data`).
        checkpoint: a file that receives the full training state every `checkpoint_every`
            finished epochs; a run started with a checkpoint holding the same `key` resumes after
            its last epoch and, on CPU, ends bit-identical to an uninterrupted run.
        checkpoint_every: epochs between checkpoints.
        key: identifies the training the checkpoint belongs to.
        on_epoch: called with each finished epoch (1-based).

    Returns:
        One record per pair, in order.

    Raises:
        RecipeError: `cells` and `seeds` differ in length.
    """
    cell_list = [to_cell(c) for c in cells]
    if len(cell_list) != len(seeds) or not cell_list:
        raise RecipeError(f"need one seed per cell, got {len(cell_list)} cells and {len(seeds)} seeds")
    dev = torch.device(device)
    cuda = dev.type == "cuda"
    K = len(cell_list)
    d = prepared if prepared is not None else prepare_data(data, recipe, dev)
    in_ch, num_classes = data.input_shape[0], data.num_classes
    net = NB201Network(cell_list, recipe.C, recipe.N, num_classes, in_ch, prune=recipe.prune,
                       seeds=[int(s) for s in seeds]).to(dev)
    nhwc = recipe.channels_last if cuda else recipe.cpu_channels_last
    mem = torch.channels_last if nhwc else torch.contiguous_format
    net = net.to(memory_format=mem)
    opt = torch.optim.SGD(net.parameters(), lr=recipe.lr, momentum=recipe.momentum, nesterov=recipe.nesterov,
                          weight_decay=recipe.weight_decay)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda and recipe.amp)
    gens = [_seed_generator(int(s), "data") for s in seeds]
    n, B = len(d.train_y), recipe.batch_size
    steps_per_epoch = math.ceil(n / B)
    total_steps = recipe.epochs * steps_per_epoch
    E = recipe.epochs
    out = {m: np.zeros((K, E)) for m in METRICS}
    elapsed, step, start = 0.0, 0, 0
    ckpt = Path(checkpoint) if checkpoint is not None else None
    state = load_checkpoint(ckpt) if ckpt is not None else None
    if state is not None and state[1].get("key") == key and 0 < int(state[1].get("epoch", 0)) <= E:
        restore(*state, net, opt, gens, out)
        start, step, elapsed = int(state[1]["epoch"]), int(state[1]["step"]), float(state[1]["elapsed"])
    for epoch in range(start, E):
        net.train()
        if cuda:
            torch.cuda.synchronize(dev)
        t0 = time.perf_counter()
        perms = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(dev)  # (K, n)
        loss_sum = torch.zeros(K, device=dev)
        correct = torch.zeros(K, device=dev)
        for b in range(steps_per_epoch):
            idx = perms[:, b * B:(b + 1) * B]  # (K, b)
            nb = idx.shape[1]
            x = d.train_x[idx.reshape(-1)]  # (K*nb, in, H, W), model-major
            if recipe.augment:
                x = torch.cat([random_crop_flip(x[k * nb:(k + 1) * nb], recipe.crop_padding, gens[k])
                               for k in range(K)])
            x = x.view(K, nb, *x.shape[1:]).transpose(0, 1).reshape(nb, K * in_ch, *x.shape[2:])
            x = x.contiguous(memory_format=mem)
            y = d.train_y[idx].T  # (nb, K)
            for group in opt.param_groups:
                group["lr"] = recipe.lr_at(step, total_steps)
            with autocast:
                logits = net(x)  # (nb, K, classes)
            losses = F.cross_entropy(logits.float().permute(0, 2, 1), y, reduction="none").mean(0)  # (K,)
            opt.zero_grad(set_to_none=True)
            losses.sum().backward()
            opt.step()
            with torch.no_grad():
                loss_sum += losses.detach() * nb
                correct += (logits.argmax(-1) == y).sum(0)
            step += 1
        loss_np, correct_np = loss_sum.cpu().numpy(), correct.cpu().numpy()  # synchronises
        elapsed += time.perf_counter() - t0
        out["train_loss"][:, epoch] = loss_np / n
        out["train_acc"][:, epoch] = 100.0 * correct_np / n
        out["train_time"][:, epoch] = elapsed / K
        for split in ("valid", "test"):
            acc, loss = _evaluate(net, getattr(d, f"{split}_x"), getattr(d, f"{split}_y"), K, recipe, autocast, mem)
            out[f"{split}_acc"][:, epoch], out[f"{split}_loss"][:, epoch] = acc, loss
        if ckpt is not None and (epoch + 1) % checkpoint_every == 0 and epoch + 1 < E:
            arrays, meta = state_to_arrays(net, opt, gens, out)
            meta.update(key=key, epoch=epoch + 1, step=step, elapsed=elapsed, cells=[c.index for c in cell_list],
                        seeds=[int(s) for s in seeds])
            save_checkpoint(ckpt, arrays, meta)
        if on_epoch is not None:
            on_epoch(epoch + 1)
    params = [count_params(c, recipe.C, recipe.N, num_classes, in_ch) for c in cell_list]
    info = {"device": str(dev), "stacked": K, "resumed_from_epoch": start}
    return [TrainRecord(cell_list[k].index, int(seeds[k]), *(out[m][k].copy() for m in METRICS),
                        params=params[k], info=dict(info)) for k in range(K)]


@torch.no_grad()
def _evaluate(net: NB201Network, x: torch.Tensor, y: torch.Tensor, K: int, recipe: Recipe,
              autocast: torch.autocast, mem: torch.memory_format) -> tuple[np.ndarray, np.ndarray]:
    net.eval()
    n = len(y)
    if n == 0:
        return np.full(K, np.nan), np.full(K, np.nan)
    loss_sum = torch.zeros(K, device=x.device)
    correct = torch.zeros(K, device=x.device)
    for i in range(0, n, recipe.eval_batch_size):
        xb, yb = x[i:i + recipe.eval_batch_size], y[i:i + recipe.eval_batch_size]
        xb = xb.repeat(1, K, 1, 1).contiguous(memory_format=mem)
        with autocast:
            logits = net(xb).float()  # (b, K, classes)
        yk = yb[:, None].expand(-1, K)
        loss_sum += F.cross_entropy(logits.permute(0, 2, 1), yk, reduction="none").sum(0)
        correct += (logits.argmax(-1) == yk).sum(0)
    return 100.0 * correct.cpu().numpy() / n, loss_sum.cpu().numpy() / n


def record_to_dict(rec: TrainRecord) -> dict[str, Any]:
    """JSON-able form of a record.

    Args:
        rec: the record.

    Returns:
        `cell`, `seed`, `params`, `info` and every metric as a list.
    """
    return {"cell": rec.cell, "seed": rec.seed, "params": rec.params, "info": rec.info,
            **{m: getattr(rec, m).tolist() for m in METRICS}}


def cell_of(rec: TrainRecord) -> Cell:
    """The `Cell` a record trained.

    Args:
        rec: the training record.

    Returns:
        The cell.
    """
    return Cell.from_index(rec.cell)
