"""Tree, kernel and neighbour surrogates (scikit-learn API; `X` = (n, 6) op ids).

The neural ones (MLP, GIN) are in `surrogates.neural`, the ensemble wrapper in
`surrogates.ensemble`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .base import RefitState, SurrogateError, SurrogateRegressor, seed_of


class XGBSurrogate(SurrogateRegressor):
    """Gradient-boosted trees (XGBoost, `hist`).

    Defaults tuned on NB201 CIFAR-10: the `combined` encoding and the `log_error` target lift
    Kendall tau at 1,000 cells from 0.74 (plain one-hot, raw target) to about 0.87.

    Args:
        encoding: the features the model reads (a name of `surrogates.encodings.encoding_names`).
        target_transform: `log_error`, `log` or `identity` (`surrogates.base.forward_target`).
        n_estimators: boosting rounds.
        learning_rate: shrinkage per round (XGBoost's `eta`).
        max_depth: the deepest tree.
        subsample: the fraction of training cells each tree sees.
        colsample_bytree: the fraction of features each tree sees.
        min_child_weight: the least hessian weight of a leaf.
        reg_lambda: L2 regularisation of the leaf weights.
        n_jobs: XGBoost's threads.
        random_state: the seed (None: 0).
    """

    min_samples = 2

    def __init__(self, encoding: str = "combined", target_transform: str = "log_error",
                 n_estimators: int = 500, learning_rate: float = 0.05, max_depth: int = 6,
                 subsample: float = 0.8, colsample_bytree: float = 0.8, min_child_weight: float = 1.0,
                 reg_lambda: float = 1.0, n_jobs: int = 1, random_state: int | None = 0) -> None:
        self.encoding = encoding
        self.target_transform = target_transform
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _xgb_params(self) -> dict[str, Any]:
        return dict(
            objective="reg:squarederror", tree_method="hist", eta=self.learning_rate,
            max_depth=self.max_depth, subsample=self.subsample, colsample_bytree=self.colsample_bytree,
            min_child_weight=self.min_child_weight, reg_lambda=self.reg_lambda, nthread=self.n_jobs,
            seed=seed_of(self.random_state), verbosity=0,
        )

    def _fit(self, F, z):
        import xgboost as xgb

        self._base = float(np.mean(z))
        d = xgb.DMatrix(np.asarray(F, dtype=np.float32), label=z - self._base)
        self.booster_ = xgb.train(self._xgb_params(), d, num_boost_round=self.n_estimators)

    def _predict(self, F):
        import xgboost as xgb

        return self.booster_.predict(xgb.DMatrix(np.asarray(F, dtype=np.float32))).astype(np.float64) + self._base

    def _get_state(self):
        raw = self.booster_.save_raw(raw_format="ubj")
        return {"base": self._base}, {"booster_ubj": np.frombuffer(bytes(raw), dtype=np.uint8)}

    def _set_state(self, info, arrays):
        import xgboost as xgb

        self._base = float(info["base"])
        b = xgb.Booster(params={"nthread": self.n_jobs})
        b.load_model(bytearray(np.asarray(arrays["booster_ubj"], dtype=np.uint8).tobytes()))
        self.booster_ = b


class RandomForestSurrogate(RefitState, SurrogateRegressor):
    """scikit-learn random forest. Saved as its training data, refitted on load (same seed).

    Args:
        encoding: the features the model reads (a name of `surrogates.encodings.encoding_names`).
        target_transform: `log_error`, `log` or `identity` (`surrogates.base.forward_target`).
        n_estimators: trees.
        max_features: the features considered per split (a fraction, or scikit-learn's names).
        min_samples_leaf: the fewest training cells in a leaf.
        n_jobs: worker threads.
        random_state: the seed (None: 0).
    """

    min_samples = 2

    def __init__(self, encoding: str = "combined", target_transform: str = "log_error",
                 n_estimators: int = 300, max_features: float | str = 0.5, min_samples_leaf: int = 1,
                 n_jobs: int = 1, random_state: int | None = 0) -> None:
        self.encoding = encoding
        self.target_transform = target_transform
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit(self, F, z):
        from sklearn.ensemble import RandomForestRegressor

        self._train_F, self._train_z = np.asarray(F, dtype=np.float32), np.asarray(z)
        self.forest_ = RandomForestRegressor(
            n_estimators=self.n_estimators, max_features=self.max_features,
            min_samples_leaf=self.min_samples_leaf, n_jobs=self.n_jobs, random_state=seed_of(self.random_state),
        ).fit(self._train_F, z)

    def _predict(self, F):
        return self.forest_.predict(np.asarray(F, dtype=np.float32))


class KNNSurrogate(RefitState, SurrogateRegressor):
    """k-nearest-neighbour baseline (distance-weighted mean of the k closest training cells).

    Args:
        encoding: the features the model reads (a name of `surrogates.encodings.encoding_names`).
        target_transform: `log_error`, `log` or `identity` (`surrogates.base.forward_target`).
        n_neighbors: k.
        weights: `distance` or `uniform`.
        metric: the distance between encoded cells (scikit-learn's name, e.g. `manhattan`).
    """

    def __init__(self, encoding: str = "canonical", target_transform: str = "log_error",
                 n_neighbors: int = 5, weights: str = "distance", metric: str = "manhattan") -> None:
        self.encoding = encoding
        self.target_transform = target_transform
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.metric = metric

    def _min_samples(self) -> int:
        return int(self.n_neighbors)

    def _fit(self, F, z):
        from sklearn.neighbors import KNeighborsRegressor

        self._train_F, self._train_z = np.asarray(F, dtype=np.float32), np.asarray(z)
        self.knn_ = KNeighborsRegressor(n_neighbors=self.n_neighbors, weights=self.weights,
                                        metric=self.metric).fit(self._train_F, z)

    def _predict(self, F):
        return self.knn_.predict(np.asarray(F, dtype=np.float32))


class GPSurrogate(SurrogateRegressor):
    """Gaussian process: a Matern kernel on standardised features plus a white noise term.

    Suited to the binary `combined` encoding: distance counts differing ops and paths. Predicts a
    mean; `predict(X, return_std=True)` also gives the posterior std in the transformed target
    space mapped through the inverse transform.

    Args:
        encoding: the features the model reads (a name of `surrogates.encodings.encoding_names`).
        target_transform: `log_error`, `log` or `identity` (`surrogates.base.forward_target`).
        length_scale: the kernel's initial length scale.
        nu: the Matern smoothness (2.5: Matern-5/2).
        noise_level: the white noise term's initial level.
        optimize: fit the kernel's hyperparameters.
        n_restarts: restarts of that optimiser.
        random_state: the seed (None: 0).
    """

    min_samples = 3

    def __init__(self, encoding: str = "combined", target_transform: str = "log_error",
                 length_scale: float = 10.0, nu: float = 2.5, noise_level: float = 0.1,
                 optimize: bool = True, n_restarts: int = 0, random_state: int | None = 0) -> None:
        self.encoding = encoding
        self.target_transform = target_transform
        self.length_scale = length_scale
        self.nu = nu
        self.noise_level = noise_level
        self.optimize = optimize
        self.n_restarts = n_restarts
        self.random_state = random_state

    def _kernel(self):
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        return (ConstantKernel(1.0, (1e-2, 1e2)) * Matern(self.length_scale, (1e-1, 1e3), nu=self.nu)
                + WhiteKernel(self.noise_level, (1e-4, 1e1)))

    def _fit(self, F, z, theta: np.ndarray | None = None):
        from sklearn.gaussian_process import GaussianProcessRegressor

        F = np.asarray(F, dtype=np.float64)
        self._train_F, self._train_z = F, np.asarray(z)
        self._zm, self._zs = float(np.mean(z)), float(np.std(z) or 1.0)
        kernel = self._kernel()
        optimizer = "fmin_l_bfgs_b" if (self.optimize and theta is None) else None
        if theta is not None:
            kernel = kernel.clone_with_theta(np.asarray(theta, dtype=np.float64))
        self.gp_ = GaussianProcessRegressor(kernel=kernel, optimizer=optimizer, normalize_y=False,
                                            n_restarts_optimizer=self.n_restarts,
                                            random_state=seed_of(self.random_state))
        self.gp_.fit(F, (np.asarray(z) - self._zm) / self._zs)

    def _predict(self, F):
        return self.gp_.predict(np.asarray(F, dtype=np.float64)) * self._zs + self._zm

    def predict(self, X, return_std: bool = False):
        """The posterior mean, and optionally its spread, in the target's units.

        Args:
            X: an `(n, 6)` array of op ids.
            return_std: also return the posterior std (half the
                width of the +-1 std interval mapped back through the target transform).

        Returns:
            The mean, or `(mean, std)` with `return_std`.
        """
        mean = super().predict(X)
        if not return_std:
            return mean
        from .encodings import check_ops
        from .base import inverse_target

        F = self._features(check_ops(X))
        m, s = self.gp_.predict(np.asarray(F, dtype=np.float64), return_std=True)
        z, zs = m * self._zs + self._zm, s * self._zs
        hi = inverse_target(z + zs, self.target_transform)
        lo = inverse_target(z - zs, self.target_transform)
        return mean, np.abs(hi - lo) / 2

    def _get_state(self):
        return {}, {"train_F": self._train_F, "train_z": self._train_z, "theta": self.gp_.kernel_.theta}

    def _set_state(self, info, arrays):
        self._fit(arrays["train_F"], arrays["train_z"], theta=arrays["theta"])


class RuntimeModel(XGBSurrogate):
    """The cost model: training seconds of a cell from its ops.

    The target is the table's `time` at its last epoch, modelled by boosted trees on its log;
    shallower and shorter than the accuracy model, since runtime is nearly additive in the ops.

    Args:
        encoding: the features the model reads (a name of `surrogates.encodings.encoding_names`).
        target_transform: `log` (default), `log_error` or `identity`.
        n_estimators: boosting rounds.
        learning_rate: shrinkage per round (XGBoost's `eta`).
        max_depth: the deepest tree.
        subsample: the fraction of training cells each tree sees.
        colsample_bytree: the fraction of features each tree sees.
        min_child_weight: the least hessian weight of a leaf.
        reg_lambda: L2 regularisation of the leaf weights.
        n_jobs: XGBoost's threads.
        random_state: the seed (None: 0).
    """

    def __init__(self, encoding: str = "combined", target_transform: str = "log",
                 n_estimators: int = 300, learning_rate: float = 0.1, max_depth: int = 4,
                 subsample: float = 1.0, colsample_bytree: float = 1.0, min_child_weight: float = 1.0,
                 reg_lambda: float = 1.0, n_jobs: int = 1, random_state: int | None = 0) -> None:
        super().__init__(encoding=encoding, target_transform=target_transform, n_estimators=n_estimators,
                         learning_rate=learning_rate, max_depth=max_depth, subsample=subsample,
                         colsample_bytree=colsample_bytree, min_child_weight=min_child_weight,
                         reg_lambda=reg_lambda, n_jobs=n_jobs, random_state=random_state)


def check_option(value: str, allowed: tuple[str, ...], what: str) -> str:
    """Check that a string option is one of the allowed values.

    Args:
        value: the value given.
        allowed: the allowed values.
        what: the option's name, for the message.

    Returns:
        `value`.

    Raises:
        SurrogateError: `value` is not allowed.
    """
    if value not in allowed:
        raise SurrogateError(f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")
    return value
