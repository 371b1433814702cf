"""The embedded NAS-Bench-201 tables: built from the published results by the csv importer, and
checked against the official NATS-Bench records of the cells those hold.

``scripts/build_nb201_tables.py`` rebuilds ``data/nb201-*.h5`` with :func:`build_table` and
checks that the SHA-256s match the committed files.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .benchmark import TabularBenchmark
from .errors import InputError
from .importers import import_csv, import_nats_simple


@dataclass(frozen=True)
class TableSpec:
    """One embedded table and where it comes from."""

    name: str
    csv: str  #: file under ``<shared>/nasbench201/``
    dataset: str | None  #: the csv importer's ``dataset`` (None: the file holds one dataset)
    nats: dict[str, str]  #: table metric -> "NATS dataset:metric" holding the same runs in the official records


TABLES: tuple[TableSpec, ...] = (
    TableSpec("nb201-cifar10", "nb201_cifar10.csv", None,
              {"valid_acc": "cifar10-valid:valid_acc", "valid_test_acc": "cifar10-valid:test_acc",
               "test_acc": "cifar10:test_acc", "time": "cifar10-valid:time"}),
    TableSpec("nb201-cifar100", "nb201_cifar100_imagenet16.csv", "cifar100",
              {"valid_acc": "cifar100:valid_acc", "test_acc": "cifar100:test_acc", "time": "cifar100:time"}),
    TableSpec("nb201-imagenet16-120", "nb201_cifar100_imagenet16.csv", "ImageNet16-120",
              {"valid_acc": "ImageNet16-120:valid_acc", "test_acc": "ImageNet16-120:test_acc",
               "time": "ImageNet16-120:time"}),
)
TABLE_NAMES = tuple(t.name for t in TABLES)


def spec_of(name: str) -> TableSpec:
    for t in TABLES:
        if t.name == name:
            return t
    raise InputError(f"unknown NAS-Bench-201 table {name!r}; allowed: {', '.join(TABLE_NAMES)}")


def build_table(spec: TableSpec, shared: str | Path) -> TabularBenchmark:
    """Import ``spec``'s table from the shared reference data folder."""
    return import_csv(Path(shared) / "nasbench201" / spec.csv, spec.dataset)


@dataclass(frozen=True)
class Check:
    """One comparison of the table with the official NATS-Bench record of one cell."""

    what: str
    cell: int
    table: float
    official: float
    tol: float

    @property
    def ok(self) -> bool:
        return abs(self.table - self.official) <= self.tol

    def line(self) -> str:
        return (f"{'ok' if self.ok else 'DIFFERS'}  {self.what:<34} cell {self.cell:>5}: table {self.table:.6f}, "
                f"official {self.official:.6f} (tolerance {self.tol:g})")


#: the shared CSVs round accuracies to 3-4 decimals (the derived x-test to 4, from two rounded
#: values), times to 6 significant digits; params and FLOPs must agree exactly (6 decimals)
_TOL_ACC = 2e-4
_TOL_COUNT = 1e-6
_REL_TOL_TIME = 1e-5


def check_against_nats(bench: TabularBenchmark, spec: TableSpec, sample_dir: str | Path) -> list[Check]:
    """Compare ``bench`` with the official NATS-Bench records in ``sample_dir`` (a partial
    'simple' directory): per-seed accuracies where the table has seeds, seed means otherwise,
    200-epoch training time, and params and FLOPs of the dataset's network."""
    nats: dict[str, TabularBenchmark] = {}
    checks: list[Check] = []
    for metric, where in spec.nats.items():
        ds, nats_metric = where.split(":")
        if ds not in nats:
            nats[ds] = import_nats_simple(sample_dir, ds, "200")
        ref = nats[ds]
        for cell in ref.covered.tolist():
            if metric == "time":
                ours = bench.query(cell, "time")
                theirs = float(np.nanmean(ref.metrics["time"][ref.arch_row[cell], :, -1]))
                checks.append(Check("time (s, 200 epochs)", cell, ours, theirs, _REL_TOL_TIME * theirs))
            elif metric in bench.mean_only:
                checks.append(Check(f"{metric} (seed mean)", cell, bench.query(cell, metric),
                                    ref.query(cell, nats_metric), _TOL_ACC))
            else:
                for seed in bench.seeds.tolist():
                    checks.append(Check(f"{metric} (seed {seed})", cell, bench.query(cell, metric, seed=seed),
                                        ref.query(cell, nats_metric, seed=seed), _TOL_ACC))
    ds = next(iter(nats))  # params and FLOPs: the network of the table's first NATS dataset
    ref = nats[ds]
    for cell in ref.covered.tolist():
        checks.append(Check(f"params (M, {ds})", cell, bench.params_of(cell), ref.params_of(cell), _TOL_COUNT))
        checks.append(Check(f"flops (M, {ds})", cell, float(bench.flops[bench.arch_row[cell]]),
                            float(ref.flops[ref.arch_row[cell]]), _TOL_COUNT))
    return checks


@dataclass(frozen=True)
class MeanEvidence:
    """Does a seed-mean-only metric of the CIFAR-10 table follow the published validation mean or
    the mean of all listed runs, where the two differ? Spread (std) of its difference to each."""

    metric: str
    cells: int  #: cells where the published mean differs (two-run cells above ``floor``)
    sd_to_published: float
    sd_to_all_runs: float
    cells_agreeing: int  #: two-run cells above ``floor`` where the means agree
    sd_agreeing: float


def published_mean_evidence(bench: TabularBenchmark, metric: str = "valid_test_acc",
                            floor: float = 80.0) -> MeanEvidence:
    """Runs of one training share their validation and test accuracy's luck: a test mean taken
    over the same runs as the published validation mean differs from it less than from the mean
    of all runs. Two-run cells above ``floor`` (broken cells would dominate the spread)."""
    runs = bench.metrics["valid_acc"][:, :, -1]
    n = (~np.isnan(runs)).sum(axis=1)
    full = np.nanmean(runs, axis=1)
    pub = bench.metrics["valid_acc_published_mean"][:, 0, -1]
    other = bench.metrics[metric][:, 0, -1]
    base = (n == 2) & (full > floor)
    differs = base & (np.abs(pub - full) > 1e-6)
    agree = base & ~differs
    return MeanEvidence(metric, int(differs.sum()), float(np.std(other[differs] - pub[differs])),
                        float(np.std(other[differs] - full[differs])), int(agree.sum()),
                        float(np.std(other[agree] - full[agree])))
