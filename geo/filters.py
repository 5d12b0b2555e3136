"""Pure, vectorised event filters. One filter state serves the map, the counts and the CLI.

numpy, pandas, shapely and pyproj are imported by the functions that use them, so that
:class:`EventFilter` and :func:`parse_date` cost nothing to import (the command line's
quick answers need no pandas).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from geo.errors import InputError
from geo.wording import count

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: The largest radius of a "within R km of a place" filter, the same on the page and the CLI.
MAX_NEAR_KM = 5000.0


@dataclass(frozen=True)
class EventFilter:
    """What the user asked for. ``None`` means "no restriction"."""

    start: date | None = None
    end: date | None = None
    types: tuple[str, ...] | None = None
    datasets: tuple[str, ...] | None = field(default=None)
    #: (min lon, min lat, max lon, max lat), WGS84
    bbox: tuple[float, float, float, float] | None = None
    #: case-insensitive text found in actor 1 or actor 2
    actor: str | None = None
    min_fatalities: int | None = None
    precisions: tuple[str, ...] | None = None
    #: zone ids: events inside any of these zones, each zone taken as the version in force
    #: on the event's start date (the zone versions are given to the mask; see
    #: :func:`zone_hits`)
    zones: tuple[str, ...] | None = None
    #: (latitude, longitude, km): events within km of the point (geodesic distance)
    near: tuple[float, float, float] | None = None

    def describe(self, all_types: Iterable[str] = ()) -> str:
        """The filter in words, for a report's header."""
        parts = [
            f"events from {self.start:%d %b %Y}" if self.start else "events from the first",
            f"to {self.end:%d %b %Y}" if self.end else "to the last",
        ]
        if self.types is not None and set(self.types) != set(all_types):
            parts.append("of types " + ", ".join(self.types))
        if self.datasets:
            parts.append("from " + ", ".join(self.datasets))
        if self.actor:
            parts.append(f"with an actor containing '{self.actor}'")
        if self.min_fatalities:
            parts.append(f"with at least {count(self.min_fatalities, 'fatality', 'fatalities')}")
        if self.precisions:
            parts.append("located at " + ", ".join(self.precisions))
        if self.zones:
            parts.append("inside " + ", ".join(self.zones))
        if self.near:
            lat, lon, km = self.near
            parts.append(f"within {km:g} km of {lat:.4f}, {lon:.4f}")
        return " ".join(parts)

    def __post_init__(self):
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InputError(
                f"the end date {self.end.isoformat()} is before the start date "
                f"{self.start.isoformat()}; swap them"
            )


def parse_date(text: str, what: str = "date") -> date:
    """Parse ``YYYY-MM-DD`` or raise an :class:`InputError` that says how to write it."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise InputError(f"{what} '{text}' is not a date; write it as YYYY-MM-DD") from None


def date_overlap_mask(df: pd.DataFrame, start: date | None, end: date | None) -> np.ndarray:
    """Events whose [date_start, date_end] overlaps [start, end] (both inclusive)."""
    import numpy as np
    import pandas as pd

    mask = np.ones(len(df), dtype=bool)
    if end is not None:
        mask &= (df["date_start"] <= pd.Timestamp(end)).to_numpy()
    if start is not None:
        mask &= (df["date_end"] >= pd.Timestamp(start)).to_numpy()
    return mask


def _isin_casefold(values: pd.Series, wanted: Iterable[str]) -> np.ndarray:
    wanted = {w.casefold() for w in wanted}
    return values.str.casefold().isin(wanted).to_numpy()


def event_mask(df: pd.DataFrame, flt: EventFilter, zones=None) -> np.ndarray:
    """A boolean mask over ``df`` selecting the events that match ``flt``.

    ``zones`` (every stored version of the zones, as :meth:`Store.zone_versions` gives
    them) is needed when ``flt.zones`` is set: see :func:`zone_mask`.
    """
    import numpy as np

    mask = date_overlap_mask(df, flt.start, flt.end)
    if flt.types is not None:
        mask &= _isin_casefold(df["event_type"], flt.types)
    if flt.datasets is not None:
        mask &= _isin_casefold(df["dataset"], flt.datasets)
    spatial = flt.bbox is not None or flt.near is not None or flt.zones is not None
    lon, lat = (df["longitude"].to_numpy(), df["latitude"].to_numpy()) if spatial else (None, None)
    if flt.bbox is not None:
        west, south, east, north = flt.bbox
        mask &= (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    if flt.actor:
        text = flt.actor.casefold()
        mask &= (
            df["actor1"].str.casefold().str.contains(text, regex=False)
            | df["actor2"].str.casefold().str.contains(text, regex=False)
        ).to_numpy()
    if flt.min_fatalities is not None:
        mask &= (df["fatalities_best"].fillna(-1) >= flt.min_fatalities).to_numpy(dtype=bool)
    if flt.precisions is not None:
        mask &= df["location_precision"].isin(flt.precisions).to_numpy()
    if flt.near is not None:
        mask &= within_km(lat, lon, *flt.near)
    if flt.zones is not None:
        idx = np.flatnonzero(mask)
        start = df["date_start"].to_numpy()[idx]
        mask[idx] = zone_mask(lon[idx], lat[idx], start, zones, flt.zones)
    return mask


def day_numbers(values) -> np.ndarray:
    """Days since 1970-01-01 of dates (a datetime column or array; integers pass through)."""
    import numpy as np

    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    return arr.astype("datetime64[D]").astype(np.int64)


def zone_hits(lon, lat, start, versions, zone_ids: Iterable[str] | None = None):
    """The one definition of "an event inside a zone", used by the filters (pandas and the
    in-memory index), the zone reports and ``zones stats``: an event is inside a zone when
    its point lies in the zone's **version in force on the event's start date** (the
    version with the latest ``valid_from`` on or before it, the newest on a tie; boundary
    included). Before a zone's first version, and while its version in force says
    'ended', nothing is inside it.

    ``lon``, ``lat``: arrays; ``start``: the events' start dates (datetimes or day
    numbers); ``versions``: every version of the zones (``zone_id``, ``version``,
    ``valid_from``, ``status``, geometry). Yields ``(zone_id, version, positions)`` with
    the positions (into the arrays) of the events inside that version.
    """
    import numpy as np
    import shapely

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    days = day_numbers(start)
    wanted = None if zone_ids is None else set(zone_ids)
    if versions is None:
        raise ValueError("a zone filter needs the zone versions")
    for zone_id, zv in versions.groupby("zone_id", sort=True):
        if wanted is not None and zone_id not in wanted:
            continue
        zv = zv.sort_values(["valid_from", "version"], kind="stable")
        which = np.searchsorted(day_numbers(zv["valid_from"]), days, side="right") - 1
        statuses = zv["status"].fillna("").to_numpy()
        for i, (version, geometry) in enumerate(
            zip(zv["version"].to_numpy(), zv.geometry.values, strict=True)
        ):
            if statuses[i] == "ended" or geometry is None:
                continue
            picked = np.flatnonzero(which == i)
            if len(picked):  # only the points within the boundary's bounds are tested
                x0, y0, x1, y1 = geometry.bounds
                x, y = lon[picked], lat[picked]
                picked = picked[(x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)]
            if not len(picked):
                continue
            inside = shapely.intersects_xy(geometry, lon[picked], lat[picked])
            yield zone_id, int(version), picked[inside]


def zone_mask(lon, lat, start, versions, zone_ids: Iterable[str]) -> np.ndarray:
    """Events inside any of ``zone_ids``, each zone taken as the version in force on the
    event's start date (see :func:`zone_hits`)."""
    import numpy as np

    mask = np.zeros(len(np.asarray(lon)), dtype=bool)
    for _, _, positions in zone_hits(lon, lat, start, versions, zone_ids):
        mask[positions] = True
    return mask


def zone_bbox(versions, zone_ids: Iterable[str]) -> tuple[float, float, float, float] | None:
    """A box (west, south, east, north) around every version of the chosen zones (None when
    there is none): a cheap first cut that the zone test then refines."""
    chosen = versions[versions["zone_id"].isin(list(zone_ids))]
    chosen = chosen[chosen["status"].fillna("") != "ended"]
    if chosen.empty:
        return None
    return tuple(float(v) for v in chosen.total_bounds)


@cache
def _geod():
    from pyproj import Geod

    return Geod(ellps="WGS84")


#: The mean radius of the Earth (km) and how far, at most, a great-circle distance on that
#: sphere is from the WGS84 geodesic one: the ellipsoid's radii of curvature lie between
#: 6,335 and 6,400 km, within 0.6% of it; 1% is kept as the margin.
_SPHERE_KM = 6371.0088
_SPHERE_MARGIN = 0.01


def within_km(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float, km: float) -> np.ndarray:
    """Points within ``km`` of (lat0, lon0), by geodesic distance on the WGS84 ellipsoid.

    The geodesic (pyproj, about 1 µs a point) is computed only for the points whose
    great-circle distance (numpy, a few ns a point) lies within 1% of ``km``, where the
    two could disagree; the others are decided by the sphere. Same answer as the geodesic
    for every point (tested), in a tenth of the time on a million points."""
    import numpy as np

    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if lat.size == 0:
        return np.zeros(lat.shape, dtype=bool)
    p1, p2 = np.radians(lat0), np.radians(lat)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon - lon0) / 2) ** 2
    )
    sphere = 2 * _SPHERE_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    inside = sphere <= km * (1 - _SPHERE_MARGIN)
    unsure = np.flatnonzero(np.abs(sphere - km) <= km * _SPHERE_MARGIN + 1e-3)
    if unsure.size:
        inside[unsure] = distance_km(lat[unsure], lon[unsure], lat0, lon0) <= km
    return inside


def distance_km(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    """Geodesic distances in km from (lat0, lon0) to each point."""
    import numpy as np

    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if lat.size == 0:
        return np.zeros(0)
    _, _, metres = _geod().inv(np.full(lat.shape, lon0), np.full(lat.shape, lat0), lon, lat)
    return np.asarray(metres) / 1000.0


def near_bbox(lat0: float, lon0: float, km: float) -> tuple[float, float, float, float]:
    """A box (west, south, east, north) surely containing every point within ``km``."""
    dlat = km / 110.0 + 0.01
    dlon = km / (110.0 * max(math.cos(math.radians(min(abs(lat0) + dlat, 89.0))), 0.01)) + 0.01
    return (lon0 - dlon, lat0 - dlat, lon0 + dlon, lat0 + dlat)


def filter_events(df: pd.DataFrame, flt: EventFilter, zones=None) -> pd.DataFrame:
    """The events of ``df`` that match ``flt``, in their original order."""
    return df[event_mask(df, flt, zones)]


def check_types(requested: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    """Return ``requested`` as the known spellings, or raise naming the unknown ones."""
    by_key = {k.casefold(): k for k in known}
    out, unknown = [], []
    for t in requested:
        (out if t.casefold() in by_key else unknown).append(by_key.get(t.casefold(), t))
    if unknown:
        raise InputError(
            f"unknown event type(s) {', '.join(repr(u) for u in unknown)}; "
            f"known types: {', '.join(sorted(by_key.values()))}"
        )
    return tuple(out)


def select_events(store, flt: EventFilter, zones=None) -> pd.DataFrame:
    """Events matching ``flt`` from a store: dates, types, datasets and a bounding box run in
    the store's engine (in SQL); the other filters (the zone test among them, see
    :func:`zone_hits`) run here, vectorised. ``zones``: the zone versions."""
    bbox = flt.bbox
    if flt.near is not None:
        bbox = near_bbox(*flt.near)
    elif flt.zones is not None and zones is not None:
        bbox = zone_bbox(zones, flt.zones) or bbox
    coarse = replace(
        flt, bbox=bbox, actor=None, min_fatalities=None, precisions=None, zones=None, near=None
    )
    events = store.events(coarse)
    return events[event_mask(events, flt, zones)].reset_index(drop=True)


def _norm(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in plain.casefold() if ch.isalnum())


def find_place(places, name: str) -> tuple[float, float, str]:
    """(latitude, longitude, English name) of a place named ``name`` (English, GeoNames or
    Arabic spelling; case, accents and punctuation ignored)."""
    wanted = _norm(name)
    if not wanted:
        raise InputError("give a place name, e.g. Raqqa")
    for row, geom in zip(places.itertuples(index=False), places.geometry.values, strict=True):
        keys = {_norm(row.name_en), _norm(row.name), _norm(row.name_ar)}
        if "(" in row.name_en:
            outer, inner = row.name_en.split("(", 1)
            keys |= {_norm(outer), _norm(inner.rstrip(")"))}
        if wanted in keys:
            return geom.y, geom.x, row.name_en
    import difflib

    names = sorted(set(places["name_en"]))
    close = difflib.get_close_matches(name, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise InputError(f"no place named '{name}' among the {len(names)} known places{hint}")


def find_zones(zones, names: Iterable[str]) -> tuple[str, ...]:
    """Zone ids for names: a zone id, or text found in exactly one zone's English name."""
    out = []
    for name in names:
        key = name.strip().casefold()
        exact = zones[zones["zone_id"].str.casefold() == key]
        if len(exact) == 1:
            out.append(exact["zone_id"].iloc[0])
            continue
        found = zones[zones["name_en"].str.casefold().str.contains(key, regex=False)]
        if len(found) == 1:
            out.append(found["zone_id"].iloc[0])
            continue
        known = ", ".join(sorted(zones["zone_id"]))
        what = "matches several zones" if len(found) > 1 else "matches no zone"
        raise InputError(f"--zone '{name}' {what}; use a zone id: {known}")
    return tuple(out)
