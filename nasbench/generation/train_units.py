"""The work of a generation: which cells to train and in what order (`work_order`), the
training of one cell with a group of seeds in a worker (`train_unit`), and the stream of
finished units from the workers (`trained_units`).

A group of several seeds is trained as one stacked network (`train_many`: ~1.3-1.4x the
throughput of one model at a time on CPU, more on a GPU); its rows are reproduced exactly by
retraining the same stack. The workers themselves are `nasbench.training.workers`.
"""
from __future__ import annotations

import time
from typing import Any, Iterator, Sequence

import numpy as np

from .config import GenerateConfig, GenerateError
from ..space import class_table
from ..training.workers import WORKER, run_tasks

def work_order(rule: str, order_seed: int) -> np.ndarray:
    """Class representatives in a seeded random order, so a partial table is a uniform sample.

    Args:
        rule: the canonical rule of the classes.
        order_seed: seeds the order.

    Returns:
        Official indices, one per class, in training order.
    """
    _, reps = class_table(rule)
    return reps[np.random.default_rng(order_seed).permutation(len(reps))]


def measure_latency_ms(net, input_shape: Sequence[int], repeats: int = 30) -> float:
    """Median batch-1 inference latency on this CPU, in ms.

    Args:
        net: the network (put in eval mode).
        input_shape: `(channels, height, width)`.
        repeats: timed forward passes (after 3 warm-up passes).

    Returns:
        The median latency in milliseconds.
    """
    import torch

    net.eval()
    x = torch.zeros(1, *input_shape)
    with torch.no_grad():
        for _ in range(3):
            net(x)
        ts = []
        for _ in range(repeats):
            t = time.perf_counter()
            net(x)
            ts.append(time.perf_counter() - t)
    return 1000.0 * float(np.median(ts))


def train_unit(cell: int, seeds: Sequence[int]) -> list[dict[str, Any]]:
    """Train one cell with a group of seeds in this worker, stacked in one network.

    One seed is exactly `train_cell`, so that retraining the group with the recorded recipe
    reproduces it exactly.

    Args:
        cell: official index of the class representative.
        seeds: the group's seeds.

    Returns:
        One JSON-able unit per seed (a stacked one records its group under `stack`).
    """
    from ..training.network import build_network, count_flops
    from ..training.train import METRICS, train_many

    seeds = [int(s) for s in seeds]
    ds, rec = WORKER["data"], WORKER["recipe"]
    records = train_many([cell] * len(seeds), seeds, ds, rec, WORKER["device"], WORKER["prepared"])
    in_ch, h = ds.input_shape[0], ds.input_shape[1]
    flops = count_flops(cell, rec.C, rec.N, ds.num_classes, in_ch, h)
    units = []
    for seed, record in zip(seeds, records):
        net = build_network(cell, rec.C, rec.N, ds.num_classes, in_ch, prune=rec.prune, seed=seed)
        unit = {"cell": int(cell), "seed": seed, "run": {m: getattr(record, m).tolist() for m in METRICS},
                "params": record.params / 1e6, "flops": flops,
                "latency_cpu_ms": measure_latency_ms(net, ds.input_shape)}
        if "fingerprint_id" in WORKER:  # the machine it was trained on (its full fingerprint: "_machine")
            unit["fingerprint"] = WORKER["fingerprint_id"]
            unit["_machine"] = WORKER["fingerprint"]
        if len(seeds) > 1:
            unit["stack"] = seeds
        units.append(unit)
    return units


Task = tuple[int, tuple[int, ...]]  # (cell index, a group of seeds trained stacked)


def trained_units(cfg: GenerateConfig, todo: Sequence[Task]) -> Iterator[list[dict[str, Any]]]:
    """The units of each task as they finish (workers train with one thread and record the machine).

    Args:
        cfg: the generation's settings (data, recipe, device, jobs, executor).
        todo: the tasks, each a cell and a group of seeds.

    Returns:
        An iterator over each task's units (`train_unit`), in the order they finish; no
        worker is started for no task, nor more workers than tasks.
    """
    init_args = (cfg.data, cfg.recipe, cfg.data_dir, cfg.device, 1, True)
    return run_tasks(_unit_star, todo, cfg.jobs, init_args, cfg.executor, cfg.address,
                     gpu=cfg.device.startswith("cuda"), error=GenerateError)


def _unit_star(task: Task) -> list[dict[str, Any]]:
    return train_unit(*task)
