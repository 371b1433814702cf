"""The embedded NAS-Bench-201 tables: built from the published results by the csv importer, and
checked against the official NATS-Bench records of the cells those hold.

Every table holds NAS-Bench-201's 12-epoch schedule (`hp='12'`, the signal of the paper's search
experiments) beside the 200-epoch results, as the seed-mean metrics `valid_acc_s12` and
`test_acc_s12`: CIFAR-10's come with its wide CSV, CIFAR-100's and ImageNet16-120's are joined
from `nb201_12epoch_cifar100_imagenet16.csv` (`x-valid` and `x-test` after 12 epochs) by
`with_12_epoch_schedule`.

`scripts/build_nb201_tables.py` rebuilds `data/nb201-*.h5` with `build_table` and
checks that the SHA-256s match the committed files.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .tabular import TabularBenchmark
from ..errors import InputError
from .import_columns import float_column, read_frame
from .import_common import ImportError_, check_arch
from .import_nats import import_nats_simple
from .importers import import_csv
from ..space import N_CELLS


@dataclass(frozen=True)
class TableSpec:
    """One embedded table and where it comes from."""

    name: str
    csv: str  #: file under `<shared>/nasbench201/`
    dataset: str | None  #: the csv importer's `dataset` (None: the file holds one dataset)
    nats: dict[str, str]  #: table metric -> "NATS dataset:metric" holding the same runs in the official records
    #: the file under `<shared>/nasbench201/` and column prefix of the 12-epoch schedule, when
    #: `csv` does not hold it ("": it does)
    csv12: str = ""
    prefix12: str = ""
    #: 12-epoch metric -> "NATS dataset:metric" of the official records' schedule '12'
    nats12: dict[str, str] = dataclasses.field(default_factory=dict)


#: the 12-epoch schedule of CIFAR-100 and ImageNet16-120 (mean of the schedule's runs, as published)
CSV_12_EPOCH = "nb201_12epoch_cifar100_imagenet16.csv"

TABLES: tuple[TableSpec, ...] = (
    TableSpec("nb201-cifar10", "nb201_cifar10.csv", None,
              {"valid_acc": "cifar10-valid:valid_acc", "valid_test_acc": "cifar10-valid:test_acc",
               "test_acc": "cifar10:test_acc", "time": "cifar10-valid:time"},
              nats12={"valid_acc_s12": "cifar10-valid:valid_acc", "test_acc_s12": "cifar10:test_acc"}),
    TableSpec("nb201-cifar100", "nb201_cifar100_imagenet16.csv", "cifar100",
              {"valid_acc": "cifar100:valid_acc", "test_acc": "cifar100:test_acc", "time": "cifar100:time"},
              CSV_12_EPOCH, "cifar100",
              {"valid_acc_s12": "cifar100:valid_acc", "test_acc_s12": "cifar100:test_acc"}),
    TableSpec("nb201-imagenet16-120", "nb201_cifar100_imagenet16.csv", "ImageNet16-120",
              {"valid_acc": "ImageNet16-120:valid_acc", "test_acc": "ImageNet16-120:test_acc",
               "time": "ImageNet16-120:time"},
              CSV_12_EPOCH, "imagenet16_120",
              {"valid_acc_s12": "ImageNet16-120:valid_acc", "test_acc_s12": "ImageNet16-120:test_acc"}),
)
TABLE_NAMES = tuple(t.name for t in TABLES)


def spec_of(name: str) -> TableSpec:
    """The spec of an embedded NAS-Bench-201 table.

    Args:
        name: the table's name.

    Returns:
        The table's spec.

    Raises:
        InputError: no such table.
    """
    for t in TABLES:
        if t.name == name:
            return t
    raise InputError(f"unknown NAS-Bench-201 table {name!r}; allowed: {', '.join(TABLE_NAMES)}")


def build_table(spec: TableSpec, shared: str | Path) -> TabularBenchmark:
    """Import `spec`'s table from the shared reference data folder.

    Args:
        spec: the table and its source files.
        shared: the shared reference data folder (holds `nasbench201/`).

    Returns:
        The table with its 200-epoch results and its 12-epoch schedule.
    """
    bench = import_csv(Path(shared) / "nasbench201" / spec.csv, spec.dataset)
    if spec.csv12:
        bench = with_12_epoch_schedule(bench, Path(shared) / "nasbench201" / spec.csv12, spec.prefix12)
    return bench


def with_12_epoch_schedule(bench: TabularBenchmark, src: str | Path, prefix: str) -> TabularBenchmark:
    """A copy of `bench` with the 12-epoch schedule's final results joined from `src` as the
    seed-mean metrics `valid_acc_s12` (column `<prefix>__valid_acc_12ep`) and `test_acc_s12`
    (`<prefix>__test_acc_12ep`), named and served like CIFAR-10's.

    Args:
        bench: a 200-epoch NAS-Bench-201 table (one recorded epoch, 200).
        src: the 12-epoch CSV (`arch_index`, `arch_str` and the two columns per dataset).
        prefix: the dataset's column prefix (`cifar100` or `imagenet16_120`).

    Returns:
        The table with the two metrics added before `time` and a note on where they come from.

    Raises:
        ImportError_: a missing column, an arch string that is not the index's, or a covered cell
            without a value.
    """
    src = Path(src)
    cols = {"valid_acc_s12": f"{prefix}__valid_acc_12ep", "test_acc_s12": f"{prefix}__test_acc_12ep"}
    df = read_frame(src)
    missing = [c for c in ("arch_index", "arch_str", *cols.values()) if c not in df.columns]
    if missing:
        raise ImportError_(f"{src}: missing column(s) {', '.join(missing)}")
    idx = df["arch_index"].to_numpy()
    if len(idx) != N_CELLS or sorted(idx.tolist()) != list(range(N_CELLS)):
        raise ImportError_(f"{src}: expected one row per cell, arch_index 0..{N_CELLS - 1}")
    for i, s in zip(idx.tolist(), df["arch_str"].tolist()):
        check_arch(i, s, str(src))
    rows = bench.arch_row[idx]
    keep = rows >= 0
    added: dict[str, np.ndarray] = {}
    for name, col in cols.items():
        v = np.full((bench.n_rows, 1, 1), np.nan)
        v[rows[keep], 0, 0] = float_column(df, col, src)[keep]
        if np.isnan(v[bench.arch_row[bench.covered], 0, 0]).any():
            raise ImportError_(f"{src}: column {col} has no value for some covered cells")
        added[name] = v
    metrics: dict[str, np.ndarray] = {}
    for name, arr in bench.metrics.items():
        if name == "time":
            metrics.update(added)
        metrics[name] = arr
    for name, arr in added.items():
        metrics.setdefault(name, arr)
    note = (f"valid_acc_s12, test_acc_s12: x-valid and x-test after the separate 12-epoch schedule (hp='12', mean of "
            f"its runs, as published; {src.name})")
    meta = dataclasses.replace(bench.meta, notes=f"{bench.meta.notes}; {note}" if bench.meta.notes else note,
                               source=f"{bench.meta.source}; 12-epoch schedule: {src.name}")
    return TabularBenchmark(
        meta=meta, arch_row=bench.arch_row, row_arch=bench.row_arch, seeds=bench.seeds, epochs=bench.epochs,
        metrics=metrics, run_seed=bench.run_seed, mean_only=sorted({*bench.mean_only, *added}), params=bench.params,
        flops=bench.flops, latency=bench.latency, name=bench.name, proxies=bench.proxies,
        proxy_seconds=bench.proxy_seconds)


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
    """Compare `bench` with the official NATS-Bench records in `sample_dir` (a partial
    'simple' directory): per-seed accuracies where the table has seeds, seed means otherwise,
    200-epoch training time, and params and FLOPs of the dataset's network.

    Args:
        bench: the built table.
        spec: the table's spec.
        sample_dir: the NATS-Bench records.

    Returns:
        One check per compared quantity.
    """
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


def check_12_epoch_against_nats(bench: TabularBenchmark, spec: TableSpec, sample_dir: str | Path) -> list[Check]:
    """Compare `bench`'s 12-epoch metrics (seed means) with the final epoch of the official
    NATS-Bench records of schedule `'12'` (mean of their runs) in `sample_dir`.

    Args:
        bench: the built table.
        spec: its spec (`nats12` names the official dataset and metric of each 12-epoch metric).
        sample_dir: a partial NATS-Bench 'simple' directory.

    Returns:
        One check per metric and cell of the sample.
    """
    nats: dict[str, TabularBenchmark] = {}
    checks: list[Check] = []
    for metric, where in spec.nats12.items():
        ds, nats_metric = where.split(":")
        if ds not in nats:
            nats[ds] = import_nats_simple(sample_dir, ds, "12")
        ref = nats[ds]
        for cell in ref.covered.tolist():
            checks.append(Check(f"{metric} (12-epoch schedule)", cell, bench.query(cell, metric),
                                ref.query(cell, nats_metric), _TOL_ACC))
    return checks


@dataclass(frozen=True)
class MeanEvidence:
    """Does a seed-mean-only metric of the CIFAR-10 table follow the published validation mean or
    the mean of all listed runs, where the two differ? Spread (std) of its difference to each."""

    metric: str
    cells: int  #: cells where the published mean differs (two-run cells above `floor`)
    sd_to_published: float
    sd_to_all_runs: float
    cells_agreeing: int  #: two-run cells above `floor` where the means agree
    sd_agreeing: float


def published_mean_evidence(bench: TabularBenchmark, metric: str = "valid_test_acc",
                            floor: float = 80.0) -> MeanEvidence:
    """Runs of one training share their validation and test accuracy's luck: a test mean taken
    over the same runs as the published validation mean differs from it less than from the mean
    of all runs. Two-run cells above `floor` (broken cells would dominate the spread).

    Args:
        bench: the imported table.
        metric: the test metric compared.
        floor: only cells whose validation mean is above it.

    Returns:
        The evidence.
    """
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
