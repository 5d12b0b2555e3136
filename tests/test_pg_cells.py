"""The summary of the events per month, type, dataset and grid cell (:mod:`geo.store.pgcells`):
the count and the map's figures it gives for filters of dates, types and datasets are the
in-memory index's (as ``tests/test_pg_query.py`` checks the plain SQL's), on the shipped data
(and the real ACLED file, when here) and on events spanning months with dates starting and
ending mid-month, on a month's first or last day, within one month; the import keeps the
summary (skipped duplicates not counted; a failed import leaves it unchanged); an older store
gets it on opening. The same for the day rows (``event_days``) the edge months are read from:
the count and the map equal the plain SQL's on many random dates, and a date change reads
no event one by one but the cut cells'."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from test_pg_parity import VIEWS
from test_pg_query import _views_around, pair  # noqa: F401 - the fixture, reused

from geo import aggregate as A
from geo.aggregate import event_view
from geo.eventindex import EventIndex
from geo.filters import EventFilter
from geo.schema import EVENT_COLUMNS
from geo.store import pgborder, pgcells
from geo.store.pgcells import PgCellEvents
from geo.store.pgquery import PgEvents

#: Views at every kind of level: read from level 5 (zoom 4), level 8 shifted (zoom 7) and
#: unshifted (zoom 8), and beyond the levels (zoom 9: the events in the area).
CELL_VIEWS = {
    **VIEWS,
    "wide": A.View(30.0, 28.0, 46.0, 40.0, 4),
    "homs": A.View(36.2, 34.4, 37.6, 35.2, 8),
}


def _spanning(tag: str, n: int, seed: int) -> pd.DataFrame:
    """``n`` events over Syria from 2016 to 2018, many lasting days to months (some
    crossing a month's end or several), three types, two datasets, some with no
    fatalities."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    days = rng.choice([0, 0, 0, 1, 3, 20, 45, 130], n)
    frame = pd.DataFrame({c: [""] * n for c in EVENT_COLUMNS})
    frame = frame.assign(
        date_start=start.astype("datetime64[s]"),
        date_end=(start + pd.to_timedelta(days, unit="D")).astype("datetime64[s]"),
        date_precision="day",
        latitude=np.round(rng.uniform(32.4, 37.2, n), 5),
        longitude=np.round(rng.uniform(35.8, 42.3, n), 5),
        location_precision="exact",
        event_type=rng.choice(["Battle", "Shelling", "Protest"], n),
        dataset=rng.choice(["span_a", "span_b"], n),
        dataset_id=[f"{tag}-{k}" for k in range(n)],
        fatalities_best=pd.array(
            [None if k % 7 == 0 else int(v) for k, v in enumerate(rng.integers(0, 9, n))],
            dtype="Int64",
        ),
        fatalities_low=pd.array([None] * n, dtype="Int64"),
        fatalities_high=pd.array([None] * n, dtype="Int64"),
    )
    return frame


def _date_filters(summary) -> dict[str, EventFilter]:
    every = EventFilter(start=summary.first, end=summary.last, types=summary.types)

    def but(**kw) -> EventFilter:
        return EventFilter(**{**every.__dict__, **kw})

    d = date
    return {
        "default": every,
        "mid-months": but(start=d(2017, 3, 15), end=d(2017, 9, 10)),
        "whole-months": but(start=d(2017, 3, 1), end=d(2017, 9, 30)),
        "month-ends": but(start=d(2017, 2, 28), end=d(2017, 10, 1)),
        "one-month": but(start=d(2017, 5, 10), end=d(2017, 5, 20)),
        "a-whole-month": but(start=d(2017, 5, 1), end=d(2017, 5, 31)),
        "to-a-month-end": but(start=d(2016, 11, 20), end=d(2017, 4, 30)),
        "across-a-boundary": but(start=d(2017, 5, 31), end=d(2017, 6, 1)),
        "one-day": but(start=d(2017, 6, 1), end=d(2017, 6, 1)),
        "next-months": but(start=d(2016, 12, 31), end=d(2017, 2, 1)),
        "to-the-end": but(start=d(2018, 1, 17)),
        "types": but(start=d(2016, 6, 3), types=tuple(t.upper() for t in summary.types[:2])),
        "dataset": but(start=d(2016, 8, 9), end=d(2017, 8, 9), datasets=(summary.datasets[-1],)),
    }


class Cells:
    def __init__(self, store):
        self.store = store
        self.summary = store.event_summary()
        self.versions = store.zone_versions()
        self.index = EventIndex.from_frame(store.event_columns())
        self.filters = _date_filters(self.summary)

    def mask(self, flt):
        return self.index.mask(flt, self.versions)


@pytest.fixture(scope="module")
def spanning(postgis) -> Cells:
    from geo.store.postgis import PostGISStore

    store = PostGISStore.open(postgis.create_db("cells_span", template="zonewatch_template"))
    store.add_events(_spanning("s", 1500, seed=3))
    return Cells(store)


def _rows(store) -> list[tuple]:
    return sorted(
        store._read(f"SELECT {pgcells._COLUMNS}, {pgcells._FIGURES} FROM {pgcells.TABLE}"),
        key=repr,
    )


def _day_rows(store) -> list[tuple]:
    """The day rows, those of one key added up (an import appends its own)."""
    return sorted(
        store._read(
            f"SELECT {pgcells._DAY_COLUMNS}, sum(events), sum(fatalities) FROM {pgcells.DAYS}"
            " GROUP BY 1, 2, 3, 4, 5, 6"
        ),
        key=repr,
    )


def _days_rebuilt(store) -> list[tuple]:
    """The day rows made afresh from the stored events."""
    return sorted(
        (r[:-1] for r in store._read(pgcells._days("events"), pgcells._fine_params())),
        key=repr,
    )


def _rebuilt(store) -> list[tuple]:
    """The summary made afresh from the stored events."""
    return sorted(store._read(pgcells._grouped("events"), tuple(pgcells._sizes())), key=repr)


#: how the cut cells' events are read (:mod:`geo.store.pgborder`)
BORDER = f"SELECT {pgborder.COLUMNS} FROM events"


def _sent(sql: PgEvents) -> list[str]:
    sent: list[str] = []
    plain = sql._read
    sql._read = lambda q, p=(), *m, s=sent, r=plain: s.append(q) or r(q, p, *m)
    return sent


def test_the_summary_answers_filters_of_dates_types_and_datasets_only(spanning):
    sql = PgCellEvents(spanning.store)
    for name, flt in spanning.filters.items():
        assert sql.plan(flt) is not None, name
    every = spanning.filters["default"]
    for other in (
        EventFilter(**{**every.__dict__, "actor": "x"}),
        EventFilter(**{**every.__dict__, "zones": ("idlib",)}),
        EventFilter(**{**every.__dict__, "min_fatalities": 1}),
        EventFilter(**{**every.__dict__, "bbox": (36.0, 35.0, 37.0, 36.0)}),
        EventFilter(**{**every.__dict__, "near": (35.9, 39.0, 10.0)}),
        EventFilter(**{**every.__dict__, "precisions": ("exact",)}),
        EventFilter(types=every.types),  # no dates
    ):
        assert sql.plan(other) is None


@pytest.mark.parametrize("path", [PgCellEvents, PgEvents], ids=["summary", "raw"])
def test_the_count_is_the_index_s(spanning, path):
    sql = path(spanning.store)
    sent = _sent(sql)
    for name, flt in spanning.filters.items():
        mask = spanning.mask(flt)
        assert sql.count(flt) == int(mask.sum()), name
        assert mask.any(), name
    assert any(pgcells.TABLE in q for q in sent) == (path is PgCellEvents)


@pytest.mark.parametrize("path", [PgCellEvents, PgEvents], ids=["summary", "raw"])
@pytest.mark.parametrize("view", list(CELL_VIEWS))
def test_the_map_and_its_count_are_the_index_s(spanning, view, path):
    colors = ["#111111", "#222222", "#333333"] + ["#444444"] * len(spanning.index.types)
    for name, flt in spanning.filters.items():
        mask = spanning.mask(flt)
        sql = path(spanning.store)
        dates = (flt.start, flt.end)
        assert sql.count(flt, CELL_VIEWS[view]) == int(mask.sum()), name
        for other in _views_around(CELL_VIEWS[view]):
            want = event_view(spanning.index, mask, other, colors, 20, dates)
            assert sql.event_view(flt, other, colors, 20, dates) == want, (name, other)


@pytest.mark.parametrize("view", ["syria", "homs"])
def test_the_cut_cells_are_read_once_for_every_filter_on_a_view(spanning, view):
    """One object, as an app process keeps it: the events of the cells the view's edges
    cut are read once, and every filter's figures taken from them are the index's."""
    colors = ["#111111", "#222222", "#333333"] + ["#444444"] * len(spanning.index.types)
    shown = CELL_VIEWS[view]
    sql = PgCellEvents(spanning.store)
    sent = _sent(sql)
    for name, flt in spanning.filters.items():
        mask = spanning.mask(flt)
        dates = (flt.start, flt.end)
        assert sql.count(flt, shown) == int(mask.sum()), name
        want = event_view(spanning.index, mask, shown, colors, 20, dates)
        assert sql.event_view(flt, shown, colors, 20, dates) == want, name
    border = [q for q in sent if q.startswith(BORDER)]
    cut_reads = [q for q in sent if "IN (SELECT * FROM unnest" in q and q not in border]
    # the cut cells' events, read once for the view (or before, for this store: once a
    # process, whatever the events version)
    assert len(border) <= 1
    assert cut_reads == []  # and not read again per filter


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_summary_gives_the_index_s_figures_on_the_shipped_data(pair, view):  # noqa: F811
    colors = [f"#{k:06x}" for k in range(len(pair.index.types))]
    for name in ("default", "weeks", "types-any-case", "dataset", "no-type"):
        flt, mask = pair.filters[name], pair.masks[name]
        sql = PgCellEvents(pair.store)
        assert sql.count(flt, VIEWS[view]) == int(mask.sum()), name
        assert sql.count(flt) == int(mask.sum()), name
        for limit in (100, 10**6):
            want = event_view(pair.index, mask, VIEWS[view], colors, limit, (flt.start, flt.end))
            got = sql.event_view(flt, VIEWS[view], colors, limit, (flt.start, flt.end))
            assert got == want, (name, limit)


def test_an_import_adds_its_new_events_to_the_summary(postgis):
    from geo.store.postgis import PostGISStore

    store = PostGISStore.open(postgis.create_db("cells_import", template="zonewatch_template"))
    assert _rows(store) == _rebuilt(store) and _rows(store)  # the shipped events
    first = _spanning("i", 600, seed=5)
    store.add_events(first)
    filled = _rows(store)
    assert filled == _rebuilt(store)
    assert _day_rows(store) == _days_rebuilt(store) and _day_rows(store)
    # a second import, half of it already stored (skipped: not counted again)
    again = pd.concat([first.iloc[:300], _spanning("j", 400, seed=6)], ignore_index=True)
    result = store.add_events(again)
    assert result.added == 400 and result.already_present == 300
    assert _rows(store) == _rebuilt(store) != filled
    assert _day_rows(store) == _days_rebuilt(store)
    cells = Cells(store)
    sql = PgCellEvents(store)
    assert sql.types == cells.index.types and sql.datasets == cells.index.datasets
    assert cells.summary.count == len(cells.index.fid)
    for name, flt in cells.filters.items():
        assert sql.count(flt, VIEWS["syria"]) == int(cells.mask(flt).sum()), name


def test_an_import_adds_only_its_new_events_to_the_cut_cells_kept(postgis):
    """The cut cells' events are kept per store and process, across events versions: after
    an import (with a type and a dataset not seen before) the next events version reads
    only the events it added (one read, bounded by row ids), and its figures are the plain
    SQL's."""
    from geo.store.postgis import PostGISStore

    store = PostGISStore.open(postgis.create_db("cells_border", template="zonewatch_template"))
    store.add_events(_spanning("b", 800, seed=14))
    shown, colors = CELL_VIEWS["syria"], ["#111111"] * 8
    cache = pgborder.border_cache(store)

    def figures(sql, flt):
        return sql.count(flt, shown), sql.event_view(flt, shown, colors, 20, (flt.start, flt.end))

    flts = list(_date_filters(store.event_summary()).values())
    old = PgCellEvents(store)
    before = [figures(old, f) for f in flts]
    assert before == [figures(PgEvents(store), f) for f in flts]
    reads = cache.reads
    assert reads >= 1
    added = _spanning("n", 500, seed=15).assign(event_type="Airstrike", dataset="span_new")
    store.add_events(added)
    new = PgCellEvents(store)
    sent = _sent(new)
    flts = list(_date_filters(store.event_summary()).values())
    for flt in flts:
        assert figures(new, flt) == figures(PgEvents(store), flt), flt
    border = [q for q in sent if q.startswith(BORDER)]
    assert len(border) == 1 and "e.fid > %s" in border[0]  # the new events alone
    assert cache.reads == reads + 1


def test_the_cut_cells_kept_give_a_snapshot_its_own_events():
    """:class:`~geo.store.pgborder.BorderEvents` with events added: a grid up to a row id
    leaves the later ones out, and types first seen in the added rows are matched."""
    day = date(2017, 5, 1)
    rows = [(k, day, day, "Battle", "a", 36.1 + k / 100, 35.1, 1.0) for k in range(1, 6)]
    more = [(k, day, day, "Airstrike", "b", 36.1 + k / 100, 35.1, 2.0) for k in range(6, 9)]
    size = 0.5
    held = pgborder.BorderEvents(rows, size).plus(more)
    assert len(held) == 8
    ix, iy = [int((36.1 + 180) / size)], [int((35.1 + 90) / size)]
    view = A.View(30.0, 30.0, 40.0, 40.0, 8)
    flt = EventFilter(start=day, end=day)
    assert held.grid(flt, (("Battle", "Airstrike"), ("a", "b")), ix, iy, view, 5)[0][2:4] == (
        5,
        5.0,
    )
    assert held.grid(flt, (("Battle", "Airstrike"), ("a", "b")), ix, iy, view, 8)[0][2:4] == (
        8,
        11.0,
    )
    only = EventFilter(start=day, end=day, types=("airstrike",))
    assert held.grid(only, (("Battle", "Airstrike"), ("a", "b")), ix, iy, view, 8)[0][2] == 3


def test_a_failed_import_leaves_the_summary_unchanged(postgis):
    from geo.store.postgis import PostGISStore

    store = PostGISStore.open(postgis.create_db("cells_failed", template="zonewatch_template"))
    before, days, events = _rows(store), _day_rows(store), store.event_summary().count

    def chunks():
        yield _spanning("f", 300, seed=8)
        raise ValueError("the file ends in the middle of a row")

    with pytest.raises(ValueError, match="middle of a row"):
        store.add_event_chunks(chunks())
    assert _rows(store) == before and store.event_summary().count == events
    assert _day_rows(store) == days


def test_an_older_store_gets_the_summary_on_opening(postgis):
    from geo.store.postgis import PostGISStore

    url = postgis.create_db("cells_older", template="zonewatch_template")
    store = PostGISStore.open(url, seed=False)
    store.add_events(_spanning("o", 500, seed=9))
    made, days = _rows(store), _day_rows(store)
    with store._connect() as con:  # a store made before the summaries
        con.execute(f"DROP TABLE {pgcells.TABLE}")
        con.execute(f"DROP TABLE {pgcells.DAYS}")
    assert store._read(f"SELECT to_regclass('{pgcells.TABLE}')")[0][0] is None
    PostGISStore.open(url, seed=False)
    assert _rows(store) == made == _rebuilt(store)
    assert _day_rows(store) == days == _days_rebuilt(store)
    PostGISStore.open(url, seed=False)  # made once
    assert _rows(store) == made and _day_rows(store) == days


def test_a_store_with_the_month_summary_gets_the_day_rows_on_opening(postgis):
    """A store made with ``event_cells`` but before ``event_days``: the day rows are made
    from its events on opening (once), the month summary is left as it is, and the figures
    are the index's."""
    from geo.store.postgis import PostGISStore

    url = postgis.create_db("cells_days_older", template="zonewatch_template")
    store = PostGISStore.open(url, seed=False)
    store.add_events(_spanning("d", 500, seed=10))
    made, days = _rows(store), _day_rows(store)
    with store._connect() as con:
        con.execute(f"DROP TABLE {pgcells.DAYS}")
    PostGISStore.open(url, seed=False)
    assert _day_rows(store) == days == _days_rebuilt(store)
    assert _rows(store) == made
    PostGISStore.open(url, seed=False)  # made once
    assert _day_rows(store) == days
    store.add_events(_spanning("e", 200, seed=11))  # and kept by the next import
    assert _day_rows(store) == _days_rebuilt(store) and _rows(store) == _rebuilt(store)
    cells = Cells(store)
    sql = PgCellEvents(store)
    for name, flt in cells.filters.items():
        assert sql.count(flt, VIEWS["syria"]) == int(cells.mask(flt).sum()), name


def _random_filters(summary, n: int, seed: int) -> list[EventFilter]:
    """``n`` filters of random dates (some within a month, some a day, some on a month's
    first or last day), with random types and datasets now and then."""
    rng = np.random.default_rng(seed)
    first, last = pd.Timestamp(summary.first), pd.Timestamp(summary.last)
    span = (last - first).days
    out = []
    for k in range(n):
        start = first + pd.Timedelta(days=int(rng.integers(-20, span)))
        length = int(rng.choice([0, 1, 5, 17, 40, 200, span]))
        end = start + pd.Timedelta(days=length)
        if k % 5 == 1:
            start = start.replace(day=1)  # a month's first day
        if k % 5 == 2:
            end = end + pd.offsets.MonthEnd(0)  # a month's last day
        types = summary.types
        if k % 4 == 3:
            types = tuple(rng.choice(summary.types, int(rng.integers(1, 3)), replace=False))
        datasets = None
        if k % 6 == 5:
            datasets = (str(rng.choice(summary.datasets)),)
        out.append(EventFilter(start=start.date(), end=end.date(), types=types, datasets=datasets))
    return out


@pytest.mark.parametrize("view", ["wide", "syria", "homs"])
def test_the_summaries_equal_the_plain_sql_on_random_dates(spanning, view):
    """On many random dates (events lasting days to months), the count and the map's
    figures from the summaries (month rows and the edge months' day rows) are exactly the
    plain SQL's, one object answering every filter as an app process does."""
    colors = ["#111111", "#222222", "#333333"] + ["#444444"] * len(spanning.index.types)
    shown = CELL_VIEWS[view]
    summed = PgCellEvents(spanning.store)
    for flt in _random_filters(spanning.summary, 60, seed=12):
        assert summed.plan(flt) is not None, flt
        plain = PgEvents(spanning.store)
        dates = (flt.start, flt.end)
        want = plain.count(flt, shown)
        assert summed.count(flt, shown) == want, flt
        assert PgCellEvents(spanning.store).count(flt) == want, flt  # without the view
        got = summed.event_view(flt, shown, colors, 20, dates)
        assert got == plain.event_view(flt, shown, colors, 20, dates), flt


def test_a_date_change_reads_no_event_but_the_cut_cells(spanning):
    """The edge months come from the day rows: a date change on the Map (the count with
    the view, then the map's figures) reads no event from the events table but the cut
    cells' (once per view), the largest row id and, when the dates select a few events,
    those drawn one by one."""
    shown = CELL_VIEWS["syria"]
    sql = PgCellEvents(spanning.store)
    sent = _sent(sql)
    for flt in _random_filters(spanning.summary, 12, seed=13):
        sql.count(flt, shown)
        sql.event_view(flt, shown, [], 20, (flt.start, flt.end))
    border = [q for q in sent if q.startswith(BORDER)]
    points = [q for q in sent if q.startswith("SELECT e.fid, e.latitude")]  # a few: drawn
    events = [q for q in sent if "FROM events" in q and q not in border + points]
    assert len(border) <= 1
    assert events == ["SELECT max(fid) FROM events"] * len(events)
    assert any("FROM event_days" in q for q in sent)


def test_the_edge_boxes_cover_the_cells():
    size = 0.5
    ix = np.array([10, 10, 10, 11, 20, 21, 22, 20, 21, 22])
    iy = np.array([5, 6, 7, 7, 9, 9, 9, 10, 10, 10])
    boxes = pgcells._boxes(ix, iy, size)
    assert len(boxes) == 3  # a column of two, a row of two above it, and a 3x2 block
    for x, y in zip(ix, iy, strict=True):
        west, south = x * size - 180.0, y * size - 90.0
        assert any(
            b[0] < west and b[1] < south and b[2] > west + size and b[3] > south + size
            for b in boxes
        )


def test_the_store_s_summary_and_the_dictionaries_come_from_the_summary_unchanged(spanning):
    from geo.store.base import Store

    store = spanning.store
    assert store.event_summary() == Store.event_summary(store)  # the scans of the events
    assert store.event_summary().count == len(spanning.index.fid)
    sql = PgCellEvents(store)
    sent = _sent(sql)
    assert sql.types == spanning.index.types == PgEvents(store).types
    assert sql.datasets == spanning.index.datasets == PgEvents(store).datasets
    assert sent and all(pgcells.TABLE in q for q in sent)


@pytest.mark.parametrize("freq", ["day", "week", "month"])
def test_the_timeline_from_the_day_rows_is_the_events(spanning, freq):
    """The Events page's timeline for a filter of dates, types and datasets comes from the
    day rows (:data:`pgcells.DAYS`): the series (with the part of each bar dated past it),
    what began before the dates and what runs past its period equal the events table's
    (:class:`PgEvents`) and the in-memory index's, on events spanning months, for random
    dates and for the summary's own filters; and the events table is not read."""
    from geo import timeline

    types = list(spanning.summary.types)
    filters = [*spanning.filters.values(), *_random_filters(spanning.summary, 25, seed=31)]
    for flt in filters:
        days, plain = PgCellEvents(spanning.store), PgEvents(spanning.store)
        sent = _sent(days)
        for past in (False, True):
            got = days.timeline(flt, freq, flt.start, flt.end, types, with_past=past)
            want = plain.timeline(flt, freq, flt.start, flt.end, types, with_past=past)
            pd.testing.assert_frame_equal(got[0], want[0], obj=str(flt))
            assert got[1:] == want[1:], flt
        assert any(pgcells.DAYS in q for q in sent) and not any("FROM events" in q for q in sent)
        frame = spanning.index.frame(spanning.mask(flt))
        start, end = flt.start, flt.end or spanning.summary.last
        series = days.timeline(flt, freq, start, end, types)[0]
        pd.testing.assert_frame_equal(series, timeline.timeline(frame, freq, start, end, types))
