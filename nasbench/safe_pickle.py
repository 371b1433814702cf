"""A restricted unpickler: only the classes a format needs, anything else refused.

The official NATS-Bench and NAS-Bench-201 releases are pickles. Loading an arbitrary pickle
runs arbitrary code, so we resolve globals against an explicit allow-list and refuse the rest
with a one-line error before anything is called.

Allow-listed names are not enough on their own: ``numpy.dtype`` restored with a crafted state (an
object field whose flags are reset) and then ``numpy``'s ``scalar`` with attacker-chosen bytes
yield a scalar holding a forged pointer, which crashes the process when touched. So numpy is
reached only through checked stand-ins: ``numpy.dtype`` builds only the plain numeric dtypes in
:data:`SCALAR_DTYPES`, its restored state must be that dtype's own (byte order aside), and
``scalar`` takes only such a dtype and exactly its item size of bytes.
"""
from __future__ import annotations

import codecs
import collections
import io
import pickle
from typing import Any, Callable

import numpy as np

try:  # numpy >= 2
    from numpy._core.multiarray import scalar as _np_scalar
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import scalar as _np_scalar  # type: ignore[no-redef]


class ForbiddenPickle(pickle.UnpicklingError):
    """A pickle asks for a class or function that is not on the allow-list."""


#: the numpy scalar types the published pickles hold: NATS-Bench's records hold float64 scalars
#: (``dtype('f8')``); integers and single precision are allowed for other dumps of the same records
SCALAR_DTYPES: frozenset[str] = frozenset({"f8", "f4", "i8", "i4"})


class CheckedDtype:
    """What a pickle's ``numpy.dtype(name, align, copy)`` call yields: a plain numeric dtype,
    whose restored state (``BUILD``) is checked before it is applied."""

    __slots__ = ("dtype", "_source")

    def __init__(self, dtype: np.dtype, source: str) -> None:
        self.dtype = dtype
        self._source = source

    def __setstate__(self, state: Any) -> None:
        expected = self.dtype.__reduce__()[2]  # (version, byteorder, subarray, names, fields, ...)
        ok = (isinstance(state, tuple) and len(state) == len(expected) and state[1] in ("<", ">", "=")
              and state[0] == expected[0] and state[2:] == expected[2:])
        if not ok:
            raise ForbiddenPickle(f"{self._source} restores numpy.dtype({self.dtype.str[1:]!r}) with the state "
                                  f"{_short(state)}; refused (allowed: the plain dtype's own state)")
        self.dtype = self.dtype.newbyteorder(state[1])


def _short(x: Any) -> str:
    text = repr(x) if isinstance(x, (tuple, str, int, float, bytes, type(None))) else type(x).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _checked_dtype(source: str) -> Callable[..., CheckedDtype]:
    def dtype(name: Any = None, align: Any = False, copy: Any = True) -> CheckedDtype:
        if not (isinstance(name, str) and name in SCALAR_DTYPES and align in (0, 1) and copy in (0, 1)):
            raise ForbiddenPickle(f"{source} asks for numpy.dtype({_short(name)}); refused "
                                  f"(allowed: {', '.join(sorted(SCALAR_DTYPES))})")
        return CheckedDtype(np.dtype(name), source)

    return dtype


def _checked_scalar(source: str) -> Callable[..., Any]:
    def scalar(dtype: Any = None, data: Any = None, *rest: Any) -> Any:
        if not isinstance(dtype, CheckedDtype) or rest:
            raise ForbiddenPickle(f"{source} calls numpy scalar() with {_short(dtype)}; refused (allowed: a "
                                  f"dtype among {', '.join(sorted(SCALAR_DTYPES))} and its bytes)")
        if not isinstance(data, bytes) or len(data) != dtype.dtype.itemsize:
            raise ForbiddenPickle(f"{source} gives numpy scalar({dtype.dtype}) {_short(data)}; refused (allowed: "
                                  f"exactly {dtype.dtype.itemsize} bytes)")
        return _np_scalar(dtype.dtype, data)

    return scalar


def _latin1_encode(source: str) -> Callable[..., bytes]:
    def encode(text: Any = None, encoding: Any = "utf-8", *rest: Any) -> bytes:
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1") or rest:
            raise ForbiddenPickle(f"{source} calls _codecs.encode({_short(text)}, {_short(encoding)}); refused "
                                  f"(allowed: a str and 'latin1', how protocol 2 stores bytes)")
        return codecs.encode(text, "latin1")

    return encode


#: what NATS-Bench's pickles reference (see shared/data/README.md)
NATS_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("numpy", "dtype"): _checked_dtype,
    ("numpy.core.multiarray", "scalar"): _checked_scalar,
    ("numpy._core.multiarray", "scalar"): _checked_scalar,  # the same function, as numpy 2 names it
}
#: torch.save writes pickle protocol 2, where a set is rebuilt by calling builtins.set and the
#: bytes inside a numpy scalar by _codecs.encode(text, 'latin1'); both are side-effect free
PTH_ALLOWED: dict[tuple[str, str], Any] = {
    **NATS_ALLOWED, ("builtins", "set"): set, ("_codecs", "encode"): _latin1_encode,
}
#: allow-list entries that are factories: find_class returns a stand-in naming the file in its refusals
_FACTORIES = (_checked_dtype, _checked_scalar, _latin1_encode)


class RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, allowed: dict[tuple[str, str], Any], source: str,
                 persistent_load: Callable[[Any], Any] | None = None) -> None:
        super().__init__(file)
        self._allowed = allowed
        self._source = source
        self._pload = persistent_load

    def find_class(self, module: str, name: str) -> Any:
        if module == "__builtin__":  # protocol 2 spells builtins the Python 2 way
            module = "builtins"
        try:
            found = self._allowed[(module, name)]
        except KeyError:
            allowed = ", ".join(f"{m}.{n}" for m, n in self._allowed)
            raise ForbiddenPickle(
                f"{self._source} asks to load {module}.{name}, which this format does not need; "
                f"refused (allowed: {allowed})"
            ) from None
        return found(self._source) if found in _FACTORIES else found

    def persistent_load(self, pid: Any) -> Any:
        if self._pload is None:
            raise ForbiddenPickle(f"{self._source} references external storage, which this format does not use")
        return self._pload(pid)


def loads(data: bytes, allowed: dict[tuple[str, str], Any], source: str) -> Any:
    return RestrictedUnpickler(io.BytesIO(data), allowed, source).load()
