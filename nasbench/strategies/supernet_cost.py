"""What a supernet's training costs, modelled from the table's own recorded training times.

DARTS and GDAS train a real supernet; charging its measured wall-clock time would make the same
config give different results on every run (and on every machine). By default they charge this
model instead, which is deterministic and in the same units as the table's costs:

* the table's training seconds per epoch of a cell are fitted, by least squares over every cell
  it times, as `a + sum_k b_k n_k`, with `n_k` the number of the cell's effective edges holding
  op `k` (`skip_connect`, `nor_conv_1x1`, `nor_conv_3x3`, `avg_pool_3x3`: the table's
  networks are built from effective edges only). On the embedded tables this explains 80 %
  (`nb201-digits`) and 63 % (`nb201-fashion-mnist`) of the variance of the per-epoch times;
* one image through a network with `n_k` computed edges of op `k` (forward and backward, as in
  a training step) then costs `(a + sum_k b_k n_k) / n_train` seconds;
* the DARTS supernet computes every op on all 6 edges (`n_k = 6` for each of the four); GDAS
  computes the one sampled op on every edge (its counts come from each sample). A search step is
  an architecture step on a validation batch plus a weight step on a training batch, so each step
  charges both batches' images.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..space import N_CELLS, N_EDGES, effective_edges, ops_table
from ..errors import NasbenchError

COSTED_OPS = (1, 2, 3, 4)  # skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3 ('none' computes nothing)


class CostModelError(NasbenchError, ValueError):
    """No training times to fit a cost model to."""


@functools.lru_cache(maxsize=1)
def effective_op_counts() -> np.ndarray:
    """(N_CELLS, 4): per cell, the number of effective edges holding each op of `COSTED_OPS`."""
    ops = ops_table()
    eff = np.array([effective_edges(i) for i in range(N_CELLS)], dtype=bool)
    out = np.stack([((ops == k) & eff).sum(axis=1) for k in COSTED_OPS], axis=1)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class OpCostModel:
    """Training seconds per epoch = `intercept + sum_k per_op[k] * n_k` (`k` over `COSTED_OPS`).

    Attributes:
        intercept: seconds per epoch of a cell with no costed op.
        per_op: seconds per epoch of each costed op on one effective edge.
        r2: the fit's coefficient of determination.
    """

    intercept: float
    per_op: tuple[float, float, float, float]
    r2: float = float("nan")

    @classmethod
    def fit(cls, epoch_seconds: np.ndarray) -> "OpCostModel":
        """Fit the model by least squares over the cells whose per-epoch seconds are known.

        Negative coefficients (noise) are clipped to 0.

        Args:
            epoch_seconds: one value per cell in official index order (NaN where unknown).

        Returns:
            The model.

        Raises:
            CostModelError: a wrong shape, or too few known cells to fit.
        """
        y = np.asarray(epoch_seconds, dtype=np.float64)
        if y.shape != (N_CELLS,):
            raise CostModelError(f"epoch_seconds must hold one value per cell ({N_CELLS}), got shape {y.shape}")
        ok = np.isfinite(y)
        X = np.column_stack([np.ones(N_CELLS), effective_op_counts()]).astype(np.float64)[ok]
        if ok.sum() < 10 or np.linalg.matrix_rank(X) < X.shape[1]:
            raise CostModelError(f"only {int(ok.sum())} cells have training times: too few to fit a cost model")
        coef, *_ = np.linalg.lstsq(X, y[ok], rcond=None)
        coef = np.maximum(coef, 0.0)
        pred = X @ coef
        ss = float(((y[ok] - y[ok].mean()) ** 2).sum())
        r2 = 1.0 - float(((y[ok] - pred) ** 2).sum()) / ss if ss > 0 else float("nan")
        return cls(float(coef[0]), tuple(float(c) for c in coef[1:]), r2)  # type: ignore[arg-type]

    def epoch_seconds(self, counts: Sequence[float]) -> float:
        """Seconds per training epoch of a network.

        Args:
            counts: how many edges compute each costed op.

        Returns:
            The modelled seconds.
        """
        return self.intercept + float(np.dot(self.per_op, counts))

    def supernet_counts(self) -> tuple[int, ...]:
        """DARTS: every costed op on every edge."""
        return (N_EDGES,) * len(COSTED_OPS)


def sampled_counts(ops: Sequence[int]) -> tuple[int, ...]:
    """GDAS: the number of edges whose sampled op is each costed op (every edge is computed).

    Args:
        ops: the sampled op id of each edge.

    Returns:
        One count per op of `COSTED_OPS`.
    """
    return tuple(sum(1 for o in ops if o == k) for k in COSTED_OPS)
