"""Which settings change the CPU kernels a training runs, and what each costs in speed.

A table retrains bit-identically only on a machine whose kernels round the same way. This script
trains one cell (the default table's recipe: Fashion-MNIST 7x7, C=8, N=1, channels_last, one
thread; fewer epochs and images so that it is quick) under each candidate setting, each in a fresh
process (the environment variables are read when torch loads), in interleaved rounds, and reports
per setting: seconds per training, the speed ratio against the default measured in the same round,
and whether its numbers are bit-identical to the default's.

A setting whose numbers differ from the default's on this machine selects other kernels. Whether a
setting makes two *different* CPUs agree cannot be shown on one machine: that needs the same run
on the other CPU (compare the printed SHA-256 of the numbers).

    python scripts/bench_portability.py [--rounds 3] [--epochs 3] [--train-size 1000]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CELL = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"

#: name -> (environment, in-process switches, recipe changes)
SETTINGS: dict[str, tuple[dict[str, str], tuple[str, ...], dict]] = {
    "default": ({}, (), {}),
    "contiguous memory format": ({}, (), {"cpu_channels_last": False}),
    "torch.backends.mkldnn.enabled=False": ({}, ("no-mkldnn",), {}),
    "ONEDNN_MAX_CPU_ISA=AVX2": ({"ONEDNN_MAX_CPU_ISA": "AVX2"}, (), {}),
    "ONEDNN_MAX_CPU_ISA=SSE41": ({"ONEDNN_MAX_CPU_ISA": "SSE41"}, (), {}),
    "ATEN_CPU_CAPABILITY=avx2": ({"ATEN_CPU_CAPABILITY": "avx2"}, (), {}),
    "ATEN_CPU_CAPABILITY=default": ({"ATEN_CPU_CAPABILITY": "default"}, (), {}),
    "torch.use_deterministic_algorithms(True)": ({}, ("deterministic",), {}),
    "MKL_CBWR=COMPATIBLE": ({"MKL_CBWR": "COMPATIBLE"}, (), {}),
    "MKL_ENABLE_INSTRUCTIONS=AVX2": ({"MKL_ENABLE_INSTRUCTIONS": "AVX2"}, (), {}),
    "AVX2 everywhere: ONEDNN_MAX_CPU_ISA=AVX2, ATEN_CPU_CAPABILITY=avx2, MKL_CBWR=AVX2": (
        {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}, (), {}),
    "all of: no oneDNN, ATen default, MKL_CBWR=COMPATIBLE, contiguous": (
        {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}, ("no-mkldnn",), {"cpu_channels_last": False}),
}


def worker(name: str, epochs: int, train_size: int, repeats: int) -> None:
    """Train the cell under one setting (set before torch loaded); print one JSON line."""
    import torch

    _, switches, changes = SETTINGS[name]
    if "no-mkldnn" in switches:
        torch.backends.mkldnn.enabled = False
    if "deterministic" in switches:
        torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    from nasbench.training.datasets import DatasetMissing, load_dataset
    from nasbench.training.fingerprint import current
    from nasbench.training.train import Recipe, prepare_data, train_cell

    try:
        data = load_dataset("fashion-mnist", downscale=4, train_size=train_size, valid_size=1000, test_size=1000)
    except DatasetMissing:
        data = load_dataset("digits")
    recipe = Recipe(epochs=epochs, C=8, N=1, cpu_channels_last=True)
    recipe = Recipe(**{**recipe.__dict__, **changes})
    prepared = prepare_data(data, recipe)
    train_cell(CELL, data, Recipe(**{**recipe.__dict__, "epochs": 1}), 777, prepared=prepared)  # warm-up
    times, rec = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        rec = train_cell(CELL, data, recipe, 777, prepared=prepared)
        times.append(time.perf_counter() - t)
    numbers = [getattr(rec, m).tolist() for m in ("train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss")]
    digest = hashlib.sha256(json.dumps(numbers).encode()).hexdigest()
    print(json.dumps({"seconds": min(times), "sha256": digest, "valid_acc": rec.valid_acc.tolist(),
                      "train_loss": rec.train_loss[-1], "dataset": data.name,
                      "capability": current(1).torch_cpu_capability}))


def run_setting(name: str, args: argparse.Namespace) -> dict:
    env_changes, _, _ = SETTINGS[name]
    env = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA",
                                                            "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS")}
    env.update(env_changes, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, __file__, "--worker", name, "--epochs", str(args.epochs), "--train-size",
                        str(args.train_size), "--repeats", str(args.repeats)], env=env, capture_output=True,
                       text=True)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--train-size", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=2, help="trainings per process (the fastest counts)")
    ap.add_argument("--only", nargs="+", metavar="NUMBER",
                    help="run only these settings (numbers of the table's rows, 0 = default, which always runs)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.epochs, args.train_size, args.repeats)
        return
    import random

    import numpy as np

    from nasbench.training.fingerprint import current

    print(f"machine: {current(1).describe()}")
    names = list(SETTINGS)
    if args.only:
        names = ["default"] + [names[int(i)] for i in args.only if int(i) != 0]
    results: dict[str, list[dict]] = {n: [] for n in names}
    ratios: dict[str, list[float]] = {n: [] for n in names}
    rng = random.Random(0)
    for rnd in range(args.rounds):
        order = list(names)
        rng.shuffle(order)
        this = {n: run_setting(n, args) for n in order}
        for n, res in this.items():
            results[n].append(res)
            if "seconds" in res and "seconds" in this["default"]:
                ratios[n].append(this["default"]["seconds"] / res["seconds"])
        print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr)
    base = results["default"][0]
    print(f"cell {CELL}, {base.get('dataset')}, {args.train_size} training images, {args.epochs} epochs, one thread; "
          f"{args.rounds} interleaved rounds, speed = default's time / setting's time in the same round "
          f"(median, range)\n")
    print(f"| setting | s / training | speed vs default | same numbers as default | final valid_acc | sha256 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in names:
        rs = [r for r in results[n] if "seconds" in r]
        if not rs:
            print(f"| {n} | failed: {results[n][0].get('error')} | | | | |")
            continue
        secs = float(np.median([r["seconds"] for r in rs]))
        rat = ratios[n]
        same = all(r["sha256"] == base["sha256"] for r in rs)
        stable = len({r["sha256"] for r in rs}) == 1
        print(f"| {n} | {secs:.3f} | {np.median(rat):.2f}x ({min(rat):.2f}-{max(rat):.2f}) | "
              f"{'yes' if same else 'no'}{'' if stable else ' (not even stable between its own runs)'} | "
              f"{rs[0]['valid_acc'][-1]:.2f} | {rs[0]['sha256'][:12]} |")


if __name__ == "__main__":
    main()
