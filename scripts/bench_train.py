"""Trainings per core-hour: stacked trainer (train_many) vs one model at a time, in the same run.

    python scripts/bench_train.py [--K 3 6 12] [--size 7] [--epochs 12] [--threads 1]

CPU: C=8, N=1 Fashion-MNIST (downscaled to --size; digits if Fashion-MNIST is absent), 2,000
training images. CUDA (when available): images/s of the NAS-Bench-201 CIFAR-10 net (C=16, N=5) on
CIFAR-shaped data (random if CIFAR-10 is absent), bf16 autocast + channels_last + GPU augmentation.
"""
from __future__ import annotations

import argparse
import time

import torch

from nasbench.datasets import Data, DatasetMissing, load_dataset
from nasbench.space import Cell
from nasbench.train import Recipe, prepare_data, train_cell, train_many


def _data(size: int) -> Data:
    try:
        return load_dataset("fashion-mnist", downscale=28 // size, train_size=2000, valid_size=1000, test_size=1000)
    except DatasetMissing:
        return load_dataset("digits")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--K", type=int, nargs="+", default=[3, 6, 12])
    ap.add_argument("--size", type=int, default=7, choices=[7, 14, 28])
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cells", type=int, nargs="+", default=[11, 0, 284])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = _data(args.size)
    recipe = Recipe(epochs=args.epochs, C=8, N=1)
    prep = prepare_data(data, recipe)
    cells = [Cell.from_index(i) for i in args.cells]
    t = time.perf_counter()
    for c in cells:
        train_cell(c, data, recipe, 777, prepared=prep)
    loop = (time.perf_counter() - t) / len(cells)
    print(f"{data.name} {data.input_shape} train={data.split_sizes['train']} epochs={args.epochs} threads={args.threads}")
    print(f"loop: {loop:.2f} s/training, {3600 / loop / args.threads:.0f} trainings per core-hour")
    for K in args.K:
        t = time.perf_counter()
        for c in cells:
            train_many([c] * K, list(range(777, 777 + K)), data, recipe, prepared=prep)
        per = (time.perf_counter() - t) / (len(cells) * K)
        print(f"stacked K={K} (seeds of one cell): {per:.2f} s/training, ratio vs loop {loop / per:.2f}x")
    if torch.cuda.is_available():
        _cuda_images_per_s()


def _cuda_images_per_s(steps: int = 50) -> None:
    try:
        data = load_dataset("cifar10")
    except DatasetMissing:
        g = torch.Generator().manual_seed(0)
        x = torch.randint(0, 256, (25_000, 3, 32, 32), dtype=torch.uint8, generator=g)
        y = torch.randint(0, 10, (25_000,), generator=g)
        data = Data("cifar10-shaped-random", x, y, x[:1000], y[:1000], x[:1000], y[:1000], 10)
    recipe = Recipe(epochs=1, C=16, N=5, augment=True)
    prep = prepare_data(data, recipe, "cuda")
    for K in (1, 3):
        train_many([Cell.from_index(11)] * K, list(range(K)), data, recipe, "cuda", prep)  # warm-up
        torch.cuda.synchronize()
        t = time.perf_counter()
        recs = train_many([Cell.from_index(11)] * K, list(range(K)), data, recipe, "cuda", prep)
        torch.cuda.synchronize()
        wall = time.perf_counter() - t
        n = data.split_sizes["train"] * K
        print(f"cuda K={K}: {n / recs[0].train_time[-1] / K:.0f} train images/s (training only), "
              f"{n / wall:.0f} images/s including evaluation")


if __name__ == "__main__":
    main()
