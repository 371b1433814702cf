"""The base of every surrogate regressor: input checking, target transform, state for saving.

Every estimator here is a scikit-learn regressor (`BaseEstimator` + `RegressorMixin`):
`fit(X, y)` / `predict(X)`, `get_params` / `set_params`, `sklearn.base.clone`,
pipelines and `cross_val_score` all work. `X` is an `(n, 6)` array of op ids (see
`surrogates.encodings`); `y` the metric (accuracy in percent, or seconds for the runtime
model).

Saving without pickle: a fitted estimator gives its state as `(json_dict, arrays)` with
`SurrogateRegressor.get_state` -- JSON-able numbers and named numpy arrays (an XGBoost
booster as its own UBJ bytes, a torch network as its state-dict tensors). An estimator whose
library offers no pickle-free format (random forest, GP, k-NN) keeps its training features
and refits deterministically on `set_state`.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .encodings import check_ops, encode
from nasbench.errors import NasbenchError

TARGET_TRANSFORMS = ("identity", "log_error", "log")


class SurrogateError(NasbenchError, ValueError):
    """Bad input to a surrogate: too few cells, bad targets, an unknown option."""


def forward_target(y: np.ndarray, kind: str) -> np.ndarray:
    """Transform a target before fitting.

    `log_error`: -log(100 - y) for accuracies in percent (monotone increasing, spreads the top);
    `log`: log(y) for positive quantities such as seconds; `identity`: y.

    Args:
        y: the target values.
        kind: `log_error`, `log` or `identity`.

    Returns:
        The transformed values (float64).

    Raises:
        SurrogateError: an unknown `kind`, or a non-positive value with `log`.
    """
    y = np.asarray(y, dtype=np.float64)
    if kind == "identity":
        return y
    if kind == "log_error":
        return -np.log(np.clip(100.0 - y, 1e-3, None))
    if kind == "log":
        if np.any(y <= 0):
            raise SurrogateError("target_transform='log' needs positive targets")
        return np.log(y)
    raise SurrogateError(f"unknown target_transform {kind!r}; allowed: {', '.join(TARGET_TRANSFORMS)}")


def inverse_target(z: np.ndarray, kind: str) -> np.ndarray:
    """Undo `forward_target`: a prediction back in the target's units.

    Args:
        z: transformed values.
        kind: `log_error`, `log` or `identity`.

    Returns:
        The values in the target's units (float64).

    Raises:
        SurrogateError: an unknown `kind`.
    """
    z = np.asarray(z, dtype=np.float64)
    if kind == "identity":
        return z
    if kind == "log_error":
        return 100.0 - np.exp(-z)
    if kind == "log":
        return np.exp(z)
    raise SurrogateError(f"unknown target_transform {kind!r}; allowed: {', '.join(TARGET_TRANSFORMS)}")


class SurrogateRegressor(RegressorMixin, BaseEstimator):
    """Shared fit/predict plumbing. Subclasses implement `_fit(F, z)` and `_predict(F)` on
    encoded features `F` and transformed targets `z`, and set `min_samples`."""

    min_samples: ClassVar[int] = 2
    #: set by subclasses whose features are not a flat encoding (the GIN)
    uses_flat_features: ClassVar[bool] = True

    # subclasses define __init__ with explicit keyword parameters (scikit-learn convention),
    # including `encoding` and `target_transform`
    encoding: str
    target_transform: str

    def _features(self, ops: np.ndarray) -> Any:
        return encode(ops, self.encoding)

    def fit(self, X, y, sample_weight=None):  # noqa: ARG002 - sklearn signature
        """Fit on cells and their values.

        Args:
            X: an `(n, 6)` array of op ids.
            y: the `n` target values (finite).
            sample_weight: accepted for scikit-learn's signature; not used.

        Returns:
            The fitted estimator itself.

        Raises:
            SurrogateError: `X` and `y` differ in length, `y` holds NaN or infinite values, or
                there are fewer cells than the model needs.
        """
        ops = check_ops(X)
        y = np.asarray(y, dtype=np.float64).ravel()
        if len(y) != len(ops):
            raise SurrogateError(f"X has {len(ops)} cells but y has {len(y)} values")
        if np.any(~np.isfinite(y)):
            raise SurrogateError("y holds NaN or infinite values; drop the cells without a result first")
        need = self._min_samples()
        if len(ops) < need:
            raise SurrogateError(
                f"{type(self).__name__} needs at least {need} training cells, got {len(ops)}"
            )
        z = forward_target(y, self.target_transform)
        self._fit(self._features(ops), z)
        self.n_features_in_ = ops.shape[1]
        self.n_train_ = len(ops)
        return self

    def _min_samples(self) -> int:
        return self.min_samples

    def predict(self, X) -> np.ndarray:
        """Predict the target of cells.

        Args:
            X: an `(n, 6)` array of op ids.

        Returns:
            The `n` predictions, in the target's units.

        Raises:
            sklearn.exceptions.NotFittedError: the estimator is not fitted.
        """
        check_is_fitted(self, "n_train_")
        ops = check_ops(X)
        if len(ops) == 0:
            return np.zeros(0)
        return inverse_target(self._predict(self._features(ops)), self.target_transform)

    # -- to implement -----------------------------------------------------------------------
    def _fit(self, F: Any, z: np.ndarray) -> None:
        raise NotImplementedError

    def _predict(self, F: Any) -> np.ndarray:
        raise NotImplementedError

    # -- state for saving -------------------------------------------------------------------
    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-able state and named arrays of a fitted estimator.

        Returns:
            A JSON-able dict and a dict of named arrays, which `set_state` restores.
        """
        check_is_fitted(self, "n_train_")
        info, arrays = self._get_state()
        return {"n_train": int(self.n_train_), **info}, arrays

    def set_state(self, info: dict[str, Any], arrays: dict[str, np.ndarray]) -> "SurrogateRegressor":
        """Restore what `get_state` gave (on an estimator built with the same params).

        Args:
            info: the JSON-able part of `get_state`.
            arrays: its named arrays.

        Returns:
            The estimator itself, fitted.
        """
        self._set_state(info, arrays)
        self.n_features_in_ = 6
        self.n_train_ = int(info["n_train"])
        return self

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError

    def _set_state(self, info: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


class RefitState:
    """Mixin for estimators saved as their training data and refitted (deterministically) on load."""

    def _get_state(self):
        return {}, {"train_F": np.asarray(self._train_F), "train_z": np.asarray(self._train_z)}

    def _set_state(self, info, arrays):
        self._fit(arrays["train_F"], arrays["train_z"])


def seed_of(random_state: Any) -> int:
    """An int seed from `random_state` (None -> 0, so that fits are reproducible by default).

    Args:
        random_state: None, an int, or a numpy Generator or RandomState.

    Returns:
        An int seed.

    Raises:
        SurrogateError: any other `random_state`.
    """
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)):
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    raise SurrogateError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")
