"""Import the two wide NAS-Bench-201 CSV/Parquet layouts (one row per cell): CIFAR-10
(`import_nb201_wide`, detected by `NB201_WIDE_KEY`), and CIFAR-100 and ImageNet16-120
side by side (`import_nb201_wide2`, one dataset chosen with `wide2_dataset`).

Per-seed lists of three values fill the seed slots 777, 888, 999, of fewer values the first slots
with seed -1 (not recorded); params as published, FLOPs counted by
`nasbench.training.network` for the dataset's network, and `extra["params_computed"]` where
the published count is another cell's. The table's notes say how each column was read.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .benchmark import TableMeta
from .hdf5 import code_version
from .import_columns import float_column, unique_indices
from .import_common import NB201_RECIPE, NB201_SPLITS, ImportError_
from .tabular import TabularBenchmark
from ..space import N_CELLS

#: a column only the wide CIFAR-10 layout has
NB201_WIDE_KEY = "cifar10_valid__valid_acc_200ep_per_seed"
#: the second wide layout (CIFAR-100 and ImageNet16-120 side by side): each dataset's column prefix
NB201_WIDE2_PREFIX = {"cifar100": "cifar100", "ImageNet16-120": "imagenet16_120"}
#: (classes, input pixels) of each NAS-Bench-201 dataset's network: what its FLOPs are counted for
NB201_CLASSIFIER = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}
#: the seeds of three-run cells, in the order the wide layouts list them
NB201_SEEDS = (777, 888, 999)


def _per_seed(df, column: str, src: Path) -> tuple[np.ndarray, np.ndarray]:
    """A column of per-seed lists (`"[90.1, 90.2, 90.3]"`) as an (n, 3) array padded with NaN,
    and the number of values of each row."""
    if column not in df.columns:
        raise ImportError_(f"{src}: missing column {column} (the wide NAS-Bench-201 layout has it)")
    out = np.full((len(df), len(NB201_SEEDS)), np.nan)
    counts = np.zeros(len(df), dtype=np.int64)
    for r, text in enumerate(df[column].to_numpy()):
        try:
            vals = [float(v) for v in json.loads(text)]
        except (TypeError, ValueError):
            raise ImportError_(f"{src}: row {r}: {column} must be a list like [90.1, 90.2, 90.3], got {text!r}") from None
        if not 1 <= len(vals) <= len(NB201_SEEDS):
            raise ImportError_(f"{src}: row {r}: expected 1 to {len(NB201_SEEDS)} seeds, got {len(vals)}")
        out[r, : len(vals)] = vals
        counts[r] = len(vals)
    return out, counts


def _run_seeds(counts: np.ndarray) -> np.ndarray:
    """Seeds of the run slots: 777, 888, 999 for three-run cells (listed in that order); -1 where
    the source does not record them (cells with fewer runs)."""
    run_seed = np.full((len(counts), len(NB201_SEEDS)), -1, dtype=np.int64)
    run_seed[counts == len(NB201_SEEDS)] = NB201_SEEDS
    return run_seed


def _nb201_counts(dataset: str, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(params in millions, FLOPs in millions) of `cells` for `dataset`'s NAS-Bench-201 network
    (C=16, N=5, its classes and input size), counted by `nasbench.training.network`."""
    from ..training.network import count_all  # torch: only when a NAS-Bench-201 layout is imported

    classes, size = NB201_CLASSIFIER[dataset]
    params, flops = count_all(NB201_RECIPE["channels"], NB201_RECIPE["cells_per_stage"], classes, 3, size)
    return params[cells] / 1e6, flops[cells].copy()


def _params_that_differ(published: np.ndarray, computed: np.ndarray, cells: np.ndarray) -> dict[str, float]:
    """The network's own count of the cells whose published count is another (not just rounded)."""
    differ = np.nonzero(np.abs(published - computed) > 1e-5)[0]
    return {str(int(cells[r])): float(computed[r]) for r in differ}


# the notes below are recorded in the embedded tables, whose hash covers them, so they stay byte-identical:
# "nasbench.network" in them names the module `nasbench.training.network`
def _params_note(n_differ: int, rounding: str) -> str:
    return (f"params: as published (millions{rounding}); in {n_differ:,} cells the published count is not the "
            "count of the network the arch string describes (it differs by one convolution: the record was "
            "taken from another cell of its NAS-Bench-201 class), and extra['params_computed'] gives the "
            "network's own count for those; flops: counted by nasbench.network from the arch string "
            "(NAS-Bench-201 counting: multiply-adds of convolutions and the classifier)")


def _published_mean_subsets(per_seed: np.ndarray, counts: np.ndarray, published: np.ndarray) -> dict[str, int]:
    """How the published seed-mean column relates to the per-seed lists: cells where it is not
    the mean of all listed runs, and of those, where it is the second run alone (two-run cells) or
    the mean of the first two (three-run cells)."""
    tol = 1e-6  # the published means carry 8 decimals, truncated
    full = np.nanmean(per_seed, axis=1)
    differs = np.abs(published - full) > tol
    second = differs & (counts == 2) & (np.abs(published - per_seed[:, 1]) <= tol)
    first_two = differs & (counts == 3) & (np.abs(published - per_seed[:, :2].mean(axis=1)) <= tol)
    return {"differs": int(differs.sum()), "second_run_only": int(second.sum()),
            "first_two_runs": int(first_two.sum()), "other": int((differs & ~second & ~first_two).sum())}


def _runs_note(counts: np.ndarray) -> str:
    two = {int(k): int((counts == k).sum()) for k in (1, 2)}
    fewer = " and ".join(f"{v:,} list {'two' if k == 2 else 'one'}" for k, v in sorted(two.items(), reverse=True) if v)
    return (f"{int((counts == 3).sum()):,} cells list three runs (seeds 777, 888, 999 in that order)"
            + (f", {fewer}, whose seeds the source does not record (run_seed -1)" if fewer else ""))


def import_nb201_wide(df, src: Path) -> TabularBenchmark:
    """The wide NAS-Bench-201 CIFAR-10 table: 200-epoch results and the 12-epoch schedule.

    `valid_acc` = cifar10-valid validation accuracy per seed (slots 777, 888, 999; two-seed
    cells, whose seeds are not recorded, fill two slots with seed -1); `valid_acc_published_mean`
    = the source's own mean column (kept because in some cells it is a mean over fewer runs);
    `test_acc` = NAS-Bench-201's reported CIFAR-10 test accuracy (trained on all 50k, seed mean);
    `valid_test_acc` = test accuracy of the cifar10-valid runs (seed mean); `valid_acc_s12` and
    `test_acc_s12` = final results of the separate 12-epoch schedule; `time` = recorded
    200-epoch training seconds; `params` as published, `flops` counted; seven latencies.

    Args:
        df: the file's frame.
        src: the file, for messages and the table's source.

    Returns:
        The table (dataset `cifar10`), one row per cell.

    Raises:
        ImportError_: a missing or malformed column, or a cell on more than one row.
    """
    idx = unique_indices(df, src)
    n = len(idx)
    valid, counts = _per_seed(df, NB201_WIDE_KEY, src)
    col = lambda name: float_column(df, name, src).reshape(n, 1, 1)  # noqa: E731
    metrics = {"valid_acc": valid[:, :, None]}
    mean_only = []
    for name, column in (("valid_acc_published_mean", "cifar10_valid__valid_acc_200ep_mean"),
                         ("test_acc", "cifar10__test_acc_200ep_mean"),
                         ("valid_test_acc", "cifar10_valid__test_acc_200ep_mean"),
                         ("valid_acc_s12", "cifar10_valid__valid_acc_12ep"),
                         ("test_acc_s12", "cifar10__test_acc_12ep"),
                         ("time", "cifar10_valid__train_time_s_200ep")):
        if column in df.columns:
            metrics[name] = col(column)
            mean_only.append(name)
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    arch_row[idx] = np.arange(n)
    latency = {c.removeprefix("latency_ms__"): float_column(df, c, src)
               for c in df.columns if c.startswith("latency_ms__")}
    computed, flops = _nb201_counts("cifar10", idx)
    params = float_column(df, "params_mb", src) if "params_mb" in df.columns else computed
    differ = _params_that_differ(params, computed, idx)
    notes = [
        "valid_acc: cifar10-valid validation accuracy after 200 epochs per seed (trained on 25k, validated on "
        f"the other 25k); {_runs_note(counts)}",
        "test_acc: NAS-Bench-201's 'cifar10' test accuracy (trained on all 50k; seed mean, as published); "
        "valid_test_acc: test accuracy of the cifar10-valid runs (seed mean, as published); valid_acc_s12, "
        "test_acc_s12: final results of the separate 12-epoch schedule (seed means); time: recorded 200-epoch "
        "training seconds (one per cell); latency: ms per device",
        _params_note(len(differ), ", 6 decimals") if "params_mb" in df.columns else
        "params, flops: counted by nasbench.network from the arch string",
    ]
    if "valid_acc_published_mean" in metrics:
        q = _published_mean_subsets(valid, counts, metrics["valid_acc_published_mean"][:, 0, 0])
        notes.append(
            f"valid_acc_published_mean: the source's mean column. In {q['differs']:,} cells it is not the mean of "
            f"the listed runs: in {q['second_run_only']:,} two-run cells it is the second run alone, in "
            f"{q['first_two_runs']:,} three-run cells the mean of the first two (seeds 777, 888)"
            + (f", in {q['other']:,} neither" if q["other"] else "")
            + "; it was taken over fewer runs than the list holds. The table's seed mean (query seed='mean') "
            "is the mean of all listed runs. The published valid_test_acc of those cells appears to come from the "
            "same fewer runs (it tracks the published mean more closely than the mean of all runs)")
    meta = TableMeta(
        space="nb201", dataset="cifar10", split_sizes={"train": 25000, "valid": 25000, "test": 10000},
        recipe=dict(NB201_RECIPE, epochs=200), code_version=code_version(),
        source=f"NAS-Bench-201 CIFAR-10 wide CSV: {src.name}",
        notes="; ".join(notes),
        extra={"metric_units": "percent", "params_unit": "M", "flops_unit": "M",
               "flops_network": {"C": 16, "N": 5, "classes": 10, "input": 32}, "params_computed": differ},
    )
    return TabularBenchmark(meta=meta, arch_row=arch_row, row_arch=idx, seeds=np.array(NB201_SEEDS),
                            epochs=np.array([200]), metrics=metrics, run_seed=_run_seeds(counts),
                            mean_only=mean_only, params=params, flops=flops, latency=latency)


def wide2_dataset(dataset: str | None, held: list[str], src: Path) -> str:
    """The dataset to import from the CIFAR-100 / ImageNet16-120 layout (matched ignoring case).

    Args:
        dataset: the dataset asked for, or None.
        held: the datasets the file holds.
        src: the file, for the message.

    Returns:
        The dataset's name as the layout spells it.

    Raises:
        ImportError_: none asked for, or one the file does not hold.
    """
    if dataset is None:
        raise ImportError_(f"{src} holds NAS-Bench-201 results of {' and '.join(held)}: choose one with "
                           f"--dataset (allowed: {', '.join(held)})")
    by_lower = {d.lower(): d for d in held}
    if dataset.lower() not in by_lower:
        raise ImportError_(f"{src} holds no {dataset!r} results; allowed --dataset: {', '.join(held)}")
    return by_lower[dataset.lower()]


def import_nb201_wide2(df, src: Path, dataset: str) -> TabularBenchmark:
    """One dataset of the wide NAS-Bench-201 CIFAR-100 / ImageNet16-120 table (200 epochs).

    `valid_acc` = `x-valid` per seed (the first half of the official test set); `valtest_acc` =
    `ori-test` per seed (the whole test set); `test_acc` = `x-test` per seed (the second half),
    derived as `2 * valtest_acc - valid_acc` (equal halves) and rounded to 4 decimals, the
    source's precision; `time` = recorded 200-epoch training seconds; `params` as published,
    `flops` counted for the dataset's network.

    Args:
        df: the file's frame.
        src: the file, for messages and the table's source.
        dataset: `cifar100` or `ImageNet16-120` (see `wide2_dataset`).

    Returns:
        The table, one row per cell.

    Raises:
        ImportError_: a missing or malformed column, a cell on more than one row, or a row whose
            validation and valtest lists differ in length.
    """
    p = NB201_WIDE2_PREFIX[dataset]
    idx = unique_indices(df, src)
    n = len(idx)
    valid, counts = _per_seed(df, f"{p}__valid_acc_200ep_per_seed", src)
    valtest, counts_vt = _per_seed(df, f"{p}__valtest_acc_200ep_per_seed", src)
    if (counts != counts_vt).any():
        r = int(np.nonzero(counts != counts_vt)[0][0])
        raise ImportError_(f"{src}: row {r}: {counts[r]} {p} validation values but {counts_vt[r]} valtest values; "
                           "each run has both")
    test = np.round(2.0 * valtest - valid, 4)
    metrics = {"valid_acc": valid[:, :, None], "test_acc": test[:, :, None], "valtest_acc": valtest[:, :, None]}
    mean_only = []
    if f"{p}__train_time_s_200ep" in df.columns:
        metrics["time"] = float_column(df, f"{p}__train_time_s_200ep", src).reshape(n, 1, 1)
        mean_only.append("time")
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    arch_row[idx] = np.arange(n)
    computed, flops = _nb201_counts(dataset, idx)
    has_params = f"{p}__params_mb" in df.columns
    params = float_column(df, f"{p}__params_mb", src) if has_params else computed
    differ = _params_that_differ(params, computed, idx)
    splits = NB201_SPLITS[dataset]
    classes, size = NB201_CLASSIFIER[dataset]
    notes = [
        f"valid_acc: x-valid after 200 epochs per seed (the first {splits['valid']:,} images of the official test "
        f"set); test_acc: x-test per seed (the other {splits['test']:,}), derived as 2 * valtest_acc - valid_acc "
        "and rounded to 4 decimals; valtest_acc: ori-test per seed (the whole test set); trained on the full "
        f"training set ({splits['train']:,} images); {_runs_note(counts)}",
        "time: recorded 200-epoch training seconds (one per cell)",
        _params_note(len(differ), ", 6 significant digits") if has_params else
        "params, flops: counted by nasbench.network from the arch string",
    ]
    meta = TableMeta(
        space="nb201", dataset=dataset, split_sizes=splits, recipe=dict(NB201_RECIPE, epochs=200),
        code_version=code_version(), source=f"NAS-Bench-201 / NATS-Bench {dataset} wide CSV: {src.name}",
        notes="; ".join(notes),
        extra={"metric_units": "percent", "params_unit": "M", "flops_unit": "M",
               "flops_network": {"C": 16, "N": 5, "classes": classes, "input": size}, "params_computed": differ},
    )
    return TabularBenchmark(meta=meta, arch_row=arch_row, row_arch=idx, seeds=np.array(NB201_SEEDS),
                            epochs=np.array([200]), metrics=metrics, run_seed=_run_seeds(counts),
                            mean_only=mean_only, params=params, flops=flops)
