"""Training speed: the generator's trainer vs a plain loop (CPU); images/s against the GPU roofline (CUDA).

    python scripts/bench_train.py [--K 3 6] [--size 7] [--epochs 12] [--threads 1] [--rounds 3]
    python scripts/bench_train.py --gpu-only [--gpu-cells 6111 ...] [--gpu-epochs 3] [--gpu-K 1 3]
    python scripts/bench_train.py --gpu-path-on-cpu      # runs the GPU report's code on CPU, tiny sizes

CPU: C=8, N=1 Fashion-MNIST (downscaled to --size; digits if Fashion-MNIST is absent), 2,000
training images, 12 epochs, evaluation every epoch; trainings per core-hour of the generator's
``train_cell`` against a plain one-model-at-a-time loop (NAS-Bench-201's unpruned module with
nn.AvgPool2d, a DataLoader, per-epoch evaluation at batch 256), in both CPU memory formats of the
recipe (contiguous: how nb201-digits was made; channels_last: nb201-fashion-mnist and new
tables), and of ``train_many`` stacking K seeds of one cell, all in the same run.

CUDA (when available): the NAS-Bench-201 CIFAR-10 network (C=16, N=5), NAS-Bench-201's
cifar10-valid shape (25,000 training images, 25,000 validation + 10,000 test images evaluated
every epoch, batch 256, crop + flip augmentation on the GPU, bf16 autocast, channels_last), on
CIFAR-10 when it is at hand, else on random data of CIFAR's shape (said in the output: speed
does not depend on the pixel values). For a few cells (default: the cell with the median
NAS-Bench-201 training time, or the median FLOPs without the embedded table; the best published
cell; the all-3x3 cell) and K stacked seeds: images/s and s/epoch (training only, and with the
per-epoch evaluation), the 200-epoch projection per model against the target (120 s) and against
NAS-Bench-201's recorded time (``time`` of the embedded ``nb201-cifar10`` table, its
``cifar10_valid__train_time_s_200ep``: mean ~1,830 s), and against the roofline of this
GPU measured in the same run: the bf16 matmul rate (a large matmul) and the memory bandwidth (a
large device-to-device copy). Roofline model: training FLOPs per image = 3 x 2 x the network's
multiply-adds (forward, and backward at twice the forward); memory traffic per image ~ 4 x the
bf16 bytes of every leaf module's output (written in the forward, read and written in the
backward; an estimate, not a measurement); ceiling = min(peak / FLOPs, bandwidth / bytes).

``--page PATH`` (e.g. ``--page docs/results/cpu-tables.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from typing import Callable

import numpy as np
import torch

from nasbench.training.datasets import Data, DatasetMissing, load_dataset
from nasbench.space import Cell, to_cell
from nasbench.training.train import Recipe, prepare_data, train_cell, train_many

BEST_NB201 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
ALL_3X3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
TARGET_200EP_S = 120.0


def _data(size: int) -> Data:
    try:
        return load_dataset("fashion-mnist", downscale=28 // size, train_size=2000, valid_size=2000, test_size=2000)
    except DatasetMissing:
        return load_dataset("digits")


class _PlainCell(torch.nn.Module):
    """NAS-Bench-201's InferCell as its own code builds it: every edge, nn.AvgPool2d."""

    def __init__(self, cell: Cell, c: int) -> None:
        super().__init__()
        from nasbench.space import EDGES, OPS

        def op(name: str) -> torch.nn.Module:
            if name in ("nor_conv_1x1", "nor_conv_3x3"):
                k = 1 if name == "nor_conv_1x1" else 3
                return torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Conv2d(c, c, k, padding=k // 2, bias=False),
                                           torch.nn.BatchNorm2d(c))
            if name == "avg_pool_3x3":
                return torch.nn.AvgPool2d(3, 1, 1, count_include_pad=False)
            return torch.nn.Identity()

        self.edges = [(t, s_, OPS[o]) for (t, s_), o in zip(EDGES, cell.ops)]
        self.ops = torch.nn.ModuleList(op(name) for _, _, name in self.edges)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in (1, 2, 3):
            total = 0
            for (t, s_, name), m in zip(self.edges, self.ops):
                if t == j:
                    total = total + (nodes[s_].mul(0.0) if name == "none" else m(nodes[s_]))
            nodes.append(total)
        return nodes[3]


def _plain_network(cell: Cell, C: int, N: int, classes: int, in_ch: int) -> torch.nn.Module:
    """The textbook NAS-Bench-201 TinyNetwork (unpruned), for the baseline loop."""
    from nasbench.training.ops import ResNetBlock

    layers: list[torch.nn.Module] = [torch.nn.Conv2d(in_ch, C, 3, padding=1, bias=False), torch.nn.BatchNorm2d(C)]
    c = C
    for stage in range(3):
        if stage:
            layers.append(ResNetBlock(c, 2 * c))
            c *= 2
        layers += [_PlainCell(cell, c) for _ in range(N)]
    layers += [torch.nn.BatchNorm2d(c), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
               torch.nn.Linear(c, classes)]
    return torch.nn.Sequential(*layers)


def plain_loop_training(cell: Cell, data: Data, recipe: Recipe, seed: int) -> float:
    """A plain one-model-at-a-time loop (DataLoader over a TensorDataset, the unpruned module,
    per-epoch evaluation at the training batch size), the way a NAS-Bench-201-style script trains;
    same recipe and data. Returns the final validation accuracy."""
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(seed)
    mean, std = data.channel_stats()
    norm = lambda x: (x.float() / 255.0 - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]  # noqa: E731
    train = DataLoader(TensorDataset(norm(data.train_x), data.train_y), batch_size=recipe.batch_size, shuffle=True)
    evals = [DataLoader(TensorDataset(norm(getattr(data, f"{s}_x")), getattr(data, f"{s}_y")),
                        batch_size=recipe.batch_size) for s in ("valid", "test")]
    net = _plain_network(cell, recipe.C, recipe.N, data.num_classes, data.input_shape[0])
    opt = torch.optim.SGD(net.parameters(), lr=recipe.lr, momentum=recipe.momentum, nesterov=recipe.nesterov,
                          weight_decay=recipe.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, recipe.epochs * len(train))
    loss_fn = torch.nn.CrossEntropyLoss()
    acc = 0.0
    for _ in range(recipe.epochs):
        net.train()
        for x, y in train:
            opt.zero_grad()
            loss_fn(net(x), y).backward()
            opt.step()
            sched.step()
        net.eval()
        with torch.no_grad():
            for k, loader in enumerate(evals):
                correct = sum(int((net(x).argmax(1) == y).sum()) for x, y in loader)
                if k == 0:
                    acc = 100.0 * correct / len(loader.dataset)
    return acc


def cpu_report(args: argparse.Namespace) -> None:
    """Per round, every method trains every cell once (interleaved, so a slower or faster spell of
    the machine hits all methods alike); ratios are taken within a round, then the median over
    rounds is printed with the range."""
    data = _data(args.size)
    recipe = Recipe(epochs=args.epochs, C=8, N=1)
    cells = [Cell.from_index(i) for i in args.cells]
    print(f"{data.name} {data.input_shape} train={data.split_sizes['train']} valid={data.split_sizes['valid']} "
          f"test={data.split_sizes['test']} epochs={args.epochs} threads={args.threads} cells={args.cells} "
          f"rounds={args.rounds}")
    prep = prepare_data(data, recipe)
    contiguous, fast = recipe, replace(recipe, cpu_channels_last=True)
    methods: dict[str, Callable[[Cell], float]] = {
        "plain": lambda c: plain_loop_training(c, data, recipe, 777),
        "contiguous": lambda c: float(train_cell(c, data, contiguous, 777, prepared=prep).valid_acc[-1]),
        "channels_last": lambda c: float(train_cell(c, data, fast, 777, prepared=prep).valid_acc[-1]),
    }
    for K in args.K:
        methods[f"K={K}"] = lambda c, K=K: float(
            train_many([c] * K, list(range(777, 777 + K)), data, fast, prepared=prep)[0].valid_acc[-1])
    per_training = {m: [] for m in methods}  # seconds per training, one entry per round
    acc = {m: [] for m in methods}
    for fn in methods.values():  # warm-up: first-call costs (allocator, oneDNN primitives) are not training speed
        fn(cells[0])
    for _ in range(args.rounds):
        for name, fn in methods.items():
            t = time.perf_counter()
            acc[name] = [fn(c) for c in cells]
            k = int(name[2:]) if name.startswith("K=") else 1
            per_training[name].append((time.perf_counter() - t) / (len(cells) * k))

    def ratio(base: str, name: str) -> str:
        r = np.array(per_training[base]) / np.array(per_training[name])
        return f"{np.median(r):.2f}x ({r.min():.2f}-{r.max():.2f})"

    def line(name: str) -> str:
        sec = float(np.median(per_training[name]))
        return f"{sec:.2f} s/training, {3600 / sec / args.threads:.0f} trainings per core-hour"

    print(f"plain loop (NAS-Bench-201-style module, DataLoader): {line('plain')} "
          f"(valid acc {np.round(acc['plain'], 1).tolist()})")
    for fmt, used in (("contiguous", "nb201-digits"), ("channels_last", "nb201-fashion-mnist, new tables")):
        print(f"generator (train_cell, one model at a time, {fmt}; {used}): {line(fmt)}, "
              f"{ratio('plain', fmt)} the plain loop (valid acc {np.round(acc[fmt], 1).tolist()})")
    for K in args.K:
        print(f"stacked K={K} (seeds of one cell, channels_last): {line(f'K={K}')}, "
              f"{ratio('channels_last', f'K={K}')} train_cell, {ratio('plain', f'K={K}')} the plain loop")
    cpu_ceiling(args.size)


def cpu_ceiling(size: int) -> None:
    """The ceiling on this core: a large float32 matmul, against the 3x3 convolution of the tables
    (8 channels, size x size maps) forward and backward, in both memory formats."""
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    peak = 2 * n ** 3 / _timed(lambda: a @ b, "cpu", 10)
    print(f"ceiling: float32 matmul {peak / 1e9:.0f} GFLOP/s on {torch.get_num_threads()} thread(s); "
          f"3x3 conv, 8 channels, {size}x{size} maps:")
    for fmt, name in ((torch.contiguous_format, "contiguous"), (torch.channels_last, "channels_last")):
        for batch in (256, 2048):
            x = torch.randn(batch, 8, size, size).contiguous(memory_format=fmt)
            conv = torch.nn.Conv2d(8, 8, 3, padding=1, bias=False).to(memory_format=fmt)
            flops = 2 * batch * size * size * 8 * 8 * 9
            with torch.no_grad():
                fwd = flops / _timed(lambda: conv(x), "cpu", 15)
            x.requires_grad_(True)
            y = conv(x)
            g = torch.randn_like(y)
            bwd = 2 * flops / _timed(lambda: torch.autograd.grad(y, (x, conv.weight), g, retain_graph=True), "cpu", 15)
            print(f"  {name:<14} batch {batch:>5}: forward {fwd / 1e9:5.1f} GFLOP/s "
                  f"({100 * fwd / peak:.0f} % of matmul), backward {bwd / 1e9:5.1f} GFLOP/s ({100 * bwd / peak:.0f} %)")


# -- GPU report ----------------------------------------------------------------------------------
def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _timed(fn, device: str, repeats: int) -> float:
    """Median seconds of ``fn()`` after two warm-up calls."""
    for _ in range(2):
        fn()
    _sync(device)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        _sync(device)
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def _matmul_seconds(n: int, device: str, reps: int) -> float:
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    return _timed(lambda: torch.mm(a, b), device, reps)  # the operands are freed on return


def _copy_seconds(numel: int, device: str, reps: int) -> float:
    src = torch.empty(numel, device=device, dtype=torch.float32).fill_(1.0)
    dst = torch.empty_like(src)
    return _timed(lambda: dst.copy_(src), device, reps)


def measure_roofline(device: str, small: bool = False) -> dict[str, float]:
    """Measured peak bf16 matmul rate (FLOP/s) and copy bandwidth (bytes/s, read + write)."""
    n = 256 if small else 8192
    reps = 5 if small else 20
    flops = 2.0 * n ** 3 / _matmul_seconds(n, device, reps)
    numel = (4 << 20) if small else (1 << 30)  # float32: 16 MB or 4 GiB
    bw = 2.0 * numel * 4 / _copy_seconds(numel, device, reps)
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return {"bf16_flops": flops, "bandwidth": bw, "matmul_n": n, "copy_bytes": numel * 4}


def activation_bytes(cell: Cell, C: int, N: int, in_ch: int, hw: int, num_classes: int, bytes_per: int = 2) -> float:
    """Bytes of every leaf module's output for one image (a proxy for activation traffic)."""
    from nasbench.training.network import NB201Network

    net = NB201Network([cell], C, N, num_classes, in_ch, prune=True, seeds=[0])
    total = 0

    def hook(m, inp, out):
        nonlocal total
        if isinstance(out, torch.Tensor):
            total += out.numel()

    hooks = [m.register_forward_hook(hook) for m in net.modules() if len(list(m.children())) == 0]
    net.train()
    with torch.no_grad():
        net(torch.zeros(2, in_ch, hw, hw))
    for h in hooks:
        h.remove()
    return total / 2 * bytes_per


def _nb201_times() -> "dict[int, float] | None":
    """NAS-Bench-201's recorded 200-epoch training seconds of every cell (the embedded table)."""
    import nasbench

    try:
        bench = nasbench.load("nb201-cifar10")
    except ValueError:
        return None
    return dict(enumerate(bench.query_many(np.arange(15625), "time").tolist()))


def default_gpu_cells(times: "dict[int, float] | None") -> list[tuple[str, Cell]]:
    from nasbench.training.counts import count_all

    if times:
        arr = np.array([times[i] for i in range(len(times))])
        median = int(np.argmin(np.abs(arr - np.median(arr))))
        why = "median NB201 time"
    else:
        _, flops = count_all(16, 5, 10, 3, 32)
        median = int(np.argsort(flops, kind="stable")[len(flops) // 2])
        why = "median FLOPs"
    return [(why, Cell.from_index(median)), ("best NB201", to_cell(BEST_NB201)), ("all 3x3", to_cell(ALL_3X3))]


def _gpu_data(device: str, small: bool) -> Data:
    if not small:
        try:
            return load_dataset("cifar10")
        except DatasetMissing:
            pass
    n_tr, n_va, n_te = (512, 256, 256) if small else (25_000, 25_000, 10_000)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n_tr + n_va + n_te, 3, 32, 32), dtype=torch.uint8, generator=g)
    y = torch.randint(0, 10, (len(x),), generator=g)
    return Data("cifar10-shaped-random", x[:n_tr], y[:n_tr], x[n_tr:n_tr + n_va], y[n_tr:n_tr + n_va],
                x[n_tr + n_va:], y[n_tr + n_va:], 10)


def gpu_report(device: str, cells: list[tuple[str, Cell]], epochs: int, Ks: list[int], small: bool = False,
               cudnn_benchmark: bool = False) -> list[dict]:
    """Measure and print; returns one dict per (cell, K)."""
    from nasbench.training.counts import count_flops

    if device.startswith("cuda"):
        torch.backends.cudnn.benchmark = cudnn_benchmark
        name = torch.cuda.get_device_name()
    else:
        name = "cpu (GPU code path, tiny sizes: numbers are not GPU numbers)"
    roof = measure_roofline(device, small)
    times = _nb201_times()
    nb_mean = float(np.mean(list(times.values()))) if times else float("nan")
    C, N = (2, 1) if small else (16, 5)
    data = _gpu_data(device, small)
    recipe = Recipe(epochs=epochs, C=C, N=N, augment=True)
    prep = prepare_data(data, recipe, device)
    n_tr, n_ev = data.split_sizes["train"], data.split_sizes["valid"] + data.split_sizes["test"]
    print(f"\n{name}: measured bf16 matmul {roof['bf16_flops'] / 1e12:.1f} TFLOP/s (n={roof['matmul_n']}), "
          f"copy bandwidth {roof['bandwidth'] / 1e9:.0f} GB/s (read+write, {roof['copy_bytes'] / 2**30:.2f} GiB)")
    print(f"data: {data.name} {tuple(data.input_shape)}, train {n_tr:,}, evaluated per epoch {n_ev:,}; "
          f"C={C} N={N} batch {recipe.batch_size}, augment, amp={recipe.amp}, channels_last={recipe.channels_last}, "
          f"cudnn.benchmark={cudnn_benchmark}; {epochs} epochs per measurement, the first one is warm-up")
    if times:
        print(f"NAS-Bench-201 recorded cifar10_valid__train_time_s_200ep: mean {nb_mean:,.0f} s over {len(times):,} cells")
    train_many([cells[0][1]], [0], data, replace(recipe, epochs=1), device, prep)  # one-time costs (cuDNN, pools)
    _sync(device)
    rows = []
    hdr = (f"{'cell':<24}{'K':>3}{'img/s':>10}{'s/ep train':>11}{'s/ep +eval':>11}{'200 ep/model':>13}"
           f"{'vs NB201':>9}{'TFLOP/s':>9}{'%peak':>7}{'%roof':>7}  bound")
    print(hdr)
    for why, cell in cells:
        macs = count_flops(cell, C, N, 10, 3, 32) * 1e6  # forward multiply-adds per image (NB201 counting)
        train_flops = 6.0 * macs
        act = activation_bytes(cell, C, N, 3, 32, 10)
        traffic = 4.0 * act
        ceil_c = roof["bf16_flops"] / train_flops
        ceil_m = roof["bandwidth"] / traffic
        ceiling, bound = (ceil_c, "compute") if ceil_c < ceil_m else (ceil_m, "memory")
        for K in Ks:
            _sync(device)
            t = time.perf_counter()
            recs = train_many([cell] * K, list(range(K)), data, recipe, device, prep)
            _sync(device)
            wall = time.perf_counter() - t
            tt = recs[0].train_time * K  # cumulative wall seconds of the stacked training
            per_ep = float(np.mean(np.diff(tt))) if epochs > 1 else float(tt[0])  # without the warm-up epoch
            eval_ep = max(0.0, (wall - tt[-1]) / epochs)  # evaluation (and build) per epoch
            ips = n_tr * K / per_ep
            per_model_200 = 200.0 * (per_ep + eval_ep) / K
            nb_cell = times.get(cell.index, float("nan")) if times else float("nan")
            achieved = ips * train_flops
            row = {"cell": cell.index, "why": why, "K": K, "images_per_s": ips, "s_per_epoch_train": per_ep,
                   "s_per_epoch_with_eval": per_ep + eval_ep, "s_200ep_per_model": per_model_200,
                   "nb201_cell_s": nb_cell, "nb201_mean_s": nb_mean, "tflops": achieved / 1e12,
                   "pct_peak": 100 * achieved / roof["bf16_flops"], "pct_roofline": 100 * ips / ceiling,
                   "bound": bound, "macs_per_image": macs, "act_bytes_per_image": act,
                   "final_train_acc": float(recs[0].train_acc[-1])}
            rows.append(row)
            ratio = (nb_cell if np.isfinite(nb_cell) else nb_mean) / per_model_200
            label = f"{cell.index} ({why})"
            print(f"{label:<24}{K:>3}{ips:>10,.0f}{per_ep:>11.3f}{per_ep + eval_ep:>11.3f}{per_model_200:>12.1f}s"
                  f"{ratio:>8.1f}x{achieved / 1e12:>9.2f}{row['pct_peak']:>7.2f}{row['pct_roofline']:>7.2f}  {bound}")
    med = [r for r in rows if r["why"].startswith("median")]
    if med:
        best = min(med, key=lambda r: r["s_200ep_per_model"])
        ok = best["s_200ep_per_model"] < TARGET_200EP_S
        print(f"target: 200 epochs of a median cell (incl. per-epoch evaluation) in < {TARGET_200EP_S:.0f} s: "
              f"{best['s_200ep_per_model']:.1f} s per model with K={best['K']} stacked seeds -> "
              f"{'MET' if ok else 'NOT MET'}" + ("" if device.startswith("cuda") else " (CPU dry run: not a GPU result)"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--K", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--size", type=int, default=7, choices=[7, 14, 28])
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3, help="CPU: interleaved rounds (ratios: median and range)")
    ap.add_argument("--cells", type=int, nargs="+", default=[11, 0, 284])
    ap.add_argument("--gpu-only", action="store_true", help="skip the CPU comparison")
    ap.add_argument("--gpu-cells", nargs="+", help="cells (indices or arch strings) for the GPU report")
    ap.add_argument("--gpu-epochs", type=int, default=3, help="epochs per GPU measurement (first is warm-up)")
    ap.add_argument("--gpu-K", type=int, nargs="+", default=[1, 3], help="stacked seeds per GPU measurement")
    ap.add_argument("--cudnn-benchmark", action="store_true", help="torch.backends.cudnn.benchmark = True")
    ap.add_argument("--gpu-path-on-cpu", action="store_true",
                    help="run the GPU report's code on the CPU at tiny sizes (checks the code, not the speed)")
    ap.add_argument("--default-malloc", action="store_true",
                    help="leave glibc's trimming on (the generator's workers turn it off: keep_freed_memory)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if not args.default_malloc:
        from nasbench.util.executors import keep_freed_memory

        print(f"freed memory kept for reuse, as in the generator's workers: {keep_freed_memory()} "
              "(applies to every trainer below)")
    if not args.gpu_only and not args.gpu_path_on_cpu:
        cpu_report(args)
    cuda = torch.cuda.is_available()
    if cuda or args.gpu_path_on_cpu:
        device = "cuda" if cuda and not args.gpu_path_on_cpu else "cpu"
        times = _nb201_times()
        if args.gpu_cells:
            cells = [("given", to_cell(int(c) if c.isdigit() else c)) for c in args.gpu_cells]
        else:
            cells = default_gpu_cells(times)
        gpu_report(device, cells, max(1, args.gpu_epochs), args.gpu_K, small=device == "cpu",
                   cudnn_benchmark=args.cudnn_benchmark)
    elif args.gpu_only:
        print("no CUDA GPU: nothing to report (use --gpu-path-on-cpu to exercise the code)")


#: ``--page PATH`` (docs/results/cpu-tables.md) replaces this section of the page
PAGE_SECTION = dict(
    title='Training speed', section='training-speed', page_title='The tables trained here: measurements',
    intro=('Seconds per training of each trainer against a plain training loop, interleaved rounds, ratios '
           'within a round.'))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(lambda argv: main(), sys.argv[1:], "python scripts/bench_train.py", **PAGE_SECTION))
