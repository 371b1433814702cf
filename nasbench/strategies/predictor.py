"""A small ensemble of MLPs (in -> hidden -> hidden -> 1), trained together by full-batch Adam, in
numpy with hand-written backpropagation: at these sizes (tens of cells, 30-84 features) numpy is
tens of times faster than an autograd framework, and it is deterministic. The input gradient is
exposed so that relaxed (softmax) encodings can be optimised through the model (cheap gradient
method); BANANAS uses the mean and spread of the members."""
from __future__ import annotations

import numpy as np


class MLPEnsemble:
    def __init__(self, n_in: int, members: int = 5, hidden: int = 32, seed: int = 0) -> None:
        g = np.random.default_rng(seed)
        dims = [n_in, hidden, hidden, 1]
        self.W = [g.uniform(-1, 1, (members, a, b)) / np.sqrt(a) for a, b in zip(dims[:-1], dims[1:])]
        self.b = [g.uniform(-1, 1, (members, 1, b)) / np.sqrt(a) for a, b in zip(dims[:-1], dims[1:])]
        self.members = members
        self.y_mean, self.y_std = 0.0, 1.0
        self._g = g

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """x: (n, in) or (members, n, in) -> standardised predictions (members, n), activations."""
        h = np.broadcast_to(x, (self.members, *x.shape[-2:])) if x.ndim == 2 else x
        acts = [h]
        for k in range(3):
            h = h @ self.W[k] + self.b[k]
            if k < 2:
                h = np.maximum(h, 0.0)
            acts.append(h)
        return h[..., 0], acts

    def _backward(self, acts: list[np.ndarray], dout: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
        """Gradients of sum(dout * out) w.r.t. weights, biases and the input (members, n, in)."""
        d = dout[..., None]
        gW, gb = [None] * 3, [None] * 3
        for k in (2, 1, 0):
            gW[k] = np.swapaxes(acts[k], 1, 2) @ d
            gb[k] = d.sum(axis=1, keepdims=True)
            d = d @ np.swapaxes(self.W[k], 1, 2)
            if k > 0:
                d = d * (acts[k] > 0)
        return gW, gb, d

    def fit(self, x: np.ndarray, y: np.ndarray, epochs: int = 200, lr: float = 0.01,
            weight_decay: float = 1e-4, seed: int = 0) -> "MLPEnsemble":
        """Adam on the squared error of standardised targets; each member weights the points by
        its own Bayesian-bootstrap draw, so the members disagree where data are thin."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        self.y_mean = float(y.mean())
        sd = float(y.std())
        self.y_std = sd if len(y) > 1 and sd > 0 else 1.0
        z = (y - self.y_mean) / self.y_std
        g = np.random.default_rng(seed)
        boot = g.exponential(size=(self.members, len(y)))
        boot /= boot.mean(axis=1, keepdims=True) * len(y)
        params = self.W + self.b
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        b1, b2, eps = 0.9, 0.999, 1e-8
        for t in range(1, epochs + 1):
            pred, acts = self._forward(x)
            dout = 2.0 * (pred - z) * boot
            gW, gb, _ = self._backward(acts, dout)
            grads = gW + gb
            for i, (p, gr) in enumerate(zip(params, grads)):
                gr = gr + weight_decay * p
                m[i] = b1 * m[i] + (1 - b1) * gr
                v[i] = b2 * v[i] + (1 - b2) * gr * gr
                p -= lr * (m[i] / (1 - b1**t)) / (np.sqrt(v[i] / (1 - b2**t)) + eps)
        return self

    def predict_members(self, x: np.ndarray) -> np.ndarray:
        """(members, n) predictions on the original scale."""
        return self._forward(np.asarray(x, dtype=np.float64))[0] * self.y_std + self.y_mean

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) over members."""
        p = self.predict_members(x)
        return p.mean(axis=0), p.std(axis=0)

    def score_and_grad(self, x: np.ndarray, explore: float) -> tuple[np.ndarray, np.ndarray]:
        """score = mean + explore * std over members (original scale), per row, and d score / d x."""
        pz, acts = self._forward(np.asarray(x, dtype=np.float64))
        p = pz * self.y_std + self.y_mean
        mean, std = p.mean(axis=0), p.std(axis=0)
        E = self.members
        w = 1.0 / E + explore * (p - mean) / (E * np.maximum(std, 1e-9))
        _, _, dx = self._backward(acts, w * self.y_std)
        return mean + explore * std, dx.sum(axis=0)
