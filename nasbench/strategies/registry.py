"""Strategies by name, their parameters, and construction with checked overrides.

Strategies register themselves when their class is created (`Strategy`
with a `name`); this module imports the built-in ones, in the order they are listed to users."""
from __future__ import annotations

import dataclasses
import math
from typing import Any

from .. import defaults
from .base import REGISTRY, DeclaredContext, SearchContext, Strategy, StrategyError, param_specs

# the built-in strategies, imported for their registration (this order is the listing order)
from . import random_search, evolution, reinforce, local_search, bananas, gradient, darts  # noqa: E402,F401  # isort: skip
from . import multiobjective, optuna_sampler, smac_strategy, hyperband, proxy_guided  # noqa: E402,F401  # isort: skip
from . import asha, async_evolution, bohb  # noqa: E402,F401  # isort: skip  (multi-fidelity, asynchronous)

#: every registered strategy by name (the same dict as base.REGISTRY: strategies defined later appear too)
STRATEGIES: dict[str, type[Strategy]] = REGISTRY
#: the default comparison
DEFAULT_STRATEGIES = defaults.STRATEGIES


def strategy_names() -> list[str]:
    """The names of the registered strategies, in registration order."""
    return list(STRATEGIES)


def get_strategy(name: str) -> type[Strategy]:
    """The class registered under a name.

    A name not registered yet loads the installed plug-ins (entry points of the group
    `nasbench.strategies`, `nasbench.strategies.plugins`) first.

    Args:
        name: the strategy's name.

    Returns:
        The strategy class.

    Raises:
        StrategyError: no strategy of that name (the message lists the valid ones).
    """
    cls = STRATEGIES.get(name)
    if cls is None:
        from .plugins import load_entry_points

        load_entry_points()
        cls = STRATEGIES.get(name)
    if cls is None:
        from ..util.suggest import did_you_mean

        raise StrategyError(f"unknown strategy {name!r}; valid: {', '.join(STRATEGIES)} (a strategy of your own: "
                            f"--import MODULE){did_you_mean(name, STRATEGIES)}")
    return cls


def describe(name: str) -> str:
    """A strategy and its parameters, for `--help`-style listings.

    Args:
        name: the strategy's name.

    Returns:
        A first line with the strategy's summary, then one line per parameter:
        `name = default (type)`.

    Raises:
        StrategyError: unknown strategy.
    """
    cls = get_strategy(name)
    import sys

    doc = cls.__doc__ or getattr(sys.modules.get(cls.__module__), "__doc__", None) or ""
    lines = [f"{name}: {doc.strip().splitlines()[0] if doc.strip() else cls.__module__}"]
    for n, d, t in param_specs(cls):
        lines.append(f"  {n} = {d!r} ({t})")
    return "\n".join(lines)


#: bounds on every numeric strategy parameter given by a user (each strategy's `check` adds its own
#: rules): a count or size beyond the query cap of a run, or a float beyond +-1e6, is a typo, not a
#: setting (`population=1e308` would otherwise loop for ever or overflow)
MAX_INT_PARAM = 1_000_000
MAX_FLOAT_PARAM = 1e6


def make_params(name: str, overrides: dict[str, Any] | None = None):
    """A strategy's `Params` with overrides applied and checked.

    Values from flags or files are coerced to the field's type (integers given as floats, numbers
    as strings) and bounded (`MAX_INT_PARAM`, `MAX_FLOAT_PARAM`).

    Args:
        name: the strategy's name.
        overrides: parameter values by field name.

    Returns:
        The parameters.

    Raises:
        StrategyError: an unknown strategy or key (the message lists the valid ones), or a value
            of the wrong type, out of bounds or refused by `Params.check`.
    """
    cls = get_strategy(name)
    overrides = dict(overrides or {})
    valid = [f.name for f in dataclasses.fields(cls.Params)]
    unknown = [k for k in overrides if k not in valid]
    if unknown:
        raise StrategyError(f"strategy {name!r} has no parameter {unknown[0]!r}; valid: {', '.join(valid) or '(none)'}")
    for f in dataclasses.fields(cls.Params):
        if f.name in overrides:
            overrides[f.name] = _bounded(name, f.name, _coerce(name, f, overrides[f.name]))
    params = cls.Params(**overrides)
    params.check()
    return params


def _coerce(strategy: str, f: dataclasses.Field, v: Any) -> Any:
    """Types from flags/files: ints given as floats, numbers given as strings."""
    default = f.default
    if isinstance(default, bool):
        if isinstance(v, str) and v.lower() in ("true", "false", "1", "0", "yes", "no"):
            return v.lower() in ("true", "1", "yes")
        if not isinstance(v, bool):
            raise StrategyError(f"{strategy}: {f.name} must be true or false, got {v!r}")
        return v
    if isinstance(default, int) or (default is None and "int" in str(f.type) and "float" not in str(f.type)):
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                raise StrategyError(f"{strategy}: {f.name} must be an integer, got {v!r}") from None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise StrategyError(f"{strategy}: {f.name} must be an integer, got {v!r}")
        return v
    if isinstance(default, float):
        try:
            return float(v)
        except (TypeError, ValueError):
            raise StrategyError(f"{strategy}: {f.name} must be a number, got {v!r}") from None
    return v


def _bounded(strategy: str, key: str, v: Any) -> Any:
    """`v` if it is not a number out of the bounds above."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and not -MAX_INT_PARAM <= v <= MAX_INT_PARAM:
        raise StrategyError(f"{strategy}: {key} = {v:.3g} is out of range; integer parameters lie within "
                            f"+-{MAX_INT_PARAM:,}")
    if isinstance(v, float) and not (math.isfinite(v) and abs(v) <= MAX_FLOAT_PARAM):
        raise StrategyError(f"{strategy}: {key} = {v!r} is out of range; numbers must be finite and within "
                            f"+-{MAX_FLOAT_PARAM:g}")
    return v


def make_strategy(name: str, context: SearchContext, overrides: dict[str, Any] | None = None) -> Strategy:
    """A strategy built as the runner builds it.

    Its parameters are checked, and its context holds only what its class declares
    (`DeclaredContext`: an undeclared field read is a `StrategyError`).

    Args:
        name: the strategy's name.
        context: the full search context.
        overrides: parameter values by field name.

    Returns:
        The strategy.

    Raises:
        StrategyError: as `make_params`.
    """
    cls = get_strategy(name)
    return cls(DeclaredContext(context, cls), make_params(name, overrides))
