"""The events a filter selects on PostGIS, as the reports take them: no event read but
those near the report's zone or places.

The Zone and Place reports count the events within the bounds of a zone's versions and
its ring, or around the chosen places: a few thousand of a million shown. On the
embedded store they take a :class:`geo.eventindex.Selection` of the in-memory index and
make the compact frame of those events alone. On PostGIS they used to read the compact
frame of every selected event from SQL (a million rows copied to the app, about 2 s and
half a gigabyte of peak memory per report at a million events, and held while cached),
though the app process holds no event anywhere else. :class:`SqlSelection` gives them
the same answers with the work in PostgreSQL: how many events are selected, the first
start and last end, how many are coarse (one read), and the compact frame of the events
within some boxes (:meth:`geo.store.pgquery.PgEvents.frame` with a part, which the GiST
index on the points serves), so every figure of a report is the same on both engines
(``tests/test_pg_query.py``, ``tests/test_pg_pages.py``). Its rows are labelled by their
row id, where ``Selection.frame`` labels them by their position among the selected
events: a report uses its labels only to know one event in two of its parts (a zone and
its ring, two places) and to keep the stored order, which both give alike, and numbering
the selected events in SQL sorted every one of them (a second at a million).

Only for PostGIS. Pure: no streamlit.
"""

from __future__ import annotations

import threading
from datetime import date

import pandas as pd

from geo.filters import EventFilter
from geo.store.pgquery import PgEvents
from geo.store.pgwhere import FALSE, Where, _box


class SqlSelection:
    """The events ``flt`` selects in ``sql`` (a :class:`~geo.store.pgquery.PgEvents`, or
    the count-once one: its selection is its ``where``), read as the reports ask."""

    def __init__(self, sql: PgEvents, flt: EventFilter, coarse):
        self.sql, self.flt, self.coarse = sql, flt, frozenset(coarse)
        self._lock = threading.Lock()
        self._facts: tuple | None = None

    def _read_facts(self) -> tuple:
        with self._lock:
            if self._facts is None:
                self._facts = self.sql.facts(self.flt, sorted(self.coarse))
            return self._facts

    @property
    def count(self) -> int:
        return self._read_facts()[0]

    def __len__(self) -> int:
        return self.count

    def first_start(self) -> date | None:
        """The earliest start date selected, None when none."""
        return _day(self._read_facts()[1])

    def last_end(self) -> date | None:
        """The latest end date selected, None when none."""
        return _day(self._read_facts()[2])

    def count_with_precision(self, precisions) -> int:
        """How many selected events have a location precision in ``precisions`` (read
        with the count and dates when those are the ``coarse`` ones)."""
        if frozenset(precisions) == self.coarse:
            return self._read_facts()[3]
        return self.sql.facts(self.flt, sorted(precisions))[3]

    def frame_in_boxes(self, boxes, leave_out=()) -> pd.DataFrame:
        """The compact frame of the selected events within any of ``boxes`` (west,
        south, east, north; edges included), less those whose precision is in
        ``leave_out``, labelled by their row id, in row id order (as
        :meth:`geo.eventindex.Selection.frame_in_boxes`, but for the labels)."""
        parts = [_box(tuple(b)) for b in boxes]
        sql, params = " OR ".join(f"({p.sql})" for p in parts), [v for p in parts for v in p.params]
        near = Where(sql, tuple(params)) if parts else FALSE
        if leave_out:
            near = near & Where(
                "(e.location_precision IS NULL OR NOT e.location_precision = ANY(%s))",
                (sorted(leave_out),),
            )
        return self.sql.frame(self.flt, near)


def _day(value) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


__all__ = ["SqlSelection"]
