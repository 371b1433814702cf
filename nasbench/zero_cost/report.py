"""Rank correlation of zero-cost proxies with a table's accuracies, beside the published numbers,
and their measured cost against one training epoch."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..tables.tabular import TabularBenchmark
from ..space import class_table

#: Abdelfattah et al. 2021 ("Zero-Cost Proxies for Lightweight NAS", ICLR), Spearman rho with
#: test accuracy over all 15,625 NAS-Bench-201 cells: CIFAR-10 / CIFAR-100 / ImageNet16-120
PUBLISHED_SPEARMAN: dict[str, dict[str, float]] = {
    "synflow": {"nb201-cifar10": 0.74, "nb201-cifar100": 0.76, "nb201-imagenet16-120": 0.75},
    "jacob_cov": {"nb201-cifar10": 0.73, "nb201-cifar100": 0.70, "nb201-imagenet16-120": 0.70},
    "snip": {"nb201-cifar10": 0.60, "nb201-cifar100": 0.64, "nb201-imagenet16-120": 0.58},
    "grad_norm": {"nb201-cifar10": 0.59, "nb201-cifar100": 0.64, "nb201-imagenet16-120": 0.58},
    "grasp": {"nb201-cifar10": 0.51, "nb201-cifar100": 0.55, "nb201-imagenet16-120": 0.55},
    "fisher": {"nb201-cifar10": 0.36, "nb201-cifar100": 0.39, "nb201-imagenet16-120": 0.33},
}


@dataclass(frozen=True)
class Correlation:
    """One proxy against one accuracy metric of one table."""

    table: str
    proxy: str
    metric: str
    cells: int  #: cells with a finite proxy value and accuracy
    classes: int  #: functional classes among them (the proxy is computed once per class)
    spearman: float
    kendall: float
    published: float | None


def proxy_values(bench: TabularBenchmark) -> dict[str, np.ndarray]:
    """Every stored proxy of a table, plus its params and FLOPs.

    Args:
        bench: the table.

    Returns:
        One array per name, one value per cell in official order (NaN where not covered).
    """
    out: dict[str, np.ndarray] = {}
    cov = bench.covered
    for name, per_row in (("params", bench.params), ("flops", bench.flops)):
        if per_row is not None:
            v = np.full(len(bench.arch_row), np.nan)
            v[cov] = per_row[bench.arch_row[cov]]
            out[name] = v
    for name in bench.proxies:
        out[name] = bench.values(name)
    return out


def correlations(bench: TabularBenchmark, table: str, metrics: tuple[str, ...] = ("test_acc", "valid_acc")) -> list[Correlation]:
    """Rank correlations of every proxy with accuracy metrics of a table.

    Args:
        bench: the table.
        table: its name (for the published values to compare with).
        metrics: the accuracy metrics; those the table lacks are skipped.

    Returns:
        One `Correlation` per (metric, proxy) with at least 3 cells holding both.
    """
    cls, _ = class_table("functional")
    res = []
    for metric in metrics:
        if metric not in bench.metrics:
            continue
        acc = bench.values(metric)
        for name, v in proxy_values(bench).items():
            ok = np.isfinite(v) & np.isfinite(acc)
            n = int(ok.sum())
            if n < 3:
                continue
            rho = float(stats.spearmanr(v[ok], acc[ok]).statistic)
            tau = float(stats.kendalltau(v[ok], acc[ok]).statistic)
            pub = PUBLISHED_SPEARMAN.get(name, {}).get(table) if metric == "test_acc" else None
            res.append(Correlation(table, name, metric, n, len(np.unique(cls[ok])), rho, tau, pub))
    return res


@dataclass(frozen=True)
class Cost:
    """Measured seconds per functional class of one proxy, on one core, vs one training epoch."""

    proxy: str
    classes: int
    mean_s: float
    median_s: float
    epoch_s: float  #: mean recorded seconds of one training epoch in the table

    @property
    def epochs_equivalent(self) -> float:
        """The mean seconds per class in training epochs."""
        return self.mean_s / self.epoch_s


def costs(done: dict[int, dict], bench: TabularBenchmark) -> list[Cost]:
    """Seconds per class of each proxy, from a journal's `seconds`.

    Args:
        done: the journal's classes (`nasbench.zero_cost.compute.read_journal`).
        bench: the table (for its training seconds per epoch).

    Returns:
        One `Cost` per proxy, sorted by name.
    """
    t = bench.values("time") / float(bench.epochs[-1])
    epoch_s = float(np.nanmean(t))
    names = sorted({n for r in done.values() for n in r["seconds"]})
    out = []
    for n in names:
        s = np.array([r["seconds"][n] for r in done.values() if n in r["seconds"]])
        out.append(Cost(n, len(s), float(s.mean()), float(np.median(s)), epoch_s))
    return out


def pass_costs(done: dict[int, dict], bench: TabularBenchmark) -> list[Cost]:
    """Seconds per class of each computation pass, vs one training epoch.

    A pass's time is the sum of its proxies' shares in a class's record
    (`nasbench.zero_cost.proxies.PASSES`); it is named `a+b+c`.

    Args:
        done: the journal's classes.
        bench: the table.

    Returns:
        One `Cost` per pass recorded.
    """
    from .proxies import PASSES

    t = bench.values("time") / float(bench.epochs[-1])
    epoch_s = float(np.nanmean(t))
    out = []
    for members in PASSES.values():
        s = np.array([sum(r["seconds"][m] for m in members if m in r["seconds"]) for r in done.values()
                      if any(m in r["seconds"] for m in members)])
        if len(s):
            out.append(Cost("+".join(members), len(s), float(s.mean()), float(np.median(s)), epoch_s))
    return out
