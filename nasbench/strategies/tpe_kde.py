"""BOHB's model: a density ratio of two kernel density estimates over the cells' categorical ops.

Falkner, Klein & Hutter, "BOHB: Robust and Efficient Hyperparameter Optimization at Scale", ICML
2018 (Algorithm 2; defaults as in the paper and its reference implementation, HpBandSter): the
observations at one budget are split into the best `max(N_min, q N)` (`q` = 15 %) and the rest;
a product kernel density estimate is fitted to each, `l(x)` (good) and `g(x)` (bad); a proposal
is the best by `l(x) / g(x)` of `num_samples` (64) draws from `l` with every bandwidth widened
by `bandwidth_factor` (3), so the model explores a little beyond what it has seen.

The NAS-Bench-201 cell is six categorical variables (one op of five per edge), so each factor is
an Aitchison-Aitken kernel (the categorical kernel of statsmodels' `KDEMultivariate`, which
HpBandSter uses): `1 - lambda` for the datum's own op and `lambda / (c - 1)` for each other op.
The bandwidth `lambda` of an edge is the normal-reference rule statsmodels applies
(`1.06 * std * n ** (-1 / (4 + d))` of the op codes), at least `min_bandwidth` (1e-3) as in
HpBandSter, and at most `(c - 1) / c` (the uniform kernel; the largest value for which the kernel
still prefers the datum's own op: statsmodels leaves it unbounded, where the kernel would favour
the other ops). Sampling draws a datum of `l` and replaces each op, with probability its widened
bandwidth, by one of the other `c - 1` ops uniformly, which is exactly a draw from the kernel
(HpBandSter draws among all `c` ops).

The normal-reference rule was made for continuous data: on op codes spread over 0..4 it reaches
the uniform kernel, so both densities stay nearly flat (and proposals nearly random) until the good
observations agree on an edge's op; BOHB as published behaves the same way on such a space.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: the floor both densities take before the ratio (HpBandSter's 1e-32)
DENSITY_FLOOR = 1e-32


@dataclass(frozen=True)
class CategoricalKDE:
    """A product of Aitchison-Aitken kernels over category codes.

    Attributes:
        data: the centres, (n, d) codes each in `0..levels-1`.
        bandwidth: one bandwidth per variable (d,).
        levels: the number of categories.
    """

    data: np.ndarray
    bandwidth: np.ndarray
    levels: int

    @classmethod
    def fit(cls, data: np.ndarray, levels: int, min_bandwidth: float) -> CategoricalKDE:
        """The estimate of some codes with normal-reference bandwidths.

        Bandwidths are clipped to `[min_bandwidth, (levels - 1) / levels]`.

        Args:
            data: (n, d) codes.
            levels: the number of categories.
            min_bandwidth: the smallest bandwidth.

        Returns:
            The estimate.

        Raises:
            ValueError: `data` is empty or not 2-d.
        """
        data = np.asarray(data, dtype=np.int64)
        if data.ndim != 2 or len(data) == 0:
            raise ValueError(f"a KDE needs a non-empty (n, d) array of codes, got shape {data.shape}")
        n, d = data.shape
        bw = 1.06 * data.std(axis=0) * n ** (-1.0 / (4 + d))
        bw = np.clip(bw, min_bandwidth, (levels - 1) / levels)
        return cls(data, bw, levels)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """The density of each row of `x`.

        Args:
            x: (m, d) codes.

        Returns:
            Array (m,).
        """
        x = np.asarray(x, dtype=np.int64)
        same = x[:, None, :] == self.data[None, :, :]  # (m, n, d)
        bw = self.bandwidth[None, None, :]
        k = np.where(same, 1.0 - bw, bw / (self.levels - 1))
        return k.prod(axis=2).mean(axis=1)

    def sample(self, rng: np.random.Generator, n: int, widen: float, min_bandwidth: float) -> np.ndarray:
        """Draws from the estimate with widened bandwidths.

        Args:
            rng: the random generator.
            n: how many draws.
            widen: factor on each bandwidth (then clipped as in `fit`).
            min_bandwidth: the smallest bandwidth.

        Returns:
            (n, d) codes.
        """
        m, d = self.data.shape
        c = self.levels
        bw = np.clip(self.bandwidth * widen, min_bandwidth, (c - 1) / c)
        centres = self.data[(rng.random(n) * m).astype(np.int64)]
        change = rng.random((n, d)) < bw[None, :]
        # another op, uniformly among the c - 1 others
        shift = 1 + (rng.random((n, d)) * (c - 1)).astype(np.int64)
        return np.where(change, (centres + shift) % c, centres)


@dataclass(frozen=True)
class DensityRatio:
    """`l(x) / g(x)` of BOHB's good and bad estimates at one budget.

    Attributes:
        good: the estimate of the best observations.
        bad: the estimate of the rest.
    """

    good: CategoricalKDE
    bad: CategoricalKDE

    @classmethod
    def fit(cls, codes: np.ndarray, losses: np.ndarray, levels: int, top_fraction: float, min_points: int,
            min_bandwidth: float) -> DensityRatio:
        """Split the observations into good and bad and fit an estimate to each.

        The good are the best `max(min_points, floor(top_fraction * N))` (Falkner et al. 2018, eq. 2
        and HpBandSter); the caller ensures N >= min_points + 2, so neither side is empty.

        Args:
            codes: (N, d) codes.
            losses: (N,), lower is better.
            levels: the number of categories.
            top_fraction: share of the observations that are good.
            min_points: the fewest good observations.
            min_bandwidth: the smallest bandwidth.

        Returns:
            The ratio.

        Raises:
            ValueError: one side would be empty.
        """
        order = np.argsort(np.asarray(losses, dtype=np.float64), kind="stable")
        n = len(order)
        n_good = max(min_points, int(top_fraction * n))
        if not 0 < n_good < n:
            raise ValueError(f"cannot split {n} observations into {n_good} good and {n - n_good} bad")
        codes = np.asarray(codes, dtype=np.int64)
        return cls(CategoricalKDE.fit(codes[order[:n_good]], levels, min_bandwidth),
                   CategoricalKDE.fit(codes[order[n_good:]], levels, min_bandwidth))

    def score(self, x: np.ndarray) -> np.ndarray:
        """`max(l(x), floor) / max(g(x), floor)` for each row of `x`; higher is more promising.

        Args:
            x: (m, d) codes.

        Returns:
            Array (m,).
        """
        return np.maximum(self.good.pdf(x), DENSITY_FLOOR) / np.maximum(self.bad.pdf(x), DENSITY_FLOOR)

    def propose(self, rng: np.random.Generator, num_samples: int, widen: float, min_bandwidth: float
                ) -> np.ndarray:
        """Draws from the widened good estimate, best score first.

        Args:
            rng: the random generator.
            num_samples: how many draws.
            widen: factor on each bandwidth.
            min_bandwidth: the smallest bandwidth.

        Returns:
            (num_samples, d) codes.
        """
        x = self.good.sample(rng, num_samples, widen, min_bandwidth)
        order = np.argsort(-self.score(x), kind="stable")
        return x[order]
