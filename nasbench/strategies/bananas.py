"""BANANAS-style Bayesian optimisation (White et al. 2021): an ensemble of MLPs on the path
encoding, an acquisition on the ensemble's mean and spread, candidates by mutating the best cells.

Defaults follow BANANAS: 10 random initial cells, 5 members, path encoding, independent Thompson
sampling (`its`; `ucb` and `ei` also offered), 100 candidates from mutations of the top 10
cells, one cell per step, never a cell already trained.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from ..space import ENCODINGS, encode_ops, ops_table
from .base import Capabilities, Params, StrategyError, check_positive
from .model_based import ModelBasedStrategy

ACQUISITIONS = ("its", "ucb", "ei", "mean")


@dataclass(frozen=True)
class BananasParams(Params):
    """The parameters of `bananas` (each field's comment says what it sets)."""

    n_init: int = 10
    members: int = 5
    hidden: int = 32
    fit_epochs: int = 200
    lr: float = 0.01
    encoding: str = "path"
    acquisition: str = "its"
    ucb_beta: float = 0.5
    n_candidates: int = 100
    top_k: int = 10
    max_mutations: int = 3
    #: refit the ensemble every this many new observations
    refit_every: int = 1

    def check(self) -> None:
        check_positive(self, "n_init", "members", "hidden", "fit_epochs", "lr", "n_candidates", "top_k",
                       "max_mutations", "refit_every")
        if self.encoding not in ENCODINGS:
            raise StrategyError(f"bananas: encoding {self.encoding!r} unknown; valid: {', '.join(ENCODINGS)}")
        if self.acquisition not in ACQUISITIONS:
            raise StrategyError(f"bananas: acquisition {self.acquisition!r} unknown; valid: {', '.join(ACQUISITIONS)}")


def acquire(mean: np.ndarray, std: np.ndarray, kind: str, best: float, beta: float,
            rng: np.random.Generator) -> np.ndarray:
    """Acquisition scores of candidate cells, to maximise.

    Args:
        mean: the ensemble's predicted mean per candidate.
        std: the ensemble's spread per candidate.
        kind: `its` (independent Thompson sampling: a normal draw around the mean), `ucb`
            (`mean + beta * std`), `ei` (expected improvement over `best`) or `mean`.
        best: the best value observed (for `ei`).
        beta: the exploration weight of `ucb`.
        rng: draws the samples of `its`.

    Returns:
        One score per candidate.
    """
    if kind == "its":
        return mean + std * rng.standard_normal(len(mean))
    if kind == "ucb":
        return mean + beta * std
    if kind == "ei":
        s = np.maximum(std, 1e-9)
        z = (mean - best) / s
        return (mean - best) * norm.cdf(z) + s * norm.pdf(z)
    return mean


class Bananas(ModelBasedStrategy):
    name = "bananas"
    capabilities = Capabilities(libraries=("scipy",))  # its acquisition's normal distribution
    Params = BananasParams

    def _fit(self) -> None:
        self._fit_predictor(self.params.encoding, self.params.lr, seed=int(self.rng.integers(2**31)))

    def _candidates(self) -> np.ndarray:
        p = self.params
        order = np.argsort(-np.array(self._y), kind="stable")[: p.top_k]
        parents = [self._x[k] for k in order]
        out: list[int] = []
        tries = 0
        while len(out) < p.n_candidates and tries < 20 * p.n_candidates:
            tries += 1
            c = parents[int(self.rng.random() * len(parents))]
            for _ in range(1 + int(self.rng.random() * p.max_mutations)):
                c = self.mutate(c)
            if c not in self._seen:
                out.append(c)
        return np.unique(np.array(out, dtype=np.int64)) if out else np.array([self._fresh_random()])

    def ask(self) -> int:
        p = self.params
        if len(self._x) < p.n_init:
            return self._fresh_random()
        if self._model is None or self._since_fit >= p.refit_every:
            self._fit()
        cands = self._candidates()
        mean, std = self._model.predict(encode_ops(ops_table()[cands], p.encoding))
        score = acquire(mean, std, p.acquisition, max(self._y), p.ucb_beta, self.rng)
        return int(cands[int(np.argmax(score))])
