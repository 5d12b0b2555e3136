"""Playback keeps to the chosen dates (issue 15, item 8): the map sends each event's days
clipped to the filter's dates, and the slider runs from the first day sent to the last.
Checked on the payload here and on the real slider in test_browser_playback.py."""

from __future__ import annotations

from datetime import date

import numpy as np

from conftest import DATA, stdlib_rows


def _day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def test_the_map_sends_event_days_clipped_to_the_dates(session_store_path):
    from geo.aggregate import View, decode, event_view
    from geo.eventindex import EventIndex
    from geo.filters import EventFilter
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore.open(session_store_path, seed=False)
    index = EventIndex.from_frame(store.event_columns())
    first, last = date(2017, 5, 1), date(2017, 6, 30)
    mask = index.mask(EventFilter(start=first, end=last))
    syria = View(35.5, 32.0, 42.5, 37.5, 7)  # west, south, east, north
    got = event_view(index, mask, syria, ["#000"] * len(index.types), 10**6, (first, last))
    start = decode(got.payload, "start", "<i4")
    end = start + decode(got.payload, "days", "<u2")
    # independent: the shipped events overlapping the dates, their days clipped, by csv
    rows = stdlib_rows(DATA / "ucdp" / "ged_syria.csv") + stdlib_rows(
        DATA / "events" / "curated_strikes.csv"
    )
    want = sorted(
        (max(_day(s), _day(first)), min(_day(e), _day(last)))
        for s, e in (
            (date.fromisoformat(r["date_start"][:10]), date.fromisoformat(r["date_end"][:10]))
            for r in rows
        )
        if s <= last and e >= first
    )
    assert sorted(zip(start.tolist(), end.tolist(), strict=True)) == want
    # the slider's range (min start, max end) is the chosen dates, not January-December
    assert int(start.min()) == _day(first) and int(end.max()) <= _day(last)
    unclipped = index.start[mask]
    assert np.sum(unclipped < _day(first)) > 0  # year-long events that began on 1 January
