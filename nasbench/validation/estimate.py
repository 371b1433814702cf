"""What a validation costs before it starts: time on the chosen device, and disk.

**Time** (`estimate_time`): each selected cell's network is built with the recipe and timed
for a few real training steps (forward, backward, SGD step; one warm-up step not counted) on a batch
of the real training images, on the device and with the thread count the trainings will use. One
training of that cell is then `epochs * (steps per epoch * step time + evaluation time)`, where
evaluating an image is taken to cost a third of training on it (forward only). It is an estimate:
data movement, augmentation and the device's warm-up are left out, and a busy machine differs.

**Disk** (`check_disk`): a training's checkpoint holds the weights and momentum (8 bytes per
parameter) and per-epoch metric arrays, its finished unit JSON and the curves CSV grow with the
epochs too. The total, with room for one temporary copy of each checkpoint, is compared with
`shutil.disk_usage` of the output folder before anything is written; too little is a
one-line `ValidateError`.
"""
from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .config import ValidateError

#: timed training steps per cell (after one warm-up step)
PROBE_STEPS = 2
#: bytes a finished unit's JSON and the curves CSV take per (seed, epoch): 7 metrics as JSON text
#: (about 24 characters each) and one CSV row (about 160)
_TEXT_PER_EPOCH = 7 * 24 + 160


@dataclass(frozen=True)
class TimeEstimate:
    """Seconds one (cell, seed) training takes, per cell, and the whole validation's total."""

    device: str
    per_training: dict[int, float]
    per_cell: dict[int, float]  #: all of a cell's remaining trainings, one after another
    trainings: int  #: (cell, seed) trainings still to do
    jobs: int
    total_seconds: float

    def line(self) -> str:
        """One line for the console: per cell, total, and on CPU the advice to use a GPU."""
        worst = max(self.per_training.values(), default=0.0)
        per_cell = max(self.per_cell.values(), default=0.0)
        text = (f"estimate on {self.device}: {_human(worst)} per training of one cell with one seed (timed "
                f"{PROBE_STEPS} real steps of each cell), {_human(per_cell)} per cell; {self.trainings} training(s) "
                f"to do, about {_human(self.total_seconds)} with --jobs {self.jobs}")
        if self.device == "cpu":
            text += (f"; on CPU that is {per_cell / 3600:.2g} hours per cell: pass --device cuda on a machine "
                     f"with a GPU" if per_cell >= 600 else "; on CPU (a GPU is much faster: --device cuda)")
        return text


def _human(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def estimate_time(cells: Sequence[int], trainings_per_cell: dict[int, int], data: Any, recipe: dict[str, Any],
                  device: str, jobs: int) -> TimeEstimate:
    """Time each cell's training by running a few real steps (see the module doc).

    Args:
        cells: the cells to train.
        trainings_per_cell: (cell, seed) trainings still to do per cell (finished ones excluded).
        data: the loaded `nasbench.training.datasets.Data`.
        recipe: the Recipe dict the trainings use.
        device: `cpu`, `cuda` or `cuda:N`.
        jobs: parallel trainings.

    Returns:
        The `TimeEstimate`.
    """
    import torch

    from ..training.train import recipe_from_dict

    rec = recipe_from_dict(recipe)
    cuda = device.startswith("cuda")
    threads = torch.get_num_threads()
    if not cuda:
        torch.set_num_threads(1)  # each CPU training runs on one thread
    try:
        per: dict[int, float] = {}
        n_train, n_eval = len(data.train_y), len(data.valid_y) + len(data.test_y)
        steps = math.ceil(n_train / rec.batch_size)
        for c in cells:
            if trainings_per_cell.get(int(c), 0) == 0:
                continue
            step = _step_seconds(int(c), data, rec, device)
            batch = min(rec.batch_size, n_train)
            per[int(c)] = rec.epochs * (steps * step + step / 3 * n_eval / max(1, batch))
    finally:
        torch.set_num_threads(threads)
    total_trainings = sum(trainings_per_cell.values())
    per_cell = {c: t * trainings_per_cell[c] for c, t in per.items()}
    work = sum(per_cell.values())
    return TimeEstimate(device, per, per_cell, total_trainings, jobs, work / max(1, min(jobs, total_trainings or 1)))


def _step_seconds(cell: int, data: Any, rec: Any, device: str) -> float:
    import torch
    import torch.nn.functional as F

    from ..training.network import NB201Network
    from ..space import to_cell

    dev = torch.device(device)
    cuda = dev.type == "cuda"
    mean, std = data.channel_stats()
    b = min(rec.batch_size, len(data.train_y))
    m = torch.tensor(mean).view(1, -1, 1, 1)
    s = torch.tensor(std).view(1, -1, 1, 1)
    x = ((data.train_x[:b].float() / 255.0 - m) / s).to(dev)
    y = data.train_y[:b].to(dev)[:, None]
    net = NB201Network([to_cell(cell)], rec.C, rec.N, data.num_classes, data.input_shape[0], prune=rec.prune,
                       seeds=[0]).to(dev)
    mem = torch.channels_last if (rec.channels_last if cuda else rec.cpu_channels_last) else torch.contiguous_format
    net = net.to(memory_format=mem)
    x = x.contiguous(memory_format=mem)
    opt = torch.optim.SGD(net.parameters(), lr=rec.lr, momentum=rec.momentum, nesterov=rec.nesterov,
                          weight_decay=rec.weight_decay)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda and rec.amp)
    t0 = 0.0
    for i in range(PROBE_STEPS + 1):
        if i == 1:
            if cuda:
                torch.cuda.synchronize(dev)
            t0 = time.perf_counter()
        with autocast:
            logits = net(x)
        loss = F.cross_entropy(logits.float().permute(0, 2, 1), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if cuda:
        torch.cuda.synchronize(dev)
    return (time.perf_counter() - t0) / PROBE_STEPS


def disk_needed(trainings: Sequence[tuple[int, Sequence[int]]], recipe: dict[str, Any], num_classes: int,
                in_channels: int) -> int:
    """Bytes the trainings' checkpoints (twice: one temporary copy), unit JSONs and curves take.

    Args:
        trainings: (cell, seed group) of each training still to do (one checkpoint per group).
        recipe: the Recipe dict (epochs, C, N).
        num_classes: the data's classes.
        in_channels: the data's image channels.

    Returns:
        An upper estimate in bytes.
    """
    from ..training.counts import count_params

    epochs, total = int(recipe["epochs"]), 0
    for c, g in trainings:
        params = count_params(int(c), int(recipe["C"]), int(recipe["N"]), num_classes, in_channels)
        k = len(g)
        ckpt = 8 * params * k + 7 * 8 * k * epochs + 4096
        total += 2 * ckpt + k * epochs * _TEXT_PER_EPOCH + 4096
    return total


def check_disk(out: str | Path, need: int) -> None:
    """Refuse (one line) when the disk holding `out` has less than `need` bytes free.

    Args:
        out: the output folder (need not exist yet: its nearest existing parent is asked).
        need: bytes needed (`disk_needed`).

    Raises:
        ValidateError: when the disk has too little space free.
    """
    where = Path(out).absolute()
    while not where.exists() and where != where.parent:
        where = where.parent
    free = shutil.disk_usage(where).free
    if need > free:
        raise ValidateError(f"validate needs about {need / 1e6:,.0f} MB in {out} (checkpoints, units and curves of "
                            f"the trainings), the disk has {free / 1e6:,.0f} MB free; free space, or lower --epochs "
                            f"or the number of cells/seeds")
