"""Reproduce NAS-Bench-201's search comparison (Dong & Yang, "NAS-Bench-201: Extending the Scope of
Reproducible Neural Architecture Search", ICLR 2020, Table 5) on the embedded tables
`nb201-cifar10`, `nb201-cifar100` and `nb201-imagenet16-120`: `nasbench reproduce nb201`.

Contract:

* every row of Table 5 is reported, with the paper's validation and test accuracy (mean +- std
  over 500 runs, as published). Random search (RS), regularised evolution (REA) and REINFORCE are
  rerun on the table; every other row states in one line why a table cannot reproduce it; the
  `optimal` row is computed from the table;
* the settings are NAS-Bench-201's scripts' (scripts-search/NAS-Bench-201-algos/*.sh and
  exps/NAS-Bench-201-algos/*.py): REA population 10, tournament sample size 3 (R-EA.sh's example
  `R-EA.sh cifar10 3 -1`; `--ea_population 10 --ea_sample_size 3`), one-op mutation, the
  oldest dies; REINFORCE Adam with learning rate 0.001 (REINFORCE.sh's example), EMA baseline
  momentum 0.9, logits initialised at 1e-3 N(0, 1), the incumbent the best observed cell; random
  search uniform with replacement. A query that would overrun the budget ends the run;
* the protocol (search signal, cost per query, time budget, test metric) is each table's preset,
  `nasbench.strategies.protocol.preset_for`, so a change of preset is followed here;
* our statistics are over `runs` runs per algorithm (default 500, the paper's): mean, SAMPLE
  standard deviation (ddof=1) and standard error SE = s / sqrt(runs). A row's verdict, for the
  validation and the test column: `std` when |ours - paper| <= the paper's std, and `2SE`
  when |ours - paper| <= 2 SE (our SE);
* the validation column is the 200-epoch validation accuracy (seed mean) of the final incumbent,
  the test column the preset's test metric (seed mean), as in the paper.

Known differences from NAS-Bench-201's runs, none charged or modelled here: its queries also paid
one validation pass and the algorithm's own wall-clock time; its REINFORCE kept the reward of the
query that overran the budget as a candidate incumbent (one query in about a hundred); the
published 12-epoch values are seed means where the paper drew one seed per query.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..search.config import ExperimentConfig, StrategySpec
from ..errors import NasbenchError
from ..strategies.protocol import preset_for

if TYPE_CHECKING:
    from ..tables.benchmark import Benchmark

#: NAS-Bench-201's datasets and the embedded table of each, in the paper's column order
TABLES: tuple[tuple[str, str], ...] = (("cifar10", "nb201-cifar10"), ("cifar100", "nb201-cifar100"),
                                       ("imagenet16-120", "nb201-imagenet16-120"))
DATASETS: tuple[str, ...] = tuple(d for d, _ in TABLES)
DEFAULT_RUNS = 500  # NAS-Bench-201 ran each algorithm 500 times
DEFAULT_SEED = 201
MAX_RUNS = 100_000
SOURCE = "NAS-Bench-201 (Dong & Yang, ICLR 2020), Table 5"
#: the validation metric of the paper's validation column (200 epochs, seed mean)
VALID_METRIC = "valid_acc"

WEIGHT_SHARING = "weight-sharing search: trains a supernet on the images, which table look-ups cannot reproduce"
BOHB = ("needs per-epoch learning curves: the table's fidelity ladder is a 12-epoch training, then a fresh "
        "200-epoch one at 16.7x the cost, not the per-epoch budget NAS-Bench-201's BOHB used")
RESNET = "a hand-designed network outside the cell space: nothing to search"


class ReproduceError(NasbenchError, ValueError):
    """Bad input to the reproduction (one line: what was wrong and what is allowed)."""


@dataclass(frozen=True)
class Published:
    """A number as the paper prints it: mean and std, or one value (`std` None)."""

    mean: float
    std: float | None = None

    def text(self) -> str:
        """The number as printed: `mean ± std`, or the value alone."""
        return f"{self.mean:.2f}" if self.std is None else f"{self.mean:.2f} ± {self.std:.2f}"


@dataclass(frozen=True)
class PaperCell:
    """One dataset's validation and test accuracy of one row of Table 5."""

    valid: Published
    test: Published


@dataclass(frozen=True)
class PaperRow:
    """One row of Table 5: the method, our strategy that reruns it (None: not reproducible on a
    table, with `reason`), and its numbers on the three datasets."""

    method: str
    strategy: str | None
    reason: str
    cifar10: PaperCell
    cifar100: PaperCell
    imagenet16: PaperCell

    def on(self, dataset: str) -> PaperCell:
        """The row's numbers on a dataset.

        Args:
            dataset: one of `DATASETS`.

        Returns:
            Its validation and test accuracy in Table 5.
        """
        return {"cifar10": self.cifar10, "cifar100": self.cifar100, "imagenet16-120": self.imagenet16}[dataset]


def _row(method: str, strategy: str | None, reason: str, *v: float) -> PaperRow:
    """12 numbers (valid mean, std, test mean, std per dataset) or 6 (single values)."""
    if len(v) == 12:
        cells = [PaperCell(Published(v[i], v[i + 1]), Published(v[i + 2], v[i + 3])) for i in (0, 4, 8)]
    else:
        cells = [PaperCell(Published(v[i]), Published(v[i + 1])) for i in (0, 2, 4)]
    return PaperRow(method, strategy, reason, *cells)


#: Table 5 of NAS-Bench-201 (ICLR 2020), in the paper's row order; accuracies in percent: CIFAR-10
#: validation (cifar10-valid) / test (trained on all 50k), CIFAR-100 and ImageNet16-120 x-valid / x-test
PAPER_TABLE5: tuple[PaperRow, ...] = (
    _row("RSPS", None, WEIGHT_SHARING, 84.16, 1.69, 87.66, 1.69, 45.78, 6.33, 46.60, 6.57, 31.09, 5.65, 30.78, 6.12),
    _row("DARTS-V1", None, WEIGHT_SHARING, 39.77, 0.00, 54.30, 0.00, 15.03, 0.00, 15.61, 0.00, 16.43, 0.00, 16.32, 0.00),
    _row("DARTS-V2", None, WEIGHT_SHARING, 39.77, 0.00, 54.30, 0.00, 15.03, 0.00, 15.61, 0.00, 16.43, 0.00, 16.32, 0.00),
    _row("GDAS", None, WEIGHT_SHARING, 90.00, 0.21, 93.51, 0.13, 71.14, 0.27, 70.61, 0.26, 41.70, 1.26, 41.84, 0.90),
    _row("SETN", None, WEIGHT_SHARING, 82.25, 5.17, 86.19, 4.63, 56.86, 7.59, 56.87, 7.77, 32.54, 3.63, 31.90, 4.07),
    _row("ENAS", None, WEIGHT_SHARING, 39.77, 0.00, 54.30, 0.00, 15.03, 0.00, 15.61, 0.00, 16.43, 0.00, 16.32, 0.00),
    _row("REA", "evolution", "", 91.19, 0.31, 93.92, 0.30, 71.81, 1.12, 71.84, 0.99, 45.15, 0.89, 45.54, 1.03),
    _row("RS", "random", "", 90.93, 0.36, 93.70, 0.36, 70.93, 1.09, 71.04, 1.07, 44.45, 1.10, 44.57, 1.25),
    _row("REINFORCE", "reinforce", "", 91.09, 0.37, 93.85, 0.37, 71.61, 1.12, 71.71, 1.09, 45.05, 1.02, 45.24, 1.18),
    _row("BOHB", None, BOHB, 90.82, 0.53, 93.61, 0.52, 70.74, 1.29, 70.85, 1.28, 44.26, 1.36, 44.42, 1.49),
    _row("ResNet", None, RESNET, 90.83, 93.97, 70.42, 70.86, 44.53, 43.63),
)
#: the `optimal` row of Table 5
PAPER_OPTIMUM = _row("optimal", None, "", 91.61, 94.37, 73.49, 73.51, 46.77, 47.31)


@dataclass(frozen=True)
class Sample:
    """Mean, sample standard deviation (ddof=1) and size of our runs' values."""

    mean: float
    std: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray) -> Sample:
        """The sample of some values.

        Args:
            values: our runs' values.

        Returns:
            Their mean, sample std (NaN for one value) and size.
        """
        a = np.asarray(values, dtype=np.float64)
        return cls(float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else math.nan, int(a.size))

    @property
    def se(self) -> float:
        """Standard error of the mean, s / sqrt(n)."""
        return self.std / math.sqrt(self.n)

    def text(self) -> str:
        """`mean ± std`, two decimals."""
        return f"{self.mean:.2f} ± {self.std:.2f}"


@dataclass(frozen=True)
class Verdict:
    """Ours against the paper on one column: the difference, whether it is within the paper's std,
    and whether it is within two of our standard errors."""

    diff: float
    se: float
    within_std: bool
    within_2se: bool

    @classmethod
    def of(cls, ours: Sample, paper: Published) -> Verdict:
        """Compare our sample with the paper's number.

        Args:
            ours: our runs' values.
            paper: the paper's number.

        Returns:
            The verdict.
        """
        diff = ours.mean - paper.mean
        within_std = paper.std is not None and abs(diff) <= paper.std
        return cls(diff, ours.se, within_std, bool(abs(diff) <= 2 * ours.se))

    def text(self) -> str:
        """One line: the difference, in SE, and whether it is within the paper's std and within 2 SE."""
        z = self.diff / self.se if self.se > 0 else math.inf
        return (f"{self.diff:+.2f} ({z:+.1f} SE): {'std' if self.within_std else 'out of std'}, "
                f"{'2SE' if self.within_2se else 'out of 2SE'}")


@dataclass(frozen=True)
class ReproRow:
    """One row of the report: the paper's numbers on one dataset and ours (None where the row is
    not reproducible; then `reason` says why)."""

    method: str
    paper: PaperCell
    valid: Sample | None = None
    test: Sample | None = None
    queries: float | None = None
    reason: str = ""

    @property
    def valid_verdict(self) -> Verdict | None:
        """Our validation accuracy against the paper's (None where not reproduced)."""
        return None if self.valid is None else Verdict.of(self.valid, self.paper.valid)

    @property
    def test_verdict(self) -> Verdict | None:
        """Our test accuracy against the paper's (None where not reproduced)."""
        return None if self.test is None else Verdict.of(self.test, self.paper.test)


@dataclass(frozen=True)
class DatasetResult:
    """The reproduction on one dataset: its config, Table 5's rows beside ours, the optimum (paper
    and table), the wall time and where the runs are."""

    dataset: str
    config: ExperimentConfig
    rows: tuple[ReproRow, ...]
    optimum: ReproRow
    table_optimum: PaperCell
    seconds: float
    path: Path

    def row(self, method: str) -> ReproRow:
        """The row of a method.

        Args:
            method: a Table 5 name such as `REA`.

        Returns:
            The row.

        Raises:
            KeyError: no row of that name.
        """
        for r in self.rows:
            if r.method == method:
                return r
        raise KeyError(method)


def table_of(dataset: str) -> str:
    """The embedded table of a NAS-Bench-201 dataset name.

    Args:
        dataset: one of `DATASETS`.

    Returns:
        The table's name.
    """
    return dict(TABLES)[dataset]


def parse_datasets(text: str) -> tuple[str, ...]:
    """Read a comma-separated list of datasets.

    Args:
        text: e.g. `"cifar10,cifar100"`.

    Returns:
        The datasets in that order, each once.

    Raises:
        ReproduceError: no dataset, or an unknown name (one line).
    """
    names = [d.strip().lower() for d in str(text).split(",") if d.strip()]
    if not names:
        raise ReproduceError(f"--datasets names no dataset; valid: {', '.join(DATASETS)}")
    for d in names:
        if d not in DATASETS:
            raise ReproduceError(f"unknown dataset {d!r}; valid: {', '.join(DATASETS)}")
    return tuple(dict.fromkeys(names))


def check_runs(runs: object) -> int:
    """Check the number of runs per algorithm.

    Args:
        runs: the number given.

    Returns:
        `runs`, an integer from 2 (a sample std needs two runs) to `MAX_RUNS`.

    Raises:
        ReproduceError: anything else.
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or not 2 <= runs <= MAX_RUNS:
        raise ReproduceError(f"--runs must be an integer from 2 to {MAX_RUNS:,} (a sample standard deviation "
                             f"needs two runs), got {runs!r}")
    return runs


def reproduction_config(dataset: str, runs: int = DEFAULT_RUNS, jobs: int = 1, out: str = "results/nb201-repro",
                        seed: int = DEFAULT_SEED, sample_size: int = 3, resume: bool = False,
                        progress: bool = False) -> ExperimentConfig:
    """The comparison of one dataset: RS, REA and REINFORCE with NAS-Bench-201's settings, under
    the table's preset protocol and budget.

    Args:
        dataset: one of `DATASETS`.
        runs: runs per algorithm.
        jobs: worker processes (results do not depend on it).
        out: results directory of this dataset.
        seed: root seed of the runs.
        sample_size: REA's tournament size (NAS-Bench-201's scripts: 3).
        resume: continue `out` if it holds this config's runs.
        progress: show a progress bar.

    Returns:
        The `ExperimentConfig`; its protocol and budget are
        `preset_for` of the table.

    Raises:
        ReproduceError: when the table has no published search protocol.
    """
    table = table_of(dataset)
    preset = preset_for(table)
    if preset is None:  # pragma: no cover - the three tables have presets
        raise ReproduceError(f"table {table} has no published search protocol")
    strategies = (StrategySpec("random", {"dedupe": False}),
                  StrategySpec("evolution", {"population": 10, "sample_size": sample_size}),
                  StrategySpec("reinforce", {"lr": 0.001, "ema_momentum": 0.9, "init_std": 1e-3}))
    return ExperimentConfig(table=table, strategies=strategies, runs=runs, seed=seed, jobs=jobs, out=out,
                            resume=resume, progress=progress, protocol=preset.protocol, budget=preset.budget)


def table_optimum(bench: Benchmark, test_metric: str) -> PaperCell:
    """The best 200-epoch validation and the best test value (seed means) over the table's cells.

    Args:
        bench: the table.
        test_metric: the test metric to read.

    Returns:
        The two values.
    """
    cov = np.asarray(bench.covered, dtype=np.int64)
    valid = np.asarray(bench.query_many(cov, VALID_METRIC, None, "mean"), dtype=np.float64)
    test = np.asarray(bench.query_many(cov, test_metric, None, "mean"), dtype=np.float64)
    return PaperCell(Published(float(np.nanmax(valid))), Published(float(np.nanmax(test))))


def reproduce_dataset(config: ExperimentConfig, dataset: str, bench: Benchmark | None = None) -> DatasetResult:
    """Run `config` (from `reproduction_config`) and set Table 5's rows beside ours.

    Args:
        config: the dataset's comparison.
        dataset: one of `DATASETS`.
        bench: the loaded table (default: load `config.table`).

    Returns:
        The `DatasetResult`.
    """
    from ..search.runner import run_comparison
    from ..tables.registry import load
    from ..search.results import final_rows

    t0 = time.perf_counter()
    bench = bench if bench is not None else load(config.table)
    res = run_comparison(config, bench=bench)
    fin = final_rows(res.frame())
    fin = fin.assign(valid200=np.asarray(bench.query_many(fin["incumbent"].to_numpy(), VALID_METRIC, None, "mean"),
                                         dtype=np.float64))
    rows = []
    for paper in PAPER_TABLE5:
        cell = paper.on(dataset)
        if paper.strategy is None:
            rows.append(ReproRow(paper.method, cell, reason=paper.reason))
            continue
        g = fin[fin["strategy"] == paper.strategy]
        rows.append(ReproRow(paper.method, cell, Sample.of(g["valid200"]), Sample.of(g["incumbent_test"]),
                             float(g["step"].mean())))
    optimum = ReproRow("optimal", PAPER_OPTIMUM.on(dataset))
    return DatasetResult(dataset, config, tuple(rows), optimum, table_optimum(bench, config.protocol.test_metric),
                         time.perf_counter() - t0, Path(res.path))


def format_result(result: DatasetResult) -> str:
    """The report of one dataset: a protocol line, then one line per row of Table 5.

    Args:
        result: the dataset's reproduction.

    Returns:
        The report's text.
    """
    cfg = result.config
    p, b = cfg.protocol, cfg.budget
    budget = f"{b.amount:,.0f} simulated s" if b.kind == "seconds" else f"{b.amount:,.0f} {b.kind}"
    rea = next(s for s in cfg.strategies if s.name == "evolution").params
    lines = [f"NAS-Bench-201 {result.dataset} ({cfg.table}): {cfg.runs} runs each, seed {cfg.seed}; signal {p.metric} "
             f"(seed={p.seed}), cost x{p.cost_factor:.4g}, budget {budget}; reported {VALID_METRIC} (200 epochs) "
             f"and {p.test_metric}, seed means",
             f"settings: REA population {rea['population']}, tournament {rea['sample_size']}; REINFORCE Adam lr 0.001, "
             f"EMA 0.9; random search with replacement. Paper: {SOURCE}, mean ± std over 500 runs",
             f"{'method':<10}{'paper valid':>15}{'ours valid':>15}{'paper test':>15}{'ours test':>15}{'queries':>9}"
             f"  verdict test | valid"]
    for r in result.rows:
        head = f"{r.method:<10}{r.paper.valid.text():>15}"
        if r.valid is None or r.test is None:
            lines.append(f"{head}{'-':>15}{r.paper.test.text():>15}{'-':>15}{'':>9}  not reproduced: {r.reason}")
            continue
        lines.append(f"{head}{r.valid.text():>15}{r.paper.test.text():>15}{r.test.text():>15}{r.queries:>9.1f}"
                     f"  {r.test_verdict.text()} | {r.valid_verdict.text()}")
    o, t = result.optimum.paper, result.table_optimum
    lines.append(f"{'optimal':<10}{o.valid.text():>15}{t.valid.text():>15}{o.test.text():>15}{t.test.text():>15}"
                 f"{'':>9}  ours: the table's best seed means")
    lines.append(f"SE = our sample std (ddof=1) / sqrt({cfg.runs}); std: |ours - paper| <= the paper's std; "
                 f"2SE: |ours - paper| <= 2 SE")
    return "\n".join(lines)


def reproduce(datasets: Sequence[str] = DATASETS, runs: int = DEFAULT_RUNS, jobs: int = 1,
              out: str = "results/nb201-repro", seed: int = DEFAULT_SEED, sample_size: int = 3,
              resume: bool = False, progress: bool = False, emit=print) -> list[DatasetResult]:
    """Reproduce Table 5 on each dataset in turn, after checking every input and every table first.

    Args:
        datasets: names from `DATASETS`.
        runs: runs per algorithm (2 .. `MAX_RUNS`).
        jobs: worker processes.
        out: parent directory; each dataset's runs go to `out/DATASET`.
        seed: root seed.
        sample_size: REA's tournament size.
        resume: reuse the finished runs of an earlier call with the same settings.
        progress: show progress bars.
        emit: called with each dataset's report as soon as it is ready (`None`: silent).

    Returns:
        One `DatasetResult` per dataset.

    Raises:
        ReproduceError: on a bad seed, a missing table, or a used output without `--resume`.
    """
    from ..util.checks import check_positive_int
    from ..tables.registry import resolve

    datasets = parse_datasets(",".join(datasets))
    check_runs(runs)
    check_positive_int(jobs, "--jobs", ReproduceError)
    check_positive_int(sample_size, "--sample-size", ReproduceError)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ReproduceError(f"--seed must be a non-negative integer, got {seed!r}")
    configs = []
    for d in datasets:  # refuse before running anything
        try:
            resolve(table_of(d))
        except (OSError, ValueError) as exc:
            raise ReproduceError(f"table {table_of(d)} not present ({str(exc).splitlines()[0]})") from None
        target = Path(out) / d
        if not resume and target.is_dir() and any(target.iterdir()):
            raise ReproduceError(f"{target} already holds results; pass --resume to reuse its finished runs "
                                 "or choose another --out")
        configs.append(reproduction_config(d, runs, jobs, str(target), seed, sample_size, resume, progress))
    results = []
    for d, cfg in zip(datasets, configs):
        results.append(reproduce_dataset(cfg, d))
        if emit is not None:
            emit(format_result(results[-1]) + f"\n({results[-1].seconds:.1f} s; runs in {results[-1].path})\n")
    return results

