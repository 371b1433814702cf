"""Estimators by name, and their parameters as JSON: what a saved surrogate names instead of
pickling a class. Only the classes listed here can be rebuilt from a file."""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from .base import SurrogateError, SurrogateRegressor
from .ensemble import EnsembleSurrogate
from .models import GPSurrogate, KNNSurrogate, RandomForestSurrogate, RuntimeModel, XGBSurrogate
from .neural import GINSurrogate, MLPSurrogate

ESTIMATORS: dict[str, type[SurrogateRegressor]] = {
    "xgb": XGBSurrogate,
    "rf": RandomForestSurrogate,
    "gp": GPSurrogate,
    "knn": KNNSurrogate,
    "mlp": MLPSurrogate,
    "gin": GINSurrogate,
    "ensemble": EnsembleSurrogate,
    "runtime": RuntimeModel,
}
_BY_CLASS = {cls.__name__: cls for cls in ESTIMATORS.values()}


def make_estimator(name: str, **params: Any) -> SurrogateRegressor:
    """An estimator by name, e.g. `make_estimator("xgb", n_estimators=200)`.

    Args:
        name: a name of `ESTIMATORS`.
        **params: its parameters.

    Returns:
        The unfitted estimator.

    Raises:
        SurrogateError: an unknown name.
    """
    try:
        cls = ESTIMATORS[name]
    except KeyError:
        raise SurrogateError(f"unknown model {name!r}; allowed: {', '.join(ESTIMATORS)}") from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise SurrogateError(f"model {name!r}: {exc}") from None


def spec_of(est: BaseEstimator) -> dict[str, Any]:
    """JSON-able description: class name and parameters (nested estimators as nested specs).

    Args:
        est: an estimator of this package.

    Returns:
        `{"class": ..., "params": ...}`, JSON-able.
    """
    name = type(est).__name__
    if name not in _BY_CLASS:
        raise SurrogateError(f"{name} cannot be saved; saveable: {', '.join(sorted(_BY_CLASS))}")
    return {"class": name, "params": {k: _jsonable(v) for k, v in est.get_params(deep=False).items()}}


def _jsonable(v: Any) -> Any:
    if isinstance(v, BaseEstimator):
        return spec_of(v)
    if isinstance(v, (list, tuple)):
        return {"list": [_jsonable(x) for x in v]}
    if isinstance(v, np.generic):
        return v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise SurrogateError(f"parameter value {v!r} cannot be saved as JSON")


def from_spec(spec: dict[str, Any]) -> SurrogateRegressor:
    """The estimator a `spec_of` description names, unfitted.

    Args:
        spec: the description.

    Returns:
        The estimator.

    Raises:
        SurrogateError: an unknown class.
    """
    try:
        cls = _BY_CLASS[spec["class"]]
    except KeyError:
        raise SurrogateError(f"unknown estimator class {spec.get('class')!r} in a saved surrogate") from None
    return cls(**{k: _from_json(v) for k, v in spec["params"].items()})


def _from_json(v: Any) -> Any:
    if isinstance(v, dict) and "class" in v:
        return from_spec(v)
    if isinstance(v, dict) and "list" in v:
        return [_from_json(x) for x in v["list"]]
    return v
