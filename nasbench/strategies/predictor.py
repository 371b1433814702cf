"""A small ensemble of MLPs (in -> hidden -> hidden -> 1), trained together by full-batch Adam, in
numpy with hand-written backpropagation: at these sizes (tens of cells, 30-84 features) numpy is
tens of times faster than an autograd framework, and it is deterministic. The input gradient is
exposed so that relaxed (softmax) encodings can be optimised through the model (cheap gradient
method); BANANAS uses the mean and spread of the members."""
from __future__ import annotations

import numpy as np


class MLPEnsemble:
    """An ensemble of small MLPs (two hidden layers) trained together in numpy.

    Args:
        n_in: input width.
        members: how many networks.
        hidden: width of each hidden layer.
        seed: seeds the initial weights.
    """

    def __init__(self, n_in: int, members: int = 5, hidden: int = 32, seed: int = 0) -> None:
        g = np.random.default_rng(seed)
        dims = [n_in, hidden, hidden, 1]
        shapes = [(members, a, b) for a, b in zip(dims[:-1], dims[1:])] + [(members, 1, b) for b in dims[1:]]
        # every weight and bias is a view into one flat buffer, so that an Adam step is a few array
        # operations on it instead of a few per parameter (the fit is dominated by call overhead)
        self._flat = np.empty(sum(int(np.prod(s)) for s in shapes))
        self._grad = np.empty_like(self._flat)
        views, gviews, k = [], [], 0
        for s in shapes:
            n = int(np.prod(s))
            views.append(self._flat[k:k + n].reshape(s))
            gviews.append(self._grad[k:k + n].reshape(s))
            k += n
        for view, (a, b) in zip(views[:3], zip(dims[:-1], dims[1:])):
            view[...] = g.uniform(-1, 1, (members, a, b)) / np.sqrt(a)
        for view, (a, b) in zip(views[3:], zip(dims[:-1], dims[1:])):
            view[...] = g.uniform(-1, 1, (members, 1, b)) / np.sqrt(a)
        self.W, self.b = views[:3], views[3:]
        self._gW, self._gb = gviews[:3], gviews[3:]
        self.members = members
        self.y_mean, self.y_std = 0.0, 1.0
        self._g = g
        self._adam: tuple[np.ndarray, np.ndarray, int] | None = None  # moments and step, kept for warm refits
        self._boot: np.ndarray | None = None

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

    def _backward(self, acts: list[np.ndarray], dout: np.ndarray,
                  into_grad: bool = False) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
        """Gradients of sum(dout * out) w.r.t. weights, biases and the input (members, n, in).
        `into_grad`: write the weight and bias gradients into the flat gradient buffer."""
        d = dout[..., None]
        gW, gb = ([*self._gW], [*self._gb]) if into_grad else ([None] * 3, [None] * 3)
        for k in (2, 1, 0):
            if into_grad:
                np.matmul(np.swapaxes(acts[k], 1, 2), d, out=gW[k])
                np.sum(d, axis=1, keepdims=True, out=gb[k])
                if k == 0:  # the input gradient is not needed for a fit
                    break
            else:
                gW[k] = np.swapaxes(acts[k], 1, 2) @ d
                gb[k] = d.sum(axis=1, keepdims=True)
            d = d @ np.swapaxes(self.W[k], 1, 2)
            if k > 0:
                d = d * (acts[k] > 0)
        return gW, gb, d

    def _input_grad(self, acts: list[np.ndarray], dout: np.ndarray) -> np.ndarray:
        """Only the input gradient of sum(dout * out), (members, n, in): no weight gradients."""
        d = dout[..., None] @ np.swapaxes(self.W[2], 1, 2)
        d = (d * (acts[2] > 0)) @ np.swapaxes(self.W[1], 1, 2)
        return (d * (acts[1] > 0)) @ np.swapaxes(self.W[0], 1, 2)

    def fit(self, x: np.ndarray, y: np.ndarray, epochs: int = 200, lr: float = 0.01,
            weight_decay: float = 1e-4, seed: int = 0, warm: bool = False) -> "MLPEnsemble":
        """Fit the members to `(x, y)`.

        Adam on the squared error of standardised targets; each member weights the points by its own
        Bayesian-bootstrap draw, so the members disagree where data are thin.

        Args:
            x: inputs (n, n_in).
            y: targets (n,).
            epochs: Adam steps (full batch).
            lr: Adam's learning rate.
            weight_decay: L2 weight added to the gradient.
            seed: seeds the bootstrap weights.
            warm: continue from the current weights and Adam state (an incremental update after new
                points arrive: the old points keep their bootstrap weights, new points draw theirs
                from `seed`); otherwise Adam and the bootstrap weights start afresh (from the initial
                weights on a new ensemble).

        Returns:
            The ensemble itself.
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        self.y_mean = float(y.mean())
        sd = float(y.std())
        self.y_std = sd if len(y) > 1 and sd > 0 else 1.0
        z = (y - self.y_mean) / self.y_std
        g = np.random.default_rng(seed)
        old = self._boot if warm and self._boot is not None and self._boot.shape[1] <= len(y) else None
        if old is None:
            raw = g.exponential(size=(self.members, len(y)))
        else:
            raw = np.concatenate([old, g.exponential(size=(self.members, len(y) - old.shape[1]))], axis=1)
        self._boot = raw
        boot = raw / (raw.mean(axis=1, keepdims=True) * len(y))
        flat, grad = self._flat, self._grad
        if warm and self._adam is not None:
            m, v, t0 = self._adam
        else:
            m, v, t0 = np.zeros_like(flat), np.zeros_like(flat), 0
        b1, b2, eps = 0.9, 0.999, 1e-8
        for t in range(t0 + 1, t0 + epochs + 1):
            pred, acts = self._forward(x)
            dout = 2.0 * (pred - z) * boot
            self._backward(acts, dout, into_grad=True)
            gr = grad + weight_decay * flat
            m = b1 * m + (1 - b1) * gr
            v = b2 * v + (1 - b2) * gr * gr
            flat -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        self._adam = (m, v, t0 + epochs)
        return self

    def predict_members(self, x: np.ndarray) -> np.ndarray:
        """Every member's predictions on the original scale.

        Args:
            x: inputs (n, n_in).

        Returns:
            Array (members, n).
        """
        return self._forward(np.asarray(x, dtype=np.float64))[0] * self.y_std + self.y_mean

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and spread of the members' predictions.

        Args:
            x: inputs (n, n_in).

        Returns:
            `(mean, std)` over members, each (n,).
        """
        p = self.predict_members(x)
        return p.mean(axis=0), p.std(axis=0)

    def score_and_grad(self, x: np.ndarray, explore: float) -> tuple[np.ndarray, np.ndarray]:
        """An optimistic score and its gradient with respect to the inputs.

        Args:
            x: inputs (n, n_in).
            explore: weight of the spread.

        Returns:
            `score = mean + explore * std` over members (original scale) per row, and
            `d score / d x` (n, n_in).
        """
        pz, acts = self._forward(np.asarray(x, dtype=np.float64))
        p = pz * self.y_std + self.y_mean
        mean, std = p.mean(axis=0), p.std(axis=0)
        E = self.members
        w = 1.0 / E + explore * (p - mean) / (E * np.maximum(std, 1e-9))
        dx = self._input_grad(acts, w * self.y_std)
        return mean + explore * std, dx.sum(axis=0)
