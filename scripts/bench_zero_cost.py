"""Cost of each zero-cost proxy per cell on one CPU core, against one epoch of training measured in
the same run: for a seeded random sample of functional classes, the NAS-Bench-201 network (C=16,
N=5) at 32x32 (CIFAR) and 16x16 (ImageNet16-120) inputs; the proxies on the stand-in batch of
``--batch`` images; the epoch as (training images / 256) SGD steps of batch 256 (forward, backward,
update) timed on the same network, so the ratio is CPU against CPU.

    python scripts/bench_zero_cost.py [--classes 5] [--batch 16]

``--page PATH`` (e.g. ``--page docs/results/zero-cost.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nasbench.training.network import build_network  # noqa: E402
from nasbench.space import class_table  # noqa: E402
from nasbench.zero_cost.batch import BatchSpec, make_batch  # noqa: E402
from nasbench.zero_cost.proxies import PROXY_NAMES, compute_proxies  # noqa: E402

#: (input size, classes, training images per epoch) of the NAS-Bench-201 tables
SETUPS = {"32x32 (cifar10-valid, 25,000 images)": (32, 10, 25_000),
          "16x16 (ImageNet16-120, 151,700 images)": (16, 120, 151_700)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--classes", type=int, default=5)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    _, rep = class_table("functional")
    pick = np.random.default_rng(a.seed).choice(len(rep), a.classes, replace=False)
    for label, (hw, ncls, n_train) in SETUPS.items():
        batch = make_batch(BatchSpec("fashion-mnist", a.batch, hw, hw, 3, ncls, 0))
        secs = {n: [] for n in PROXY_NAMES}
        step = []
        for k in pick:
            net = build_network(int(rep[k]), 16, 5, ncls, 3, prune=True, seed=0)
            _, s = compute_proxies(net, batch)
            for n in PROXY_NAMES:
                secs[n].append(s[n] * (3 if n in ("snip", "grad_norm", "fisher") else 2 if n in ("jacob_cov", "naswot") else 1))
            opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
            x = torch.randn(256, 3, hw, hw)
            y = torch.randint(0, ncls, (256,))
            t0 = time.perf_counter()
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
            step.append(time.perf_counter() - t0)
        epoch = float(np.mean(step)) * n_train / 256
        print(f"{label}: {a.classes} classes {sorted(int(rep[k]) for k in pick)}, batch {a.batch}; one training "
              f"epoch = {n_train // 256 + 1} steps of {np.mean(step):.3f} s = {epoch:.0f} s on one core")
        print("  proxy (pass)            s/cell   fraction of one epoch")
        seen = set()
        for n in PROXY_NAMES:
            grp = {"snip": "snip+grad_norm+fisher", "grad_norm": "snip+grad_norm+fisher", "fisher": "snip+grad_norm+fisher",
                   "jacob_cov": "jacob_cov+naswot", "naswot": "jacob_cov+naswot"}.get(n, n)
            if grp in seen:
                continue
            seen.add(grp)
            m = float(np.mean(secs[n]))
            print(f"  {grp:<22} {m:8.3f}   {m / epoch:.5f}")
    print("(one pass serves the proxies joined by +; the machine is shared, so take the ratios, not the seconds)")
    return 0


#: ``--page PATH`` (docs/results/zero-cost.md) replaces this section of the page
PAGE_SECTION = dict(
    title='Cost', section='cost', page_title='Zero-cost proxies',
    intro=('Seconds per cell of each proxy pass on one core, against one training epoch of the same network '
           'timed in the same run.'))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(main, sys.argv[1:], "python scripts/bench_zero_cost.py", **PAGE_SECTION))
