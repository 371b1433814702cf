#!/usr/bin/env python
"""What `keep_freed_memory` (glibc mallopt) does to a CPU training worker: the same stacked
trainings in fresh processes with and without it, interleaved, with wall and kernel time, page
faults and a check that the results are identical.

    python scripts/bench_malloc.py [--rounds 3] [--epochs 4] [--cells 11 284 1000]

Fashion-MNIST at the `nb201-fashion-mnist` recipe when installed, else digits. A fresh process
per measurement, since mallopt is process-wide. Short runs fault less often than the
generator's hours-old workers did (~10,000 against ~80,000 page faults a second), so a long
generation gains more than these runs show (1.26x measured on its throughput).

``--page PATH`` (e.g. ``--page docs/results/cpu-tables.md``) also writes what this run printed into the
results page's section, with the command, the machine, the date and the commit (:mod:`nasbench.analysis.results_page`;
``--page-section KEY`` and ``--page-title TITLE`` name another section).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import torch
keep = sys.argv[1] == "keep"
if keep:
    from nasbench.util.executors import keep_freed_memory
    keep_freed_memory()
torch.set_num_threads(1)
from dataclasses import replace
from nasbench.training.datasets import DatasetMissing, load_data_spec, load_dataset
from nasbench.generation.presets import presets
from nasbench.training.train import prepare_data, recipe_from_dict, train_many
p = presets()["nb201-fashion-mnist"]
d = p.data
try:
    ds = load_data_spec(d)
except DatasetMissing:
    ds = load_dataset("digits", None)
rec = replace(recipe_from_dict(p.recipe), epochs=int(sys.argv[2]))
prep = prepare_data(ds, rec)
cells = [int(c) for c in sys.argv[3].split(",")]
train_many([cells[0]] * 2, [888, 999], ds, rec, prepared=prep)  # warm-up
r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
losses = [float(x) for c in cells for r in train_many([c] * 2, [888, 999], ds, rec, prepared=prep) for x in r.valid_loss]
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": time.perf_counter() - t0, "sys": r1.ru_stime - r0.ru_stime,
                  "faults": r1.ru_minflt - r0.ru_minflt, "losses": losses, "data": ds.name}))
"""


def _measure(mode: str, epochs: int, cells: list[int]) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(epochs), ",".join(map(str, cells))],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--cells", type=int, nargs="+", default=[11, 284, 1000])
    args = ap.parse_args()
    rows = {"default": [], "keep": []}
    for r in range(args.rounds):
        for mode in (("default", "keep") if r % 2 == 0 else ("keep", "default")):
            rows[mode].append(_measure(mode, args.epochs, args.cells))
    same = all(a["losses"] == rows["default"][0]["losses"] for a in rows["default"] + rows["keep"])
    print(f"data {rows['keep'][0]['data']}, cells {args.cells} x seeds 888+999 stacked, {args.epochs} epochs, "
          f"{args.rounds} interleaved rounds, a fresh process each")
    for mode, label in (("default", "glibc default"), ("keep", "keep_freed_memory")):
        m = rows[mode]
        print(f"{label:<18} wall {statistics.median(x['wall'] for x in m):6.2f} s  kernel "
              f"{statistics.median(x['sys'] for x in m):5.2f} s  page faults {statistics.median(x['faults'] for x in m):>9,.0f}")
    ratios = [d["wall"] / k["wall"] for d, k in zip(rows["default"], rows["keep"])]
    print(f"speed-up (per round, default / keep): median {statistics.median(ratios):.2f}x, "
          f"range {min(ratios):.2f}-{max(ratios):.2f}; results identical: {same}")


#: ``--page PATH`` (docs/results/cpu-tables.md) replaces this section of the page
PAGE_SECTION = dict(
    title='Keeping freed memory', section='keeping-freed-memory', page_title='The tables trained here: measurements',
    intro=('A training with and without `nasbench.util.executors.keep_freed_memory`, in fresh processes, interleaved.'))


if __name__ == "__main__":
    from nasbench.analysis.results_page import run_to_page

    sys.exit(run_to_page(lambda argv: main(), sys.argv[1:], "python scripts/bench_malloc.py", **PAGE_SECTION))
