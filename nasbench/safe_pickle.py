"""A restricted unpickler: only the classes a format needs, anything else refused.

The official NATS-Bench and NAS-Bench-201 releases are pickles. Loading an arbitrary pickle
runs arbitrary code, so we resolve globals against an explicit allow-list and refuse the rest
with a one-line error before anything is called.
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


#: what NATS-Bench's pickles reference (see shared/data/README.md)
NATS_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "scalar"): _np_scalar,
    ("numpy._core.multiarray", "scalar"): _np_scalar,  # the same function, as numpy 2 names it
}
#: torch.save writes pickle protocol 2, where a set is rebuilt by calling builtins.set and the
#: bytes inside a numpy scalar by _codecs.encode(text, 'latin1'); both are side-effect free
PTH_ALLOWED: dict[tuple[str, str], Any] = {
    **NATS_ALLOWED, ("builtins", "set"): set, ("_codecs", "encode"): codecs.encode,
}


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
            return self._allowed[(module, name)]
        except KeyError:
            allowed = ", ".join(f"{m}.{n}" for m, n in self._allowed)
            raise ForbiddenPickle(
                f"{self._source} asks to load {module}.{name}, which this format does not need; "
                f"refused (allowed: {allowed})"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        if self._pload is None:
            raise ForbiddenPickle(f"{self._source} references external storage, which this format does not use")
        return self._pload(pid)


def loads(data: bytes, allowed: dict[tuple[str, str], Any], source: str) -> Any:
    return RestrictedUnpickler(io.BytesIO(data), allowed, source).load()
