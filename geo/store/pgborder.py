"""The events of the map's border cells on PostGIS, kept once per app process.

The Map's grid on PostGIS (:mod:`geo.store.pgcells`) takes most cells' figures from the
summary tables; the cells that the view's or the area's edge cuts need their events one
by one (an event inside the cell may be in view or not). Those events, whatever their
dates, types and datasets, are read once per view into :class:`BorderEvents`, and each
date change then picks its events from them in memory instead of reading them again.

:class:`BorderCache` keeps them per store object, so across events versions: an import
(this process's or another's) adds rows to the events table, and only the rows added
since, those with a row id above the largest already read, are read and appended, not the
view's border cells in full again (at a million events a view's border cells hold tens of
thousands of events: each app process used to read them all again on its first change
after every import). The events table only grows (an import appends under the writers'
lock, so row ids commit in order; nothing updates or deletes an event), which is what
makes the largest row id a version of it. A session whose snapshot is older than what the
cache holds picks only the rows up to its own largest row id.

One reader per view and process: sessions of one process asking for the same view while
its rows are read wait for that read instead of reading them too.

Only for PostGIS. Pure: no streamlit.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

#: The most events kept for one view's border cells (beyond it, each filter reads them)
BORDER_ROWS = 100_000
#: Views whose border cells' events are kept, per store and process
BORDER_VIEWS = 4

#: The columns each border event is read with, in this order (``e``: the events table)
COLUMNS = (
    "e.fid, e.date_start, e.date_end, e.event_type, e.dataset, e.longitude, e.latitude,"
    " e.fatalities_best"
)


class BorderEvents:
    """The events of the grid cells a view's edges cut, as arrays: for each filter of
    dates, types and datasets, the figures per cell of its events (as
    :meth:`geo.store.pgcells.PgCellEvents._summed_grid`'s query of the unclear cells
    counts them)."""

    def __init__(self, rows: list[tuple], size: float):
        cols = list(zip(*rows, strict=True)) if rows else [()] * 8
        self.size = size
        self.fid = np.array(cols[0], dtype=np.int64)
        self.start = np.array(cols[1], dtype="datetime64[D]")
        self.end = np.array(cols[2], dtype="datetime64[D]")
        self.types, self.type = _codes(cols[3])
        self.datasets, self.dataset = _codes(cols[4])
        self.lon = np.array(cols[5], dtype=np.float64)
        self.lat = np.array(cols[6], dtype=np.float64)
        self.fat = np.nan_to_num(np.array(cols[7], dtype=np.float64), nan=0.0)  # sum(): no NULL
        # the cells as the queries compute them, on the same doubles
        self.cell = _cell_key(
            np.floor((self.lon + 180.0) / size).astype(np.int64),
            np.floor((self.lat + 90.0) / size).astype(np.int64),
        )

    def __len__(self) -> int:
        return len(self.fid)

    def plus(self, rows: list[tuple]) -> BorderEvents:
        """These events and ``rows`` (read as :data:`COLUMNS`), as a new object: a
        session reading this one meanwhile keeps a whole one."""
        more = BorderEvents(rows, self.size)
        out = BorderEvents([], self.size)
        for name in ("fid", "start", "end", "lon", "lat", "fat", "cell"):
            setattr(out, name, np.concatenate([getattr(self, name), getattr(more, name)]))
        out.types, out.type = _merged(self.types, self.type, more.types, more.type)
        out.datasets, out.dataset = _merged(
            self.datasets, self.dataset, more.datasets, more.dataset
        )
        return out

    def grid(self, flt, known: tuple[tuple, tuple], ix, iy, view, top: int) -> list[tuple]:
        """Rows (x, y, events, fatalities, events in view, their fatalities) of the cells
        ``ix``, ``iy``: of ``flt``'s events there with a row id up to ``top``. ``known``:
        the stored types and datasets (a filter's values match them case-insensitively,
        as :class:`geo.store.pgquery.PgEvents`' queries do)."""
        keep = self.fid <= top
        if flt.end is not None:
            keep &= self.start <= np.datetime64(flt.end, "D")
        if flt.start is not None:
            keep &= self.end >= np.datetime64(flt.start, "D")
        for chosen, stored_values, values, codes in (
            (flt.types, known[0], self.types, self.type),
            (flt.datasets, known[1], self.datasets, self.dataset),
        ):
            if chosen is None:
                continue
            wanted = {v.casefold() for v in chosen}
            stored = {v for v in stored_values if v.casefold() in wanted}
            keep &= np.isin(values, list(stored))[codes] if len(values) else False
        keep &= np.isin(self.cell, _cell_key(np.asarray(ix), np.asarray(iy)))
        if not keep.any():
            return []
        cell, lon, lat, fat = self.cell[keep], self.lon[keep], self.lat[keep], self.fat[keep]
        inside = (lon >= view.west) & (lon <= view.east) & (lat >= view.south) & (lat <= view.north)
        cells, where = np.unique(cell, return_inverse=True)
        where = where.ravel()
        n = len(cells)
        counts = np.bincount(where, minlength=n)
        fats = np.bincount(where, weights=fat, minlength=n)
        counts_in = np.bincount(where, weights=inside.astype(np.float64), minlength=n)
        fats_in = np.bincount(where, weights=np.where(inside, fat, 0.0), minlength=n)
        return [
            (
                int(cells[k] >> 32),
                int(cells[k] & 0xFFFFFFFF),
                int(counts[k]),
                float(fats[k]),
                int(counts_in[k]),
                float(fats_in[k]),
            )
            for k in range(n)
        ]


#: reads a view's border events with a row id in ``(after, upto]`` (``after`` None: from
#: the first), as rows of :data:`COLUMNS`, at most ``limit``
Reader = Callable[[int | None, int, int], list[tuple]]


class _Entry:
    """One view's border events: what is held, up to which row id, and its reader's lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.top: int | None = None
        self.found: BorderEvents | None = None


class BorderCache:
    """The border events of the last :data:`BORDER_VIEWS` views of one store, in this
    process (:func:`border_cache`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._views: OrderedDict = OrderedDict()  # view key -> _Entry
        self.reads = 0  #: how many reads of the events it made (for the tests)

    def events(self, key, size: float, top: int, read: Reader) -> BorderEvents | None:
        """The border events of view ``key`` up to row id ``top`` (and maybe beyond:
        :meth:`BorderEvents.grid` keeps those up to its ``top``), reading only what is
        not held yet; None when the view's border cells hold more than
        :data:`BORDER_ROWS` events (each filter then reads its own)."""
        with self._lock:
            entry = self._views.get(key)
            if entry is None:
                entry = self._views[key] = _Entry()
            self._views.move_to_end(key)
            while len(self._views) > BORDER_VIEWS:
                self._views.popitem(last=False)
        with entry.lock:
            if entry.top is None:
                self.reads += 1
                rows = read(None, top, BORDER_ROWS + 1)
                entry.found = BorderEvents(rows, size) if len(rows) <= BORDER_ROWS else None
                entry.top = top
            elif top > entry.top:
                if entry.found is not None:
                    self.reads += 1
                    room = BORDER_ROWS - len(entry.found)
                    rows = read(entry.top, top, room + 1)
                    entry.found = entry.found.plus(rows) if len(rows) <= room else None
                entry.top = top
            return entry.found


_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def border_cache(store) -> BorderCache:
    """The process's :class:`BorderCache` of ``store`` (one per store object: the app
    holds one store per process)."""
    with _caches_lock:
        cache = _caches.get(store)
        if cache is None:
            cache = _caches[store] = BorderCache()
        return cache


def _cell_key(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    """One integer per grid cell (the cells' indexes are not negative: lon + 180, lat + 90)."""
    return (ix.astype(np.int64) << 32) | iy.astype(np.int64)


def _codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Text values as (the distinct values, each value's index among them); None kept
    apart (as the text "None" would not be: it matches no chosen value)."""
    values = np.array(["\0" if v is None else str(v) for v in values], dtype=object)
    if not len(values):
        return np.array([], dtype=object), np.zeros(0, dtype=np.int64)
    distinct, codes = np.unique(values, return_inverse=True)
    return distinct, codes.ravel()


def _merged(a_values, a_codes, b_values, b_codes) -> tuple[np.ndarray, np.ndarray]:
    """Two (distinct values, codes) pairs of :func:`_codes` as one, in order."""
    values = np.unique(np.concatenate([a_values, b_values]).astype(object))
    if not len(values):
        return np.array([], dtype=object), np.zeros(0, dtype=np.int64)
    a = np.searchsorted(values, a_values)[a_codes] if len(a_codes) else a_codes
    b = np.searchsorted(values, b_values)[b_codes] if len(b_codes) else b_codes
    return values, np.concatenate([a, b]).astype(np.int64)


__all__ = ["BORDER_ROWS", "BORDER_VIEWS", "BorderCache", "BorderEvents", "border_cache"]
