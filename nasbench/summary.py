"""What `nasbench info` reports about a table (a dataclass of facts, computed from the arrays), and
what `nasbench compare` reports about a results directory: `summary.csv`, `pairs.csv`,
`summary.tex` and the verdict on every pair of strategies."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write
from .benchmark import TabularBenchmark
from .checks import quiet_nan_stats

IQR_PER_SD = 1.349  # interquartile range of a normal distribution, in standard deviations


@dataclass(frozen=True)
class ProxyCoverage:
    """One zero-cost proxy a table holds: how many covered cells have a value, the batch it read,
    and the mean recorded compute seconds per cell (NaN where not recorded)."""

    name: str
    cells: int
    batch: str
    seconds_per_cell: float = float("nan")


@dataclass(frozen=True)
class TableSummary:
    """What `nasbench info` shows about a table: its metadata, coverage, value ranges, seed noise and spread."""

    name: str
    space: str
    dataset: str
    split_sizes: dict[str, int]
    recipe: dict[str, Any]
    source: str
    code_version: str
    sha256: str
    cells_covered: int
    rows: int
    trainings: int
    missing_runs: int
    seeds: list[int]
    epochs: list[int]
    metrics: list[str]
    mean_only: list[str]
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    mean_seed_std: float = float("nan")
    top1pct_spread: float = float("nan")
    spread: float = float("nan")  # std of valid_acc over all covered cells
    iqr: float = float("nan")  # interquartile range of the same: the body, not the tail of broken cells
    percentiles: dict[int, float] = field(default_factory=dict)  # of valid_acc over all covered cells
    best_valid: float = float("nan")  # the best row's seed mean of valid_acc
    best_expected: float = float("nan")  # what fresh seeds are expected to give it (Tweedie)
    params_range: tuple[float, float] | None = None
    latency_devices: list[str] = field(default_factory=list)
    notes: str = ""
    proxies: list[ProxyCoverage] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The summary as a dict (for `--json`)."""
        from dataclasses import asdict

        return asdict(self)

    def lines(self) -> list[str]:
        """The summary as the console lines of `nasbench info`."""
        ep = self.epochs
        out = [
            f"table          {self.name}",
            f"space          {self.space}",
            f"dataset        {self.dataset}  splits {self.split_sizes}",
            f"source         {self.source}",
            f"produced by    {self.code_version}",
            f"sha256         {self.sha256}",
            f"cells covered  {self.cells_covered:,} of 15,625 ({self.rows:,} result rows)",
            f"trainings      {self.trainings:,} recorded runs ({self.missing_runs:,} missing run slots, NaN)",
            f"seeds          {self.seeds}",
            f"epochs         {len(ep)} recorded: {ep[0]}..{ep[-1]}" if len(ep) > 1 else f"epochs         {ep}",
            f"metrics        {', '.join(self.metrics)}"
            + (f"  (seed means only: {', '.join(self.mean_only)})" if self.mean_only else ""),
        ]
        for m, (lo, hi) in self.ranges.items():
            out.append(f"{m + ' range':<14} {lo:.2f} .. {hi:.2f} (last epoch, seed mean)")
        out.append(f"seed noise     mean seed std of valid_acc {self.mean_seed_std:.3f} points"
                   if np.isfinite(self.mean_seed_std)
                   else "seed noise     n/a: no cell has two runs yet")
        if np.isfinite(self.spread):
            ratio = (f" = {self.spread / self.mean_seed_std:.1f} x seed noise"
                     if np.isfinite(self.mean_seed_std) and self.mean_seed_std > 0 else "")
            pct = " / ".join(f"{v:.2f}" for v in self.percentiles.values())
            out.append(f"spread         std of valid_acc over all cells {self.spread:.3f} points{ratio}; "
                       f"percentiles {'/'.join(map(str, self.percentiles))}: {pct}")
        if np.isfinite(self.iqr):
            robust = self.iqr / IQR_PER_SD
            ratio = (f" = {robust / self.mean_seed_std:.1f} x seed noise"
                     if np.isfinite(self.mean_seed_std) and self.mean_seed_std > 0 else "")
            out.append(f"body spread    interquartile range of valid_acc {self.iqr:.3f} points; robust std "
                       f"(IQR / {IQR_PER_SD}) {robust:.3f}{ratio} (the std above counts the tail of broken cells)")
        if np.isfinite(self.best_expected):
            out.append(f"best cell      valid_acc {self.best_valid:.2f} in the table, {self.best_expected:.2f} expected on "
                       f"fresh seeds (picked as the best of noisy values; Tweedie's formula)")
        out.append(f"top 1% spread  std of valid_acc over the top 1% of cells {self.top1pct_spread:.3f} points "
                   f"= {self.top1pct_spread / self.mean_seed_std:.2f} x seed noise"
                   if np.isfinite(self.mean_seed_std) and self.mean_seed_std > 0
                   else f"top 1% spread  std of valid_acc over the top 1% of cells {self.top1pct_spread:.3f} points")
        if self.params_range:
            out.append(f"params         {self.params_range[0]:.4f} .. {self.params_range[1]:.4f} M")
        if self.latency_devices:
            out.append(f"latency        {', '.join(self.latency_devices)}")
        for i, p in enumerate(self.proxies):
            secs = f", {p.seconds_per_cell:.3g} s/cell to compute" if np.isfinite(p.seconds_per_cell) else ""
            out.append(f"{'proxies' if i == 0 else '':<14} {p.name}: {p.cells:,} of {self.cells_covered:,} cells "
                       f"with a value{secs}")
        if self.proxies:
            out.append(f"{'':<14} (data-dependent proxies read: {self.proxies[0].batch})")
        out.append(f"recipe         {self.recipe}")
        if self.notes:
            out.append(f"notes          {self.notes}")
        return out


def _winners_curse(bench: TabularBenchmark, sds: np.ndarray) -> tuple[float, float]:
    """The best row's seed mean of valid_acc, and its expectation on fresh seeds (`sds`: the
    rows' seed sds of valid_acc)."""
    from .noise import fresh_seed_estimate

    means = bench.seed_mean("valid_acc")
    if not np.isfinite(means).any():
        return float("nan"), float("nan")
    row = int(np.nanargmax(means))
    n = int(np.isfinite(bench.metrics["valid_acc"][row, :, -1]).sum())
    return float(means[row]), float(fresh_seed_estimate(means, sds, [means[row]], n).expected[0])


def proxy_coverage(bench: TabularBenchmark) -> list[ProxyCoverage]:
    """The zero-cost proxies a table holds, each with its coverage of the table's cells.

    Args:
        bench: the table.

    Returns:
        One `ProxyCoverage` per proxy.
    """
    info = (bench.meta.extra or {}).get("proxies") or {}
    batch = str(info.get("stand_in_batch", "not recorded"))
    rows = bench.arch_row[bench.covered]
    out = []
    for name, v in bench.proxies.items():
        secs = bench.proxy_seconds.get(name)
        mean = float("nan")
        if secs is not None and np.isfinite(secs[rows]).any():
            mean = float(np.nanmean(secs[rows]))
        out.append(ProxyCoverage(name, int(np.isfinite(v[rows]).sum()), batch, mean))
    return out


def summarise_table(bench: TabularBenchmark) -> TableSummary:
    """What a table holds and how noisy it is: its metadata, coverage, value ranges, seed noise,
    spread of the validation values and the winner's curse of its best cell.

    Args:
        bench: the table.

    Returns:
        The `TableSummary`.
    """
    m = bench.meta
    per_seed = [k for k in bench.metrics if k not in bench.mean_only]
    ref = "valid_acc" if "valid_acc" in per_seed else (per_seed[0] if per_seed else None)
    trainings = missing = 0
    if ref is not None:
        avail = ~np.isnan(bench.metrics[ref][:, :, -1])
        trainings, missing = int(avail.sum()), int((~avail).sum())
    ranges = {}
    for k in ("valid_acc", "test_acc", "valid_acc_s12", "test_acc_s12"):  # *_s12: the 12-epoch schedule
        if k in bench.metrics:
            v = bench.values(k)
            ranges[k] = (float(np.nanmin(v)), float(np.nanmax(v)))
    noise = spread = iqr = top_spread = best = best_exp = float("nan")
    pcts: dict[int, float] = {}
    if "valid_acc" in per_seed:
        with quiet_nan_stats():
            sds = bench.seed_std("valid_acc")
            noise = float(np.nanmean(sds))
            v = bench.values("valid_acc")
            v = v[np.isfinite(v)]
            top = np.sort(v)[-max(1, len(v) // 100):]
            top_spread = float(np.std(top, ddof=1)) if len(top) > 1 else float("nan")
            spread = float(np.std(v, ddof=1)) if len(v) > 1 else float("nan")
            iqr = float(np.subtract(*np.percentile(v, [75, 25]))) if len(v) > 1 else float("nan")
            pcts = {q: float(np.percentile(v, q)) for q in (10, 50, 90, 99)} if len(v) else {}
            best, best_exp = _winners_curse(bench, sds)
    params = bench.params
    return TableSummary(
        name=bench.name, space=m.space, dataset=m.dataset, split_sizes=m.split_sizes, recipe=m.recipe,
        source=m.source, code_version=m.code_version, sha256=bench.sha256,
        cells_covered=len(bench.covered), rows=bench.n_rows, trainings=trainings, missing_runs=missing,
        seeds=bench.seeds.tolist(), epochs=bench.epochs.tolist(), metrics=list(bench.metrics),
        mean_only=sorted(bench.mean_only), ranges=ranges, mean_seed_std=noise, top1pct_spread=top_spread,
        spread=spread, iqr=iqr, percentiles=pcts, best_valid=best, best_expected=best_exp,
        params_range=None if params is None or np.all(np.isnan(params)) else (float(np.nanmin(params)), float(np.nanmax(params))),
        latency_devices=sorted(bench.latency), notes=m.notes, proxies=proxy_coverage(bench),
    )


# -- what `nasbench compare` reports about a results directory ---------------------------------
SUMMARY_FILE = "summary.csv"  # one row per strategy
PAIRS_FILE = "pairs.csv"  # one row per pair of strategies: the test, the effect size, the verdict
TEX_FILE = "summary.tex"  # the summary as a booktabs table (nasbench.summary_tex)


def final_values(results: Any) -> tuple[dict[str, np.ndarray], str]:
    """The final incumbent test value of each run, per strategy.

    Args:
        results: a results directory or its path.

    Returns:
        `({label: values}, metric)`: the values per strategy label in config order, and the
        test metric's name.
    """
    from .experiment import ResultsDir, final_rows, open_results

    res = results if isinstance(results, ResultsDir) else open_results(results)
    fin = final_rows(res.frame())
    cfg = res.provenance["config"]
    order = [s["label"] for s in cfg["strategies"]]
    metric = cfg.get("protocol", {}).get("test_metric", "test value")
    return {k: fin.loc[fin.strategy == k, "incumbent_test"].to_numpy(dtype=np.float64) for k in order
            if (fin.strategy == k).any()}, metric


def pairwise(results: Any, alpha: float | None = None) -> list:
    """Every pair of strategies of a results directory tested on the final test value of its runs.

    See `nasbench.significance`.

    Args:
        results: a results directory or its path.
        alpha: the significance level (None: `ALPHA`).

    Returns:
        The `PairTest` list.
    """
    from .significance import ALPHA, compare_pairs

    values, metric = final_values(results)
    return compare_pairs(values, ALPHA if alpha is None else alpha, metric)


def write_summary(results: Any, baseline: str | None = None) -> tuple[Path, Path]:
    """Write `summary.csv` (per strategy, as `nasbench.experiment.summarise`),
    `pairs.csv` (per pair) and `summary.tex` (`nasbench.summary_tex`, markers against
    `baseline`, default `random` where present) into the results directory, atomically.

    Args:
        results: a results directory or its path.
        baseline: `summary.tex`'s baseline label (None: `random` if the comparison has it).

    Returns:
        The paths of `summary.csv` and `pairs.csv`.
    """
    import pandas as pd

    from .experiment import ResultsDir, open_results, summarise
    from .significance import PairTest
    from .summary_tex import resolve_baseline

    res = results if isinstance(results, ResultsDir) else open_results(results)
    s = summarise(res)
    s.index.name = "strategy"
    resolve_baseline([str(k) for k in s.index], baseline)  # a bad label refuses before anything is written
    tests = pairwise(res)
    pairs = pd.DataFrame([p.to_dict() for p in tests], columns=[f.name for f in dataclasses.fields(PairTest)])
    paths = (res.path / SUMMARY_FILE, res.path / PAIRS_FILE)
    for frame, path, index in ((s, paths[0], True), (pairs, paths[1], False)):
        atomic_write(path, frame.to_csv(index=index), res.path)  # never through a planted link
    _write_tex(res, s, tests, baseline)
    return paths


def _write_tex(res: Any, summary: Any, tests: list, baseline: str | None) -> Path:
    from .summary_tex import TEX_FILE, summary_tex

    values, metric = final_values(res)
    path = res.path / TEX_FILE
    atomic_write(path, summary_tex(summary, values, tests, baseline, metric), res.path)
    return path


def write_summary_tex(results: Any, baseline: str | None = None) -> Path:
    """Rewrite only `summary.tex` of a results directory (e.g. with another baseline).

    Args:
        results: a results directory or its path.
        baseline: the markers' baseline label (None: `random` if present).

    Returns:
        The path written.
    """
    from .experiment import ResultsDir, open_results, summarise
    from .summary_tex import resolve_baseline

    res = results if isinstance(results, ResultsDir) else open_results(results)
    s = summarise(res)
    resolve_baseline([str(k) for k in s.index], baseline)
    return _write_tex(res, s, pairwise(res), baseline)


def format_verdicts(pairs: list, alpha: float | None = None) -> str:
    """The verdicts in words, significant pairs first, under a one-line header saying how.

    Args:
        pairs: the `PairTest` list.
        alpha: the level the verdicts used (None: `ALPHA`).

    Returns:
        The text ("" for no pairs).
    """
    from .significance import ALPHA

    if not pairs:
        return ""
    tested = sum(1 for p in pairs if np.isfinite(p.p_holm))
    runs = sorted({n for p in pairs for n in (p.runs_a, p.runs_b)})
    runs_txt = f"{runs[0]}" if len(runs) == 1 else f"{runs[0]}..{runs[-1]}"
    head = (f"which differences are real (two-sided Mann-Whitney U on the final test value, {runs_txt} runs per "
            f"strategy, Holm-corrected over {tested} pair{'s' if tested != 1 else ''}, significant if p < "
            f"{ALPHA if alpha is None else alpha}):")
    ordered = [p for p in pairs if p.significant] + [p for p in pairs if not p.significant]
    return "\n".join([head] + [f"  {p.verdict}" for p in ordered])
