"""A summary of the events per month, type, dataset and grid cell (issue 18), so the Map's
date change and the count of a filter made only of dates, types and datasets read a few
thousand summary rows and the edge months' day rows, not the events table.

The table ``event_cells`` (made with a new store, built on opening an older one, kept by
every insert of events in the same statement and transaction, as ``event_days`` below)
holds, for each grid level of :data:`LEVELS`, one row per (month of ``date_start``, month
of ``date_end``, type, dataset, cell) with the events and their fatalities. A cell is
``floor((lon + 180) / size)`` on the stored doubles with the size
:func:`geo.aggregate.cell_degrees` gives (sent as a parameter, so the same double), so a
coarser zoom's cell is the stored cell shifted right (the sizes differ by powers of two:
exact, as :func:`geo.aggregate._cells_of`).

For dates ``start..end`` (months ``Ms`` and ``Me``) an event with months ``(ms, me)`` is
selected without looking at its days when ``ms < Me``, ``ms != Ms`` and ``me > Ms`` (it
starts within the whole months between, or before ``Ms`` and ends after it); every other
selected event starts in ``Me`` or ends in ``Ms`` (the "edge" months). Those come from a
second summary, ``event_days``: the same figures per (``date_start``, ``date_end``, type,
dataset, cell) at the deepest level, appended by every insert of events (an import's rows
grouped once, at its end; rows with the same key may repeat: the queries add them up), read
by index ranges on its days with the filter's exact condition. The edge months' rows of
that narrow table are a few hundred pages, where the events they sum were one heap page
each (the events' order is the file's, not the dates'). The map's figures in view need the
events' points only for the cells cut by the view's or the area's edge (read by their
boxes, once per view); the count is the sum. Any other filter (actor, zone, radius, box,
precision, minimum fatalities) takes :class:`geo.store.pgquery.PgEvents`' queries.
``docs/postgis-sql.md`` has the plans.

Only for PostGIS. Pure: no streamlit.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from geo import aggregate as A
from geo.filters import EventFilter
from geo.store.base import EventSummary
from geo.store.pgborder import COLUMNS, border_cache
from geo.store.pggrid import _clear, _in_view
from geo.store.pgquery import PgEvents
from geo.store.pgwhere import FALSE, Where, _box, _wkey

#: The grid levels kept (zooms): a map at zoom ``z`` reads the level of the smallest one
#: at or above ``z``; deeper zooms take PgEvents' one scan for the count and grid. A level
#: holds up to four times the rows of the one above it per zoom step.
LEVELS = (5, 8)

TABLE = "event_cells"
#: The events per day: (date_start, date_end, type, dataset, cell at the deepest level)
DAYS = "event_days"

_COLUMNS = "zoom, month_start, month_end, event_type, dataset, ix, iy"
#: per row: how many events, their fatalities, the first one's row id (the order in which
#: types and datasets first appear) and the last day any of them ends
_FIGURES = "events, fatalities, first_fid, last_end"

DDL = (
    f"CREATE TABLE {TABLE} (zoom smallint NOT NULL, month_start date, month_end date,"
    " event_type text, dataset text, ix integer, iy integer, events bigint NOT NULL,"
    " fatalities double precision NOT NULL, first_fid bigint NOT NULL, last_end date)",
    f"CREATE UNIQUE INDEX {TABLE}_key ON {TABLE} ({_COLUMNS}) NULLS NOT DISTINCT",
)

_DAY_COLUMNS = "date_start, date_end, event_type, dataset, ix, iy"

#: Not unique: an import appends its rows (grouped over the import), no upsert and no
#: uniqueness check, so the import's upkeep stays a plain append.
DAYS_DDL = (
    f"CREATE TABLE {DAYS} (date_start date, date_end date, event_type text, dataset text,"
    " ix integer, iy integer, events bigint NOT NULL, fatalities double precision NOT NULL)",
    f"CREATE INDEX {DAYS}_dates ON {DAYS} (date_start, date_end)",
)


def _sizes() -> tuple[list[int], list[float]]:
    return list(LEVELS), [A.cell_degrees(z) for z in LEVELS]


def _grouped(source: str) -> str:
    """The summary rows of the events of ``source`` (alias ``s``; two parameters: the
    levels and their cell sizes), each level from the points: the definition (the tests
    compare the summary kept by the imports with it)."""
    return (
        "SELECT z.zoom, date_trunc('month', s.date_start::timestamp)::date,"
        " date_trunc('month', s.date_end::timestamp)::date, s.event_type, s.dataset,"
        " floor((s.longitude + 180.0) / z.size)::integer,"
        " floor((s.latitude + 90.0) / z.size)::integer,"
        " count(*), coalesce(sum(s.fatalities_best), 0), min(s.fid), max(s.date_end)"
        f" FROM {source} s CROSS JOIN unnest(%s::smallint[], %s::float8[]) AS z(zoom, size)"
        " GROUP BY 1, 2, 3, 4, 5, 6, 7"
    )


def _days(source: str) -> str:
    """The day rows of the events of ``source`` (alias ``s``) at the deepest level, with
    their first row id (two parameters: its cell size, twice)."""
    return (
        f"SELECT s.date_start, s.date_end, s.event_type, s.dataset,"
        " floor((s.longitude + 180.0) / %s)::integer AS ix,"
        " floor((s.latitude + 90.0) / %s)::integer AS iy,"
        " count(*) AS events, coalesce(sum(s.fatalities_best), 0) AS fatalities,"
        f" min(s.fid) AS first_fid FROM {source} s GROUP BY 1, 2, 3, 4, 5, 6"
    )


def _months(days: str) -> str:
    """The summary rows at the deepest level (without the level) of the day rows ``days``
    (a ``WITH`` query's name, as :func:`_days` gives)."""
    return (
        "SELECT date_trunc('month', d.date_start::timestamp)::date AS month_start,"
        " date_trunc('month', d.date_end::timestamp)::date AS month_end, d.event_type,"
        " d.dataset, d.ix, d.iy, sum(d.events) AS events, sum(d.fatalities) AS fatalities,"
        f" min(d.first_fid) AS first_fid, max(d.date_end) AS last_end FROM {days} d"
        " GROUP BY 1, 2, 3, 4, 5, 6"
    )


def _keep_days(days: str) -> str:
    """An ``INSERT`` appending the day rows ``days`` to :data:`DAYS`, in their dates'
    order (an import's rows of a month then lie together)."""
    return (
        f"INSERT INTO {DAYS} ({_DAY_COLUMNS}, events, fatalities)"
        f" SELECT {_DAY_COLUMNS}, events, fatalities FROM {days} ORDER BY 1, 2"
    )


def _fine_params() -> tuple:
    size = A.cell_degrees(LEVELS[-1])
    return (size, size)


def _add_levels(fine: str) -> str:
    """An ``INSERT`` adding to the summary every level of the deepest level's rows ``fine``
    (a ``WITH`` query's name: month_start, month_end, event_type, dataset, ix, iy, events,
    fatalities); a coarser level's cell is the deeper one's shifted right (exact)."""
    deepest = LEVELS[-1]
    parts = [f"SELECT {deepest}, f.* FROM {fine} f"]
    for zoom in LEVELS[:-1]:
        k = deepest - zoom
        parts.append(
            f"SELECT {zoom}, f.month_start, f.month_end, f.event_type, f.dataset,"
            f" f.ix >> {k}, f.iy >> {k}, sum(f.events), sum(f.fatalities),"
            f" min(f.first_fid), max(f.last_end) FROM {fine} f"
            " GROUP BY 1, 2, 3, 4, 5, 6, 7"
        )
    return (
        f"INSERT INTO {TABLE} AS c ({_COLUMNS}, {_FIGURES}) "
        + " UNION ALL ".join(parts)
        + f" ON CONFLICT ({_COLUMNS}) DO UPDATE SET events = c.events + excluded.events,"
        " fatalities = c.fatalities + excluded.fatalities,"
        " first_fid = least(c.first_fid, excluded.first_fid),"
        " last_end = greatest(c.last_end, excluded.last_end)"
    )


_RETURNING = (
    " RETURNING fid, date_start, date_end, event_type, dataset, longitude, latitude,"
    " fatalities_best"
)

#: The summary rows of an import's chunks, added up at its end (one upsert, not one a chunk)
STAGE = "zonewatch_stage_cells"


def insert_events(insert: str) -> tuple[str, tuple]:
    """``insert`` (an ``INSERT INTO events ... SELECT ...``) as one statement that also adds
    the rows it inserted to both summaries, returning how many it inserted."""
    return (
        f"WITH ins AS ({insert}{_RETURNING}), days AS MATERIALIZED ({_days('ins')}),"
        f" kept AS ({_keep_days('days')}), fine AS ({_months('days')}),"
        f" summed AS ({_add_levels('fine')}) SELECT count(*) FROM ins",
        _fine_params(),
    )


def begin_import(tx) -> None:
    """Before an import's chunks (:func:`stage_events`), in its transaction."""
    tx.execute(
        f"CREATE TEMP TABLE {STAGE} (date_start date, date_end date, event_type text,"
        " dataset text, ix integer, iy integer, events bigint, fatalities double precision,"
        " first_fid bigint) ON COMMIT DROP"
    )


def stage_events(insert: str) -> tuple[str, tuple]:
    """As :func:`insert_events`, the day rows of the inserted rows kept in :data:`STAGE`
    until :func:`finish_import`."""
    return (
        f"WITH ins AS ({insert}{_RETURNING}),"
        f" staged AS (INSERT INTO {STAGE} {_days('ins')}) SELECT count(*) FROM ins",
        _fine_params(),
    )


def finish_import(tx) -> None:
    """Add the import's staged rows to both summaries (each day row once, the chunks'
    rows of one key added up), every level, in one statement."""
    tx.execute(
        f"WITH days AS MATERIALIZED (SELECT {_DAY_COLUMNS}, sum(events) AS events,"
        f" sum(fatalities) AS fatalities, min(first_fid) AS first_fid FROM {STAGE}"
        f" GROUP BY 1, 2, 3, 4, 5, 6), kept AS ({_keep_days('days')}),"
        f" fine AS ({_months('days')}) {_add_levels('fine')}"
    )
    tx.execute(f"DROP TABLE {STAGE}")


def _exists(con, table: str) -> bool:
    return con.execute(f"SELECT to_regclass('{table}') IS NOT NULL").fetchone()[0]


def ensure(con, write_lock: int) -> bool:
    """Make and fill the summaries a store made before them lacks (under the writers'
    lock, so no import adds events meanwhile; seconds at a million events). True when one
    was made."""
    if _exists(con, TABLE) and _exists(con, DAYS):
        return False
    with con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(%s)", (write_lock,))
        cells, days = _exists(con, TABLE), _exists(con, DAYS)
        if cells and days:
            return False
        con.execute("SET LOCAL work_mem = '256MB'")
        if not days:
            for statement in DAYS_DDL:
                con.execute(statement)
        source = f"days AS MATERIALIZED ({_days('events')})"
        if not cells:
            for statement in DDL:
                con.execute(statement)
            kept = f", kept AS ({_keep_days('days')})" if not days else ""
            con.execute(
                f"WITH {source}{kept}, fine AS ({_months('days')}) {_add_levels('fine')}",
                _fine_params(),
            )
        else:
            con.execute(f"WITH {source} {_keep_days('days')}", _fine_params())
    return True


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


@dataclass(frozen=True)
class Plan:
    """How a filter of dates, types and datasets splits into summary rows and raw rows:
    ``date_start <= end AND date_end >= start`` holds for every event of a summary row
    when its ``month_start`` is before the last month (or is it, ``end`` being that month's
    last day) and its ``month_end`` after the first month (or is it, ``start`` being that
    month's first day); the events of the other rows that may be selected are those ending
    in the first month or starting in the last (when the dates cut those months)."""

    first: date  # the month of the start
    last: date  # the month of the end
    cut_first: bool  # the start is not the first month's first day
    cut_last: bool  # the end is not the last month's last day
    kinds: Where  # the types and datasets, on the summary's ``c``
    start: date  # the dates themselves
    end: date

    @property
    def whole(self) -> Where:
        """The summary rows whose events are all selected (``c``)."""
        ends = "c.month_end > %s" if self.cut_first else "c.month_end >= %s"
        starts = "c.month_start < %s" if self.cut_last else "c.month_start <= %s"
        return Where(f"{ends} AND {starts}", (self.first, self.last)) & self.kinds


def event_summary(store) -> EventSummary:
    """:meth:`geo.store.base.Store.event_summary` from the summary (its coarsest level)
    and the first day from the ``events_dates`` index: no scan of the events."""
    level = (LEVELS[0],)
    ((count, last),) = store._read(
        f"SELECT coalesce(sum(events), 0), max(last_end) FROM {TABLE} WHERE zoom = %s", level
    )
    ((first,),) = store._read("SELECT min(date_start) FROM events")

    def distinct(column: str) -> tuple:
        sql = f"SELECT DISTINCT {column} FROM {TABLE} WHERE zoom = %s ORDER BY 1"
        return tuple(r[0] for r in store._read(sql, level))

    return EventSummary(
        int(count),
        date.fromisoformat(str(first)[:10]) if first else None,
        date.fromisoformat(str(last)[:10]) if last else None,
        distinct("event_type"),
        distinct("dataset"),
    )


class PgCellEvents(PgEvents):
    """:class:`~geo.store.pgquery.PgEvents` whose count and map grid for a filter of
    dates, types and datasets come from the summary table and the edge months' events."""

    def __init__(self, store):
        super().__init__(store)
        self._plans: OrderedDict = OrderedDict()  # where -> Plan
        self._filters: OrderedDict = OrderedDict()  # where -> the EventFilter it came from
        self._starts: OrderedDict = OrderedDict()  # month -> months its ending events start in

    def plan(self, flt: EventFilter) -> Plan | None:
        """The split of ``flt``'s selection, or None when the summary cannot answer it."""
        if (
            flt.start is None
            or flt.end is None
            or flt.start > flt.end
            or flt.bbox is not None
            or flt.actor
            or flt.min_fatalities is not None
            or flt.precisions is not None
            or flt.near is not None
            or flt.zones is not None
        ):
            return None
        kinds = self._kinds(flt, "c")
        if kinds is None:
            return None  # nothing selected: the plain query is instant
        first, last = _month(flt.start), _month(flt.end)
        last_day = _next_month(last) - timedelta(days=1)
        return Plan(first, last, flt.start != first, flt.end != last_day, kinds, flt.start, flt.end)

    def _kinds(self, flt: EventFilter, alias: str) -> Where | None:
        """``flt``'s types and datasets as a condition on a summary's rows named
        ``alias`` (the stored values, matched case-insensitively); None when a choice
        matches no stored value."""
        kinds = Where("TRUE", ())
        for column, chosen, known in (
            ("event_type", flt.types, self.types),
            ("dataset", flt.datasets, self.datasets),
        ):
            if chosen is None:
                continue
            wanted = {v.casefold() for v in chosen}
            stored = [v for v in known if v.casefold() in wanted]
            if not stored:
                return None
            kinds = kinds & Where(f"{alias}.{column} = ANY(%s)", (stored,))
        return kinds

    def _first_seen(self, column: str) -> tuple[str, ...]:
        if column not in ("event_type", "dataset"):
            return super()._first_seen(column)
        rows = self._read(
            f"SELECT {column} FROM {TABLE} WHERE zoom = %s AND {column} IS NOT NULL"
            " GROUP BY 1 ORDER BY min(first_fid)",
            (LEVELS[0],),
        )
        return tuple(r[0] for r in rows)

    def where(self, flt: EventFilter) -> Where:
        w = super().where(flt)
        plan = self.plan(flt)
        if plan is not None:
            self._remember(self._plans, _wkey(w), plan)
            self._remember(self._filters, _wkey(w), flt)
        return w

    def _consistent(self):
        """One snapshot of the store for the summary's and the events' reads (an import
        committing between them would be counted in one and not the other)."""
        if getattr(self.store._local, "con", None) is not None:
            return nullcontext()
        return self.store._snapshot()

    # --- the parts ------------------------------------------------------------------------

    def _edge_days(self, plan: Plan) -> Where:
        """The day rows (``c`` of :data:`DAYS`) of the selected events the summary's whole
        rows leave out: by the filter's exact condition and, when the dates cut the first
        month, ending in it (read by index ranges in the months the summary says such
        events start in), or, when they cut the last, starting in it."""
        parts = []
        if plan.cut_first:
            ms, after = plan.first, _next_month(plan.first)
            months = self._start_months(ms)
            if months:
                starts = " OR ".join("(c.date_start >= %s AND c.date_start < %s)" for _ in months)
                parts.append(
                    Where(
                        f"c.date_end >= %s AND c.date_end < %s AND ({starts})",
                        (ms, after, *[d for m in months for d in (m, _next_month(m))]),
                    )
                )
        if plan.cut_last:
            parts.append(
                Where(
                    "c.date_start >= %s AND c.date_start < %s",
                    (plan.last, _next_month(plan.last)),
                )
            )
        if not parts:
            return FALSE
        either = Where(
            " OR ".join(f"({p.sql})" for p in parts), tuple(v for p in parts for v in p.params)
        )
        dates = Where("c.date_start <= %s AND c.date_end >= %s", (plan.end, plan.start))
        return dates & plan.kinds & either

    def _start_months(self, month: date) -> list[date]:
        """The months in which the events ending in ``month`` start (from the summary)."""
        known = self._recall(self._starts, month)
        if known is None:
            known = [
                r[0]
                for r in self._read(
                    f"SELECT DISTINCT c.month_start FROM {TABLE} c WHERE c.zoom = %s"
                    " AND c.month_end = %s ORDER BY 1",
                    (LEVELS[0], month),
                )
            ]
            self._remember(self._starts, month, known)
        return known

    def _total(self, w: Where, plan: Plan) -> int:
        known = self._recall(self._totals, _wkey(w))
        if known is not None:
            return known
        with self._consistent():
            whole, edges = plan.whole, self._edge_days(plan)
            sql = (
                f"SELECT (SELECT coalesce(sum(c.events), 0) FROM {TABLE} c"
                f" WHERE c.zoom = %s AND {whole.sql})"
            )
            params = (LEVELS[0], *whole.params)
            if edges is not FALSE:
                sql += f" + (SELECT coalesce(sum(c.events), 0) FROM {DAYS} c WHERE {edges.sql})"
                params += edges.params
            total = int(self._read(sql, params)[0][0])
        self._remember(self._totals, _wkey(w), total)
        return total

    # --- PgEvents' figures ------------------------------------------------------------------

    def timeline(self, flt, freq, start, end, types, also=None, with_past=False) -> tuple:
        """:meth:`PgEvents.timeline`, from the day rows (:data:`DAYS`: every event counted
        by its start and end day, type and dataset, a few hundred thousand rows at a
        million events) when the summary answers ``flt`` (a filter of dates, types and
        datasets): the timeline groups by those alone, so its figures are the same, read
        from a third of the rows (0.9 s → 0.3 s at a million, the Events page's date
        change)."""
        if also is not None or self.plan(flt) is None:
            return super().timeline(flt, freq, start, end, types, also, with_past)
        dates = Where("e.date_start <= %s AND e.date_end >= %s", (flt.end, flt.start))
        w = dates & self._kinds(flt, "e")  # not None: the plan was made
        source = (DAYS, "e.events", "e.fatalities")
        return self._timeline(w, source, freq, start, end, types, with_past)

    def count(self, flt: EventFilter, view: A.View | None = None) -> int:
        w = self.where(flt)
        plan = self._recall(self._plans, _wkey(w))
        if plan is None:
            return super().count(flt, view)
        if view is not None:
            return self._grid(w, view, with_total=True)[1]
        return self._total(w, plan)

    def _grid(self, w: Where, view: A.View, with_total: bool = False) -> tuple[np.ndarray, int]:
        plan = self._recall(self._plans, _wkey(w))
        if plan is None:
            return super()._grid(w, view, with_total)
        if view.zoom > LEVELS[-1]:  # deeper than the summary: PgEvents' one scan (measured
            return super()._grid(w, view, with_total)  # quicker than the area's GiST read)
        size = A.cell_degrees(view.zoom)
        area = A.region(view)
        key = (_wkey(w), size, (area.west, area.south, area.east, area.north))
        kept = self._recall(self._grids, key)
        if kept is not None:
            arr = _in_view(*kept, view, size)
            if arr is not None:
                return arr, self._total(w, plan) if with_total else -1
        with self._consistent():
            arr, total = self._summed_grid(w, plan, view, area, size)
        self._remember(self._totals, _wkey(w), total)
        self._remember(self._grids, key, (view, arr))
        return arr, total if with_total else -1

    def _summed_grid(self, w: Where, plan: Plan, view: A.View, area: A.View, size: float):
        """The grid of :meth:`PgEvents._grid` from the summaries' cells (the whole months'
        rows and the edge months' day rows) clearly inside the area and clearly inside or
        outside the view, and the events of the other cells; and how many events ``w``
        selects in all (from the same query: the cells far from the area in one group)."""
        level = min(z for z in LEVELS if z >= view.zoom)
        shift, day_shift = level - view.zoom, LEVELS[-1] - view.zoom
        lo_x, hi_x = _cell(area.west, 180.0, size) - 1, _cell(area.east, 180.0, size) + 1
        lo_y, hi_y = _cell(area.south, 90.0, size) - 1, _cell(area.north, 90.0, size) + 1
        whole, edges = plan.whole, self._edge_days(plan)
        parts = [
            "SELECT c.ix >> %s::integer AS x, c.iy >> %s::integer AS y, c.events, c.fatalities"
            f" FROM {TABLE} c WHERE c.zoom = %s AND {whole.sql}"
        ]
        params = [shift, shift, level, *whole.params]
        if edges is not FALSE:
            parts.append(
                "SELECT c.ix >> %s::integer, c.iy >> %s::integer, c.events, c.fatalities"
                f" FROM {DAYS} c WHERE {edges.sql}"
            )
            params += [day_shift, day_shift, *edges.params]
        rows = self._read(
            f"WITH r AS ({' UNION ALL '.join(parts)})"
            " SELECT CASE WHEN k.near THEN r.x END, CASE WHEN k.near THEN r.y END,"
            " sum(r.events), sum(r.fatalities) FROM r CROSS JOIN LATERAL"
            " (SELECT r.x BETWEEN %s AND %s AND r.y BETWEEN %s AND %s AS near) k GROUP BY 1, 2",
            (*params, lo_x, hi_x, lo_y, hi_y),
        )
        total = int(sum(r[2] for r in rows))
        summed = np.array([r for r in rows if r[0] is not None], dtype=np.float64).reshape(-1, 4)
        ix, iy = summed[:, 0].astype(np.int64), summed[:, 1].astype(np.int64)
        in_area, out_area = _clear(ix, iy, size, area)
        in_view, out_view = _clear(ix, iy, size, view)
        clear = (in_area & (in_view | out_view)) | out_area
        keep = clear & in_area
        # the events of the other cells, one by one
        unclear = ~clear
        inside = "e.longitude >= %s AND e.longitude <= %s AND e.latitude >= %s AND e.latitude <= %s"
        in_params = (view.west, view.east, view.south, view.north)
        a_box = _box((area.west, area.south, area.east, area.north))
        cells = "floor((e.longitude + 180.0) / %s)::bigint AS x,"
        cells += " floor((e.latitude + 90.0) / %s)::bigint AS y"
        sums = (
            "count(*), coalesce(sum(e.fatalities_best), 0),"
            f" count(*) FILTER (WHERE {inside}),"
            f" coalesce(sum(e.fatalities_best) FILTER (WHERE {inside}), 0)"
        )
        raw_rows: list = []
        border, top = None, 0
        if unclear.any():
            flt = self._recall(self._filters, _wkey(w))
            border, top = self._border_events(view, area, size, lo_x, hi_x, lo_y, hi_y, flt)
        if border is not None:
            known = (self.types, self.datasets)
            raw_rows += border.grid(flt, known, ix[unclear], iy[unclear], view, top)
        elif unclear.any():
            boxes = _boxes(ix[unclear], iy[unclear], size)
            parts = [_box(b) for b in boxes]
            near = Where(
                " OR ".join(f"({p.sql})" for p in parts), tuple(v for p in parts for v in p.params)
            )
            rest = w & near & a_box  # the filter's events in the unclear cells
            raw_rows += self._read(
                f"SELECT c.x, c.y, {sums} FROM events e CROSS JOIN LATERAL (SELECT {cells}) c"
                f" WHERE ({rest.sql}) AND (c.x, c.y) IN"
                " (SELECT * FROM unnest(%s::bigint[], %s::bigint[])) GROUP BY 1, 2",
                (
                    *in_params,
                    *in_params,
                    size,
                    size,
                    *rest.params,
                    ix[unclear].tolist(),
                    iy[unclear].tolist(),
                ),
            )
        raw = np.array(raw_rows, dtype=np.float64).reshape(-1, 6)
        table = np.column_stack(
            [
                summed[keep, 0],
                summed[keep, 1],
                summed[keep, 2],
                summed[keep, 3],
                np.where(in_view[keep], summed[keep, 2], 0),
                np.where(in_view[keep], summed[keep, 3], 0),
            ]
        ).reshape(-1, 6)
        both = np.vstack([table, raw])
        if not len(both):
            return np.zeros((0, 6), dtype=np.int64), total
        keys, where = np.unique(both[:, :2], axis=0, return_inverse=True)
        out = np.zeros((len(keys), 6), dtype=np.float64)
        out[:, :2] = keys
        for col in range(2, 6):
            np.add.at(out[:, col], where.ravel(), both[:, col])
        out = out[out[:, 2] > 0]
        order = np.lexsort((out[:, 1], out[:, 0]))
        return out[order].astype(np.int64), total

    def _border_events(self, view, area, size, lo_x, hi_x, lo_y, hi_y, flt):
        """The events of every cell of the grid that the view's or the area's edge cuts
        (whatever their dates, types and datasets), kept per view in the process's
        :class:`~geo.store.pgborder.BorderCache` and read again only for the rows an
        import added: each filter's events in the cells it finds unclear are then picked
        from them, not read again. With the largest row id of this snapshot (the
        summary's rows, read in it, count the events up to it). None when there are too
        many (or no filter)."""
        if flt is None:
            return None, 0
        # the events table only grows: its largest row id names what is counted
        ((top,),) = self._read("SELECT max(fid) FROM events")
        top = int(top or 0)
        area_box = (area.west, area.south, area.east, area.north)
        gx, gy = np.meshgrid(np.arange(lo_x, hi_x + 1), np.arange(lo_y, hi_y + 1))
        gx, gy = gx.ravel(), gy.ravel()
        in_area, out_area = _clear(gx, gy, size, area)
        in_view, out_view = _clear(gx, gy, size, view)
        cut = ~((in_area & (in_view | out_view)) | out_area)

        def read(after: int | None, upto: int, limit: int) -> list[tuple]:
            if not cut.any():
                return []
            parts = [_box(b) for b in _boxes(gx[cut], gy[cut], size)]
            near = Where(
                " OR ".join(f"({p.sql})" for p in parts), tuple(v for p in parts for v in p.params)
            )
            where = near & _box(area_box) & Where("e.fid <= %s", (upto,))
            if after is not None:
                where = where & Where("e.fid > %s", (after,))
            return self._read(
                f"SELECT {COLUMNS} FROM events e CROSS JOIN LATERAL (SELECT"
                " floor((e.longitude + 180.0) / %s)::bigint AS x,"
                " floor((e.latitude + 90.0) / %s)::bigint AS y) c"
                f" WHERE ({where.sql}) AND (c.x, c.y) IN"
                f" (SELECT * FROM unnest(%s::bigint[], %s::bigint[])) LIMIT {int(limit)}",
                (size, size, *where.params, gx[cut].tolist(), gy[cut].tolist()),
            )

        found = border_cache(self.store).events((size, area_box, view), size, top, read)
        return found, top


def _cell(edge: float, offset: float, size: float) -> int:
    return math.floor((edge + offset) / size)


def _boxes(ix: np.ndarray, iy: np.ndarray, size: float) -> list[tuple[float, ...]]:
    """Boxes (west, south, east, north) covering the cells, widened by a thousandth of a
    cell: runs of cells along a row, then runs of equal rows merged upward (a view's edge
    gives a few long strips)."""
    runs: dict[tuple[int, int], list[int]] = {}
    for y in np.unique(iy):
        xs = np.sort(ix[iy == y])
        breaks = np.flatnonzero(np.diff(xs) != 1)
        for a, b in zip(np.r_[0, breaks + 1], np.r_[breaks, len(xs) - 1], strict=True):
            runs.setdefault((int(xs[a]), int(xs[b])), []).append(int(y))
    eps = size * 1e-3
    out = []
    for (x0, x1), ys in sorted(runs.items()):
        ys = sorted(ys)
        start = prev = ys[0]
        for y in [*ys[1:], None]:
            if y is not None and y == prev + 1:
                prev = y
                continue
            out.append(
                (
                    x0 * size - 180.0 - eps,
                    start * size - 90.0 - eps,
                    (x1 + 1) * size - 180.0 + eps,
                    (prev + 1) * size - 90.0 + eps,
                )
            )
            if y is not None:
                start = prev = y
    return out


__all__ = ["DAYS", "FALSE", "LEVELS", "PgCellEvents", "Plan", "TABLE", "ensure", "insert_events"]
