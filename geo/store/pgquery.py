"""The pages' figures computed in PostgreSQL (issue 18): the count, the map's
:class:`~geo.aggregate.EventView`, the timeline, one page of the Events table and the
reports' frame, with the same figures as the in-memory :class:`~geo.eventindex.EventIndex`
gives (``tests/test_pg_query.py`` compares them; ``docs/postgis-sql.md`` has the
definitions each one keeps). The filter they all select with, as one SQL ``WHERE``, and
the dictionaries are :class:`geo.store.pgwhere.PgFilter`'s; the grid's numpy helpers are in
:mod:`geo.store.pggrid`.

An app process on PostGIS then holds no per-event memory: only the small dictionaries
(event types, datasets and, when a filter or an order needs them, actors) and a few kept
grids and totals.

Grid cells: ``floor((lon + 180) / size)`` on the stored doubles.

Only for PostGIS (``%s`` placeholders, PostGIS functions). Pure: no streamlit.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import numpy as np
import pandas as pd

from geo import aggregate as A
from geo import timeline as TL
from geo.errors import StoreError
from geo.filters import EventFilter
from geo.store.pggrid import _in_view, _key, _Rows
from geo.store.pgwhere import PgFilter, Where, _box, _wkey
from geo.table import PAGE_SIZE, text_rank

#: The Events table's orders this module gives (the nearest place's: geo.store.pgnearest).
SQL_ORDERS = ("date", "fatalities", "type", "dataset", "actor")
#: The orders by a text, ranked as the index ranks it (:meth:`PgEvents.rank_join`).
TEXT_ORDERS = ("type", "dataset", "actor")

_EPOCH = "DATE '1970-01-01'"

#: The grid's: enough for the planner to count a million events' cells in a hash table (a
#: few hundred cells; it expects hundreds of thousands) instead of sorting every event on
#: disk (measured at 1M: about 2 s sorted against 0.7 to 1.3 s hashed; docs/postgis-sql.md).
GRID_WORK_MEM = "256MB"


class PgEvents(PgFilter):
    """The events of a PostGIS store queried in SQL: the pages' figures over
    :meth:`~geo.store.pgwhere.PgFilter.where`, a few of them kept. Make one per events
    version (:meth:`geo.store.base.Store.events_version`)."""

    #: How many grids (counts per cell of an area) and totals a PgEvents keeps.
    KEEP = 16

    def __init__(self, store):
        super().__init__(store)
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
        With ``part`` (a condition on ``events e``, as a box's, which the GiST index
        serves): only the matching events it also keeps, labelled by their row id (each
        event's own label, in the same order as positions: what a report needs to know
        one event in two of its parts)."""
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        w = self.where(flt)
        columns = (
            "e.fid, e.latitude, e.longitude, e.date_start, e.date_end,"
            " e.event_type, e.dataset, e.location_precision, e.fatalities_best"
        )
        names = ["fid", "latitude", "longitude", "date_start", "date_end", "event_type",
                 "dataset", "location_precision", "fatalities_best"]  # fmt: skip
        if part is not None:
            w = w & part
        query = f"SELECT {columns} FROM events e WHERE {w.sql} ORDER BY e.fid"
        buf = bytearray()
        try:
            with self.store._read_connection() as con, con.cursor() as cur:
                with cur.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", w.params) as cp:
                    for chunk in cp:
                        buf += chunk
        except self.store._READ_ERRORS as exc:
            raise StoreError(self.store._read_failed(exc)) from None
        types = {"fid": pa.int64(), "latitude": pa.float64(), "longitude": pa.float64(),
                 "date_start": pa.date32(), "date_end": pa.date32(), "event_type": pa.string(),
                 "dataset": pa.string(), "location_precision": pa.string(),
                 "fatalities_best": pa.float64()}  # fmt: skip
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
        fids = table["fid"].to_numpy()
        return pd.DataFrame(
            {
                "fid": fids,
                "latitude": table["latitude"].to_numpy(),
                "longitude": table["longitude"].to_numpy(),
                "date_start": days("date_start"),
                "date_end": days("date_end"),
                "event_type": categorical("event_type", self.types),
                "dataset": categorical("dataset", self.datasets),
                "location_precision": categorical("location_precision", self.precisions),
                "fatalities_best": fatalities.astype(np.float32).astype(np.float64),
            },
            index=pd.RangeIndex(table.num_rows) if part is None else pd.Index(fids),
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
        return self._timeline(w, TIMELINE_EVENTS, freq, start, end, types, with_past)

    def _timeline(self, w: Where, source: tuple, freq, start, end, types, with_past) -> tuple:
        """:meth:`timeline` of the rows ``w`` selects in ``source``: (the table as ``e``,
        an event's count in a row, its fatalities): the events one by one
        (:data:`TIMELINE_EVENTS`), or a summary's rows of several events each."""
        table, n, fat = source
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
            f"SELECT {trunc} AS period, e.event_type, sum({n})::bigint,"
            f" coalesce(sum({fat}), 0)::bigint, min(e.date_start), max(e.date_start),"
            f" coalesce(sum({n}) FILTER (WHERE e.date_end > {last_day}), 0)::bigint,"
            " CASE WHEN e.date_start < %s::date THEN -1"
            " WHEN e.date_start > %s::date THEN 1 ELSE 0 END,"
            f" coalesce(sum({fat}) FILTER (WHERE e.date_end > {last_day}), 0)::bigint"
            f" FROM {table} e WHERE {w.sql} GROUP BY 1, 2, 8",
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


#: :meth:`PgEvents.timeline`'s source: the events table, one event a row
TIMELINE_EVENTS = ("events", "1", "e.fatalities_best")


def in_sql(store) -> bool:
    """Whether the pages' figures for ``store`` can run in SQL (a PostGIS store)."""
    return bool(getattr(store, "FIGURES_IN_SQL", False))
