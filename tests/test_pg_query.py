"""The pages' figures counted in PostgreSQL (:mod:`geo.store.pgquery`, the filter by
:mod:`geo.store.pgwhere`) are the in-memory index's (:class:`geo.eventindex.EventIndex`,
:func:`geo.aggregate.event_view`, :mod:`geo.timeline`, :func:`geo.table.sort_order`) on the
same PostGIS store: the shipped data, and the shipped data with the real ACLED 2017 file
imported (skipped, saying why, when the file is not here). Filters: dates, types
(case-blind), datasets, actor text, a zone (the version in force on each event's start
date), a place radius (geodesic, edges included), a box, a location precision, and some
together."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from test_pg_parity import ACLED_REAL, VIEWS, _import_acled

from geo import aggregate as A
from geo import table as T
from geo import timeline
from geo.aggregate import event_view
from geo.eventindex import EventIndex
from geo.filters import EventFilter, distance_km
from geo.store.pggrid import _in_view
from geo.store.pgquery import SQL_ORDERS, PgEvents

RAQQA = (35.9594, 39.0079)
ALEPPO = (36.2021, 37.1343)


def _filters(summary) -> dict[str, EventFilter]:
    every = EventFilter(start=summary.first, end=summary.last, types=summary.types)

    def but(**kw) -> EventFilter:
        return EventFilter(**{**every.__dict__, **kw})

    return {
        "default": every,
        "2017-fatal": but(start=date(2017, 3, 1), end=date(2017, 10, 31), min_fatalities=1),
        "weeks": but(start=date(2017, 5, 3), end=date(2017, 6, 14)),
        "types-any-case": but(types=tuple(t.upper() for t in summary.types[:2])),
        "no-type": but(types=()),
        "dataset": but(datasets=(summary.datasets[0].upper(),)),
        "actor": but(actor="FORCES"),
        "actor-none": but(actor="no actor is called this"),
        "zone": but(zones=("idlib",)),
        "zones": but(zones=("idlib", "south", "eastern_ghouta")),
        "raqqa-25km": but(near=(*RAQQA, 25.0)),
        "aleppo-10km-2017": but(near=(*ALEPPO, 10.0), start=date(2017, 1, 1)),
        "box": but(bbox=(36.0, 35.0, 37.5, 36.5)),
        "precision": but(precisions=("exact",)),
        "together": but(
            zones=("idlib",), actor="syria", start=date(2017, 5, 6), end=date(2017, 12, 31)
        ),
    }


class Pair:
    """The in-memory index and the SQL queries of one PostGIS store."""

    def __init__(self, store):
        self.store = store
        self.summary = store.event_summary()
        self.versions = store.zone_versions()
        self.index = EventIndex.from_frame(store.event_columns())
        self.sql = PgEvents(store)
        self.filters = _filters(self.summary)
        self.masks = {k: self.index.mask(f, self.versions) for k, f in self.filters.items()}


@pytest.fixture(scope="module", params=["shipped", "acled"])
def pair(request, postgis) -> Pair:
    from geo.store.postgis import PostGISStore

    if request.param == "acled" and not ACLED_REAL.exists():
        pytest.skip(f"the real ACLED file is not here ({ACLED_REAL}); the shipped data is tested")
    # one database per module using the fixture (test_pg_cells reuses it in the same session)
    name = f"query_{request.module.__name__.rpartition('.')[2]}_{request.param}"
    store = PostGISStore.open(postgis.create_db(name, template="zonewatch_template"), seed=False)
    if request.param == "acled":
        _import_acled(store)
    return Pair(store)


def test_dictionaries_are_the_index_s(pair):
    assert pair.sql.types == pair.index.types
    assert pair.sql.datasets == pair.index.datasets
    assert set(pair.sql.actors) == set(pair.index.actors)


def test_the_filter_selects_the_same_events(pair):
    some = 0
    for name, flt in pair.filters.items():
        mask = pair.masks[name]
        assert pair.sql.count(flt) == int(mask.sum()), name
        assert np.array_equal(pair.sql.fids(flt), pair.index.fid[mask]), name
        some += bool(mask.any())
    assert some >= len(pair.filters) - 3  # most filters select something
    assert pair.masks["zone"].any() and pair.masks["raqqa-25km"].any()
    assert pair.masks["actor"].any() and not pair.masks["actor-none"].any()


def test_datasets_present(pair):
    for name, flt in pair.filters.items():
        mask = pair.masks[name]
        codes = np.unique(pair.index.dataset_code[mask])
        assert pair.sql.datasets_present(flt) == sorted(pair.index.datasets[c] for c in codes)


@pytest.mark.parametrize("km_offset", [0.0, 1e-6, -1e-6])
def test_a_radius_through_an_event_keeps_the_edge_as_the_index_does(pair, km_offset):
    """Events exactly at the radius (and a millimetre either side): the geodesic decides."""
    lat, lon = pair.index.lat[:50], pair.index.lon[:50]
    km = distance_km(lat, lon, *RAQQA)
    for k in np.unique(km)[:10]:
        flt = EventFilter(near=(*RAQQA, float(k) + km_offset))
        mask = pair.index.mask(flt, pair.versions)
        assert np.array_equal(pair.sql.fids(flt), pair.index.fid[mask])
        if km_offset >= 0:
            assert mask.any()


@pytest.mark.parametrize("limit", [1000, 10**6], ids=["cells", "points"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_the_map_view_is_the_same(pair, view, limit):
    colors = [f"#{k:06x}" for k in range(len(pair.index.types))]
    modes = set()
    for name in ("default", "2017-fatal", "zone", "raqqa-25km", "types-any-case"):
        flt = pair.filters[name]
        dates = (flt.start, flt.end)
        want = event_view(pair.index, pair.masks[name], VIEWS[view], colors, limit, dates)
        got = pair.sql.event_view(flt, VIEWS[view], colors, limit, dates)
        assert got == want, name
        modes.add(got.mode)
    assert ("cells" in modes) if limit == 1000 else (modes == {"points"})


def _views_around(view):
    """The view, and views of the same zoom a little wider, narrower and shifted (most keep
    the area around the view, ``A.region``; some cells straddle their edges)."""
    w, h = view.east - view.west, view.north - view.south
    out = [view]
    for dw, dh, sx in ((0.02, 0.02, 0), (-0.03, -0.01, 0), (0, 0, 0.01), (0.3, 0.3, 0)):
        out.append(
            A.View(
                view.west - w * dw + w * sx,
                view.south - h * dh,
                view.east + w * dw + w * sx,
                view.north + h * dh,
                view.zoom,
            )
        )
    return out


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_count_and_cells_in_one_scan_and_the_kept_cells_are_the_index_s(pair, view):
    """The Map's count with its view (one scan with the grid, which is then kept) and the
    map's figures for the views around it (the kept cells, read again when a cell straddles
    the new view's edge) are the in-memory index's; the count and the first grid are one
    query."""
    colors = [f"#{k:06x}" for k in range(len(pair.index.types))]
    for name in ("default", "2017-fatal", "zone", "types-any-case"):
        flt, mask = pair.filters[name], pair.masks[name]
        sql = PgEvents(pair.store)
        _ = sql.types, sql.datasets, sql.precisions
        where = sql.where(flt)  # the zone windows: read once here
        sql.where = lambda f, w=where: w
        sent = []
        plain = sql._read
        sql._read = lambda q, p=(), *m, s=sent, r=plain: s.append(q) or r(q, p, *m)
        assert sql.count(flt, VIEWS[view]) == int(mask.sum()), name
        assert sql.count(flt) == int(mask.sum()) and len(sent) == 1, name
        first = sql.event_view(flt, VIEWS[view], colors, 100, (flt.start, flt.end))
        want = event_view(pair.index, mask, VIEWS[view], colors, 100, (flt.start, flt.end))
        assert first == want, name
        if first.mode == "cells":
            assert len(sent) == 1, name  # the grid of the count's scan
        for other in _views_around(VIEWS[view]):
            want = event_view(pair.index, mask, other, colors, 100, (flt.start, flt.end))
            assert sql.event_view(flt, other, colors, 100, (flt.start, flt.end)) == want, name


def test_kept_cells_give_the_figures_in_a_view_only_when_no_cell_straddles_its_edge():
    size = 1.0
    # cells (ix, iy) -> lon [ix - 180, ix - 179), lat [iy - 90, iy - 89)
    arr = np.array([[216, 125, 5, 2, 5, 2], [218, 126, 7, 1, 0, 0]], dtype=np.int64)
    kept = A.View(35.0, 34.0, 38.5, 36.5, 7)
    assert _in_view(kept, arr, kept, size) is arr
    wider = A.View(35.5, 34.5, 39.5, 37.5, 7)  # both cells inside
    got = _in_view(kept, arr, wider, size)
    assert got[:, 4].tolist() == [5, 7] and got[:, 5].tolist() == [2, 1]
    narrow = A.View(35.5, 34.5, 37.5, 36.5, 7)  # the first inside, the second outside
    got = _in_view(kept, arr, narrow, size)
    assert got[:, 4].tolist() == [5, 0] and got[:, 5].tolist() == [2, 0]
    straddling = A.View(36.5, 34.5, 39.5, 37.5, 7)  # the first cell is cut by the west edge
    assert _in_view(kept, arr, straddling, size) is None


@pytest.mark.parametrize("freq", ["day", "week", "month"])
def test_the_timeline_is_the_same(pair, freq):
    types = list(pair.summary.types)
    for name in ("default", "2017-fatal", "weeks", "types-any-case", "zone", "actor"):
        flt = pair.filters[name]
        frame = pair.index.frame(pair.masks[name])
        series, before, longer = pair.sql.timeline(flt, freq, flt.start, flt.end, types)
        pd.testing.assert_frame_equal(
            series, timeline.timeline(frame, freq, flt.start, flt.end, types)
        )
        assert before == timeline.before_range(frame, flt.start), name
        assert longer == timeline.longer_than_period(frame, freq, flt.start, flt.end, types)


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("by", SQL_ORDERS)
def test_a_page_of_the_table_is_the_same(pair, by, descending):
    for name in ("default", "2017-fatal", "actor", "zone"):
        flt, mask = pair.filters[name], pair.masks[name]
        order = T.sort_order(pair.index, mask, by, descending)
        pages = T.page_count(len(order))
        for page in sorted({1, 2, pages // 2 + 1, pages, pages + 3}):
            want = pair.index.fid[T.page_rows(order, page)]
            got = pair.sql.page(flt, by, descending, page)
            assert np.array_equal(got, want), (name, page)


def test_no_event_gives_empty_figures(pair):
    flt = pair.filters["no-type"]
    assert pair.sql.count(flt) == 0
    assert len(pair.sql.page(flt, "date", False, 1)) == 0
    got = pair.sql.event_view(flt, VIEWS["syria"], [], 1000, (flt.start, flt.end))
    assert got.mode == "points" and got.in_view == 0


def test_the_sql_indexes_are_made_on_new_and_older_stores(postgis):
    from geo.store.postgis import PostGISStore

    url = postgis.create_db("query_indexes", template="zonewatch_template")
    store = PostGISStore.open(url, seed=False)
    names = {"events_start_fid", "events_fatalities_fid"}

    def present() -> set[str]:
        rows = store._read("SELECT indexname FROM pg_indexes WHERE tablename = 'events'")
        return {r[0] for r in rows} & names

    assert present() == names
    with store._connect() as con:  # a store made before them
        con.execute("DROP INDEX events_start_fid")
        con.execute("DROP INDEX events_fatalities_fid")
    assert present() == set()
    PostGISStore.open(url, seed=False)
    assert present() == names


def test_the_reports_compact_frame_is_the_index_s(pair):
    for name, flt in pair.filters.items():
        got = pair.sql.frame(flt)
        pd.testing.assert_frame_equal(got, pair.index.frame(pair.masks[name]), obj=name)


def test_the_reports_selection_in_sql_reads_only_the_events_near_them(pair):
    """:class:`geo.store.pgselection.SqlSelection`, what the Zone and Place reports take on
    PostGIS: its count, dates and coarse count, and its frame of the events in some boxes
    (coarse ones left out or not; labelled by row id) are the index's Selection's; a zone's
    and the places' reports made from it equal those made from the index; and it reads
    only the events in the boxes (not the frame of every event selected)."""
    from geo.analysis import COARSE, in_force_date
    from geo.eventindex import Selection
    from geo.place_report import DEFAULT_PLACES, place_report
    from geo.report import report_csv, zone_report
    from geo.store.pgselection import SqlSelection

    boxes = [(36.0, 35.0, 37.5, 36.5), (38.5, 35.5, 39.5, 36.2)]
    places = pair.store.places()
    for name, flt in pair.filters.items():
        sel, sql = Selection(pair.index, pair.masks[name]), SqlSelection(pair.sql, flt, COARSE)
        assert len(sql) == len(sel), name
        if not len(sel):
            continue
        assert (sql.first_start(), sql.last_end()) == (sel.first_start(), sel.last_end()), name
        coarse = sel.with_precision(COARSE)
        assert sql.count_with_precision(COARSE) == int(np.count_nonzero(coarse & sel.mask))
        for one in pair.index.precisions:  # another set than the coarse: its own read
            assert sql.count_with_precision({one}) == sel.count_with_precision({one}), one
        for leave in ((), COARSE):
            keep = sel.in_boxes(boxes) & (~coarse if leave else True)
            want = sel.frame(keep)  # labelled by position: the SQL frame by row id
            pd.testing.assert_frame_equal(sel.frame_in_boxes(boxes, leave), want, obj=name)
            want.index = pd.Index(want["fid"].to_numpy())
            pd.testing.assert_frame_equal(sql.frame_in_boxes(boxes, leave), want, obj=name)
        assert len(sql.frame_in_boxes([])) == 0
    flt = pair.filters["default"]
    sel = Selection(pair.index, pair.masks["default"])
    read = []
    sql = SqlSelection(pair.sql, flt, COARSE)
    plain = pair.sql.frame
    pair.sql.frame = lambda f, part=None: read.append(part) or plain(f, part)
    try:
        for zone_id in ("idlib", "eastern_ghouta"):
            kw = dict(
                zone_name=zone_id, freq="month", pivot=in_force_date(pair.versions, zone_id),
                days=90, km=20.0, exclude_coarse=True, all_types=pair.summary.types,
            )  # fmt: skip
            got = zone_report(sql, pair.versions, zone_id, **kw)
            assert report_csv(got) == report_csv(zone_report(sel, pair.versions, zone_id, **kw))
        for coarse_too in (False, True):
            args = (places, DEFAULT_PLACES, 25.0, "month", flt.start, flt.end, pair.summary.types)
            got, want = place_report(sql, *args, coarse_too), place_report(sel, *args, coarse_too)
            pd.testing.assert_frame_equal(got.totals, want.totals)
            pd.testing.assert_frame_equal(got.per_period, want.per_period)
            assert list(got.near["fid"]) == list(want.near["fid"]) and len(got.near)
            assert (got.early, got.coarse_left_out) == (want.early, want.coarse_left_out)
    finally:
        pair.sql.frame = plain
    assert read and all(part is not None for part in read)  # never every selected event


def test_a_report_s_part_keeps_texts_with_commas_and_quotes_and_unknown_precision(postgis):
    """The part of the reports' frame read from SQL: a type with a comma and quotes, and
    an unknown (NULL) precision, come back as stored."""
    from test_pg_cells import _spanning

    from geo.analysis import COARSE
    from geo.eventindex import Selection
    from geo.store.pgselection import SqlSelection
    from geo.store.postgis import PostGISStore

    store = PostGISStore.open(postgis.create_db("part_texts", template="zonewatch_template"))
    odd = _spanning("q", 300, seed=21)
    odd["event_type"] = np.where(np.arange(300) % 2, 'Shelling, "heavy"', "Battle")
    odd["location_precision"] = np.where(np.arange(300) % 3, None, "exact")
    store.add_events(odd)
    index = EventIndex.from_frame(store.event_columns())
    summary = store.event_summary()
    flt = EventFilter(start=summary.first, end=summary.last, types=summary.types)
    sel = Selection(index, index.mask(flt, store.zone_versions()))
    box = [(35.5, 32.0, 42.5, 37.5)]
    got = SqlSelection(PgEvents(store), flt, COARSE).frame_in_boxes(box)
    want = sel.frame(sel.in_boxes(box))
    want.index = pd.Index(want["fid"].to_numpy())
    pd.testing.assert_frame_equal(got, want)
    assert (got["event_type"] == 'Shelling, "heavy"').sum() == 150
    assert got["location_precision"].isna().sum() >= 200
