"""What `nasbench info` reports about a table: a dataclass of facts (`TableSummary`),
computed from a `nasbench.tables.tabular.TabularBenchmark`'s arrays (its `summary()`).

It sits beside the table (the table imports it; it imports neither the table nor the
statistics of comparisons), so that data flows one way; `nasbench.search.summary` re-exports it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..util.checks import quiet_nan_stats
from .noise import fresh_seed_estimate

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


def _winners_curse(bench: Any, sds: np.ndarray) -> tuple[float, float]:
    """The best row's seed mean of valid_acc, and its expectation on fresh seeds (`sds`: the
    rows' seed sds of valid_acc)."""
    means = bench.seed_mean("valid_acc")
    if not np.isfinite(means).any():
        return float("nan"), float("nan")
    row = int(np.nanargmax(means))
    n = int(np.isfinite(bench.metrics["valid_acc"][row, :, -1]).sum())
    return float(means[row]), float(fresh_seed_estimate(means, sds, [means[row]], n).expected[0])


def proxy_coverage(bench: Any) -> list[ProxyCoverage]:
    """The zero-cost proxies a table holds, each with its coverage of the table's cells.

    Args:
        bench: the table.

    Returns:
        One `ProxyCoverage` per proxy.
    """
    info = bench.meta.details.proxies
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


def summarise_table(bench: Any) -> TableSummary:
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
