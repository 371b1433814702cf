"""REINFORCE with a policy of independent categorical choices per edge (NAS-Bench-201's reinforce.py).

Logits (6 edges x 5 ops) start at 1e-3 * N(0, 1); each query samples one op per edge; the reward
is the observed validation value; baseline = exponential moving average (bias-corrected, as in
NAS-Bench-201's `ExponentialMovingAverage`); loss = -log p(a) * (reward - baseline); Adam.
Defaults: lr 0.001, EMA momentum 0.9 (NAS-Bench-201's REINFORCE.sh). Implemented in numpy, so a
step costs microseconds; the gradient of log p(a) w.r.t. the logits is onehot(a) - softmax.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..space import N_EDGES, N_OPS, indices_of_ops
from .base import Params, Strategy, StrategyError, check_positive


@dataclass(frozen=True)
class ReinforceParams(Params):
    """The parameters of `reinforce` (each field's comment says what it sets)."""

    lr: float = 0.001
    ema_momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    init_std: float = 1e-3

    def check(self) -> None:
        check_positive(self, "lr", "eps")
        for n in ("ema_momentum", "beta1", "beta2"):
            if not 0 <= getattr(self, n) < 1:
                raise StrategyError(f"reinforce: {n} must be in [0, 1), got {getattr(self, n)!r}")


_POW = (N_OPS ** np.arange(N_EDGES - 1, -1, -1)).tolist()


class Reinforce(Strategy):
    name = "reinforce"
    Params = ReinforceParams

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        self.logits = self.params.init_std * self.rng.standard_normal((N_EDGES, N_OPS))
        self._m = np.zeros_like(self.logits)
        self._v = np.zeros_like(self.logits)
        self._t = 0
        self._num = 0.0
        self._den = 0.0
        self._pending: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        from ..space.cells import _code_to_index  # noqa: PLC0415  (official index of an op code)
        self._code_to_index = _code_to_index().tolist()

    def probs(self) -> np.ndarray:
        """The policy: softmax of the logits, one row of op probabilities per edge."""
        z = self.logits - self.logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def ask(self) -> int:
        p = self.probs()
        u = self.rng.random(N_EDGES)
        actions = (p.cumsum(axis=1) < u[:, None]).sum(axis=1)
        np.minimum(actions, N_OPS - 1, out=actions)
        code = sum(int(a) * w for a, w in zip(actions, _POW))
        index = self._code_to_index[code]
        if not self.is_candidate(index):  # tables that skip cells: fall back to a covered cell
            index = self.random_index()
            actions = np.asarray(self.context.space.encode([index], "ops")[0], dtype=np.int64)
        self._pending[index] = (actions, p)
        return index

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """One REINFORCE step (Adam) on the policy's logits, against a moving-average baseline.

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).

        Raises:
            StrategyError: the cell was not asked.
        """
        pending = self._pending.pop(index, None)
        if pending is None:
            raise StrategyError(f"reinforce: told about cell {index}, which it did not ask for")
        actions, p = pending
        q = self.params
        self._num = q.ema_momentum * self._num + (1 - q.ema_momentum) * value
        self._den = q.ema_momentum * self._den + (1 - q.ema_momentum)
        advantage = value - self._num / self._den
        grad = p.copy()  # d(-log p(a) * adv)/d logits = -(onehot - p) * adv
        grad[np.arange(N_EDGES), actions] -= 1.0
        grad *= advantage
        self._t += 1
        self._m = q.beta1 * self._m + (1 - q.beta1) * grad
        self._v = q.beta2 * self._v + (1 - q.beta2) * grad * grad
        mhat = self._m / (1 - q.beta1 ** self._t)
        vhat = self._v / (1 - q.beta2 ** self._t)
        self.logits -= q.lr * mhat / (np.sqrt(vhat) + q.eps)

    def genotype(self) -> int:
        """The most probable cell under the policy."""
        return int(indices_of_ops(self.logits.argmax(axis=1)[None, :])[0])
