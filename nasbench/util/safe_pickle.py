"""A restricted unpickler: only the classes a format needs, anything else refused.

The official NATS-Bench and NAS-Bench-201 releases are pickles. Loading an arbitrary pickle
runs arbitrary code, so we resolve globals against an explicit allow-list and refuse the rest
with a one-line error before anything is called.

Allow-listed names are not enough on their own: `numpy.dtype` restored with a crafted state (an
object field whose flags are reset) and then `numpy`'s `scalar` with attacker-chosen bytes
yield a scalar holding a forged pointer, which crashes the process when touched. So numpy is
reached only through checked stand-ins: `numpy.dtype` builds only the plain numeric dtypes in
`SCALAR_DTYPES`, its restored state must be that dtype's own (byte order aside), and
`scalar` takes only such a dtype and exactly its item size of bytes.

Dataset pickles (CIFAR-10/100, Downsampled ImageNet) hold numpy arrays, rebuilt as
`_reconstruct(ndarray, (0,), 'b')` then `BUILD` with `(1, shape, dtype, fortran, data)`. Here too
only stand-ins are reached: `_reconstruct` yields a `CheckedArray` placeholder that takes
only a checked plain dtype (`ARRAY_DTYPES`) and exactly `prod(shape) * itemsize` bytes, and
the placeholders are swapped for the real arrays once the whole pickle is read.
"""
from __future__ import annotations

import codecs
import collections
import io
import pickle
from typing import Any, Callable

import numpy as np

from ..errors import NasbenchError

try:  # numpy >= 2
    from numpy._core.multiarray import scalar as _np_scalar
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import scalar as _np_scalar  # type: ignore[no-redef]


class ForbiddenPickle(NasbenchError, pickle.UnpicklingError):
    """A pickle asks for a class or function that is not on the allow-list."""


#: the numpy scalar types the published pickles hold: NATS-Bench's records hold float64 scalars
#: (`dtype('f8')`); integers and single precision are allowed for other dumps of the same records
SCALAR_DTYPES: frozenset[str] = frozenset({"f8", "f4", "i8", "i4"})
#: the array dtypes the dataset pickles hold: `u1` images (CIFAR, Downsampled ImageNet); the
#: numeric ones for a float mean image (Downsampled ImageNet's train batches) or integer labels
ARRAY_DTYPES: frozenset[str] = SCALAR_DTYPES | {"u1"}


class CheckedDtype:
    """What a pickle's `numpy.dtype(name, align, copy)` call yields: a plain numeric dtype,
    whose restored state (`BUILD`) is checked before it is applied."""

    __slots__ = ("dtype", "_source")

    def __init__(self, dtype: np.dtype, source: str) -> None:
        self.dtype = dtype
        self._source = source

    def __setstate__(self, state: Any) -> None:
        expected = self.dtype.__reduce__()[2]  # (version, byteorder, subarray, names, fields, ...)
        orders = ("<", ">", "=") if self.dtype.itemsize > 1 else ("|",)  # one byte: no byte order
        ok = (isinstance(state, tuple) and len(state) == len(expected) and state[1] in orders
              and state[0] == expected[0] and state[2:] == expected[2:])
        if not ok:
            raise ForbiddenPickle(f"{self._source} restores numpy.dtype({self.dtype.str[1:]!r}) with the state "
                                  f"{_short(state)}; refused (allowed: the plain dtype's own state)")
        self.dtype = self.dtype.newbyteorder(state[1])


def _short(x: Any) -> str:
    text = repr(x) if isinstance(x, (tuple, str, int, float, bytes, type(None))) else type(x).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _checked_dtype(source: str, names: frozenset[str] = SCALAR_DTYPES) -> Callable[..., CheckedDtype]:
    def dtype(name: Any = None, align: Any = False, copy: Any = True) -> CheckedDtype:
        if not (isinstance(name, str) and name in names and align in (0, 1) and copy in (0, 1)):
            raise ForbiddenPickle(f"{source} asks for numpy.dtype({_short(name)}); refused "
                                  f"(allowed: {', '.join(sorted(names))})")
        return CheckedDtype(np.dtype(name), source)

    return dtype


def _checked_array_dtype(source: str) -> Callable[..., CheckedDtype]:
    return _checked_dtype(source, ARRAY_DTYPES)


class _NdarrayName:
    """What a pickle's `numpy.ndarray` resolves to: a token `_checked_reconstruct` accepts as
    its subtype, never a class the pickle can call or restore."""

    __slots__ = ("_source",)

    def __init__(self, source: str) -> None:
        self._source = source

    def __call__(self, *args: Any) -> Any:
        raise ForbiddenPickle(f"{self._source} calls numpy.ndarray() directly; refused (allowed: "
                              f"_reconstruct(ndarray, (0,), 'b') and its state, as numpy pickles an array)")

    def __setstate__(self, state: Any) -> None:
        raise ForbiddenPickle(f"{self._source} restores a state into numpy.ndarray itself; refused")


class CheckedArray:
    """What a pickle's `_reconstruct(ndarray, (0,), 'b')` yields: a placeholder whose restored
    state (`BUILD`) must be a plain array's: `([1,] shape, dtype, fortran, data)` with a checked
    dtype among `ARRAY_DTYPES` and exactly `prod(shape) * itemsize` bytes. numpy's own
    `__setstate__` then builds `array` from those checked parts."""

    __slots__ = ("array", "_source")

    def __init__(self, source: str) -> None:
        self.array: np.ndarray | None = None
        self._source = source

    def __setstate__(self, state: Any) -> None:
        src = self._source
        if self.array is not None:
            raise ForbiddenPickle(f"{src} restores one numpy array twice; refused")
        if isinstance(state, tuple) and len(state) == 5 and state[0] == 1 and type(state[0]) is int:
            state = state[1:]
        if not (isinstance(state, tuple) and len(state) == 4):
            raise ForbiddenPickle(f"{src} restores a numpy array with the state {_short(state)}; refused "
                                  f"(allowed: (1, shape, dtype, fortran, data))")
        shape, dtype, fortran, data = state
        if not isinstance(dtype, CheckedDtype) or dtype.dtype.str[1:] not in ARRAY_DTYPES:
            raise ForbiddenPickle(f"{src} restores a numpy array of dtype {_short(dtype)}; refused "
                                  f"(allowed: {', '.join(sorted(ARRAY_DTYPES))})")
        if not (isinstance(shape, tuple) and all(type(n) is int and 0 <= n < 1 << 40 for n in shape)
                and len(shape) <= 32 and fortran in (0, 1)):
            raise ForbiddenPickle(f"{src} restores a numpy array of shape {_short(shape)}, fortran "
                                  f"{_short(fortran)}; refused (allowed: a tuple of sizes and a flag)")
        if isinstance(data, str):  # a Python 2 str, read with encoding='latin1'
            try:
                data = data.encode("latin1")
            except UnicodeEncodeError:
                raise ForbiddenPickle(f"{src} gives a numpy array's data as text beyond latin1; refused") from None
        size = int(np.prod(shape, dtype=object)) * dtype.dtype.itemsize
        if not isinstance(data, bytes) or len(data) != size:
            raise ForbiddenPickle(f"{src} gives a numpy array {_short(shape)} of {dtype.dtype} "
                                  f"{type(data).__name__} of {len(data) if isinstance(data, bytes) else '?'} "
                                  f"bytes; refused (allowed: exactly {size:,} bytes)")
        array = np.empty(0, dtype.dtype)
        array.__setstate__((1, shape, dtype.dtype, bool(fortran), data))
        self.array = array

    def resolved(self) -> np.ndarray:
        """The array this placeholder stands for, once its state was restored."""
        if self.array is None:
            raise ForbiddenPickle(f"{self._source} holds a numpy array that is never given its data; refused")
        return self.array


def _checked_reconstruct(source: str) -> Callable[..., CheckedArray]:
    def _reconstruct(subtype: Any = None, shape: Any = None, typecode: Any = None, *rest: Any) -> CheckedArray:
        if not (isinstance(subtype, _NdarrayName) and shape == (0,) and typecode in ("b", b"b") and not rest):
            raise ForbiddenPickle(f"{source} calls numpy _reconstruct({_short(subtype)}, {_short(shape)}, "
                                  f"{_short(typecode)}); refused (allowed: (ndarray, (0,), 'b'))")
        return CheckedArray(source)

    return _reconstruct


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


#: the globals NATS-Bench's "simple" pickles reference (ordered dicts of numpy scalars and dtypes)
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
#: what CIFAR-10/100 and Downsampled ImageNet (ImageNet16-120) python pickles reference: a dict of
#: arrays (`_reconstruct`, `ndarray`, `dtype`) and lists; Python 3 protocol 2 dumps store bytes
#: via `_codecs.encode`; numpy scalars are allowed (checked) for labels dumped as numpy integers
DATASET_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy", "dtype"): _checked_array_dtype,
    ("numpy", "ndarray"): _NdarrayName,
    ("numpy.core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy.core.multiarray", "scalar"): _checked_scalar,
    ("numpy._core.multiarray", "scalar"): _checked_scalar,
    ("_codecs", "encode"): _latin1_encode,
}
#: allow-list entries that are factories: find_class returns a stand-in naming the file in its refusals
_FACTORIES = (_checked_dtype, _checked_array_dtype, _checked_scalar, _latin1_encode, _NdarrayName,
              _checked_reconstruct)


def _resolve_arrays(obj: Any, source: str) -> Any:
    """Swap every `CheckedArray` placeholder in dicts and lists for its array (iteratively:
    a deeply nested pickle cannot exhaust the stack); one inside a tuple, set or key is refused."""
    if isinstance(obj, CheckedArray):
        return obj.resolved()
    stack, seen = [obj], set()
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, dict):
            for k, v in x.items():
                if isinstance(k, CheckedArray):
                    raise ForbiddenPickle(f"{source} uses a numpy array as a dict key; refused")
                if isinstance(v, CheckedArray):
                    x[k] = v.resolved()
                elif isinstance(v, (dict, list, tuple, set, frozenset)):
                    stack.append(v)
        elif isinstance(x, list):
            for i, v in enumerate(x):
                if isinstance(v, CheckedArray):
                    x[i] = v.resolved()
                elif isinstance(v, (dict, list, tuple, set, frozenset)):
                    stack.append(v)
        elif isinstance(x, (tuple, set, frozenset)):
            for v in x:
                if isinstance(v, CheckedArray):
                    raise ForbiddenPickle(f"{source} holds a numpy array inside a {type(x).__name__}; refused "
                                          f"(allowed: in dicts and lists)")
                if isinstance(v, (dict, list, tuple, set, frozenset)):
                    stack.append(v)
    return obj


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals of an allow-list and refuses the rest.

    Args:
        file: the pickle stream.
        allowed: `(module, name)` -> the object to use for it.
        source: the file or member the bytes came from, for messages.
        persistent_load: resolves persistent ids (None: a pickle that uses them is refused).
        encoding: how Python 2 `str` objects are decoded (`'latin1'` reads them as numpy's bytes).
    """
    def __init__(self, file: io.BufferedIOBase, allowed: dict[tuple[str, str], Any], source: str,
                 persistent_load: Callable[[Any], Any] | None = None, encoding: str = "ASCII") -> None:
        super().__init__(file, encoding=encoding)  # 'latin1' reads Python 2 str as numpy's bytes
        self._allowed = allowed
        self._source = source
        self._pload = persistent_load
        self._arrays = _checked_reconstruct in allowed.values()

    def load(self) -> Any:
        """Read the pickle; checked array placeholders are swapped for their arrays."""
        obj = super().load()
        return _resolve_arrays(obj, self._source) if self._arrays else obj

    def find_class(self, module: str, name: str) -> Any:
        """Resolve a global through the allow-list only (Python 2's `__builtin__` read as `builtins`).

        Args:
            module: the global's module.
            name: its name.

        Returns:
            The allowed object (a factory of the allow-list is given the source first).

        Raises:
            ForbiddenPickle: the global is not on the allow-list.
        """
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
        """Resolve a persistent id through the `persistent_load` given, else refuse it.

        Args:
            pid: the persistent id.

        Returns:
            What the given `persistent_load` returns for it.

        Raises:
            ForbiddenPickle: no `persistent_load` was given.
        """
        if self._pload is None:
            raise ForbiddenPickle(f"{self._source} references external storage, which this format does not use")
        return self._pload(pid)


def loads(data: bytes, allowed: dict[tuple[str, str], Any], source: str) -> Any:
    """Unpickle `data`, resolving only the classes and functions in `allowed`.

    Args:
        data: the pickle bytes.
        allowed: `(module, name)` -> the object to use for it.
        source: the file or member the bytes came from, for messages.

    Returns:
        The unpickled object.

    Raises:
        ForbiddenPickle: the pickle references anything not in `allowed`.
    """
    return RestrictedUnpickler(io.BytesIO(data), allowed, source).load()
