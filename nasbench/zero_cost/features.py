"""Zero-cost proxies as learning features: per cell, from a table's `proxies/<name>` group.

Used by the surrogate encoding `<base>+zc:<table>` (`surrogates.encodings.encode`): the
base encoding's features, then, for every proxy the table holds for all its cells, a
sign-preserving log (`sign(v) * log10(1 + |v|)`: synflow spans 1e18..1e49). A proxy that was
not computed for some cell is left out, so that every model can read the features; a proxy
computed for every cell (its compute seconds recorded for all) but undefined on some (NaN:
jacob_cov and naswot of a cell whose output does not depend on its input) is kept, those cells
given the proxy's lowest feature value over the table (no labels are read).
"""
from __future__ import annotations

import functools

import numpy as np

from ..errors import InputError


@functools.lru_cache(maxsize=8)
def proxy_matrix(table: str) -> tuple[tuple[str, ...], np.ndarray]:
    """The proxies a table holds for every cell, as predictor features.

    Each proxy is sign-preserving log-scaled, and its undefined values take the column's minimum.

    Args:
        table: the table's name or path.

    Returns:
        `(names, float32 array (15625, k))`.

    Raises:
        InputError: the table holds no proxy for all of its cells.
    """
    from ..tables.registry import load

    bench = load(table)
    names, cols = [], []
    for name in sorted(bench.proxy_names):
        v = bench.values(name)
        computed = np.isfinite(v)
        if name in bench.timed_proxy_names:  # seconds recorded but no value: undefined there, not missing
            cov = bench.covered
            computed[cov] |= np.isfinite(bench.proxy_cost_many(cov, name))
        if np.all(computed) and np.any(np.isfinite(v)):
            f = np.sign(v) * np.log10(1.0 + np.abs(v))
            names.append(name)
            cols.append(np.where(np.isfinite(f), f, np.nanmin(f)))
    if not cols:
        raise InputError(f"table {table!r} holds no zero-cost proxy for all of its cells "
                         f"(has: {', '.join(bench.proxies) or 'none'}); compute them with scripts/compute_proxies.py")
    m = np.stack(cols, axis=1).astype(np.float32)
    m.setflags(write=False)
    return tuple(names), m


def proxy_features(table: str, indices: np.ndarray) -> np.ndarray:
    """Rows of `proxy_matrix(table)` for some cells.

    Args:
        table: the table's name or path.
        indices: official indices.

    Returns:
        float32 array (len(indices), k).
    """
    return proxy_matrix(table)[1][np.asarray(indices, dtype=np.int64)]
