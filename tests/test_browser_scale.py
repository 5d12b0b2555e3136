"""The map with more events than it draws one by one, in Chromium: squares that add up to
the events around the view, events one by one once zoomed in, details fetched on click,
and a pan that sends the event layer only. The shipped events stand in for a big
collection: the app runs with ZONEWATCH_POINT_LIMIT=2000 instead of 20,000."""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import date

import pytest
from test_browser import Session, _start_app, _stop_app, _wait_for, browser  # noqa: F401

from conftest import DATA, stdlib_rows

pytestmark = pytest.mark.browser


def stdlib_in_box(start: str, end: str, box) -> int:
    """Shipped events overlapping [start, end] inside box (west, south, east, north)."""
    west, south, east, north = box
    rows = stdlib_rows(DATA / "ucdp" / "ged_syria.csv") + stdlib_rows(
        DATA / "events" / "curated_strikes.csv"
    )
    lo, hi = date.fromisoformat(start), date.fromisoformat(end)
    return sum(
        1
        for r in rows
        if date.fromisoformat(r["date_start"][:10]) <= hi
        and date.fromisoformat(r["date_end"][:10]) >= lo
        and west <= float(r["longitude"]) <= east
        and south <= float(r["latitude"]) <= north
    )


@pytest.fixture(scope="module")
def crowded(tmp_path_factory, session_store_path):
    store = tmp_path_factory.mktemp("crowded") / "store.gpkg"
    shutil.copyfile(session_store_path, store)
    mp = pytest.MonkeyPatch()
    mp.setenv("ZONEWATCH_POINT_LIMIT", "2000")
    proc, url = _start_app(store)
    mp.undo()
    yield url, store
    _stop_app(proc)


SUM_CELLS = """() => { let n = 0, f = 0, c = 0; zw.live.group.eachLayer(l => {
    if (l.options.zwKind === 'cell') { n += l.options.zwCount; f += l.options.zwFatalities;
    c++; } }); return [n, f, c]; }"""
BOUNDS = """() => { const b = window.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"""


def inside(box, margin: float = 1e-4):
    """The box a hair smaller: positions travel as float32, so a point within a millionth
    of a degree of an edge could fall either side."""
    west, south, east, north = box
    return [west + margin, south + margin, east - margin, north - margin]


def in_view_caption(s: Session) -> int:
    text = s.page.get_by_text(re.compile(r"In view: [\d,]+ events")).inner_text(timeout=60000)
    return int(re.search(r"In view: ([\d,]+) events", text).group(1).replace(",", ""))


def test_squares_then_events_then_details(crowded, browser):  # noqa: F811
    url, crowded_store = crowded
    s = Session(browser, url)
    s.settle()
    total = s.showing()
    assert total == 16575
    frame = s.map_frame()
    # All of Syria: squares whose counts add up to every event around the view
    n, _, cells = _wait_for(lambda: frame.evaluate(SUM_CELLS) if s.count_layers("cell") else 0)
    assert n == total and cells > 20 and s.count_layers("event") == 0
    s.settle()  # the map has reported its view once, and the page answered
    box = frame.evaluate(BOUNDS)
    assert _wait_for(lambda: in_view_caption(s) == stdlib_in_box("2016-01-01", "2019-12-31", box))
    key0 = frame.evaluate("() => zw.live.key")

    # a pan sends the event layer of the new area, never the map
    frame.evaluate("() => { window.map.setView([35.75, 36.65], 9); return 1; }")
    assert _wait_for(lambda: s.map_frame().evaluate("() => zw.live.key") != key0)
    s.settle()
    frame = s.map_frame()
    frame.evaluate("() => { window.zwProbe = 'still here'; return 1; }")
    key = frame.evaluate("() => zw.live.key")
    before = s.ws_bytes
    frame.evaluate("() => { window.map.panBy([900, 0]); return 1; }")
    assert _wait_for(lambda: s.map_frame().evaluate("() => zw.live.key") != key)
    s.settle()
    assert s.map_frame().evaluate("() => window.zwProbe") == "still here"  # no remount
    assert s.ws_bytes - before < 1_000_000
    frame = s.map_frame()

    # May 2017 zoomed in on Idlib: the events one by one, exactly those of the filter there
    s.set_dates("2017-05-01", "2017-05-31")
    assert _wait_for(lambda: 0 < s.showing() < 2000)  # few: all sent, one by one
    s.settle()  # (the zones of May 2017 differ from 2019's: the map is made anew)
    s.map_frame().evaluate("() => { window.map.setView([35.75, 36.65], 10); return 1; }")
    s.settle()
    frame = s.map_frame()
    _wait_for(lambda: s.count_layers("event") > 0)
    box = inside(frame.evaluate(BOUNDS))
    drawn = frame.evaluate(
        """b => { let n = 0; zw.live.group.eachLayer(l => { const p = l.getLatLng();
        if (p.lng >= b[0] && p.lng <= b[2] && p.lat >= b[1] && p.lat <= b[3]) n++; });
        return n; }""",
        box,
    )
    want = stdlib_in_box("2017-05-01", "2017-05-31", box)
    assert drawn == want and want > 0
    assert s.count_layers("event") == s.showing()  # and every other selected event

    # a click on an event: its details come from the server, for that event only
    fid = frame.evaluate(
        """() => { let m = null; zw.live.group.eachLayer(l => { if (!m) m = l; });
        m.fire('click', {latlng: m.getLatLng()}, true);
        return m.options.zwFid; }"""
    )
    assert fid > 0
    popup = frame.locator(".leaflet-popup .zw-popup h4")
    popup.wait_for(timeout=30000)
    with sqlite3.connect(f"file:{crowded_store}?mode=ro", uri=True) as con:
        kind, day = con.execute(
            "SELECT event_type, date_start FROM events WHERE fid = ?", (fid,)
        ).fetchone()
    assert popup.inner_text() == f"{kind}, {day[:10]}"

    # back to every date: squares again, for the view the user is on (Idlib, zoom 10)
    s.page.keyboard.press("Escape")
    s.set_dates("2016-01-01", "2019-12-01")  # the whole range
    assert _wait_for(lambda: s.showing() == total)
    s.settle()
    frame = s.map_frame()
    assert _wait_for(lambda: s.count_layers("cell") > 0)
    assert frame.evaluate("() => window.map.getZoom()") == 10
    box = frame.evaluate(BOUNDS)
    assert _wait_for(lambda: in_view_caption(s) == stdlib_in_box("2016-01-01", "2019-12-31", box))
    assert s.external_requests() == [] and s.dialogs == []
    s.page.close()
