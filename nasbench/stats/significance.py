"""Which differences between strategies are real.

Within one table the runs of different strategies are independent samples (independent seeds):
a two-sided Mann-Whitney U test on the final test value of every pair of strategies, Holm's
correction for the number of pairs, Cliff's delta as the effect size, and a verdict in words;
Kruskal-Wallis over all strategies; the mean rank of each strategy's runs in the pooled ranking of
all runs (`pooled_ranks`), and the groups no verdict separates (`no_difference_groups`),
which the rank figure draws. Runs are never paired by run number.

Across tables, where each table is a block that every strategy ran on, the Friedman test and the
Nemenyi critical difference of mean ranks (`critical_difference`).

```python
from nasbench.stats.significance import compare_pairs
for t in compare_pairs({"random": [93.1, 93.4, 93.2], "evolution": [94.0, 94.1, 93.9]}):
    print(t.verdict)
```

Runs that gave no value (NaN) are left out; a pair where either side has fewer than two values
is not tested (p = NaN, and Holm counts only the pairs that were tested).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations
from math import comb
from typing import Mapping, Sequence

import numpy as np
from scipy import stats

ALPHA = 0.05
# |Cliff's delta| thresholds for small, medium, large (Romano et al. 2006)
EFFECT_WORDS = ((0.147, "negligible"), (0.33, "small"), (0.474, "medium"), (float("inf"), "large"))


@dataclass(frozen=True)
class PairTest:
    """One pair of strategies. `delta` = P(a > b) - P(a < b) over runs (Cliff's delta; ties count
    zero), so positive means `a` tends to give higher values. `p`: two-sided Mann-Whitney U;
    `p_holm`: after Holm's correction over the tested pairs. `diff_ci_low/high`: 95 % percentile
    bootstrap interval of `mean_a - mean_b` (runs resampled within each strategy). `better`: the label that found
    better cells where the difference is significant, else empty."""

    a: str
    b: str
    runs_a: int
    runs_b: int
    mean_a: float
    mean_b: float
    diff_mean: float
    diff_ci_low: float
    diff_ci_high: float
    u: float
    p: float
    p_holm: float
    cliffs_delta: float
    effect: str
    significant: bool
    better: str
    verdict: str

    def to_dict(self) -> dict:
        """The fields as a dict (one row of `pairs.csv`)."""
        return asdict(self)


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values.

    The i-th smallest of m p-values becomes max over j <= i of min(1, (m - j + 1) p_(j)).

    Args:
        pvalues: the raw p-values; NaN stays NaN and is not counted.

    Returns:
        The adjusted p-values, in the order given.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(adj)
    return out


def cliffs_delta(a: Sequence[float], b: Sequence[float]) -> float:
    """Cliff's delta: P(a > b) - P(a < b) over all pairs of values.

    Args:
        a: one sample.
        b: the other.

    Returns:
        The delta in [-1, 1] (0 for identical samples; NaN where a sample is empty).
    """
    x = np.asarray(a, dtype=np.float64)[:, None]
    y = np.asarray(b, dtype=np.float64)[None, :]
    if x.size == 0 or y.size == 0:
        return float("nan")
    return float(np.mean(np.sign(x - y)))


def effect_words(delta: float) -> str:
    """The size of a Cliff's delta in words: negligible, small, medium or large ("" for NaN).

    Args:
        delta: Cliff's delta.

    Returns:
        The size in words.
    """
    if not np.isfinite(delta):
        return ""
    return next(w for t, w in EFFECT_WORDS if abs(delta) < t)


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Two-sided Mann-Whitney U test.

    Exact distribution for small samples without ties, else the normal approximation with the
    tie correction (scipy's `method="auto"`).

    Args:
        a: one sample.
        b: the other.

    Returns:
        `(U of a, p)`; identical pooled values give p = 1; fewer than 2 values on a side give
        NaN.
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(x) < 2 or len(y) < 2:
        return float("nan"), float("nan")
    if np.all(np.concatenate([x, y]) == x[0]):
        return len(x) * len(y) / 2.0, 1.0
    r = stats.mannwhitneyu(x, y, alternative="two-sided")
    return float(r.statistic), float(r.pvalue)


BOOTSTRAP = 2000


def bootstrap_diff(a: Sequence[float], b: Sequence[float], level: float = 0.95,
                   n: int = BOOTSTRAP, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(a) - mean(b).

    Each sample's values are resampled with replacement; a fixed seed: the same data give the
    same interval.

    Args:
        a: one sample.
        b: the other.
        level: the interval's coverage.
        n: bootstrap resamples.
        seed: the resampling seed.

    Returns:
        `(low, high)`; NaN with fewer than 2 values on a side.
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(x) < 2 or len(y) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    d = (x[rng.integers(0, len(x), (n, len(x)))].mean(axis=1)
         - y[rng.integers(0, len(y), (n, len(y)))].mean(axis=1))
    lo, hi = np.percentile(d, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def min_p(n_a: int, n_b: int) -> float:
    """The smallest two-sided p an exact Mann-Whitney test can give with these sample sizes.

    Args:
        n_a: size of one sample.
        n_b: size of the other.

    Returns:
        The p-value (1 where a sample is empty).
    """
    return min(1.0, 2.0 / comb(n_a + n_b, n_a)) if n_a and n_b else 1.0


def _fmt_p(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.2g}" if p < 0.995 else "p=1"


def compare_pairs(samples: Mapping[str, Sequence[float]], alpha: float = ALPHA,
                  metric: str = "test value") -> list[PairTest]:
    """Every pair of samples tested and put in words, in the order the labels come.

    Args:
        samples: label -> final values of its runs (higher is better; NaN dropped).
        alpha: the significance level of the Holm-corrected p.
        metric: the values' name in the verdicts.

    Returns:
        One `PairTest` per pair.
    """
    labels = list(samples)
    clean = {k: np.asarray(v, dtype=np.float64) for k, v in samples.items()}
    clean = {k: v[np.isfinite(v)] for k, v in clean.items()}
    pairs = list(combinations(labels, 2))
    raw = [mann_whitney(clean[a], clean[b]) for a, b in pairs]
    adj = holm([p for _, p in raw])
    tested = int(np.isfinite(adj).sum())
    floor = min((min_p(len(clean[a]), len(clean[b])) for (a, b), ph in zip(pairs, adj) if np.isfinite(ph)),
                default=1.0) * tested  # no tested pair can get a Holm p below this (exact test)
    out = []
    for (a, b), (u, p), ph in zip(pairs, raw, adj):
        x, y = clean[a], clean[b]
        ma = float(np.mean(x)) if len(x) else float("nan")
        mb = float(np.mean(y)) if len(y) else float("nan")
        d = cliffs_delta(x, y)
        sig = bool(np.isfinite(ph) and ph < alpha)
        better = (a if d > 0 else b) if sig else ""
        if not np.isfinite(ph):
            few = min(len(x), len(y))
            verdict = (f"{a} vs {b}: not tested, too few runs ({len(x)} and {len(y)} with a value; "
                       "a test needs at least 2 each)") if few < 2 else f"{a} vs {b}: not tested"
        elif sig:
            worse = b if better == a else a
            mw, ml = (ma, mb) if better == a else (mb, ma)
            verdict = (f"{better} finds better cells than {worse}: {metric} {mw:.2f} vs {ml:.2f} on average "
                       f"({_fmt_p(ph)} after Holm, Cliff's delta {abs(d):.2f}, {effect_words(d)})")
        else:
            verdict = f"no detectable difference between {a} and {b} ({_fmt_p(ph)} after Holm"
            if floor >= alpha:
                verdict += (f"; too few runs: even runs that do not overlap at all give p>={floor:.2g} over "
                            f"{tested} pair{'s' if tested > 1 else ''}, use more runs")
            verdict += ")"
        lo, hi = bootstrap_diff(x, y)
        out.append(PairTest(a, b, len(x), len(y), ma, mb, ma - mb, lo, hi, u, p, float(ph), d, effect_words(d), sig,
                            better, verdict))
    return out


def significance_stars(p: float) -> str:
    """Stars for figures: `***` p < 0.001, `**` p < 0.01, `*` p < 0.05, "" otherwise (and for NaN).

    Args:
        p: the p-value.

    Returns:
        The stars, or "".
    """
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


# -- independent samples: pooled ranks, Kruskal-Wallis, groups the verdicts do not separate ----------
@dataclass(frozen=True)
class PooledRanks:
    """Each strategy's runs ranked among all runs of all strategies (1 = highest value, ties
    averaged): `mean_rank` per label, its 95 % normal interval (`ci_low`/`ci_high`: mean
    +- 1.96 standard errors of the mean of that strategy's ranks), the runs of each label, the
    total ranked, and Kruskal-Wallis H and p over the strategies (NaN when not testable)."""

    labels: list[str]
    mean_rank: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    runs: list[int]
    total: int
    kruskal_h: float
    kruskal_p: float


def kruskal_wallis(samples: Mapping[str, Sequence[float]]) -> tuple[float, float]:
    """The Kruskal-Wallis test over the samples with at least one value.

    Args:
        samples: label -> values (NaN dropped).

    Returns:
        `(H, p)`; NaN with fewer than two such samples (or fewer than 3 values), p = 1 when
        every value is the same.
    """
    xs = [np.asarray(v, dtype=np.float64) for v in samples.values()]
    xs = [x[np.isfinite(x)] for x in xs]
    xs = [x for x in xs if len(x)]
    if len(xs) < 2 or sum(len(x) for x in xs) < 3:
        return float("nan"), float("nan")
    pooled = np.concatenate(xs)
    if np.all(pooled == pooled[0]):
        return 0.0, 1.0
    r = stats.kruskal(*xs)
    return float(r.statistic), float(r.pvalue)


def pooled_ranks(samples: Mapping[str, Sequence[float]], z: float = 1.959964) -> PooledRanks:
    """Mean rank of each label's values in the ranking of all values together.

    Args:
        samples: label -> values of its runs (higher is better; NaN: no value, ranked last).
        z: the normal quantile of the interval (1.96: 95 %).

    Returns:
        A `PooledRanks` in the order of `samples`.
    """
    labels = list(samples)
    xs = [np.asarray(samples[k], dtype=np.float64).reshape(-1) for k in labels]
    pooled = np.concatenate(xs) if xs else np.empty(0)
    filled = np.where(np.isfinite(pooled), pooled, -np.inf)
    ranks = stats.rankdata(-filled) if len(filled) else filled
    bounds = np.cumsum([0] + [len(x) for x in xs])
    mean, lo, hi = [], [], []
    for i in range(len(labels)):
        r = ranks[bounds[i]:bounds[i + 1]]
        m = float(r.mean()) if len(r) else float("nan")
        half = z * float(r.std(ddof=1)) / np.sqrt(len(r)) if len(r) > 1 else 0.0
        mean.append(m)
        lo.append(m - half)
        hi.append(m + half)
    h, p = kruskal_wallis(samples)
    return PooledRanks(labels, np.array(mean), np.array(lo), np.array(hi), [len(x) for x in xs], len(pooled), h, p)


def no_difference_groups(order: Sequence[str], pairs: Sequence[PairTest]) -> list[tuple[int, int]]:
    """The stretches of strategies the verdicts do not separate: the bars a rank figure draws.

    A pair missing from `pairs` or not tested counts as not separated, so the figure says what
    the printed verdicts say.

    Args:
        order: the labels in the figure's order.
        pairs: the verdicts.

    Returns:
        Maximal stretches `(i, j)` (positions in `order`, i < j) whose every pair of labels has
        no significant verdict.
    """
    sig = {frozenset((p.a, p.b)) for p in pairs if p.significant}
    out: list[tuple[int, int]] = []
    k = len(order)
    for i in range(k):
        j = i
        while j + 1 < k and all(frozenset((order[m], order[j + 1])) not in sig for m in range(i, j + 1)):
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in out):
            out.append((i, j))
    return out


# -- blocks (tables): Friedman + Nemenyi ----------------------------------------------------------
@dataclass(frozen=True)
class CDResult:
    """Friedman test over blocks (Wilcoxon signed-rank for two strategies) and the Nemenyi
    critical difference `cd` of `mean_ranks` (1 = best) over `n` blocks."""

    labels: list[str]
    mean_ranks: np.ndarray
    friedman_stat: float
    friedman_p: float
    cd: float
    n: int


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """The Nemenyi test's critical value: the Studentized range quantile (infinite degrees of freedom) over sqrt(2).

    E.g. 2.569 for k = 4 at alpha 0.05 (Demsar 2006).

    Args:
        k: the number of strategies.
        alpha: the level.

    Returns:
        The critical value.
    """
    return float(stats.studentized_range.ppf(1 - alpha, k, np.inf)) / float(np.sqrt(2))


def critical_difference(scores: np.ndarray, labels: Sequence[str], alpha: float = 0.05) -> CDResult:
    """Friedman test and Nemenyi critical difference of mean ranks over blocks.

    Args:
        scores: (n blocks, k strategies), higher better; every strategy ran on every block (a
            block is a table, never a run number: runs of different strategies are independent).
        labels: the k strategy labels.
        alpha: the level of the critical difference.

    Returns:
        A `CDResult`.
    """
    scores = np.asarray(scores, dtype=np.float64)
    n, k = scores.shape
    ranks = stats.rankdata(-scores, axis=1)
    mean_ranks = ranks.mean(axis=0)
    if k >= 3:
        fr = stats.friedmanchisquare(*scores.T)
        stat, p = float(fr.statistic), float(fr.pvalue)
    else:
        w = stats.wilcoxon(scores[:, 0], scores[:, 1]) if n > 1 and np.any(scores[:, 0] != scores[:, 1]) else None
        stat, p = (float(w.statistic), float(w.pvalue)) if w is not None else (float("nan"), 1.0)
    cd = nemenyi_q(k, alpha) * np.sqrt(k * (k + 1) / (6.0 * n))
    return CDResult(list(labels), mean_ranks, stat, p, float(cd), n)


__all__ = ["ALPHA", "BOOTSTRAP", "CDResult", "PairTest", "PooledRanks", "critical_difference", "kruskal_wallis",
           "nemenyi_q", "no_difference_groups", "pooled_ranks", "bootstrap_diff", "cliffs_delta", "compare_pairs", "effect_words", "holm", "mann_whitney", "min_p",
           "significance_stars"]
