"""The events filter as one SQL ``WHERE`` on PostGIS (issue 18), and the base of the
pages' figures in SQL (:class:`geo.store.pgquery.PgEvents`): :class:`PgFilter` reads the
store on a tuned connection, holds the small dictionaries the filter needs (event types,
datasets and, when a filter or an order needs them, actors) and turns an
:class:`~geo.filters.EventFilter` into a :class:`Where`, selecting what
:meth:`geo.eventindex.EventIndex.mask` selects (``tests/test_pg_query.py`` compares them).
Kept apart from the figures so the condition, its parts (:func:`_box`, :data:`FALSE`) and
its cache key (:func:`_wkey`) serve every query built on it (the figures, the summary of
:mod:`geo.store.pgcells`, the count-once choice of :mod:`geo.store.pgonce`).

Definitions kept (each the Python one, written once elsewhere; ``docs/postgis-sql.md``):

- dates: ``date_start <= end AND date_end >= start``;
- types and datasets chosen case-blind: mapped here to the stored spellings, sent as
  ``= ANY``; actor text: the actors holding it (``casefold``, as the index) found here among
  the stored actors and sent as ``actor1 = ANY OR actor2 = ANY``;
- within R km of a point: the same two-step test as :func:`geo.filters.within_km`: the
  great-circle distance decides every point but those within 1% of R, which pyproj's
  geodesic decides (read here, a thin ring of points);
- inside a zone: the version in force on the event's start date (the windows worked out
  here from the versions' dates, as :func:`geo.filters.zone_hits` picks them), boundary
  included (``ST_Intersects``).

Only for PostGIS (``%s`` placeholders, PostGIS functions). Pure: no streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from geo.errors import StoreError
from geo.filters import _SPHERE_KM, _SPHERE_MARGIN, EventFilter, distance_km, near_bbox

#: The memory each query's sorts and hashes may take on the server (per node and worker).
WORK_MEM = "64MB"


@dataclass(frozen=True)
class Where:
    """An SQL condition on ``events e`` and its parameters (``%s``, in order)."""

    sql: str
    params: tuple

    def __and__(self, other: Where) -> Where:
        return Where(f"({self.sql}) AND ({other.sql})", self.params + other.params)


FALSE = Where("FALSE", ())


def _box(box, alias: str = "e") -> Where:
    """Points inside the box (edges included), by the stored doubles; the ``&&`` lets the
    GiST index serve it (its float boxes are rounded outward, so it never drops a point)."""
    west, south, east, north = (float(v) for v in box)
    return Where(
        f"{alias}.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
        f" AND {alias}.longitude >= %s AND {alias}.longitude <= %s"
        f" AND {alias}.latitude >= %s AND {alias}.latitude <= %s",
        (west, south, east, north, west, east, south, north),
    )


def _sphere_km(lat0: float, lon0: float) -> tuple[str, tuple]:
    """The great-circle distance in km from (lat0, lon0) to each event, as numpy's
    haversine in :func:`geo.filters.within_km`."""
    p1 = math.radians(lat0)
    sql = (
        "2 * %s * asin(sqrt(least(greatest("
        "power(sin((radians(e.latitude) - %s) / 2), 2)"
        " + cos(%s) * cos(radians(e.latitude)) * power(sin(radians(e.longitude - %s) / 2), 2)"
        ", 0), 1)))"
    )
    return sql, (_SPHERE_KM, p1, p1, float(lon0))


def zone_windows(versions: pd.DataFrame, zone_ids) -> list[tuple[str, int, object, object]]:
    """(zone id, version, first day, first day after) of each version of the zones named
    while it is the one in force (:func:`geo.filters.zone_hits`: the latest ``valid_from``
    on or before a day, the newest version on a tie), leaving out 'ended' versions and
    versions never in force. ``versions``: ``zone_id``, ``version``, ``valid_from``,
    ``status`` (no geometry needed)."""
    out = []
    wanted = set(zone_ids)
    for zone_id, zv in versions.groupby("zone_id", sort=True):
        if zone_id not in wanted:
            continue
        zv = zv.sort_values(["valid_from", "version"], kind="stable")
        starts = pd.to_datetime(zv["valid_from"]).dt.date.tolist()
        statuses = zv["status"].fillna("").tolist()
        for i, version in enumerate(zv["version"].tolist()):
            after = starts[i + 1] if i + 1 < len(starts) else None
            if statuses[i] == "ended" or (after is not None and after <= starts[i]):
                continue
            out.append((str(zone_id), int(version), starts[i], after))
    return out


def _wkey(w: Where) -> tuple:
    """The condition as a key of the figures kept per filter (its SQL and parameters)."""
    return (w.sql, repr(w.params))


class PgFilter:
    """The events of a PostGIS store as SQL conditions: the reading connection, the types'
    and datasets' dictionaries (read once) and the actors' (read when first needed), and
    :meth:`where`. The base of :class:`geo.store.pgquery.PgEvents` (one per events
    version)."""

    def __init__(self, store):
        self.store = store

    def _read(self, sql: str, params: tuple = (), work_mem: str = WORK_MEM) -> list[tuple]:
        """Rows of a query, on a connection whose ``work_mem`` lets the grid's and the
        timeline's sorts and hashes stay in memory (the server's default, 4 MB, spills
        them to disk at a million events)."""
        if getattr(self.store._local, "con", None) is not None:
            return self.store._read(sql, params)  # inside a snapshot: its connection
        con = self.store._read_connection()
        try:
            # no JIT: these short queries spent more compiling (1.7 s for a zone at a
            # million events) than running (docs/postgis-sql.md); one round trip for both
            con.execute(f"SET work_mem = '{work_mem}'; SET jit = off")
            return con.execute(sql, params).fetchall()
        except self.store._READ_ERRORS as exc:
            raise StoreError(self.store._read_failed(exc)) from None
        finally:
            con.close()

    # --- dictionaries -----------------------------------------------------------------

    @cached_property
    def types(self) -> tuple[str, ...]:
        """The stored event types in order of first appearance (by ``fid``), as
        :attr:`geo.eventindex.EventIndex.types` (the map's colours follow it)."""
        return self._first_seen("event_type")

    @cached_property
    def datasets(self) -> tuple[str, ...]:
        return self._first_seen("dataset")

    def _first_seen(self, column: str) -> tuple[str, ...]:
        rows = self._read(
            f"SELECT {column} FROM events WHERE {column} IS NOT NULL GROUP BY 1 ORDER BY min(fid)"
        )
        return tuple(r[0] for r in rows)

    @cached_property
    def precisions(self) -> tuple[str, ...]:
        return self._first_seen("location_precision")

    @cached_property
    def actors(self) -> tuple[str, ...]:
        """Every stored actor (both columns), once."""
        rows = self._read(
            "SELECT actor1 FROM events WHERE actor1 IS NOT NULL"
            " UNION SELECT actor2 FROM events WHERE actor2 IS NOT NULL"
        )
        return tuple(sorted(r[0] for r in rows))

    # --- the filter -------------------------------------------------------------------

    def where(self, flt: EventFilter) -> Where:
        """The events matching ``flt`` (the selection of
        :meth:`geo.eventindex.EventIndex.mask`), as a condition on ``events e``."""
        parts = [Where("TRUE", ())]
        if flt.end is not None:
            parts.append(Where("e.date_start <= %s", (flt.end,)))
        if flt.start is not None:
            parts.append(Where("e.date_end >= %s", (flt.start,)))
        for column, chosen, known in (
            ("event_type", flt.types, None),
            ("dataset", flt.datasets, None),
        ):
            if chosen is None:
                continue
            known = self.types if column == "event_type" else self.datasets
            wanted = {v.casefold() for v in chosen}
            stored = [v for v in known if v.casefold() in wanted]
            parts.append(Where(f"e.{column} = ANY(%s)", (stored,)) if stored else FALSE)
        if flt.precisions is not None:
            parts.append(Where("e.location_precision = ANY(%s)", (list(flt.precisions),)))
        if flt.bbox is not None:
            parts.append(_box(flt.bbox))
        if flt.actor:
            text = flt.actor.casefold()
            names = [a for a in self.actors if text in a.casefold()]
            parts.append(
                Where("e.actor1 = ANY(%s) OR e.actor2 = ANY(%s)", (names, names))
                if names
                else FALSE
            )
        if flt.min_fatalities is not None:
            parts.append(
                Where("coalesce(e.fatalities_best, -1) >= %s", (float(flt.min_fatalities),))
            )
        if flt.near is not None:
            parts.append(self._near(*flt.near))
        if flt.zones is not None:
            parts.append(self._zones(flt.zones))
        out = parts[0]
        for part in parts[1:]:
            out = out & part
        return out

    def _near(self, lat0: float, lon0: float, km: float) -> Where:
        """Within ``km`` of (lat0, lon0) as :func:`geo.filters.within_km` decides it: by the
        sphere, except the points within 1% of ``km`` (read here, decided by pyproj)."""
        box = _box(near_bbox(lat0, lon0, km))
        dist, dparams = _sphere_km(lat0, lon0)
        band = km * _SPHERE_MARGIN + 1e-3
        unsure = self._read(
            f"SELECT e.fid, e.latitude, e.longitude FROM events e WHERE {box.sql}"
            f" AND abs({dist} - %s) <= %s",
            box.params + dparams + (float(km), float(band)),
        )
        ok = []
        if unsure:
            arr = np.array(unsure, dtype=np.float64)
            inside = distance_km(arr[:, 1], arr[:, 2], lat0, lon0) <= km
            ok = [int(f) for f in arr[inside, 0]]
        return box & Where(
            f"(({dist}) <= %s AND abs(({dist}) - %s) > %s) OR e.fid = ANY(%s)",
            dparams + (km * (1 - _SPHERE_MARGIN),) + dparams + (float(km), float(band), ok),
        )

    def _zones(self, zone_ids) -> Where:
        """Inside one of the zones, each in the version in force on the event's start date
        (:func:`zone_windows`), boundary included. Each version's boundary is sent as a
        constant (its EWKB): the planner then reads the events of each (window, boundary)
        by the dates' and the GiST index's bitmaps, the table once in its own order, and
        PostGIS tests each point against the boundary prepared once (at a million events,
        0.5 s for Idlib against 4.5 s for a join of the versions on the events' index,
        which read each event twice in random order; docs/postgis-sql.md)."""
        rows = self._read(
            "SELECT zone_id, version, valid_from, status, ST_AsEWKB(geom) FROM zone_versions"
            " WHERE zone_id = ANY(%s)",
            (list(zone_ids),),
        )
        versions = pd.DataFrame(
            rows, columns=["zone_id", "version", "valid_from", "status", "geom"]
        )
        geoms = {(str(r[0]), int(r[1])): r[4] for r in rows}
        parts, params = [], []
        for zone_id, version, first_day, after in zone_windows(versions, zone_ids):
            geom = geoms.get((zone_id, version))
            if geom is None:
                continue
            days = "e.date_start >= %s" + (" AND e.date_start < %s" if after else "")
            parts.append(f"({days} AND ST_Intersects(%s::geometry, e.geom))")
            params += [first_day, *([after] if after else []), bytes(geom)]
        if not parts:
            return FALSE
        return Where(" OR ".join(parts), tuple(params))
