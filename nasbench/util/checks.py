"""Small shared pieces of input checking and console output.

Every module says the same thing the same way through them: the positive-integer check behind
the "NAME must be a positive integer, got VALUE" errors, `key=value` parameter items (`--param`),
a progress bar that may be off, and the one context that keeps NaN statistics quiet
(`quiet_nan_stats`).
"""
from __future__ import annotations

import contextlib
import json
from typing import Any, Iterable, Iterator

from ..errors import InputError


def is_positive_int(v: Any) -> bool:
    """A Python integer >= 1 (never a bool, a float, a string or a numpy scalar).

    Args:
        v: the value to test.

    Returns:
        Whether `v` is a positive Python integer.
    """
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def check_positive_int(v: Any, name: str, error: type[Exception] = InputError, *, allow_none: bool = False,
                       say_none: bool = False) -> None:
    """Raise `error("NAME must be a positive integer, got V")` unless `v` is one.

    None is accepted with `allow_none`; `say_none` adds "or None" to the message.

    Args:
        v: the value to check.
        name: the name the message gives it.
        error: the exception class to raise.
        allow_none: accept None.
        say_none: add "or None" to the message.

    Raises:
        InputError: `v` is not a positive integer (or the `error` given).
    """
    if (allow_none and v is None) or is_positive_int(v):
        return
    raise error(f"{name} must be a positive integer{' or None' if say_none else ''}, got {v!r}")


def parse_value(text: str) -> Any:
    """A parameter value as JSON where it parses (numbers, true/false, lists), else the string.

    Args:
        text: the value as typed.

    Returns:
        The parsed JSON value, or `text` itself.

    Raises:
        InputError: the value is nested too deeply.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
    except RecursionError:
        raise InputError(f"parameter value nested too deeply: {text[:40]}...") from None


def parse_params(items: Iterable[str], error: type[Exception] = InputError, flag: str = "--param") -> dict[str, Any]:
    """`["n_estimators=100", "encoding=path"]` -> `{key: value}`.

    An item without `=` or with an empty key raises `error` naming it.

    Args:
        items: `key=value` strings.
        error: the exception class to raise.
        flag: the flag the message names.

    Returns:
        key -> parsed value.

    Raises:
        InputError: an item is not `key=value` (or the `error` given).
    """
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise error(f"{flag} {item!r} must look like key=value")
        params[key.strip()] = parse_value(value)
    return params


class NoBar:
    """A progress bar that shows nothing (the `progress=False` stand-in for tqdm)."""

    def update(self, n: int = 1) -> None:
        """Advance nothing (tqdm's `update`, shown by no one).

        Args:
            n: the items done (ignored).
        """
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, show: bool, **tqdm_kw: Any):
    """A tqdm bar over `total` items, or a `NoBar` when `show` is false or there is nothing to do.

    Args:
        total: number of items.
        show: whether to show a bar.
        **tqdm_kw: passed on to `tqdm`.

    Returns:
        A tqdm bar or a `NoBar`.
    """
    if not show or total == 0:
        return NoBar()
    from tqdm import tqdm

    return tqdm(total=total, **tqdm_kw)


@contextlib.contextmanager
def quiet_nan_stats() -> Iterator[None]:
    """Statistics over arrays with NaN gaps without numpy's RuntimeWarnings.

    For `nanmean` of an all-NaN column, `nanstd` of one value, 0/0: the callers mask those results
    themselves. Inside it numpy's floating-point errors are ignored and RuntimeWarnings are not
    shown; both are restored on the way out."""
    import warnings

    import numpy as np

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
