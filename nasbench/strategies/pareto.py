"""Pareto tools, all objectives to be *minimised*.

Non-dominated sorting, crowding distance, the non-dominated front, hypervolume (exact, by slicing;
fast in 2-D).
"""
from __future__ import annotations

import numpy as np


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether `a` Pareto-dominates `b` (no worse in every objective, better in one).

    Args:
        a: objectives (k,) to minimise.
        b: objectives (k,) to minimise.

    Returns:
        True where `a` dominates `b`.
    """
    return bool(np.all(a <= b) and np.any(a < b))


def nondominated_sort(points: np.ndarray) -> np.ndarray:
    """Front number of each point (0 = non-dominated).

    Args:
        points: array (n, k) of objectives to minimise.

    Returns:
        int64 array (n,) of front numbers.
    """
    pts = np.asarray(points, dtype=np.float64)
    n = len(pts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    le = (pts[:, None, :] <= pts[None, :, :]).all(axis=2)
    lt = (pts[:, None, :] < pts[None, :, :]).any(axis=2)
    dom = le & lt  # dom[i, j]: i dominates j
    count = dom.sum(axis=0)
    rank = np.full(n, -1, dtype=np.int64)
    front = np.nonzero(count == 0)[0]
    r = 0
    while len(front):
        rank[front] = r
        count = count - dom[front].sum(axis=0)
        count[rank >= 0] = -1
        front = np.nonzero(count == 0)[0]
        r += 1
    return rank


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance within one front.

    Args:
        points: array (n, k) of one front's objectives.

    Returns:
        The distance of each point (boundary points, and all points of a front of two or fewer:
        inf).
    """
    pts = np.asarray(points, dtype=np.float64)
    n, k = pts.shape
    d = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(k):
        order = np.argsort(pts[:, j], kind="stable")
        lo, hi = pts[order[0], j], pts[order[-1], j]
        d[order[0]] = d[order[-1]] = np.inf
        if hi > lo:
            d[order[1:-1]] += (pts[order[2:], j] - pts[order[:-2], j]) / (hi - lo)
    return d


def pareto_front(points: np.ndarray) -> np.ndarray:
    """The non-dominated points.

    Args:
        points: array (n, k) of objectives to minimise.

    Returns:
        Row indices of the non-dominated points (duplicates kept once), sorted by the first
        objective.
    """
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) == 0:
        return np.zeros(0, dtype=np.int64)
    if pts.shape[1] == 2:  # O(n log n) sweep
        order = np.lexsort((pts[:, 1], pts[:, 0]))
        keep, best = [], np.inf
        for i in order:
            if pts[i, 1] < best:
                keep.append(i)
                best = pts[i, 1]
        return np.array(keep, dtype=np.int64)
    idx = np.nonzero(nondominated_sort(pts) == 0)[0]
    _, first = np.unique(pts[idx], axis=0, return_index=True)
    idx = idx[np.sort(first)]
    return idx[np.argsort(pts[idx, 0], kind="stable")]


def hypervolume(points: np.ndarray, ref: np.ndarray) -> float:
    """Volume dominated by `points` and bounded by `ref`.

    Args:
        points: array (n, k) of objectives to minimise.
        ref: the reference point (k,); points not strictly below it in every objective are
            ignored.

    Returns:
        The hypervolume (0 where no point counts).
    """
    pts = np.asarray(points, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if len(pts) == 0:
        return 0.0
    pts = pts[np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    pts = pts[pareto_front(pts)]
    k = pts.shape[1]
    if k == 1:
        return float(ref[0] - pts[:, 0].min())
    if k == 2:
        order = np.argsort(pts[:, 0])
        p = pts[order]
        widths = np.diff(np.append(p[:, 0], ref[0]))
        return float(np.sum(widths * (ref[1] - p[:, 1])))
    # slice along the last objective
    order = np.argsort(pts[:, -1])
    p = pts[order]
    vol = 0.0
    for i in range(len(p)):
        top = p[i + 1, -1] if i + 1 < len(p) else ref[-1]
        vol += hypervolume(p[: i + 1, :-1], ref[:-1]) * (top - p[i, -1])
    return float(vol)
