"""The Events table at any scale: the selected events put in order on the compact columns
of :class:`~geo.eventindex.EventIndex`, cut into pages, and each shown event's nearest place.

Only a page's rows are then read in full from the store (``Store.events_by_fids``).

Order: by the column chosen, ascending or descending; missing values (unknown fatalities,
blank text) come last either way, in fid order; ties keep the order of the row ids
(``fid``, the order events were stored in), so a page always holds the same rows. Text
sorts by its letters and digits without accents or case (then case-folded, then as
written). "Nearest place" sorts by the place's name, then by the distance to it (both in
the direction chosen).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geo.eventindex import EventIndex

#: sort keys and their labels (the table's column headers)
SORT_COLUMNS = {
    "date": "Start date",
    "fatalities": "Fatalities (best)",
    "type": "Event type",
    "dataset": "Dataset",
    "actor": "Actor 1",
    "place": "Nearest place",
}
PAGE_SIZE = 100
#: The table's first columns, with their widths in pixels: what a reader looks for first,
#: all in view on a 1400-pixel-wide screen. The others follow in the event model's order.
FIRST_COLUMNS = {
    "Start date": 95,
    "Event type": 150,
    "Fatalities (best)": 115,
    "Location": 180,
    "Dataset": 80,
    "Nearest place": 120,
}


def column_order(columns, sorted_by: str | None = None) -> list[str]:
    """The table's columns, the first ones (:data:`FIRST_COLUMNS`) first. The column the
    table is sorted by (``sorted_by``, a header) is always in view: when it is not one of
    the first, it comes second, after the start date (else it could be off to the right)."""
    first = [c for c in FIRST_COLUMNS if c in columns]
    if sorted_by in columns and sorted_by not in first:
        first.insert(min(1, len(first)), sorted_by)
    return first + [c for c in columns if c not in first]


def column_widths(sorted_by: str | None = None) -> dict[str, int]:
    """The widths of the first columns, and of the column sorted by when it is not one of
    them (180 px: long actor lists would otherwise push the others out of view)."""
    return {**FIRST_COLUMNS, **({sorted_by: 180} if sorted_by not in FIRST_COLUMNS else {})}


def _text_key(text: str) -> tuple[str, str, str]:
    # letters and digits without accents or case first ("‘Āmūdā" sorts as "amuda")
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return "".join(ch for ch in plain.casefold() if ch.isalnum()), text.casefold(), text


def text_rank(dictionary: tuple[str, ...]) -> np.ndarray:
    """Each dictionary entry's rank in sorted order: by its letters and digits, without
    accents or case, then case-folded, then as written."""
    keys = [_text_key(v) for v in dictionary]
    rank = np.empty(len(dictionary), dtype=np.int64)
    previous, current = None, -1
    for position, i in enumerate(sorted(range(len(keys)), key=keys.__getitem__)):
        if keys[i] != previous:  # equal texts (two places of one name) share a rank
            previous, current = keys[i], position
        rank[i] = current
    return rank


def _coded(codes: np.ndarray, dictionary: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(sort key, missing) of dictionary codes; code -1 and blank text are missing."""
    codes = codes.astype(np.int64)
    rank = np.append(text_rank(dictionary), -1)  # slot -1: missing
    blank = np.append(np.array([not v.strip() for v in dictionary], dtype=bool), True)
    return rank[codes], blank[codes]


#: Location precisions that give no nearest place: the point stands for a governorate (its
#: centroid), a region, the whole country or international waters or airspace, so a town
#: next to it is no nearer to the event than any other (UCDP ``where_prec`` 4 to 7, ACLED
#: ``geo_precision`` 3): the coarse locations of the Zone report (``geo.analysis.COARSE``).
NO_NEAREST = ("admin1", "region", "country", "international")
#: What the table says instead: what the event is located by.
LOCATED_ONLY_BY = {
    "admin1": "(governorate only)",
    "region": "(region only)",
    "country": "(country only)",
    "international": "(international waters or airspace)",
}

#: The help of the table's columns that need one.
COLUMN_HELP = {
    "Nearest place": "The place nearest the event's point. For an event located only by a "
    "governorate, a region, the country or international waters (location precision "
    + ", ".join(NO_NEAREST)
    + ") it says so instead, e.g. (governorate only): its point is a stand-in, no place is "
    "nearer to the event than another.",
    "Distance (km)": "Geodesic distance from the event's point to its nearest place; empty "
    "when there is no nearest place (see Nearest place).",
}


@dataclass(frozen=True, eq=False)
class Nearest:
    """For events (in the order asked), the index of the nearest place and its geodesic
    distance in km (rounded to 0.1; NaN for an event that has none), with the places'
    names."""

    place: np.ndarray
    km: np.ndarray
    names: np.ndarray

    def name_of(self) -> np.ndarray:
        """Each event's nearest place's name; '' where it has none."""
        if not len(self.names):
            return np.full(len(self.place), "")
        return np.where(np.isnan(self.km), "", self.names[self.place])


def nearest_labels(near: Nearest, precision) -> np.ndarray:
    """What the table shows as each event's nearest place: its name, or for an event
    located only coarsely what it is located by (:data:`LOCATED_ONLY_BY`, "(region only)")."""
    names = near.name_of().astype(object)
    coarse = pd.Series(np.asarray(precision, dtype=object)).map(LOCATED_ONLY_BY)
    return np.where(coarse.notna().to_numpy(), coarse.to_numpy(dtype=object), names)


def precisions_of(index: EventIndex) -> np.ndarray:
    """Each indexed event's location precision (text; '' when missing)."""
    words = np.append(np.asarray(index.precisions, dtype=object), "")  # slot -1: missing
    return words[index.precision_code.astype(np.int64)]


def place_names(places) -> np.ndarray:
    """The name shown for each place: English, else the GeoNames name."""
    return places["name_en"].where(places["name_en"].astype(bool), places["name"]).to_numpy()


def _haversine(lat1, lon1, lat2, lon2) -> np.ndarray:
    """The haversine of the great-circle angle (monotonic in the distance), radians in."""
    return (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )


def nearest_places(lat, lon, places, chunk: int = 100_000, precision=None) -> Nearest:
    """Each point's nearest place on the sphere (the same choice as
    :func:`geo.analysis.nearest_places`, ties to the first place), found with an R-tree of
    the places rather than every point against every place; the distance given is the
    WGS84 geodesic one. ``precision``: each point's location precision; a point whose
    precision is one of :data:`NO_NEAREST` gets none (distance NaN, name '').

    How: the R-tree's nearest place in longitude/latitude gives an upper bound on the
    angle to the true nearest place; every place within that angle lies in a box around
    the point (latitude +- the angle; longitude widened by 1/cos of the highest latitude
    reached), and the R-tree finds the few places in it, measured exactly.
    """
    from pyproj import Geod

    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    names = place_names(places) if len(places) else np.array([], dtype=object)
    if not len(lat) or not len(places):
        return Nearest(np.zeros(len(lat), np.int64), np.full(len(lat), np.nan), names)
    px = places.geometry.x.to_numpy(float)
    py = places.geometry.y.to_numpy(float)
    tree = shapely.STRtree(shapely.points(px, py))
    prad, xrad = np.radians(py), np.radians(px)
    best = np.empty(len(lat), dtype=np.int64)
    for start in range(0, len(lat), chunk):
        la, lo = lat[start : start + chunk], lon[start : start + chunk]
        best[start : start + chunk] = _nearest_chunk(la, lo, tree, prad, xrad)
    _, _, metres = Geod(ellps="WGS84").inv(lon, lat, px[best], py[best])
    km = np.round(np.asarray(metres) / 1000, 1)
    if precision is not None:
        km[np.isin(np.asarray(precision, dtype=object), NO_NEAREST)] = np.nan
    return Nearest(best, km, names)


def _nearest_chunk(lat, lon, tree, prad, xrad) -> np.ndarray:
    points = shapely.points(lon, lat)
    who, first = tree.query_nearest(points, all_matches=False)
    la, lo = np.radians(lat), np.radians(lon)
    h0 = np.empty(len(lat))
    h0[who] = _haversine(la[who], lo[who], prad[first], xrad[first])
    angle = 2 * np.arcsin(np.sqrt(np.clip(h0, 0, 1)))  # to the R-tree's nearest, radians
    angle = angle * (1 + 1e-9) + 1e-12  # a hair wider: never lose a place on the edge
    dlat = np.degrees(angle)
    top = np.radians(np.minimum(np.abs(lat) + dlat, 90.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.sin(angle / 2) / np.cos(top)
    dlon = np.where(ratio < 1, np.degrees(2 * np.arcsin(np.minimum(ratio, 1))), 360.0)
    west, east = lon - dlon, lon + dlon
    wraps = (west < -180) | (east > 180)
    west, east = np.where(wraps, -180.0, west), np.where(wraps, 180.0, east)
    boxes = shapely.box(west, lat - dlat, east, lat + dlat)
    ev, pl = tree.query(boxes, predicate="intersects")
    h = _haversine(la[ev], lo[ev], prad[pl], xrad[pl])
    order = np.lexsort((pl, h, ev))  # per event: the smallest, then the first place
    ev, pl = ev[order], pl[order]
    starts = np.flatnonzero(np.r_[True, ev[1:] != ev[:-1]])
    out = np.empty(len(lat), dtype=np.int64)
    out[ev[starts]] = pl[starts]
    return out


def sort_order(
    index: EventIndex,
    mask: np.ndarray,
    by: str = "date",
    descending: bool = False,
    nearest: Nearest | None = None,
) -> np.ndarray:
    """Positions in ``index`` of the events selected by ``mask``, in the table's order (see
    the module docstring). ``nearest`` (for every indexed event) is needed for "place"."""
    rows = np.flatnonzero(mask)  # the index is in fid order
    if len(mask) < 2**31:  # positions as int32: half the memory of each order kept
        rows = rows.astype(np.int32)
    keys: list[np.ndarray] = []  # most significant last, as np.lexsort takes them
    if by == "date":
        key, missing = index.start[rows].astype(np.float64), np.zeros(len(rows), bool)
    elif by == "fatalities":
        values = index.fatalities[rows].astype(np.float64)
        missing = np.isnan(values)
        key = np.nan_to_num(values, nan=0.0)
    elif by == "type":
        key, missing = _coded(index.type_code[rows], index.types)
    elif by == "dataset":
        key, missing = _coded(index.dataset_code[rows], index.datasets)
    elif by == "actor":
        key, missing = _coded(index.actor1_code[rows], index.actors)
    elif by == "place":
        if nearest is None:
            raise ValueError("sorting by nearest place needs every event's nearest place")
        names = nearest.names
        rank = np.append(text_rank(tuple(str(n) for n in names)), -1)
        place = nearest.place[rows]
        km = nearest.km[rows].astype(np.float64)
        missing = np.isnan(km)
        key = rank[np.where(missing, -1, place)]
        keys.append(-np.nan_to_num(km) if descending else np.nan_to_num(km))
    else:
        raise ValueError(f"cannot sort by {by!r}; choose one of {', '.join(SORT_COLUMNS)}")
    key = np.where(missing, 0.0, key.astype(np.float64))  # missing: last, in fid order
    keys = [np.where(missing, 0.0, k) for k in keys]
    sort_keys = (*keys, -key if descending else key, missing)
    if not index.in_fid_order:  # (then any selection of it is: no copy of its fids)
        fids = index.fid[rows]
        if len(fids) > 1 and not (np.diff(fids) > 0).all():
            return rows[np.lexsort((fids, *sort_keys))]
    # rows in fid order (as the index keeps them): a stable sort keeps it among equals
    if keys:
        return rows[np.lexsort(sort_keys)]
    return rows[_stable_order(sort_keys[-2], missing)]


def _stable_order(key: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """A stable argsort by ``key``, the missing last: the order of
    ``np.lexsort((key, missing))``; a radix sort (linear) when the keys are whole numbers
    within 65,536 of each other, as days and text ranks are."""
    if not len(key):
        return np.zeros(0, dtype=np.int64)
    top = key[~missing].max() + 1 if (~missing).any() else 0.0
    key = np.where(missing, top, key)  # missing: after every key, equal among themselves
    small = key - key.min()
    if small.max() < 65_536 and np.array_equal(small, np.floor(small)):
        return np.argsort(small.astype(np.uint16), kind="stable")
    return np.argsort(key, kind="stable")


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """Pages needed for ``total`` rows (at least one, to show an empty table)."""
    return max(1, math.ceil(total / size))


def page_rows(order: np.ndarray, page: int, size: int = PAGE_SIZE) -> np.ndarray:
    """The positions on page ``page`` (1-based; clamped to the pages there are)."""
    page = min(max(1, int(page)), page_count(len(order), size))
    return order[(page - 1) * size : page * size]
