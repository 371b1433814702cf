"""The embedded tables: retraining cells with the recorded recipe and seed reproduces them."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.registry import data_dirs


def _table(name: str):
    import nasbench

    path = data_dirs()[-1] / f"{name}.h5"
    if not path.exists():
        pytest.skip(f"{path} not generated yet")
    return nasbench.load(path)


@pytest.mark.parametrize("name", ["nb201-digits", "nb201-fashion-mnist"])
def test_retraining_reproduces_embedded_table(name):
    import torch

    from nasbench.datasets import DatasetMissing, load_dataset
    from nasbench.generate import recipe_from_dict, seed_groups_or_default
    from nasbench.train import train_many

    bench = _table(name)
    assert bench.meta.recipe and bench.meta.extra.get("data"), "a generated table records its recipe and data"
    spec = bench.meta.extra["data"]
    try:
        data = load_dataset(spec["dataset"], None, split_seed=spec["split_seed"], downscale=spec["downscale"],
                            train_size=spec["train_size"], valid_size=spec["valid_size"],
                            test_size=spec["test_size"], subset_seed=spec["subset_seed"])
    except DatasetMissing as exc:
        pytest.skip(str(exc))
    assert data.split_sizes == bench.meta.split_sizes
    recipe = recipe_from_dict(bench.meta.recipe)
    torch.set_num_threads(1)  # the generator's workers train with one thread
    groups = seed_groups_or_default(bench.meta.extra.get("seed_groups"), bench.seeds)
    slot_of = {int(s): k for k, s in enumerate(bench.seeds)}
    rng = np.random.default_rng(0)
    checked = 0
    for group in groups:  # each pass of seeds, retrained as it was trained: one model, or the stack
        slots = [slot_of[s] for s in group]
        rows = np.nonzero((bench.run_seed[:, slots] == np.array(group)).all(axis=1))[0]
        for row in rng.choice(rows, size=min(1 if checked else 2, len(rows)), replace=False):
            cell = int(bench.row_arch[row])
            recs = train_many([cell] * len(group), group, data, recipe)
            for rec, slot in zip(recs, slots):
                for metric in ("valid_acc", "test_acc", "train_loss"):
                    stored = bench.metrics[metric][row, slot]
                    assert getattr(rec, metric).tolist() == stored.tolist(), (cell, group, metric)
            checked += 1
    assert checked


@pytest.mark.parametrize("name", ["nb201-digits", "nb201-fashion-mnist"])
def test_embedded_table_integrity(name):
    from nasbench.space import class_table
    from nasbench.table import verify_table

    bench = _table(name)
    assert verify_table(data_dirs()[-1] / f"{name}.h5").ok
    cls, _ = class_table(bench.meta.extra["canonical_rule"])
    covered = bench.covered
    # every covered cell shares its row with exactly its class
    assert (cls[bench.row_arch[bench.arch_row[covered]]] == cls[covered]).all()
    v = bench.values("valid_acc")
    assert np.nanmin(v) >= 0 and np.nanmax(v) <= 100
