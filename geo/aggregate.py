"""What the map sends for a view: the events themselves when few are in view, otherwise
counts and fatalities per grid cell, so the payload does not grow with the number of events.

The grid is anchored at (-180, -90) and its cell size halves with each zoom level, so a
cell is about ``CELL_PX`` screen pixels wide at every zoom and the cells stay put while
the user pans. Pure numpy over column arrays; the caller filters first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A cell's width on screen, in pixels (Web Mercator tiles are 256 px wide).
CELL_PX = 48
#: More events in view than this: send cells, not points.
POINT_LIMIT = 5000


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
                float(sw["lng"]), float(sw["lat"]), float(ne["lng"]), float(ne["lat"]), int(zoom)
            )
        except (KeyError, TypeError, ValueError):
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


def cells(
    lat: np.ndarray, lon: np.ndarray, fatalities: np.ndarray, zoom: int
) -> dict[str, np.ndarray]:
    """Counts and fatalities per grid cell at ``zoom`` for the given points.

    Returns arrays: ``ix``, ``iy`` (cell indices), ``west``, ``south``, ``size`` (degrees),
    ``lat``, ``lon`` (the mean position of the cell's events, where the marker goes),
    ``count`` and ``fatalities``; one entry per non-empty cell.
    """
    size = cell_degrees(zoom)
    ix = np.floor((lon + 180.0) / size).astype(np.int64)
    iy = np.floor((lat + 90.0) / size).astype(np.int64)
    key = ix * (1 << 31) + iy
    uniq, inverse, count = np.unique(key, return_inverse=True, return_counts=True)
    fat = np.bincount(inverse, weights=np.nan_to_num(fatalities, nan=0.0), minlength=len(uniq))
    mean_lat = np.bincount(inverse, weights=lat, minlength=len(uniq)) / count
    mean_lon = np.bincount(inverse, weights=lon, minlength=len(uniq)) / count
    cx = uniq // (1 << 31)
    cy = uniq % (1 << 31)
    return {
        "ix": cx,
        "iy": cy,
        "west": cx * size - 180.0,
        "south": cy * size - 90.0,
        "size": np.full(len(uniq), size),
        "lat": mean_lat,
        "lon": mean_lon,
        "count": count,
        "fatalities": fat.astype(np.int64),
    }
