"""The pages' figures computed in PostgreSQL (issue 18): the filter as one SQL ``WHERE``,
the count, the map's :class:`~geo.aggregate.EventView`, the timeline and one page of the
Events table, with the same figures as the in-memory :class:`~geo.eventindex.EventIndex`
gives (``tests/test_pg_query.py`` compares them; ``docs/postgis-sql.md`` has the
definitions each one keeps).

An app process on PostGIS then holds no per-event memory: only the small dictionaries
(event types, datasets and, when a filter or an order needs them, actors) live here.

Definitions kept (each the Python one, written once elsewhere):

- dates: ``date_start <= end AND date_end >= start``;
- types and datasets chosen case-blind: mapped here to the stored spellings, sent as
  ``= ANY``; actor text: the actors holding it (``casefold``, as the index) found here among
  the stored actors and sent as ``actor1 = ANY OR actor2 = ANY``;
- within R km of a point: the same two-step test as :func:`geo.filters.within_km`: the
  great-circle distance decides every point but those within 1% of R, which pyproj's
  geodesic decides (read here, a thin ring of points);
- inside a zone: the version in force on the event's start date (the windows worked out
  here from the versions' dates, as :func:`geo.filters.zone_hits` picks them), boundary
  included (``ST_Intersects``);
- grid cells: ``floor((lon + 180) / size)`` on the stored doubles.

Only for PostGIS (``%s`` placeholders, PostGIS functions). Pure: no streamlit.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from geo import aggregate as A
from geo import timeline as TL
from geo.errors import StoreError
from geo.filters import _SPHERE_KM, _SPHERE_MARGIN, EventFilter, distance_km, near_bbox
from geo.table import PAGE_SIZE, text_rank

#: The Events table's orders this module gives (the nearest place's: geo.store.pgnearest).
SQL_ORDERS = ("date", "fatalities", "type", "dataset", "actor")
#: The orders by a text, ranked as the index ranks it (:meth:`PgEvents.rank_join`).
TEXT_ORDERS = ("type", "dataset", "actor")

_EPOCH = "DATE '1970-01-01'"

#: The memory each query's sorts and hashes may take on the server (per node and worker).
WORK_MEM = "64MB"

#: The grid's: enough for the planner to count a million events' cells in a hash table (a
#: few hundred cells; it expects hundreds of thousands) instead of sorting every event on
#: disk (measured at 1M: about 2 s sorted against 0.7 to 1.3 s hashed; docs/postgis-sql.md).
GRID_WORK_MEM = "256MB"


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


class _Rows:
    """A few events as the columns :func:`geo.aggregate.event_view` reads from an index."""

    def __init__(self, rows: list[tuple], type_codes: dict[str, int]):
        n = len(rows)
        cols = list(zip(*rows, strict=True)) if n else [()] * 7
        self.fid = np.array(cols[0], dtype=np.int64)
        self.lat = np.array(cols[1], dtype=np.float64)
        self.lon = np.array(cols[2], dtype=np.float64)
        self.start = np.array(cols[3], dtype=np.int32)
        self.end = np.array(cols[4], dtype=np.int32)
        self.type_code = np.array([type_codes.get(t, -1) for t in cols[5]], dtype=np.int16)
        fat = np.array([np.nan if v is None else v for v in cols[6]], dtype=np.float64)
        self.fatalities = fat.astype(np.float32)
        self.types = list(type_codes)  # the names in code order, as EventIndex.types

    def __len__(self) -> int:
        return len(self.fid)


class PgEvents:
    """The events of a PostGIS store queried in SQL. Holds the types' and datasets'
    dictionaries (read once) and the actors' (read when first needed): make one per events
    version (:meth:`geo.store.base.Store.events_version`)."""

    #: How many grids (counts per cell of an area) and totals a PgEvents keeps.
    KEEP = 16

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._grids: OrderedDict = OrderedDict()  # (where, size, area) -> (view, rows)
        self._totals: OrderedDict = OrderedDict()  # where -> count

    def _remember(self, memo: OrderedDict, key, value) -> None:
        with self._lock:
            memo[key] = value
            memo.move_to_end(key)
            while len(memo) > self.KEEP:
                memo.popitem(last=False)

    def _recall(self, memo: OrderedDict, key):
        with self._lock:
            return memo.get(key)

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

    # --- figures ----------------------------------------------------------------------

    def count(self, flt: EventFilter, view: A.View | None = None) -> int:
        """How many events match ``flt``. With the map's ``view``, counted in the same scan
        as the grid's counts per cell around it (kept for :meth:`event_view`: a date change
        on the Map then reads the table once, not twice)."""
        w = self.where(flt)
        known = self._recall(self._totals, _wkey(w))
        if known is not None:
            return known
        if view is not None:
            return self._grid(w, view, with_total=True)[1]
        total = int(self._read(f"SELECT count(*) FROM events e WHERE {w.sql}", w.params)[0][0])
        self._remember(self._totals, _wkey(w), total)
        return total

    def fids(self, flt: EventFilter) -> np.ndarray:
        """The row ids of the events matching ``flt``, in ``fid`` order (for a download)."""
        w = self.where(flt)
        rows = self._read(f"SELECT e.fid FROM events e WHERE {w.sql} ORDER BY e.fid", w.params)
        return np.array([r[0] for r in rows], dtype=np.int64)

    def frame(self, flt: EventFilter, part: Where | None = None) -> pd.DataFrame:
        """The events matching ``flt`` as the compact frame the reports count
        (:meth:`geo.eventindex.EventIndex.frame`: the same columns, types, categories and
        order), read by ``COPY`` as CSV and parsed by Arrow (no Python object per event).
        With ``part`` (a condition on ``e``'s columns of that frame): only the matching
        events it also keeps, labelled by their position among the matching events (as
        :meth:`geo.eventindex.Selection.frame` labels them), counted in SQL."""
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        w = self.where(flt)
        columns = (
            "e.fid, e.latitude, e.longitude, e.date_start, e.date_end,"
            " e.event_type, e.dataset, e.location_precision, e.fatalities_best"
        )
        names = ["fid", "latitude", "longitude", "date_start", "date_end", "event_type",
                 "dataset", "location_precision", "fatalities_best"]  # fmt: skip
        if part is None:
            select = f"SELECT {columns} FROM events e WHERE {w.sql} ORDER BY e.fid"
            params = w.params
        else:
            select = (
                f"SELECT {columns}, e.pos FROM (SELECT {columns}, e.geom,"
                f" row_number() OVER (ORDER BY e.fid) - 1 AS pos FROM events e WHERE {w.sql}) e"
                f" WHERE {part.sql} ORDER BY e.fid"
            )
            params = (*w.params, *part.params)
            names = [*names, "pos"]
        query = f"COPY ({select}) TO STDOUT (FORMAT csv)"
        buf = bytearray()
        try:
            with self.store._read_connection() as con, con.cursor() as cur:
                # the numbering sorts every matching event: in memory, not on disk
                con.execute(f"SET work_mem = '{WORK_MEM}'; SET jit = off")
                with cur.copy(query, params) as cp:
                    for chunk in cp:
                        buf += chunk
        except self.store._READ_ERRORS as exc:
            raise StoreError(self.store._read_failed(exc)) from None
        types = {"fid": pa.int64(), "latitude": pa.float64(), "longitude": pa.float64(),
                 "date_start": pa.date32(), "date_end": pa.date32(), "event_type": pa.string(),
                 "dataset": pa.string(), "location_precision": pa.string(),
                 "fatalities_best": pa.float64(), "pos": pa.int64()}  # fmt: skip
        empty = pa.table({n: pa.array([], type=types[n]) for n in names})
        table = (
            empty
            if not buf
            else pa_csv.read_csv(
                pa.py_buffer(buf),
                read_options=pa_csv.ReadOptions(column_names=names),
                convert_options=pa_csv.ConvertOptions(
                    column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=False
                ),
            )
        )
        del buf

        def days(name: str) -> np.ndarray:
            out = table[name].to_numpy().astype("datetime64[D]").astype(np.int64) * 86_400
            return out.view("datetime64[s]")

        def categorical(name: str, dictionary: tuple[str, ...]) -> pd.Categorical:
            values = table[name].to_pandas()
            return pd.Categorical(values, categories=list(dictionary))

        fatalities = table["fatalities_best"].to_numpy(zero_copy_only=False)
        return pd.DataFrame(
            {
                "fid": table["fid"].to_numpy(),
                "latitude": table["latitude"].to_numpy(),
                "longitude": table["longitude"].to_numpy(),
                "date_start": days("date_start"),
                "date_end": days("date_end"),
                "event_type": categorical("event_type", self.types),
                "dataset": categorical("dataset", self.datasets),
                "location_precision": categorical("location_precision", self.precisions),
                "fatalities_best": fatalities.astype(np.float32).astype(np.float64),
            },
            index=(
                pd.RangeIndex(table.num_rows) if part is None else pd.Index(table["pos"].to_numpy())
            ),
        )

    def facts(self, flt: EventFilter, precisions) -> tuple[int, object, object, int]:
        """(how many events match ``flt``, the first start, the last end, and how many of
        them have a location precision in ``precisions``) in one read."""
        w = self.where(flt)
        ((n, first, last, precise),) = self._read(
            "SELECT count(*), min(e.date_start), max(e.date_end),"
            f" count(*) FILTER (WHERE e.location_precision = ANY(%s)) FROM events e WHERE {w.sql}",
            (list(precisions), *w.params),
        )
        return int(n), first, last, int(precise)

    def datasets_present(self, flt: EventFilter) -> list[str]:
        """The datasets among the events matching ``flt``, sorted."""
        w = self.where(flt)
        rows = self._read(
            f"SELECT d FROM unnest(%s::text[]) AS d WHERE EXISTS"
            f" (SELECT 1 FROM events e WHERE e.dataset = d AND {w.sql})",
            (list(self.datasets), *w.params),
        )
        return sorted(r[0] for r in rows)

    def event_view(
        self,
        flt: EventFilter,
        view: A.View,
        colors: list[str],
        limit: int | None = None,
        dates: tuple | None = None,
        total: int | None = None,
    ) -> A.EventView:
        """What :func:`geo.aggregate.event_view` gives for the events matching ``flt``
        (colours per :attr:`types`): the events themselves when at most ``limit``, else the
        counts per grid cell of the area around the view, counted in SQL. ``total``:
        :meth:`count`, when known."""
        if limit is None:
            limit = A.point_limit()
        w = self.where(flt)
        total = self.count(flt, view) if total is None else total
        if total <= limit:
            return self._points(w, None, view, colors, limit, dates)
        got, in_area = self._cells(w, view)
        if in_area <= limit:
            # the area around the view holds few enough: its events one by one
            return self._points(w, A.region(view), view, colors, limit, dates)
        return got

    def _points(self, w: Where, area, view, colors, limit, dates) -> A.EventView:
        """The events of ``w`` (inside ``area`` when given) one by one, as
        :func:`geo.aggregate.event_view` sends them."""
        if area is not None:
            w = w & _box((area.west, area.south, area.east, area.north))
        rows = self._read(
            f"SELECT e.fid, e.latitude, e.longitude, e.date_start - {_EPOCH},"
            f" e.date_end - {_EPOCH}, e.event_type, e.fatalities_best"
            f" FROM events e WHERE {w.sql} ORDER BY e.fid",
            w.params,
        )
        few = _Rows(rows, {t: i for i, t in enumerate(self.types)})
        got = A.event_view(few, np.ones(len(few), dtype=bool), view, colors, limit, dates)
        if area is None:
            return got
        payload = {k: v for k, v in got.payload.items() if k != "key"}
        payload["region"] = [area.west, area.south, area.east, area.north]
        payload["key"] = _key(payload)
        return A.EventView(
            mode=got.mode,
            in_view=got.in_view,
            fatalities_in_view=got.fatalities_in_view,
            cells_in_view=got.cells_in_view,
            cell_km=got.cell_km,
            payload=payload,
        )

    def _cells(self, w: Where, view: A.View) -> tuple[A.EventView, int]:
        """The counts per grid cell of the events of ``w`` in the area around ``view``,
        and how many events the area holds."""
        size = A.cell_degrees(view.zoom)
        cell_km = size * 111.32 * math.cos(math.radians((view.south + view.north) / 2))
        area = A.region(view)
        arr = self._grid(w, view)[0]
        cx, cy, count, fat, n_in, fat_in = (arr[:, i] for i in range(6))
        payload = {
            "mode": "cells",
            "n": int(len(count)),
            "size": size,
            "ix": A._b64(cx, "<i4"),
            "iy": A._b64(cy, "<i4"),
            "count": A._b64(count, "<u4"),
            "fat": A._b64(fat, "<u4"),
            "region": [area.west, area.south, area.east, area.north],
        }
        payload["key"] = _key(payload)
        return A.EventView(
            mode="cells",
            in_view=int(n_in.sum()),
            fatalities_in_view=int(fat_in.sum()),
            cells_in_view=int((n_in > 0).sum()),
            cell_km=cell_km,
            payload=payload,
        ), int(count.sum())

    def _grid(self, w: Where, view: A.View, with_total: bool = False) -> tuple[np.ndarray, int]:
        """(ix, iy, count, fatalities, count in view, fatalities in view) per non-empty cell
        of the area around ``view`` (``A.region``), in cell order, and how many events
        ``w`` selects in all (-1 unless ``with_total``).

        Kept per (filter, cell size, area): the same area for another view (the map
        reporting its view after a draw, a small pan) is read again only when a cell holding
        events straddles the new view's edge (else the figures in view are the sums of the
        cells inside it). ``with_total``: one scan of the selection gives the cells and,
        from the events outside the area (one group), the total."""
        size = A.cell_degrees(view.zoom)
        area = A.region(view)
        key = (_wkey(w), size, (area.west, area.south, area.east, area.north))
        kept = self._recall(self._grids, key)
        total = self._recall(self._totals, _wkey(w)) if with_total else -1
        if kept is not None and total is not None:
            arr = _in_view(*kept, view, size)
            if arr is not None:
                return arr, total
        inside = "e.longitude >= %s AND e.longitude <= %s AND e.latitude >= %s AND e.latitude <= %s"
        in_params = (view.west, view.east, view.south, view.north)
        a_params = (area.west, area.east, area.south, area.north)
        cells = "floor((e.longitude + 180.0) / %s)::bigint, floor((e.latitude + 90.0) / %s)::bigint"
        sums = (
            "count(*), coalesce(sum(e.fatalities_best), 0),"
            f" count(*) FILTER (WHERE {inside}),"
            f" coalesce(sum(e.fatalities_best) FILTER (WHERE {inside}), 0)"
        )
        if with_total:
            # the events outside the area fall in one group, (NULL, NULL)
            rows = self._read(
                f"SELECT c.ix, c.iy, {sums} FROM events e CROSS JOIN LATERAL (SELECT"
                f" CASE WHEN {inside} THEN {cells.split(', ')[0]} END AS ix,"
                f" CASE WHEN {inside} THEN {cells.split(', ')[1]} END AS iy) c"
                f" WHERE {w.sql} GROUP BY 1, 2 ORDER BY 1, 2",
                (*in_params, *in_params, *a_params, size, *a_params, size, *w.params),
                GRID_WORK_MEM,
            )
            total = int(sum(r[2] for r in rows))
            rows = [r for r in rows if r[0] is not None]
            self._remember(self._totals, _wkey(w), total)
        else:
            box = _box((area.west, area.south, area.east, area.north))
            rows = self._read(
                f"SELECT {cells}, {sums} FROM events e WHERE ({w.sql}) AND {box.sql}"
                " GROUP BY 1, 2 ORDER BY 1, 2",
                (size, size, *in_params, *in_params, *w.params, *box.params),
                GRID_WORK_MEM,
            )
        arr = np.array(rows, dtype=np.int64).reshape(-1, 6)
        self._remember(self._grids, key, (view, arr))
        return arr, total

    def timeline(
        self,
        flt: EventFilter,
        freq: str,
        start,
        end,
        types,
        also: Where | None = None,
        with_past: bool = False,
    ) -> tuple:
        """(:func:`geo.timeline.timeline`, :func:`geo.timeline.before_range`,
        :func:`geo.timeline.longer_than_period`) of the events matching ``flt`` (and
        ``also``, when given), as the Events page shows them, counted in SQL;
        ``with_past``: the timeline with the part of each bar made by events dated past it
        (:func:`geo.timeline.with_past`), when there are such events."""
        w = self.where(flt) if also is None else self.where(flt) & also
        types = list(types)
        if freq not in TL.FREQS:
            raise ValueError(f"freq must be one of {', '.join(TL.FREQS)}, not {freq!r}")
        trunc = (
            "e.date_start"
            if freq == "day"
            else f"date_trunc('{freq}', e.date_start::timestamp)::date"
        )
        last_day = {
            "day": "e.date_start",
            "week": f"{trunc} + 6",
            "month": f"({trunc} + interval '1 month' - interval '1 day')::date",
        }[freq]
        lo = pd.Timestamp(start).date() if start is not None else None
        hi = pd.Timestamp(end).date() if end is not None else None
        # one scan: each (period, type) group, split into the events that began before the
        # dates (-1), within them (0) and after them (1)
        grouped = self._read(
            f"SELECT {trunc} AS period, e.event_type, count(*),"
            " coalesce(sum(e.fatalities_best), 0), min(e.date_start), max(e.date_start),"
            f" count(*) FILTER (WHERE e.date_end > {last_day}),"
            " CASE WHEN e.date_start < %s::date THEN -1"
            " WHEN e.date_start > %s::date THEN 1 ELSE 0 END,"
            f" coalesce(sum(e.fatalities_best) FILTER (WHERE e.date_end > {last_day}), 0)"
            f" FROM events e WHERE {w.sql} GROUP BY 1, 2, 8",
            (lo, hi, *w.params),
        )
        within = [g for g in grouped if g[7] == 0]
        series = _timeline_frame(within, freq, start, end, types)
        early = [g for g in grouped if g[7] == -1]
        before = {
            "events": int(sum(g[2] for g in early)),
            "fatalities": int(sum(g[3] for g in early)),
        }
        wanted = set(types)
        longer = sum(g[6] for g in within if g[1] in wanted)
        if with_past and longer:
            past = [(g[0], g[1], g[6], g[8], g[4], g[5]) for g in within]
            series = TL.with_past(series, _timeline_frame(past, freq, start, end, types))
        return series, before, int(longer)

    def rank_join(self, by: str) -> tuple[str, tuple]:
        """The join giving each event ``r.rank``, the rank of its text in the table's order
        ``by`` (one of :data:`TEXT_ORDERS`; :func:`geo.table.text_rank`: NULL for no text),
        and its parameters: the one definition of these orders, by ``OFFSET``
        (:meth:`page`) and by keys (:func:`geo.store.pgkeyset.order`)."""
        column, dictionary = {
            "type": ("event_type", self.types),
            "dataset": ("dataset", self.datasets),
            "actor": ("actor1", self.actors),
        }[by]
        ranks = text_rank(dictionary)
        kept = [(v, int(r)) for v, r in zip(dictionary, ranks, strict=True) if v.strip()]
        join = f" LEFT JOIN unnest(%s::text[], %s::bigint[]) AS r(v, rank) ON r.v = e.{column}"
        return join, ([v for v, _ in kept], [r for _, r in kept])

    def page(
        self,
        flt: EventFilter,
        by: str,
        descending: bool,
        page: int,
        size: int = PAGE_SIZE,
        total: int | None = None,
    ) -> np.ndarray:
        """The row ids on page ``page`` (1-based, clamped to the pages there are) of the
        Events table in the order of :func:`geo.table.sort_order` (``by`` one of
        :data:`SQL_ORDERS`). ``total``: :meth:`count`, when known."""
        w = self.where(flt)
        total = self.count(flt) if total is None else total
        pages = max(1, math.ceil(total / size))
        page = min(max(1, int(page)), pages)
        way = "DESC" if descending else "ASC"
        join, jparams = "", ()
        if by == "date":
            order = f"e.date_start {way}, e.fid"
        elif by == "fatalities":
            order = f"e.fatalities_best {way} NULLS LAST, e.fid"
        elif by in TEXT_ORDERS:
            join, jparams = self.rank_join(by)
            order = f"(r.rank IS NULL), r.rank {way}, e.fid"
        else:
            raise ValueError(f"cannot sort by {by!r} in SQL; choose one of {', '.join(SQL_ORDERS)}")
        rows = self._read(
            f"SELECT e.fid FROM events e{join} WHERE {w.sql} ORDER BY {order} LIMIT %s OFFSET %s",
            (*jparams, *w.params, size, (page - 1) * size),
        )
        return np.array([r[0] for r in rows], dtype=np.int64)


def _wkey(w: Where) -> tuple:
    return (w.sql, repr(w.params))


def _in_view(kept_view: A.View, arr: np.ndarray, view: A.View, size: float):
    """The grid ``arr`` (counted for ``kept_view``) with its figures in view for ``view``:
    itself for the same view; else the cells' sums when every non-empty cell lies clearly
    inside or clearly outside ``view`` (a margin of a millionth of a cell for rounding);
    else None (to be counted again)."""
    if view == kept_view:
        return arr
    inside, outside = _clear(arr[:, 0], arr[:, 1], size, view)
    if not (inside | outside).all():
        return None
    out = arr.copy()
    out[:, 4] = np.where(inside, arr[:, 2], 0)
    out[:, 5] = np.where(inside, arr[:, 3], 0)
    return out


def _clear(ix: np.ndarray, iy: np.ndarray, size: float, box: A.View):
    """Which grid cells (``ix``, ``iy`` of cells of ``size`` degrees) lie clearly inside and
    clearly outside ``box``, with a margin of a millionth of a cell for rounding."""
    eps = size * 1e-6
    west = ix * size - 180.0
    south = iy * size - 90.0
    east, north = west + size, south + size
    inside = (
        (west > box.west + eps)
        & (east < box.east - eps)
        & (south > box.south + eps)
        & (north < box.north - eps)
    )
    outside = (
        (east < box.west - eps)
        | (west > box.east + eps)
        | (north < box.south - eps)
        | (south > box.north + eps)
    )
    return inside, outside


def _key(payload: dict) -> str:
    """The payload's key, as :func:`geo.aggregate.event_view` makes it."""
    text = json.dumps(payload, sort_keys=True).encode()
    return hashlib.blake2b(text, digest_size=12).hexdigest()


def _timeline_frame(grouped: list[tuple], freq: str, start, end, types: list[str]) -> pd.DataFrame:
    """:func:`geo.timeline.timeline`'s frame from the counts per (period, type) of the
    events whose start lies within the dates (SQL's ``GROUP BY``)."""
    columns = ["period", "event_type", "events", "fatalities", "period_end", "label"]
    lo = np.datetime64(pd.Timestamp(start).date(), "D") if start is not None else None
    hi = np.datetime64(pd.Timestamp(end).date(), "D") if end is not None else None
    kept = [g for g in grouped if g[1] in types]
    if lo is None or hi is None:
        starts = [np.datetime64(g[4], "D") for g in grouped] + [
            np.datetime64(g[5], "D") for g in grouped
        ]
        first = lo if lo is not None else (min(starts) if starts else None)
        last = hi if hi is not None else (max(starts) if starts else None)
    else:
        first, last = lo, hi
    if first is None or last is None or not types:
        return pd.DataFrame({c: [] for c in columns})
    periods = TL._all_periods(TL.period_start(first, freq), TL.period_start(last, freq), freq)
    n_events = np.zeros(len(periods) * len(types), dtype=np.int64)
    n_fatalities = np.zeros(len(periods) * len(types), dtype=np.int64)
    if kept:
        where = np.searchsorted(periods, np.array([np.datetime64(g[0], "D") for g in kept]))
        type_code = np.array([types.index(g[1]) for g in kept], dtype=np.int64)
        slot = where * len(types) + type_code
        np.add.at(n_events, slot, np.array([g[2] for g in kept], dtype=np.int64))
        np.add.at(n_fatalities, slot, np.array([g[3] for g in kept], dtype=np.int64))
    period_col = np.repeat(periods, len(types))
    return pd.DataFrame(
        {
            "period": period_col.astype("datetime64[s]"),
            "event_type": np.tile(np.array(types, dtype=object), len(periods)),
            "events": n_events,
            "fatalities": n_fatalities,
            "period_end": TL.period_end(period_col, freq).astype("datetime64[s]"),
            "label": np.repeat(TL.period_label(periods, freq), len(types)),
        },
        columns=columns,
    )


def in_sql(store) -> bool:
    """Whether the pages' figures for ``store`` can run in SQL (a PostGIS store)."""
    return bool(getattr(store, "FIGURES_IN_SQL", False))
