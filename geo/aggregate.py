"""What the map sends for a view: the events themselves when few are in view, otherwise
counts and fatalities per grid cell, so the payload does not grow with the number of events.

The grid is anchored at (-180, -90) and its cell size halves with each zoom level, so a
cell is about ``CELL_PX`` screen pixels wide at every zoom and the cells stay put while
the user pans. Pure numpy over column arrays; the caller filters first.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
from dataclasses import dataclass

import numpy as np

#: A cell's width on screen, in pixels (Web Mercator tiles are 256 px wide).
CELL_PX = 32
#: The deepest zoom the map allows (geo.render.MAX_ZOOM) and the grid follows.
MAX_ZOOM = 14
#: More events than this to draw: send cells, not points. At about 28 bytes per point on
#: the wire (base64 of typed arrays), this keeps any update under 1 MB with the base map.
POINT_LIMIT = 20000


def point_limit() -> int:
    """:data:`POINT_LIMIT`, or ``ZONEWATCH_POINT_LIMIT`` when set to a whole number (lower
    it for a slow computer; raise it to draw more events one by one)."""
    text = os.environ.get("ZONEWATCH_POINT_LIMIT", "").strip()
    return int(text) if text.isdigit() and 0 < int(text) <= 200_000 else POINT_LIMIT


#: How far beyond the view the server sends data, as a share of the view's size, so a
#: small pan needs nothing new.
MARGIN = 0.5


@dataclass(frozen=True)
class View:
    """The map's view: bounds in degrees and the zoom level."""

    west: float
    south: float
    east: float
    north: float
    zoom: int

    @classmethod
    def from_bounds(cls, bounds: dict | None, zoom) -> View | None:
        """From streamlit-folium's ``bounds`` ({_southWest: {lat, lng}, _northEast: ...})
        and ``zoom``; None when the map has not reported them yet."""
        try:
            sw, ne = bounds["_southWest"], bounds["_northEast"]
            view = cls(
                float(sw["lng"]),
                float(sw["lat"]),
                float(ne["lng"]),
                float(ne["lat"]),
                min(max(int(zoom), 0), MAX_ZOOM),  # a zoom from the browser, kept in range
            )
        except (KeyError, TypeError, ValueError, OverflowError):
            return None
        values = (view.west, view.south, view.east, view.north)
        if not all(np.isfinite(values)) or view.east < view.west or view.north < view.south:
            return None
        return view


def cell_degrees(zoom: int) -> float:
    """The grid's cell width in degrees of longitude at ``zoom`` (about CELL_PX pixels)."""
    return 360.0 / (256 * 2.0 ** max(int(zoom), 0)) * CELL_PX


def in_view(lat: np.ndarray, lon: np.ndarray, view: View) -> np.ndarray:
    """True for the points inside the view's bounds (edges included)."""
    return (lon >= view.west) & (lon <= view.east) & (lat >= view.south) & (lat <= view.north)


def _all_in(index, view: View) -> bool:
    """Whether every event of ``index`` lies inside ``view`` (by the index's
    :attr:`~geo.eventindex.EventIndex.extent`, when it has one): then no event needs
    testing. False when unknown."""
    west, south, east, north = getattr(index, "extent", None) or (np.nan,) * 4
    return bool(
        view.west <= west and east <= view.east and view.south <= south and north <= view.north
    )


def _bins(ix: np.ndarray, iy: np.ndarray, *weights: np.ndarray):
    """The non-empty cells among integer cell indices ``ix``, ``iy``: their indices (sorted
    by ix, then iy), the number of points in each and the sum of each of ``weights``.

    O(N): the points are counted with ``np.bincount`` over the dense block of cells that
    spans them (the area the map sends is a bounded number of cells), not sorted as
    ``np.unique`` would (0.17 s of sorting for a million events, against about 10 ms).
    A block that would be much larger than the points (cells scattered far apart) is
    counted through ``np.unique`` instead; both give the same answer (tested).
    """
    if len(ix) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, [np.zeros(0) for _ in weights]
    ix0, iy0 = int(ix.min()), int(iy.min())
    nx, ny = int(ix.max()) - ix0 + 1, int(iy.max()) - iy0 + 1
    if nx * ny <= max(4 * len(ix), 1 << 20):
        local = (ix - ix0) * ny + (iy - iy0)
        count = np.bincount(local, minlength=nx * ny)
        full = np.flatnonzero(count)
        sums = [np.bincount(local, weights=w, minlength=nx * ny)[full] for w in weights]
        return full // ny + ix0, full % ny + iy0, count[full], sums
    key = ix.astype(np.int64) * (1 << 31) + iy
    uniq, inverse, count = np.unique(key, return_inverse=True, return_counts=True)
    sums = [np.bincount(inverse, weights=w, minlength=len(uniq)) for w in weights]
    return uniq // (1 << 31), uniq % (1 << 31), count, sums


def _cell_index(lat: np.ndarray, lon: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """The grid cell of each point, for cells ``size`` degrees wide."""
    ix = np.floor((lon + 180.0) / size).astype(np.int64)
    iy = np.floor((lat + 90.0) / size).astype(np.int64)
    return ix, iy


def fine_cells(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grid cell of each point at :data:`MAX_ZOOM`, as ``int32`` (what
    :attr:`geo.eventindex.EventIndex.fine_cells` holds once per index)."""
    ix, iy = _cell_index(lat, lon, cell_degrees(MAX_ZOOM))
    return ix.astype(np.int32), iy.astype(np.int32)


def _cells_of(index, sel: np.ndarray, lat, lon, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """The grid cell at ``zoom`` of the events ``sel`` of ``index`` (positions ``lat``,
    ``lon``, or None when not read yet): its :attr:`~geo.eventindex.EventIndex.fine_cells`
    shifted right by the difference in zoom, the same cell as :func:`_cell_index` gives (a
    cell is 2**k cells of the deepest zoom exactly, and the division by a power of two is
    exact in floating point; tested); computed afresh for an index without them or a zoom
    beyond the grid."""
    fine = getattr(index, "fine_cells", None)
    if fine is None or not 0 <= zoom <= MAX_ZOOM:
        if lat is None:  # (positions not read yet)
            lat, lon = index.lat[sel], index.lon[sel]
        return _cell_index(lat, lon, cell_degrees(zoom))
    shift = MAX_ZOOM - zoom
    return fine[0][sel] >> shift, fine[1][sel] >> shift


def _cell_table(cx, cy, size: float, count, fat, sum_lat, sum_lon) -> dict[str, np.ndarray]:
    return {
        "ix": cx,
        "iy": cy,
        "west": cx * size - 180.0,
        "south": cy * size - 90.0,
        "size": np.full(len(count), size),
        "lat": sum_lat / np.maximum(count, 1),
        "lon": sum_lon / np.maximum(count, 1),
        "count": count,
        "fatalities": np.rint(fat).astype(np.int64),
    }


def cells(
    lat: np.ndarray, lon: np.ndarray, fatalities: np.ndarray, zoom: int
) -> dict[str, np.ndarray]:
    """Counts and fatalities per grid cell at ``zoom`` for the given points.

    Returns arrays: ``ix``, ``iy`` (cell indices), ``west``, ``south``, ``size`` (degrees),
    ``lat``, ``lon`` (the mean position of the cell's events, where the marker goes),
    ``count`` and ``fatalities``; one entry per non-empty cell, ordered by ix, then iy.
    """
    size = cell_degrees(zoom)
    cx, cy, count, (fat, sum_lat, sum_lon) = _bins(
        *_cell_index(lat, lon, size), np.nan_to_num(fatalities, nan=0.0), lat, lon
    )
    return _cell_table(cx, cy, size, count, fat, sum_lat, sum_lon)


def region(view: View) -> View:
    """The area the server sends for ``view``: the view widened by :data:`MARGIN` on each
    side, its edges snapped outward to a coarse grid so that small pans keep the same area
    (and the same payload, which Streamlit then does not send again)."""
    step = cell_degrees(view.zoom) * 4
    dx = (view.east - view.west) * MARGIN
    dy = (view.north - view.south) * MARGIN

    def down(v):
        return math.floor(v / step) * step

    def up(v):
        return math.ceil(v / step) * step

    return View(
        down(view.west - dx),
        down(view.south - dy),
        up(view.east + dx),
        up(view.north + dy),
        view.zoom,
    )


def _b64(values: np.ndarray, dtype) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode("ascii")


@dataclass(frozen=True)
class EventView:
    """What the map draws for one view: ``mode`` is "points" or "cells"; ``in_view`` and
    ``fatalities_in_view`` count the filtered events inside the view itself, ``cells_in_view``
    the cells holding them; ``payload`` is what goes to the browser (JSON-ready)."""

    mode: str
    in_view: int
    fatalities_in_view: int
    cells_in_view: int
    cell_km: float
    payload: dict


def event_view(
    index,
    mask: np.ndarray,
    view: View,
    colors: list[str],
    limit: int | None = None,
    dates: tuple | None = None,
) -> EventView:
    """The event layer for ``view``: every filtered event (``mask`` over ``index``, an
    :class:`~geo.eventindex.EventIndex`) when there are at most ``limit`` (default:
    :func:`point_limit`); else the filtered events of :func:`region` one by one when they
    are few enough, otherwise their counts and fatalities per grid cell. ``colors`` has one
    colour per ``index.types``. ``dates``: the filter's (first, last) day; each event's days
    are sent clipped to them, so playback (which runs from the first day sent to the last)
    keeps to the chosen dates and shows each event on the same days within them."""
    if limit is None:
        limit = point_limit()
    sel = np.flatnonzero(mask)
    zero = getattr(index, "fatalities_or_zero", None)  # made once per index
    fat = zero[sel] if zero is not None else np.nan_to_num(index.fatalities[sel], nan=0.0)
    size = cell_degrees(view.zoom)
    cell_km = size * 111.32 * math.cos(math.radians((view.south + view.north) / 2))
    if len(sel) <= limit:
        lat, lon = index.lat[sel], index.lon[sel]
        area = None
        inside = in_view(lat, lon, view)
        ix, iy = _cells_of(index, sel[inside], lat[inside], lon[inside], view.zoom)
        stats = {
            "in_view": int(inside.sum()),
            "fatalities_in_view": int(fat[inside].sum(dtype=np.float64)),
            "cells_in_view": int(len(_bins(ix, iy)[2])),
            "cell_km": cell_km,
        }
    else:
        # The positions are read only when a test needs them (at the start view, which
        # holds every event, none does): a million events' are 8 MB to gather.
        area = region(view)
        lat = lon = None
        if not _all_in(index, area):
            lat, lon = index.lat[sel], index.lon[sel]
            keep = in_view(lat, lon, area)
            if not keep.all():
                sel, lat, lon, fat = sel[keep], lat[keep], lon[keep], fat[keep]
        ix, iy = _cells_of(index, sel, lat, lon, view.zoom)
        # counts and fatalities only: the cells' mean positions are not sent
        cx, cy, count, (cell_fat,) = _bins(ix, iy, fat)
        # what lies in the view itself: the same cells, counted over the events inside it
        inside = None
        if not _all_in(index, view):
            if lat is None:
                lat, lon = index.lat[sel], index.lon[sel]
            inside = in_view(lat, lon, view)
        if inside is None or inside.all():
            n_in, fat_in = count, cell_fat
        else:
            n_in, fat_in = _in_cells(ix[inside], iy[inside], fat[inside], cx, cy)
        stats = {
            "in_view": int(n_in.sum()),
            "fatalities_in_view": int(round(fat_in.sum())),
            "cells_in_view": int((n_in > 0).sum()),
            "cell_km": cell_km,
        }
    if len(sel) <= limit:
        start, end = index.start[sel], index.end[sel]
        first, last = dates or (None, None)
        if first is not None:
            start = np.maximum(start, _day(first))
        if last is not None:
            end = np.minimum(end, _day(last))
        fids = index.fid[sel]
        fid_bytes = 4 if len(sel) == 0 or (fids.min() >= 0 and fids.max() < 2**32) else 8
        payload = {
            "mode": "points",
            "n": int(len(sel)),
            "fid": _b64(fids, "<u4" if fid_bytes == 4 else "<f8"),
            "fid_bytes": fid_bytes,
            "lat": _b64(lat, "<f4"),
            "lon": _b64(lon, "<f4"),
            "start": _b64(start, "<i4"),
            "days": _b64(np.clip(end - start, 0, 65535), "<u2"),
            "type": _b64(index.type_code[sel], "<u2"),
            "fat": _b64(np.clip(fat, 0, 65535), "<u2"),
            "colors": colors,
            "types": [str(t) for t in index.types],  # for the hover label (zw.eventTooltip)
        }
        mode = "points"
    else:
        payload = {
            "mode": "cells",
            "n": int(len(count)),
            "size": size,
            "ix": _b64(cx, "<i4"),
            "iy": _b64(cy, "<i4"),
            "count": _b64(count, "<u4"),
            "fat": _b64(np.rint(cell_fat).astype(np.int64), "<u4"),
        }
        mode = "cells"
    payload["region"] = None if area is None else [area.west, area.south, area.east, area.north]
    payload["key"] = hashlib.blake2b(
        json.dumps(payload, sort_keys=True).encode(), digest_size=12
    ).hexdigest()
    return EventView(mode=mode, payload=payload, **stats)


def _in_cells(ix, iy, fat, cx, cy) -> tuple[np.ndarray, np.ndarray]:
    """The number and fatalities of the events (cells ``ix``, ``iy``) in each of the
    cells ``cx``, ``cy`` (sorted by ix, then iy, as :func:`_bins` returns them; every
    event's cell among them)."""
    sub_x, sub_y, sub_n, (sub_fat,) = _bins(ix, iy, fat)
    n = np.zeros(len(cx), dtype=np.int64)
    f = np.zeros(len(cx))
    if len(sub_x):
        keys = cx.astype(np.int64) * (1 << 32) + cy  # sorted, as the cells are
        at = np.searchsorted(keys, sub_x.astype(np.int64) * (1 << 32) + sub_y)
        n[at], f[at] = sub_n, sub_fat
    return n, f


def _day(value) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


def decode(payload: dict, name: str, dtype) -> np.ndarray:
    """An array of a payload, as the browser decodes it (for tests and tools)."""
    return np.frombuffer(base64.b64decode(payload[name]), dtype=dtype)
