"""BOHB (Falkner, Klein & Hutter, "BOHB: Robust and Efficient Hyperparameter Optimization at
Scale", ICML 2018): Hyperband whose new cells come from a TPE-like model instead of uniformly.

The brackets, rungs and promotions are those of `hyperband` (`hyperband`:
synchronous successive halving; with BOHB's parallel scheme, on by default, a worker that would
wait at a rung barrier starts the next bracket instead). Each new cell of a bracket is proposed by
`BohbModel` (a density ratio of categorical KDEs fitted at
the largest budget with enough observations, a third of the proposals random). Every told result,
at every rung, is an observation at its level.

Defaults are the paper's and HpBandSter's: parallel brackets, eta 3, `min_points_in_model`
d + 1 = 7 (d = the six edges; 0 here means that), `top_n_percent` 15, `num_samples` 64,
`random_fraction` 1/3, `bandwidth_factor` 3, `min_bandwidth` 1e-3.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..space import N_EDGES
from .base import StrategyError, TrialResult, check_positive
from .bohb_model import BohbModel, ModelSettings
from .hyperband import Hyperband, HyperbandParams


@dataclass(frozen=True)
class BohbParams(HyperbandParams):
    #: BOHB's parallel scheme (Falkner et al. 2018, sec. 4.2): a worker that would idle at a rung
    #: barrier starts the next bracket
    """The parameters of `bohb` (each field's comment says what it sets)."""

    parallel_brackets: bool = True
    #: observations a budget needs (plus 2) before the model is fitted there; 0: d + 1 = 7
    min_points_in_model: int = 0
    #: the best top_n_percent % of a budget's observations make the good density
    top_n_percent: float = 15.0
    #: draws from the widened good density per proposal
    num_samples: int = 64
    #: share of proposals drawn uniformly
    random_fraction: float = 1 / 3
    #: bandwidths are multiplied by this when drawing (not when scoring)
    bandwidth_factor: float = 3.0
    min_bandwidth: float = 1e-3

    def check(self) -> None:
        super().check()
        m = self.min_points_in_model
        if isinstance(m, bool) or not isinstance(m, int) or m < 0:
            raise StrategyError(f"bohb: min_points_in_model must be an integer >= 0 (0: d + 1 = {N_EDGES + 1}), "
                                f"got {m!r}")
        if not 0 < self.top_n_percent < 100:
            raise StrategyError(f"bohb: top_n_percent must lie in (0, 100), got {self.top_n_percent!r}")
        if not 0 <= self.random_fraction <= 1:
            raise StrategyError(f"bohb: random_fraction must lie in [0, 1], got {self.random_fraction!r}")
        check_positive(self, "num_samples", "bandwidth_factor", "min_bandwidth")
        if not isinstance(self.num_samples, int):
            raise StrategyError(f"bohb: num_samples must be an integer, got {self.num_samples!r}")


class Bohb(Hyperband):
    """BOHB: Hyperband with new cells from a TPE-like density ratio per budget (Falkner et al. 2018)."""

    name = "bohb"
    Params = BohbParams

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        p = self.params
        settings = ModelSettings(p.min_points_in_model or N_EDGES + 1, p.top_n_percent, p.num_samples,
                                 p.random_fraction, p.bandwidth_factor, p.min_bandwidth)
        self.model = BohbModel(settings)

    def new_cell(self) -> int:
        """The cell of one new trial, proposed by the BOHB model (`BohbModel.propose`)."""
        return self.model.propose(self.rng, self.random_index, self.is_candidate)

    def tell_result(self, result: TrialResult) -> None:
        """Feed the result to the level's density model, then to the brackets.

        Args:
            result: the finished job.
        """
        self.model.observe(result.level, result.cell, result.value)
        super().tell_result(result)
