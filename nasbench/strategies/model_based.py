"""Shared state of strategies that fit a predictor to the cells queried so far (BANANAS and the
cheap gradient method): the history, a fresh-random fallback, and the predictor fit."""
from __future__ import annotations

import numpy as np

from ..space import encode_ops, ops_table
from .base import Strategy


class ModelBasedStrategy(Strategy):
    """Keeps (cell, value) pairs; `_fit_predictor` fits an MLP ensemble to them. Subclasses'
    params must define `members`, `hidden`, `fit_epochs`."""

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        self._x: list[int] = []
        self._y: list[float] = []
        self._seen: set[int] = set()
        self._model = None
        self._since_fit = 0

    def _fresh_random(self) -> int:
        """A cell not queried yet (a repeat only after 1,000 failed draws)."""
        for _ in range(1000):
            i = self.random_index()
            if i not in self._seen:
                return i
        return self.random_index()

    def _fit_predictor(self, encoding: str, lr: float, seed: int) -> None:
        """Fit the ensemble to every cell queried so far. With a `refit_epochs` parameter > 0
        (the cheap gradient method), only the first fit trains `fit_epochs` from scratch; later
        fits continue from the current weights for `refit_epochs` (an incremental update)."""
        from .predictor import MLPEnsemble

        p = self.params
        x = encode_ops(ops_table()[np.array(self._x)], encoding)
        y = np.array(self._y)
        warm = int(getattr(p, "refit_epochs", 0) or 0)
        if self._model is not None and warm > 0:
            self._model.fit(x, y, epochs=warm, lr=lr, seed=seed, warm=True)
        else:
            self._model = MLPEnsemble(x.shape[1], p.members, p.hidden, seed=seed).fit(
                x, y, epochs=p.fit_epochs, lr=lr, seed=seed)
        self._since_fit = 0

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Record the observation for the next fit of the model.

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).
        """
        self._x.append(index)
        self._y.append(value)
        self._seen.add(index)
        self._since_fit += 1
