"""An ensemble wrapper: predictive mean and standard deviation over members.

Members are clones of `base_estimator` (default: `XGBSurrogate`) with their own seed,
each fitted on a bootstrap resample of the training cells (`bootstrap=True`), or the given
heterogeneous `estimators` (each fitted on all cells, or on its own resample). The spread is
the epistemic uncertainty; `surrogates.benchmark.SurrogateBenchmark` calibrates it
against the table's seed noise.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from .base import SurrogateError, SurrogateRegressor, seed_of
from .encodings import check_ops


class EnsembleSurrogate(SurrogateRegressor):
    """An ensemble of surrogates: `predict(X)` -> mean; `predict(X, return_std=True)` -> (mean, std).

    Args:
        base_estimator: the model cloned into members (None: `XGBSurrogate`).
        n_members: how many clones, each with its own seed.
        estimators: heterogeneous members instead of clones (each fitted on all cells, or its own resample).
        bootstrap: fit each member on a bootstrap resample of the training cells.
        random_state: the seed (None: 0).
    """

    def __init__(self, base_estimator: SurrogateRegressor | None = None, n_members: int = 5,
                 estimators: Sequence[SurrogateRegressor] | None = None, bootstrap: bool = True,
                 random_state: int | None = 0) -> None:
        self.base_estimator = base_estimator
        self.n_members = n_members
        self.estimators = estimators
        self.bootstrap = bootstrap
        self.random_state = random_state

    # the members transform targets themselves
    target_transform = "identity"
    encoding = "ops"

    def _prototypes(self) -> list[SurrogateRegressor]:
        if self.estimators is not None:
            if len(self.estimators) == 0:
                raise SurrogateError("EnsembleSurrogate: estimators is empty")
            return [clone(e) for e in self.estimators]
        if int(self.n_members) < 1:
            raise SurrogateError(f"EnsembleSurrogate: n_members must be >= 1, got {self.n_members}")
        from .models import XGBSurrogate

        base = self.base_estimator if self.base_estimator is not None else XGBSurrogate()
        return [clone(base) for _ in range(int(self.n_members))]

    def _members(self) -> list[SurrogateRegressor]:
        rng = np.random.default_rng(seed_of(self.random_state))
        members = self._prototypes()
        for m in members:
            seed = int(rng.integers(2**31 - 1))
            if "random_state" in m.get_params(deep=False):
                m.set_params(random_state=seed)
        return members

    def _min_samples(self) -> int:
        return max(m._min_samples() for m in self._prototypes())

    def fit(self, X, y, sample_weight=None):  # noqa: ARG002
        """Fit every member (on a bootstrap resample when `bootstrap=True`).

        Args:
            X: an `(n, 6)` array of op ids.
            y: the `n` target values.
            sample_weight: accepted for scikit-learn's signature; not used.

        Returns:
            The fitted ensemble itself.

        Raises:
            SurrogateError: `X` and `y` differ in length, or too few cells.
        """
        ops = check_ops(X)
        y = np.asarray(y, dtype=np.float64).ravel()
        if len(y) != len(ops):
            raise SurrogateError(f"X has {len(ops)} cells but y has {len(y)} values")
        need = self._min_samples()
        if len(ops) < need:
            raise SurrogateError(f"EnsembleSurrogate needs at least {need} training cells, got {len(ops)}")
        rng = np.random.default_rng(seed_of(self.random_state) + 1)
        self.members_ = []
        for m in self._members():
            idx = rng.integers(0, len(ops), len(ops)) if self.bootstrap else np.arange(len(ops))
            m.fit(ops[idx], y[idx])
            self.members_.append(m)
        self.n_features_in_ = ops.shape[1]
        self.n_train_ = len(ops)
        return self

    def predict(self, X, return_std: bool = False):
        """The members' mean prediction, and optionally their spread.

        Args:
            X: an `(n, 6)` array of op ids.
            return_std: also return the members' standard deviation.

        Returns:
            The mean, or `(mean, std)` with `return_std`.
        """
        check_is_fitted(self, "n_train_")
        ops = check_ops(X)
        preds = np.stack([m.predict(ops) for m in self.members_]) if len(ops) else np.zeros((1, 0))
        mean = preds.mean(axis=0)
        if return_std:
            return mean, preds.std(axis=0)
        return mean

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        infos, arrays = [], {}
        for i, m in enumerate(self.members_):
            info, arr = m.get_state()
            infos.append(info)
            arrays.update({f"m{i}/{k}": v for k, v in arr.items()})
        return {"members": infos}, arrays

    def _set_state(self, info, arrays):
        members = self._members()
        if len(members) != len(info["members"]):
            raise SurrogateError("saved ensemble has a different number of members than its params say")
        for i, (m, mi) in enumerate(zip(members, info["members"])):
            pre = f"m{i}/"
            m.set_state(mi, {k[len(pre):]: v for k, v in arrays.items() if k.startswith(pre)})
        self.members_ = members
