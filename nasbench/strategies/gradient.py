"""The cheap gradient method: relaxed architecture weights optimised through a differentiable model
of the cells trained so far, then the discretised cell is trained (queried).

A small MLP ensemble is fitted on the one-hot encodings of the trained cells; architecture weights
`alpha` (6 edges x 5 ops) are relaxed to `softmax(alpha / T)` per edge, which is a point of the
one-hot encoding's convex hull, and ascended by Adam on the ensemble's mean plus `explore` x its
spread. The argmax cell is queried; if it was trained already, the next restart's cell is used, and
failing all, a mutation of it.

The ensemble is fitted from scratch (`fit_epochs`) once, after `n_init` random cells; every later
fit updates it incrementally, `refit_epochs` more epochs of Adam on all cells so far from the
current weights (`refit_epochs=0`: a fresh fit each time, about 3x dearer per query for the same
search quality on NAS-Bench-201 CIFAR-10).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..space import N_EDGES, N_OPS, indices_of_ops, ops_table
from .base import Params, StrategyError, check_positive
from .model_based import ModelBasedStrategy


@dataclass(frozen=True)
class GradientParams(Params):
    """The parameters of `gradient` (each field's comment says what it sets)."""

    n_init: int = 10
    members: int = 3
    hidden: int = 32
    fit_epochs: int = 100
    fit_lr: float = 0.01
    restarts: int = 4
    steps: int = 30
    lr: float = 0.2
    temperature: float = 1.0
    explore: float = 0.5
    refit_every: int = 1
    refit_epochs: int = 20

    def check(self) -> None:
        check_positive(self, "n_init", "members", "hidden", "fit_epochs", "fit_lr", "restarts", "steps",
                       "lr", "temperature", "refit_every")
        if isinstance(self.refit_epochs, bool) or not isinstance(self.refit_epochs, int) or self.refit_epochs < 0:
            raise StrategyError(f"gradient: refit_epochs must be an integer >= 0 (0: every fit from scratch), "
                                f"got {self.refit_epochs!r}")


class CheapGradient(ModelBasedStrategy):
    name = "gradient"
    Params = GradientParams

    def ask(self) -> int:
        p = self.params
        if len(self._x) < p.n_init:
            return self._fresh_random()
        seed = int(self.rng.integers(2**31))
        if self._model is None or self._since_fit >= p.refit_every:
            self._fit_predictor("onehot", p.fit_lr, seed)
        model = self._model
        # restart 0 starts at the incumbent's one-hot, the others at random logits
        best = self._x[int(np.argmax(self._y))]
        alpha = np.zeros((p.restarts, N_EDGES, N_OPS))
        alpha[0, np.arange(N_EDGES), ops_table()[best]] = 2.0
        alpha[1:] = self.rng.standard_normal((p.restarts - 1, N_EDGES, N_OPS))
        m = np.zeros_like(alpha)
        v = np.zeros_like(alpha)
        for t in range(1, p.steps + 1):
            s = _softmax(alpha / p.temperature)
            _, dx = model.score_and_grad(s.reshape(p.restarts, -1), p.explore)
            g = dx.reshape(s.shape)
            # ascend: d score / d alpha through the per-edge softmax
            grad = -(s * (g - (g * s).sum(axis=-1, keepdims=True))) / p.temperature
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad * grad
            alpha -= p.lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        final, _ = model.score_and_grad(_softmax(alpha / p.temperature).reshape(p.restarts, -1), p.explore)
        cells = indices_of_ops(alpha.argmax(axis=-1))
        for k in np.argsort(-final, kind="stable"):
            c = int(cells[k])
            if c not in self._seen and self.is_candidate(c):
                return c
        c = self.mutate(int(cells[int(np.argmax(final))]))
        return c if c not in self._seen else self._fresh_random()



def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
