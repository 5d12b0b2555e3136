"""The reports and the timeline computed from a ``Selection`` of the index (what the pages
now give them: no frame of every event shown) equal those computed from the compact frame
of every event shown (what the pages gave them before)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from test_compact_paths import zone_args

from geo import eventindex, timeline
from geo.eventindex import EventIndex, Selection
from geo.filters import EventFilter
from geo.place_report import place_report
from geo.report import report_csv, zone_report


@pytest.fixture(scope="module")
def shipped(session_store_path):
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore.open(session_store_path)
    return store, EventIndex.read(store), store.zone_versions()


FILTERS = [
    EventFilter(start=date(2017, 1, 1), end=date(2018, 12, 31)),
    EventFilter(start=date(2017, 5, 1), end=date(2017, 6, 30), min_fatalities=2),
    EventFilter(start=date(2016, 1, 1), end=date(2019, 12, 1), zones=("idlib",)),
    EventFilter(start=date(2030, 1, 1), end=date(2030, 2, 1)),  # nothing shown
]
IDS = ["2017-18", "may-june-2", "idlib", "none"]


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(eventindex, "BLOCK", 1000)  # many blocks over the shipped events


def _both(shipped, flt):
    _, index, versions = shipped
    mask = index.mask(flt, versions)
    return index.frame(mask), Selection(index, mask)


def test_a_selections_frame_keeps_the_rows_and_labels_of_the_whole_frame(shipped):
    _, index, versions = shipped
    mask = index.mask(FILTERS[0], versions)
    where = index._in_box((36.0, 35.0, 37.5, 36.5))
    whole = index.frame(mask)
    keep = where[mask]
    got = Selection(index, mask).frame(where)
    assert 0 < len(got) < len(whole)
    pd.testing.assert_frame_equal(got, whole[keep])
    pd.testing.assert_frame_equal(Selection(index, mask).frame(), whole)
    assert len(Selection(index, mask)) == len(whole)
    blocks = list(Selection(index, mask).blocks())
    assert len(blocks) > 5
    assert pd.concat(blocks, ignore_index=True)["fid"].tolist() == whole["fid"].tolist()


@pytest.mark.parametrize("flt", FILTERS, ids=IDS)
@pytest.mark.parametrize("zone_id", ["idlib", "eastern_ghouta"])
@pytest.mark.parametrize("coarse", [True, False])
def test_the_zone_report_of_a_selection_equals_that_of_the_frame(shipped, flt, zone_id, coarse):
    _, index, versions = shipped
    frame, selection = _both(shipped, flt)
    for dates in ({"start": flt.start, "end": flt.end}, {}):  # given, or from the events
        args = zone_args(zone_id, index.types, coarse, **dates)
        if not len(frame) and not dates:
            continue  # no events and no dates: no window to report on, either way
        a = zone_report(frame, versions, zone_id, **args)
        b = zone_report(selection, versions, zone_id, **args)
        assert report_csv(a) == report_csv(b)
        assert (a.zone_ba, a.ring_ba, a.before_start) == (b.zone_ba, b.ring_ba, b.before_start)
        assert (a.shown, a.coarse_left_out, a.days) == (b.shown, b.coarse_left_out, b.days)
        pd.testing.assert_frame_equal(a.nearby, b.nearby)
        pd.testing.assert_frame_equal(a.in_zone, b.in_zone)
        pd.testing.assert_frame_equal(a.timeline, b.timeline)
    if flt is FILTERS[0]:
        assert len(a.nearby) > 0 and len(a.in_zone) > 0
        assert coarse is False or a.coarse_left_out > 0


@pytest.mark.parametrize("flt", FILTERS, ids=IDS)
@pytest.mark.parametrize("freq", ["week", "month"])
def test_the_place_report_of_a_selection_equals_that_of_the_frame(shipped, flt, freq):
    store, index, _ = shipped
    frame, selection = _both(shipped, flt)
    places = store.places()
    names = ["Douma", "Idlib", "Raqqa"]
    args = dict(start=flt.start, end=flt.end, types=index.types)
    a = place_report(frame, places, names, 25.0, freq, **args)
    b = place_report(selection, places, names, 25.0, freq, **args)
    pd.testing.assert_frame_equal(a.per_period, b.per_period)
    pd.testing.assert_frame_equal(a.totals, b.totals)
    pd.testing.assert_frame_equal(a.near, b.near)
    assert a.early == b.early and a.focus.equals(b.focus)
    if flt is FILTERS[0]:
        assert a.totals["events"].sum() > 0


@pytest.mark.parametrize("flt", FILTERS, ids=IDS)
@pytest.mark.parametrize("freq", ["day", "week", "month"])
def test_the_timeline_of_a_selection_equals_that_of_the_frame(shipped, flt, freq):
    _, index, _ = shipped
    frame, selection = _both(shipped, flt)
    start = date(2017, 3, 1)
    for args in (
        (flt.start, flt.end, list(index.types)),
        (start, flt.end, None),  # types: those present
        (None, None, None),  # dates: those of the events
    ):
        pd.testing.assert_frame_equal(
            timeline.timeline(selection, freq, *args), timeline.timeline(frame, freq, *args)
        )
        assert timeline.longer_than_period(selection, freq, *args) == (
            timeline.longer_than_period(frame, freq, *args)
        )
        if args[0] is not None:  # the part of each bar made by events dated past it
            past = timeline.longer_timeline(selection, freq, *args)
            pd.testing.assert_frame_equal(past, timeline.longer_timeline(frame, freq, *args))
            assert past["events"].sum() == timeline.longer_than_period(frame, freq, *args)
        if args[2] is not None:  # the types given: laid out as the timeline
            whole = timeline.timeline(frame, freq, *args)
            assert past[["period", "event_type"]].equals(whole[["period", "event_type"]])
            assert (past["events"] <= whole["events"]).all()
    assert timeline.before_range(selection, start) == timeline.before_range(frame, start)
    if flt is FILTERS[0]:
        assert timeline.before_range(frame, start)["events"] > 0
        assert timeline.timeline(frame, freq, flt.start, flt.end)["fatalities"].sum() > 0


def test_the_selection_sums_whole_fatalities_exactly(shipped):
    """The blocks' sums add up to the whole's: fatalities are whole numbers."""
    _, index, _ = shipped
    known = index.fatalities[~np.isnan(index.fatalities)]
    assert (known == np.floor(known)).all()


@pytest.mark.parametrize("flt", FILTERS, ids=IDS)
@pytest.mark.parametrize("freq", ["day", "week", "month"])
def test_the_events_page_summary_equals_its_parts(shipped, flt, freq):
    """timeline.summary (the Events page's one read) gives what the timeline, the part of
    each bar dated past it, the events begun earlier and the count of longer events give
    apart, for a Selection (many blocks) and a frame alike."""
    _, index, _ = shipped
    frame, selection = _both(shipped, flt)
    for start, end in ((flt.start, flt.end), (date(2017, 3, 1), flt.end)):
        for types in (list(index.types), ["No such type", *index.types[1:]]):
            series = timeline.timeline(frame, freq, start, end, types)
            longer = timeline.longer_than_period(frame, freq, start, end, types)
            if longer:
                past = timeline.longer_timeline(frame, freq, start, end, types)
                series = timeline.with_past(series, past)
            want = (series, timeline.before_range(frame, start), longer)
            for events in (selection, frame):
                got = timeline.summary(events, freq, start, end, types)
                pd.testing.assert_frame_equal(got[0], want[0])
                assert got[1:] == want[1:]
    if flt is FILTERS[0] and freq == "week":
        assert want[2] > 0 and want[1]["events"] > 0  # both parts were there to count


def test_the_events_page_summary_reads_the_index_once_and_makes_no_frame(shipped, monkeypatch):
    """At a million events, each frame of the selected events took some 0.1 s and the
    page's timeline read the selection four times (a second of the page's first run)."""
    _, index, _ = shipped
    _, selection = _both(shipped, FILTERS[0])
    reads = []
    columns = Selection.columns
    monkeypatch.setattr(EventIndex, "frame", lambda *a: pytest.fail("a frame was made"))
    monkeypatch.setattr(Selection, "columns", lambda *a: reads.append(1) or columns(*a))
    flt = FILTERS[0]
    series, _, longer = timeline.summary(selection, "week", flt.start, flt.end, index.types)
    assert reads == [1] and longer > 0 and series["events"].sum() > 0


@pytest.mark.parametrize("freq", ["day", "week", "month"])
def test_the_summary_of_a_plain_frame_equals_its_parts(freq):
    """Text types, a missing start date, unknown fatalities, an end before its start, and
    a frame with no end dates at all (nothing is then longer than its bar)."""
    frame = pd.DataFrame(
        {
            "date_start": pd.to_datetime(
                ["2017-12-25", "2018-01-01", None, "2018-01-31", "2018-02-03", "2018-03-01"]
            ),
            "date_end": pd.to_datetime(
                ["2018-02-01", "2018-01-01", "2018-01-05", "2018-02-01", "2018-02-01", None]
            ),
            "event_type": ["a", "b", "a", "a", "z", "b"],
            "fatalities_best": [3.0, np.nan, 7.0, 2.0, 5.0, 1.0],
        }
    )
    start, end, types = date(2018, 1, 1), date(2018, 3, 31), ["a", "b", "c"]
    for events in (frame, frame.drop(columns="date_end")):
        series = timeline.timeline(events, freq, start, end, types)
        longer = timeline.longer_than_period(events, freq, start, end, types)
        if longer:
            series = timeline.with_past(
                series, timeline.longer_timeline(events, freq, start, end, types)
            )
        got = timeline.summary(events, freq, start, end, types)
        pd.testing.assert_frame_equal(got[0], series)
        assert got[1:] == (timeline.before_range(events, start), longer)
    assert timeline.summary(frame, "month", start, end, types)[2] == 1  # 31 Jan - 1 Feb
