"""What happened in each zone, in time: events matched to the zone boundary in force on
the day each event began (not today's), and counts per zone and period.

Pure functions over frames; the pages and the CLI call them.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import shapely

from geo.filters import zone_hits
from geo.timeline import timeline
from geo.wording import count

#: Location precisions too coarse to place an event in a zone: a governorate's centroid or
#: wider (UCDP ``where_prec`` 4 and above, ACLED ``geo_precision`` 3).
COARSE = frozenset({"admin1", "region", "country", "international"})


def is_coarse(events: pd.DataFrame) -> pd.Series:
    """True for events placed no better than a governorate's centroid."""
    return events["location_precision"].isin(COARSE)


def zone_membership(events: pd.DataFrame, versions) -> pd.DataFrame:
    """One row per (event, zone) where the event lies in the zone's version in force on
    the event's start date; zones that had ended (or not begun) by then do not count.

    Columns: ``event`` (the index label in ``events``), ``zone_id``, ``version``.
    A point on a boundary counts as inside. The test is :func:`geo.filters.zone_hits`, the
    same one the "Inside zones" filter and ``events --zone`` use.
    """
    parts = [
        pd.DataFrame({"event": events.index[positions], "zone_id": zone_id, "version": version})
        for zone_id, version, positions in zone_hits(
            events["longitude"].to_numpy(dtype=float),
            events["latitude"].to_numpy(dtype=float),
            events["date_start"],
            versions,
        )
    ]
    if parts:
        return pd.concat(parts, ignore_index=True)
    return pd.DataFrame({"event": events.index[:0], "zone_id": "", "version": 0})


def zone_counts(
    events: pd.DataFrame,
    versions,
    freq: str = "month",
    exclude_coarse: bool = False,
    start=None,
    end=None,
) -> pd.DataFrame:
    """Events and fatalities per zone, period (``week`` or ``month``, by start date) and
    event type, for the events that start from ``start`` to ``end`` (see
    :func:`geo.timeline.timeline`); only the periods and types with events.
    Columns: zone_id, period, event_type, events, fatalities."""
    columns = ["zone_id", "period", "event_type", "events", "fatalities"]
    if exclude_coarse:
        events = events[~is_coarse(events)]
    member = zone_membership(events, versions)
    parts = []
    for zone_id, rows in member.groupby("zone_id", sort=True):
        counted = timeline(events.loc[rows["event"]], freq, start, end)
        counted = counted[counted["events"] > 0]
        counted.insert(0, "zone_id", zone_id)
        parts.append(counted[columns])
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def in_zone(events: pd.DataFrame, versions, zone_id: str) -> pd.DataFrame:
    """The events inside ``zone_id``'s version in force on each event's start date."""
    member = zone_membership(events, versions[versions["zone_id"] == zone_id])
    return events.loc[member["event"]]


def ring(geometry, km: float):
    """The band of ``km`` around a lon/lat (multi)polygon, outside it, computed in the
    equal-area projection (metres), back in lon/lat. Kept for the last shapes asked
    (:func:`_ring`): a report asks for the same zone's or places' bands on every rerun."""
    return _ring(shapely.to_wkb(geometry), float(km))


@functools.lru_cache(maxsize=64)
def _ring(wkb: bytes, km: float):
    """:func:`ring` of the geometry ``wkb``. The projections run in each new thread (as
    each of a page's reruns is) first make their own PROJ objects: 50 to 200 ms on a
    loaded machine for a zone's band, on every report rerun, before this was kept.
    Shapely geometries are immutable, so the same one may be given to every caller."""
    from geo.zones import equal_area, from_equal_area

    metric = equal_area(shapely.from_wkb(wkb))
    return from_equal_area(metric.buffer(km * 1000.0).difference(metric))


def inside(events: pd.DataFrame, geometry) -> pd.DataFrame:
    """The events whose point lies in ``geometry`` (boundary included)."""
    if events.empty or geometry is None:
        return events.iloc[:0]
    lon, lat = events["longitude"].to_numpy(float), events["latitude"].to_numpy(float)
    x0, y0, x1, y1 = geometry.bounds  # only the points within its bounds are tested
    near = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
    keep = near[shapely.intersects_xy(geometry, lon[near], lat[near])]
    return events.iloc[keep]


def around(events: pd.DataFrame, pivot, days: int) -> pd.DataFrame:
    """The events that start in the ``days`` before ``pivot`` or the ``days`` from it on:
    the two windows :func:`before_after` compares."""
    pivot = pd.Timestamp(pivot)
    start = events["date_start"]
    return events[
        (start >= pivot - pd.Timedelta(days=days)) & (start < pivot + pd.Timedelta(days=days))
    ]


def before_after(events: pd.DataFrame, pivot, days: int) -> dict:
    """Events and fatalities in the ``days`` before ``pivot`` (pivot excluded) and the
    ``days`` from ``pivot`` on (equal windows, by start date), with the change."""
    pivot = pd.Timestamp(pivot)
    start = events["date_start"]
    windows = {
        "before": (pivot - pd.Timedelta(days=days), pivot - pd.Timedelta(days=1)),
        "after": (pivot, pivot + pd.Timedelta(days=days - 1)),
    }
    out: dict = {"pivot": pivot, "days": days}
    for name, (first, last) in windows.items():
        chosen = events[(start >= first) & (start <= last)]
        out[name] = {
            "first": first,
            "last": last,
            "events": len(chosen),
            "fatalities": int(chosen["fatalities_best"].fillna(0).sum()),
        }
    for what in ("events", "fatalities"):
        b, a = out["before"][what], out["after"][what]
        out[f"{what}_change"] = a - b
        out[f"{what}_change_pct"] = (a - b) / b * 100 if b else None
    return out


def window_days(pivot, days: int, first=None, last=None) -> int:
    """The longest window (at most ``days``) the covered span [``first``, ``last``] holds on
    both sides of ``pivot``: the before window [pivot - d, pivot - 1] and the after window
    [pivot, pivot + d - 1] both inside it. 0 when the pivot itself is not covered."""
    pivot = pd.Timestamp(pivot)
    d = int(days)
    if first is not None:
        d = min(d, (pivot - pd.Timestamp(first)).days)
    if last is not None:
        d = min(d, (pd.Timestamp(last) - pivot).days + 1)
    return max(d, 0)


def zone_ended(versions, zone_id: str, day):
    """The day the zone ended, when it had ended by ``day`` (its version in force then says
    'ended') or ends after it (the valid-from date of its next 'ended' version); None when
    it never ends after ``day``."""
    rows = versions[versions["zone_id"] == zone_id].sort_values(["valid_from", "version"])
    day = pd.Timestamp(day)
    live = rows[rows["valid_from"] <= day]
    if len(live) and live["status"].iloc[-1] == "ended":
        return live["valid_from"].iloc[-1]
    later = rows.loc[(rows["valid_from"] > day) & (rows["status"] == "ended"), "valid_from"]
    return later.min() if len(later) else None


def comparison_window(versions, zone_id: str, pivot, days: int, first=None, last=None):
    """The before/after window to use and why it is shorter, as ``(days, note)``.

    The two windows stay equal and inside what can be compared: the events covered
    (``first`` to ``last``: the data and the chosen dates) and, for the after window, the
    zone's life (up to the day before it ended). When a window would run past them, both are
    shortened to the days covered (``note`` says why); when nothing is covered, ``days`` is
    0 and there is no comparison. ``note`` is empty when the asked window fits."""
    pivot = pd.Timestamp(pivot)
    ended = zone_ended(versions, zone_id, pivot)
    limits = []
    if last is not None:
        limits.append(
            (pd.Timestamp(last), f"the events shown end on {pd.Timestamp(last):%d %b %Y}")
        )
    if ended is not None:
        limits.append(
            (ended - pd.Timedelta(days=1), f"the zone ended on {pd.Timestamp(ended):%d %b %Y}")
        )
    end, end_why = min(limits, key=lambda x: x[0]) if limits else (None, "")
    begin_why = (
        f"the events shown begin on {pd.Timestamp(first):%d %b %Y}" if first is not None else ""
    )
    got = window_days(pivot, days, first, end)
    if got == int(days):
        return got, ""
    reasons = []
    if first is not None and window_days(pivot, days, first, None) < int(days):
        reasons.append(begin_why)
    if end is not None and window_days(pivot, days, None, end) < int(days):
        reasons.append(end_why)
    why = " and ".join(reasons)
    if got == 0:
        return 0, f"No before/after comparison around {pivot:%d %b %Y}: {why}."
    return got, (
        f"The windows are shortened to {count(got, 'day')} each (of the {int(days)} asked), "
        f"so both stay equal and covered: {why}."
    )


def in_force_date(versions, zone_id: str):
    """The day a zone first came into force (its first version's in-force date, else its
    valid-from date): the default date a zone report compares around."""
    first = versions[versions["zone_id"] == zone_id].sort_values("valid_from").iloc[0]
    day = first["in_force_from"] if pd.notna(first["in_force_from"]) else first["valid_from"]
    return day.date()


def boundary_at(versions, zone_id: str, day):
    """The zone's boundary in force on ``day``, or (before it began, or after it ended) the
    nearest one it had: the area a before/after comparison keeps fixed."""
    rows = versions[(versions["zone_id"] == zone_id) & (versions["status"] != "ended")]
    rows = rows.sort_values(["valid_from", "version"])
    if rows.empty:
        return None
    live = rows[rows["valid_from"] <= pd.Timestamp(day)]
    return (live if len(live) else rows).iloc[-1 if len(live) else 0]


def nearest_places(events: pd.DataFrame, places, chunk: int = 4096) -> pd.DataFrame:
    """For each event, the nearest place and its geodesic distance in km.

    Candidates come from a great-circle (haversine) search in chunks, which picks the same
    place as the ellipsoid except in near-ties a few metres wide; the distance given is
    the WGS84 geodesic one. Columns: nearest_place, nearest_km (index as ``events``).
    """
    from pyproj import Geod

    if events.empty or places.empty:
        return pd.DataFrame({"nearest_place": "", "nearest_km": np.nan}, index=events.index)
    plat = np.radians(places.geometry.y.to_numpy())
    plon = np.radians(places.geometry.x.to_numpy())
    elat = np.radians(events["latitude"].to_numpy(float))
    elon = np.radians(events["longitude"].to_numpy(float))
    best = np.empty(len(events), dtype=np.int64)
    for start in range(0, len(events), chunk):
        la, lo = elat[start : start + chunk, None], elon[start : start + chunk, None]
        h = np.sin((plat - la) / 2) ** 2 + np.cos(la) * np.cos(plat) * np.sin((plon - lo) / 2) ** 2
        best[start : start + chunk] = h.argmin(axis=1)
    names = places["name_en"].where(places["name_en"].astype(bool), places["name"]).to_numpy()
    _, _, metres = Geod(ellps="WGS84").inv(
        events["longitude"].to_numpy(float),
        events["latitude"].to_numpy(float),
        places.geometry.x.to_numpy()[best],
        places.geometry.y.to_numpy()[best],
    )
    return pd.DataFrame(
        {"nearest_place": names[best], "nearest_km": np.round(np.asarray(metres) / 1000, 1)},
        index=events.index,
    )


def near_place(events: pd.DataFrame, lat: float, lon: float, km: float) -> pd.DataFrame:
    """The events within ``km`` (geodesic, WGS84) of a point: the shared filters' own
    distance test."""
    from geo.filters import EventFilter, filter_events

    return filter_events(events, EventFilter(near=(lat, lon, km)))


def place_counts(
    events: pd.DataFrame,
    places,
    names,
    km: float,
    freq: str = "month",
    start=None,
    end=None,
    types=None,
) -> pd.DataFrame:
    """Events and fatalities within ``km`` of each named place, per period (``week`` or
    ``month``, by start date) and event type, every period from ``start`` to ``end``
    (zeros included; see :func:`geo.timeline.timeline` for events that began earlier).
    An event near two places counts for both. ``types``: the types to give a row each
    (default: those present). Columns: place, period, event_type, events, fatalities,
    period_end, label."""
    from geo.filters import find_place

    parts = []
    for name in names:
        lat, lon, label = find_place(places, name)
        counted = timeline(near_place(events, lat, lon, km), freq, start, end, types)
        counted.insert(0, "place", label)
        parts.append(counted)
    if not parts:
        return pd.DataFrame(columns=["place", "period", "event_type", "events", "fatalities"])
    return pd.concat(parts, ignore_index=True)


#: The most events a report's map draws one by one: a map to print or send, not to explore
#: (the Map page draws any number); 5,000 keep its page and its HTML file light.
REPORT_MAP_POINTS = 5000


def for_map(events: pd.DataFrame, limit: int = REPORT_MAP_POINTS) -> pd.DataFrame:
    """At most ``limit`` of ``events`` to draw one by one on a report's map: all of them
    when they are few enough, else those with the most fatalities (the latest first among
    equals), so a map stays light at any scale and shows what weighs most."""
    if len(events) <= limit:
        return events
    order = np.lexsort(
        (
            -events["date_start"].to_numpy().astype("datetime64[D]").astype(np.int64),
            -np.nan_to_num(events["fatalities_best"].to_numpy(float), nan=-1.0),
        )
    )
    return events.iloc[np.sort(order[:limit])]
