"""Candidate pairs without comparing all pairs: a join on (day, grid cell) keys.

Each record's date range is widened by its own tolerance, ``[lo, hi]``. Two ranges overlap
exactly when ``lo_b`` lies in ``[lo_a, hi_a]`` or ``lo_a`` lies in ``(lo_b, hi_b]``; so one
join keys B on its first day and A on every day of its range, and a second join the other
way round; each overlapping pair is found exactly once. Space is a grid whose cell is the
largest distance the two records' precision classes allow, one side keyed on its cell and
the other on the 3 x 3 cells around its own. Days are handled in chunks (progress, memory).
The pairs found are a superset; the caller applies the exact rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON_EQUATOR = 111.32
#: Radius classes (km): a record is in the first class whose bound its radius does not pass.
CLASS_BOUNDS = (10.0, 30.0, 80.0, math.inf)


@dataclass
class Points:
    """What the join needs of each record (arrays of one length)."""

    lo: np.ndarray  # first day (int, days since the earliest), widened by the tolerance
    hi: np.ndarray  # last day, widened
    lat: np.ndarray
    lon: np.ndarray
    radius: np.ndarray  # km
    group: np.ndarray  # dataset code: only pairs of different codes; -1: left out


def radius_class(radius: np.ndarray) -> np.ndarray:
    out = np.full(len(radius), len(CLASS_BOUNDS) - 1, dtype=np.int64)
    for k in range(len(CLASS_BOUNDS) - 1, -1, -1):
        out[radius <= CLASS_BOUNDS[k]] = k
    return out


def _join(key_a, idx_a, key_b, idx_b) -> tuple[np.ndarray, np.ndarray]:
    """All (a, b) with equal keys."""
    if len(key_a) == 0 or len(key_b) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = np.argsort(key_b, kind="stable")
    sorted_b = key_b[order]
    left = np.searchsorted(sorted_b, key_a, "left")
    count = np.searchsorted(sorted_b, key_a, "right") - left
    total = int(count.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a = np.repeat(idx_a, count)
    start = np.repeat(left - (np.cumsum(count) - count), count)
    b = idx_b[order[start + np.arange(total)]]
    return a, b


class Grid:
    """Cells of ``cell_km`` (``inf``: one cell for the world)."""

    def __init__(self, cell_km: float, max_abs_lat: float):
        self.one = not math.isfinite(cell_km)
        if not self.one:
            self.dlat = cell_km / KM_PER_DEG_LAT
            # The widest cell in degrees of longitude is needed where a degree is shortest.
            shrink = max(math.cos(math.radians(min(max_abs_lat, 89.0))), 0.01)
            self.dlon = cell_km / (KM_PER_DEG_LON_EQUATOR * shrink)

    def cells(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        if self.one:
            return np.zeros(len(lat), np.int64), np.zeros(len(lat), np.int64)
        return (
            np.floor(lon / self.dlon).astype(np.int64) + (1 << 20),
            np.floor(lat / self.dlat).astype(np.int64) + (1 << 20),
        )

    def around(self):
        return [(0, 0)] if self.one else [(i, j) for i in (-1, 0, 1) for j in (-1, 0, 1)]


def _key(day, cx, cy):
    return (day.astype(np.int64) << 42) | (cx << 21) | cy


def _expand_days(idx, first, last):
    """Rows repeated once per day in [first, last] (inclusive; empty when last < first)."""
    n = np.maximum(last - first + 1, 0)
    rows = np.repeat(idx, n)
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return rows, np.repeat(first, n) + offset


def _one_way(p: Points, grid: Grid, a, b, c0, c1, strict: bool):
    """Pairs where b's first day is in a's range (``strict``: after a's first day), for b
    starting in [c0, c1)."""
    b = b[(p.lo[b] >= c0) & (p.lo[b] < c1)]
    a = a[(p.hi[a] >= c0) & (p.lo[a] < c1)]
    if len(a) == 0 or len(b) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    first = np.maximum(p.lo[a] + (1 if strict else 0), c0)
    last = np.minimum(p.hi[a], c1 - 1)
    rows, days = _expand_days(a, first, last)
    bx, by = grid.cells(p.lat[b], p.lon[b])
    key_b = _key(p.lo[b], bx, by)
    ax, ay = grid.cells(p.lat[rows], p.lon[rows])
    keys, idx = [], []
    for dx, dy in grid.around():
        keys.append(_key(days, ax + dx, ay + dy))
        idx.append(rows)
    return _join(np.concatenate(keys), np.concatenate(idx), key_b, b)


def candidate_pairs(
    p: Points, chunk_days: int = 30, progress: Callable[[float], None] | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield arrays (a, b) of record positions, chunk by chunk: every pair of records of
    different groups whose widened date ranges overlap and that lie in neighbouring cells of
    the grid their radius classes call for (a superset of the pairs within their radii)."""
    n = len(p.lo)
    if n == 0:
        if progress:
            progress(1.0)
        return
    cls = radius_class(p.radius)
    max_abs_lat = float(np.nanmax(np.abs(p.lat))) if n else 0.0
    groups = np.unique(p.group[p.group >= 0])
    by = {(g, k): np.flatnonzero((p.group == g) & (cls == k)) for g in groups for k in range(4)}
    grids = {}
    for ka in range(4):
        for kb in range(4):
            grids[ka, kb] = Grid(CLASS_BOUNDS[ka] + CLASS_BOUNDS[kb], max_abs_lat)
    start, stop = int(p.lo.min()), int(p.lo.max()) + 1
    chunks = list(range(start, stop, max(1, chunk_days)))
    for step, c0 in enumerate(chunks):
        out_a, out_b = _chunk_pairs(p, groups, by, grids, c0, c0 + chunk_days)
        if out_a:
            yield np.concatenate(out_a), np.concatenate(out_b)
        if progress:
            progress((step + 1) / len(chunks))


def _chunk_pairs(p: Points, groups, by: dict, grids: dict, c0: int, c1: int):
    """The candidate pairs of one chunk of days [c0, c1): lists of arrays (a, b), for every
    two groups and every two radius classes, each pair found once."""
    out_a, out_b = [], []
    for gi, ga in enumerate(groups):
        for gb in groups[gi + 1 :]:
            for ka in range(4):
                for kb in range(4):
                    a, b = by[ga, ka], by[gb, kb]
                    if len(a) == 0 or len(b) == 0:
                        continue
                    grid = grids[ka, kb]
                    x, y = _one_way(p, grid, a, b, c0, c1, strict=False)
                    out_a.append(x)
                    out_b.append(y)
                    y2, x2 = _one_way(p, grid, b, a, c0, c1, strict=True)
                    out_a.append(x2)
                    out_b.append(y2)
    return out_a, out_b
