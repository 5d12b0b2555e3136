"""The browser code (geo/static/zonewatch/*.js) tested piece by piece in Chromium: a blank
page, offline (file:// only), with the app's Leaflet and ZoneWatch's scripts loaded, and
the pieces called directly: colour ramp and radius, typed-array decoding, share-view
parsing, playback stepping and the tooltip/click contract with Python. Plus a syntax check
of every script: each loaded on its own, failing on any error.

Like test_browser.py they fail (never skip) when Chromium is missing.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import test_browser

from geo import shipped
from geo.aggregate import _b64
from geo.assets import ZONEWATCH_DIR, ZONEWATCH_SCRIPTS, ZONEWATCH_STYLESHEET, _asset_files
from geo.colors import MAP_STYLE
from geo.render import browser_config, clicked_event, event_payload, event_tooltip
from geo.render.payloads import place_payload

browser = test_browser.browser  # the module-scoped Chromium, shared by name

pytestmark = pytest.mark.browser

LEAFLET = next(p for url, p in _asset_files().items() if url.endswith("/leaflet/leaflet.js"))
#: The tests' own browser code: whole .js files, run in the zw fixture's page.
JS = Path(__file__).parent / "js"
BLANK = "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>" \
    "<div id='map' style='width:800px;height:600px'></div></body></html>"  # fmt: skip


def _page(browser, tmp: Path, scripts: list[Path]):
    """A blank page with these scripts run in it (as inline scripts: no request at all);
    ``page.zw_errors`` collects every page error and console error."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    blank = tmp / "blank.html"
    blank.write_text(BLANK, encoding="utf-8")
    page.goto(blank.as_uri())
    for path in scripts:
        page.add_script_tag(
            content=path.read_text(encoding="utf-8") + f"\n//# sourceURL={path.name}"
        )
    page.zw_errors = errors
    return page


@pytest.fixture(scope="module")
def zw(browser, tmp_path_factory):
    """Leaflet, ZoneWatch's stylesheet and scripts, configured from Python as a map is;
    and the tests' helper eventMap() (tests/js/event_map.js), set up once for the tests'
    scripts that draw on the Map page's event layer."""
    page = _page(
        browser,
        tmp_path_factory.mktemp("js"),
        [LEAFLET, *(ZONEWATCH_DIR / n for n in ZONEWATCH_SCRIPTS), JS / "event_map.js"],
    )
    page.add_style_tag(content=(ZONEWATCH_DIR / ZONEWATCH_STYLESHEET).read_text())
    page.evaluate("c => zw.configure(c)", browser_config())
    yield page
    assert page.zw_errors == []
    page.close()


def test_every_script_is_valid_and_runs_on_its_own(browser, tmp_path):
    """Each .js file of geo/static/zonewatch, after Leaflet and core.js only: no syntax or
    load error. Every script is loaded by the maps (or is share_link.js, run by a page)."""
    files = sorted(ZONEWATCH_DIR.glob("*.js"))
    assert {p.name for p in files} == {*ZONEWATCH_SCRIPTS, "share_link.js"}
    core = ZONEWATCH_DIR / "core.js"
    for path in files:
        page = _page(browser, tmp_path, [LEAFLET, core, path])
        assert page.zw_errors == [], (path.name, page.zw_errors)
        page.close()


def test_all_scripts_together_define_the_map_functions(zw):
    kinds = "outline admin shapes zones places events eventLayer eventView legend shareView"
    missing = zw.evaluate(f"() => {kinds.split()!r}.filter(k => typeof zw[k] !== 'function')")
    assert missing == []
    assert zw.zw_errors == []


# --- style: one radius formula, one colour ramp, both from geo.colors.MAP_STYLE ----------


def test_event_radius_follows_map_style(zw):
    base, top = MAP_STYLE["radius"]["base"], MAP_STYLE["radius"]["max"]
    got = zw.evaluate("xs => xs.map(zw.eventRadius)", [0, None, 1, 3, 7, 63, 10**9])
    assert got[0] == got[1] == base  # no figure: the smallest circle
    assert got[2] == pytest.approx(base + 1) and got[3] == pytest.approx(base + 2)
    assert got[5] == pytest.approx(base + 6)
    assert got[6] == pytest.approx(base + top)  # capped
    assert got == sorted(got)


def test_cell_colour_ramp(zw):
    ramp = MAP_STYLE["ramp"]
    most = 5000
    counts = [1, 2, 5, 10, 50, 100, 500, 1000, 4999, 5000]
    got = zw.evaluate("([cs, most]) => cs.map(c => zw.cellColor(c, most))", [counts, most])
    assert set(got) <= set(ramp)
    assert got[0] == ramp[0] and got[-1] == ramp[-1]
    steps = [ramp.index(c) for c in got]
    assert steps == sorted(steps) and len(set(steps)) == len(ramp)  # every colour, in order
    # the step is the count's share of the busiest square on a log scale
    for c, s in zip(counts, steps, strict=True):
        assert s == min(len(ramp) - 1, math.floor(math.log(c) / math.log(most) * len(ramp)))
    assert zw.evaluate("() => zw.cellColor(1, 1)") == ramp[-1]  # one square: darkest
    legend = zw.evaluate("() => zw.legendRamp()")
    assert legend == [ramp[k] for k in MAP_STYLE["legendRamp"]]


# --- decoding ---------------------------------------------------------------------------


def test_typed_arrays_decode_to_what_python_encoded(zw):
    rng = np.random.default_rng(3)
    n = 257
    lat = rng.uniform(32, 37.5, n).astype("<f4")
    lon = rng.uniform(35.5, 42.5, n).astype("<f4")
    start = rng.integers(15000, 18500, n).astype("<i4")
    days = rng.integers(0, 40, n).astype("<u2")
    typ = rng.integers(0, 3, n).astype("<u2")
    fat = rng.integers(0, 65535, n).astype("<u2")
    for fid, nbytes, dtype in (
        (rng.integers(0, 2**32 - 1, n), 4, "<u4"),
        (rng.integers(2**32, 2**50, n), 8, "<f8"),  # ids past 32 bits travel as float64
    ):
        p = {
            "n": n, "fid": _b64(fid, dtype), "fid_bytes": nbytes, "lat": _b64(lat, "<f4"),
            "lon": _b64(lon, "<f4"), "start": _b64(start, "<i4"), "days": _b64(days, "<u2"),
            "type": _b64(typ, "<u2"), "fat": _b64(fat, "<u2"), "colors": ["#a", "#b", "#c"],
        }  # fmt: skip
        got = zw.evaluate(
            """p => { const d = zw.decodePoints(p), a = x => Array.from(x);
               return {fid: a(d.fid), lat: a(d.lat), lon: a(d.lon), start: a(d.start),
                       end: a(d.end), type: a(d.type), fat: a(d.fat), n: d.n}; }""",
            p,
        )
        assert got["n"] == n
        assert got["fid"] == fid.tolist()
        assert np.array_equal(np.array(got["lat"], dtype="<f4"), lat)
        assert np.array_equal(np.array(got["lon"], dtype="<f4"), lon)
        assert got["start"] == start.tolist()
        assert got["end"] == (start.astype(int) + days).tolist()
        assert got["type"] == typ.tolist() and got["fat"] == fat.tolist()
    cells = {
        "n": 3, "size": 0.5, "ix": _b64(np.array([-3, 0, 700]), "<i4"),
        "iy": _b64(np.array([1, 2, 3]), "<i4"), "count": _b64(np.array([1, 9, 2**31]), "<u4"),
        "fat": _b64(np.array([0, 5, 7]), "<u4"),
    }  # fmt: skip
    got = zw.evaluate(
        "p => { const c = zw.decodeCells(p), a = x => Array.from(x);"
        " return [a(c.ix), a(c.iy), a(c.count), a(c.fat), c.size]; }",
        cells,
    )
    assert got == [[-3, 0, 700], [1, 2, 3], [1, 9, 2**31], [0, 5, 7], 0.5]


def test_report_map_columns_decode_to_the_events(zw):
    events = shipped.events().iloc[40:90]
    payload = event_payload(events, shipped.ATTRIBUTION)
    got = zw.evaluate(
        "p => { const d = zw.decodeColumns(p); return [d.start, d.end, d.fat, d.type,"
        " Array.from({length: p.n}, (_, i) => zw.column(p.cols, 'actor1', i))]; }",
        payload,
    )
    epoch = date(1970, 1, 1)
    assert got[0] == [(d.date() - epoch).days for d in events["date_start"]]
    assert got[1] == [(d.date() - epoch).days for d in events["date_end"]]
    assert got[2] == [0 if np.isnan(f) else int(f) for f in events["fatalities_best"]]
    types = payload["cols"]["event_type"]["dict"]
    assert [types[t] for t in got[3]] == events["event_type"].astype(str).tolist()
    assert got[4] == events["actor1"].astype(str).tolist()


# --- the view in the page's address -------------------------------------------------------


def test_share_view_parsing(zw):
    names = ["admin", "zones", "events", "places"]

    def parse(query: str) -> dict:
        return zw.evaluate("([q, n]) => zw.parseView(q, n)", [query, names])

    assert parse("?view=35.9,36.6,9&hide=events,places") == {
        "hide": ["events", "places"],
        "view": [35.9, 36.6, 9],
    }
    assert parse("view=35.9,36.6,8.6")["view"] == [35.9, 36.6, 9]  # zoom rounded
    assert parse("")["view"] is None and parse("")["hide"] == []
    for bad in ("view=91,36,9", "view=35,181,9", "view=35,36", "view=a,b,c", "view=35,36,9,1",
                "view=35,36,Infinity"):  # fmt: skip
        assert parse(bad)["view"] is None, bad
    # only known layers, never the base map or anything else
    assert parse("hide=tiles,events,__proto__,constructor")["hide"] == ["events"]
    query = zw.evaluate(
        "() => zw.viewQuery('?dates=2017-01-01&hide=zones', 35.123456, 36.5, 10, [])"
    )
    assert query == "dates=2017-01-01&view=35.1235%2C36.5000%2C10"  # other parameters kept
    back = zw.evaluate(
        "n => zw.parseView(zw.viewQuery('', 34.5, 38.25, 7, ['places', 'zones']), n)", names
    )
    assert back == {"hide": ["places", "zones"], "view": [34.5, 38.25, 7]}


# --- playback -------------------------------------------------------------------------------


def test_playback_window_and_steps(zw):
    shows = zw.evaluate(
        "cases => cases.map(c => zw.playbackShows(c[0], c[1], c[2]))",
        [[100, 101, None], [100, 101, 100], [100, 101, 99], [100, 101, 130], [100, 101, 131],
         [100, 160, 189], [100, 160, 190]],
    )  # fmt: skip
    assert shows == [True, True, False, True, False, True, False]
    assert zw.evaluate("() => [zw.playbackStep(0, 60), zw.playbackStep(0, 1200)]") == [1, 10]
    ticks = zw.evaluate(
        "() => { const out = []; let v = 0; while (v < 1000) { v = zw.playbackNext(v, 0, 1000);"
        " out.push(v); } return out; }"
    )
    assert ticks[-1] == 1000 and len(ticks) == math.ceil(1000 / 8)  # 120 ticks or so, capped
    day = (date(2017, 6, 10) - date(1970, 1, 1)).days
    label = zw.evaluate("d => zw.playbackLabel(d)", day)
    assert label == "Events of the 30 days to 2017-06-10"


def test_playback_hides_the_events_outside_the_window(zw):
    """A real map and event layer: on each day, the markers left in the group are the
    events of the 30 days to that day, as counted here from the events' own dates."""
    events = shipped.events()
    events = events[events["date_start"].dt.year == 2017]
    payload = event_payload(events, shipped.ATTRIBUTION)
    epoch = date(1970, 1, 1)
    start = np.array([(d.date() - epoch).days for d in events["date_start"]])
    end = np.array([(d.date() - epoch).days for d in events["date_end"]])
    zw.evaluate(
        """p => { if (window.pbMap) { window.pbMap.remove(); }
           const map = window.pbMap = L.map('map', {preferCanvas: true}).setView([35, 38], 6);
           window.pbGroup = zw.events(map, p).addTo(map); }""",
        payload,
    )
    assert zw.evaluate("() => !!document.querySelector('.zw-playback input[type=range]')")
    lo, hi = zw.evaluate("() => zw.playbackRange(pbGroup.getLayers())")
    assert (lo, hi) == (start.min(), end.max())
    for day in (lo, lo + 45, (lo + hi) // 2, hi - 1):
        expected = int(((start <= day) & (end > day - 30)).sum())
        got = zw.evaluate(
            """day => { const s = document.querySelector('.zw-playback input[type=range]');
               s.value = day; s.dispatchEvent(new Event('input'));
               return pbGroup.getLayers().length; }""",
            int(day),
        )
        assert got == expected, day
        label = zw.evaluate("() => document.querySelector('.zw-playback div').textContent")
        assert label.endswith((epoch + timedelta(days=int(day))).isoformat())
    zw.evaluate("() => document.querySelectorAll('.zw-playback button')[1].click()")  # show all
    assert zw.evaluate("() => pbGroup.getLayers().length") == len(events)


# --- the tooltip/click contract ---------------------------------------------------------------


def test_tooltip_contract_agrees_on_both_sides(zw):
    cases = [
        (1, date(2017, 5, 6), "Air strike"),
        (987654, date(2011, 3, 15), "<img src=x onerror=alert(1)> · 2011-01-01 #5"),
        (2**40 + 7, date(2024, 12, 31), ""),
    ]
    epoch = date(1970, 1, 1)
    # the text streamlit-folium returns for a click: the tooltip's HTML, as text
    got, shown = zw.evaluate(
        """cs => { const html = cs.map(c => zw.eventTooltip(c[0], c[1], c[2]));
             const box = document.createElement('div'); document.body.appendChild(box);
             const text = [], seen = [];
             html.forEach(h => { box.innerHTML = h; text.push(box.textContent);
                                 seen.push(box.innerText); });
             box.remove(); return [text, seen]; }""",
        [[fid, (day - epoch).days, kind] for fid, day, kind in cases],
    )
    assert got == [event_tooltip(fid, day, kind) for fid, day, kind in cases]
    assert [clicked_event(t) for t in got] == [fid for fid, _, _ in cases]
    # what a person sees: the type (as text, never markup) and the day, not the id
    assert shown == [f"{kind or 'Event'} · {day:%Y-%m-%d}" for _, day, kind in cases]
    # the marker drawn for an event carries that tooltip
    first = date(2017, 5, 6)
    p = {
        "n": 1, "fid": _b64(np.array([4242]), "<u4"), "fid_bytes": 4,
        "lat": _b64(np.array([35.0]), "<f4"), "lon": _b64(np.array([38.0]), "<f4"),
        "start": _b64(np.array([(first - epoch).days]), "<i4"), "days": _b64(np.array([0]), "<u2"),
        "type": _b64(np.array([0]), "<u2"), "fat": _b64(np.array([3]), "<u2"),
        "colors": ["#123456"], "types": ["Air strike"],
    }  # fmt: skip
    tip, radius, colour = zw.evaluate(
        """p => { const g = L.featureGroup(); zw.drawEvents(g, zw.decodePoints(p));
           const m = g.getLayers()[0], box = document.createElement('span');
           box.innerHTML = m.getTooltip().getContent();
           return [box.textContent, m.options.radius, m.options.color]; }""",
        p,
    )
    assert clicked_event(tip) == 4242 and tip == event_tooltip(4242, first, "Air strike")
    assert radius == pytest.approx(MAP_STYLE["radius"]["base"] + 2) and colour == "#123456"
    assert clicked_event("Event 12 · 2017-5-7") is None and clicked_event(None) is None


def _map_page(tmp_path, places: int):
    """A whole map page (two zones, ``places`` places, five events), its assets inlined,
    written to a file: its path."""
    from geo.assets import inline_assets
    from geo.render import MapLayers, build_map

    fmap = build_map(
        MapLayers(
            zones=shipped.zones().head(2), places=shipped.places().head(places),
            events=shipped.events().head(5), admin0=shipped.admin(0), admin1=shipped.admin(1),
            event_attribution={}, place_attribution="GeoNames",
        )
    )  # fmt: skip
    path = tmp_path / "map.html"
    path.write_text(inline_assets(fmap.get_root().render()), encoding="utf-8")
    return path


def test_the_stylesheet_wins_over_folium_s_own(browser, tmp_path):
    """A whole map page (the report maps' kind, inlined): folium's header sets the map's
    font after ZoneWatch's stylesheet, which must still give the map its 12 px font."""
    path = _map_page(tmp_path, places=5)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector(".zw-legend")
    font = page.evaluate(
        "() => getComputedStyle(document.querySelector('.leaflet-container')).fontSize"
    )
    assert font == "12px" and errors == []
    page.close()


# --- the place labels: placed once, after the map has settled --------------------------------


def test_place_labels_open_only_when_placed_and_once_per_change(zw):
    """Adding the places opens no label there and then (each label opened one by one is
    placed by reading its size: the map's slowest step with ~300 places); the labels are
    placed once after a burst of events that may move them, and not again when an event
    changes nothing they depend on."""
    payload = place_payload(shipped.places(), "GeoNames")
    assert len(payload["rows"]) > 100
    opened_at_add, total = zw.evaluate(
        """p => { const div = document.createElement('div');  // a map of its own
           div.id = 'plmap'; div.style.cssText = 'width:800px;height:600px';
           document.body.appendChild(div);
           const map = window.plMap = L.map(div, {preferCanvas: true}).setView([35, 38], 7);
           window.plCalls = 0;
           if (!zw.outlineMask.counted) {
             const real = zw.outlineMask;  // called once by each placing of the labels
             zw.outlineMask = function (m) { window.plCalls++; return real(m); };
             zw.outlineMask.counted = true;
           }
           zw.places(map, p).addTo(map);
           const open = document.querySelectorAll('#plmap .zw-label').length;
           map.fitBounds([[32.3, 35.6], [37.35, 42.4]], {animate: false});
           map.fire('moveend'); map.fire('resize'); map.fire('overlayadd');
           return [open, p.rows.length]; }""",
        payload,
    )
    assert opened_at_add == 0 and total == len(payload["rows"])
    shown = zw.evaluate(
        "() => new Promise(r => setTimeout(() => r(document.querySelectorAll("
        "'#plmap .zw-label').length), 50))"
    )
    assert 0 < shown < total  # placed: the largest towns labelled, the rest not
    assert zw.evaluate("() => plCalls") == 1
    # a view reported again, nothing moved: no new placing
    again = "() => { plMap.fire('moveend'); "
    again += "return new Promise(r => setTimeout(() => r(plCalls), 50)); }"
    assert zw.evaluate(again) == 1
    # a real move (zoom in on Idlib): placed again, with more labels at the closer zoom
    calls, closer = zw.evaluate(
        """() => { plMap.setView([35.9, 36.6], 10, {animate: false});
           return new Promise(r => setTimeout(() => r([plCalls,
             document.querySelectorAll('#plmap .zw-label').length]), 50)); }"""
    )
    assert calls == 2 and closer > 0
    # a pan at that zoom: placed again, but no dot restyled (each restyle redraws it)
    calls, restyled = zw.evaluate(
        """() => { let n = 0; const real = L.CircleMarker.prototype.setRadius;
           L.CircleMarker.prototype.setRadius = function (r) { n++; return real.call(this, r); };
           plMap.panBy([40, 0], {animate: false});
           return new Promise(r => setTimeout(() => {
             L.CircleMarker.prototype.setRadius = real; r([plCalls, n]); }, 50)); }"""
    )
    assert calls == 3 and restyled == 0
    zw.evaluate("() => { plMap.remove(); document.getElementById('plmap').remove(); }")


def test_a_map_opens_on_its_view_without_a_pan(browser, tmp_path):
    """A map opens directly on the view it fits (all of Syria): no animated pan from its
    starting centre, whose end would report the view and place the labels again a quarter
    of a second after the map is drawn."""
    path = _map_page(tmp_path, places=20)
    for width, height in ((1400, 640), (1180, 640), (900, 500), (1280, 720)):
        page = browser.new_page(viewport={"width": width, "height": height})
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        # every map's moves from its creation, and how many of them the map's own script
        # made (counted once it has run); Leaflet is caught as it defines window.L
        page.add_init_script(
            """window.zwMoves = [];
            Object.defineProperty(window, 'L', {configurable: true, get() { return this.zwL; },
              set(v) { this.zwL = v; v.Map.addInitHook(function () {
                this.on('movestart moveend', e => window.zwMoves.push(e.type));
                Promise.resolve().then(() => { window.zwScript = window.zwMoves.length; });
              }); }});"""
        )
        page.goto(path.as_uri())
        page.wait_for_selector(".zw-legend")
        page.wait_for_timeout(1000)
        moves, in_script = page.evaluate("() => [window.zwMoves, window.zwScript]")
        assert in_script and len(moves) == in_script, (width, height, moves, in_script)
        assert errors == []
        page.close()


def _points(fid, start, fat, key: str) -> dict:
    """A Map-page points payload (as geo.aggregate.event_view sends it) of events ``fid``
    at positions made from their ids, one day long, of two types."""
    fid = np.asarray(fid)
    return {
        "mode": "points", "n": len(fid), "fid": _b64(fid, "<u4"), "fid_bytes": 4,
        "lat": _b64(33 + (fid % 400) / 100, "<f4"), "lon": _b64(36 + (fid % 500) / 100, "<f4"),
        "start": _b64(np.asarray(start), "<i4"), "days": _b64(np.zeros(len(fid)), "<u2"),
        "type": _b64(fid % 2, "<u2"), "fat": _b64(np.asarray(fat), "<u2"),
        "colors": ["#aa0000", "#0000aa"], "types": ["Air strike", "Shelling"],
        "region": None, "key": key,
    }  # fmt: skip


def test_a_new_points_payload_redraws_only_the_events_that_changed(zw):
    """The Map page's event layer after a date change: the markers of the events drawn
    already and drawn the same are kept (not drawn again), those no longer sent are gone,
    new and changed ones are drawn; the group then holds exactly what a fresh draw of the
    new payload holds."""
    fid = np.arange(1000, 1600)
    before = _points(fid, 17000 + fid % 300, fid % 7, "a")
    keep = fid[fid >= 1200]  # a later start: the first 200 events leave
    fat = keep % 7
    fat[keep == 1300] = 50  # and one is drawn larger (its fatalities changed)
    new = np.arange(1600, 1650)  # 50 events arrive
    after_fid = np.concatenate([keep, new])
    after = _points(after_fid, 17000 + after_fid % 300, np.concatenate([fat, new % 7]), "b")
    got = zw.evaluate(
        (JS / "redraw_points.js").read_text(encoding="utf-8"),
        [before, after],
    )
    assert got["kept"] == [int(f) for f in keep if f != 1300]
    assert got["n"] == len(after_fid) == got["paths"]
    assert got["shapes"] == got["fresh"]


def test_a_record_s_position_is_a_dot_of_fixed_pixels_at_every_zoom(zw):
    """The Matches map drew each record as a 0.6 km circle: a speck at zoom 9, where the map
    of a pair opens. A point of a shapes layer is a circle marker of zw.DOT_PX pixels."""
    from shapely.geometry import Point

    from geo.matching import review as R
    from geo.render import Shapes, shapes_payload

    a = {"latitude": 35.0, "longitude": 38.6, "dataset": "acled", "dataset_id": "SYR1"}
    a["location_precision"] = "exact"
    (layer,) = R.pair_shapes({}, a, None)
    assert isinstance(layer.items[0][1], Point)
    payload = shapes_payload(Shapes(layer.name, layer.items, layer.color, dash=True))
    got = zw.evaluate(
        (JS / "dot_sizes.js").read_text(encoding="utf-8"),
        payload,
    )
    assert got["dots"] == [True] and got["area"]
    assert got["sizes"] == [2 * got["px"]] * 3  # the same on the screen at every zoom


def _cells(cells: list[tuple[int, int, int, int]], size: float, key: str) -> dict:
    """A Map-page squares payload (as geo.aggregate.event_view sends it): (ix, iy, count,
    fatalities) per square, sorted by ix, then iy."""
    ix, iy, count, fat = (np.asarray(c) for c in zip(*sorted(cells), strict=True))
    return {
        "mode": "cells", "n": len(ix), "size": size, "ix": _b64(ix, "<i4"),
        "iy": _b64(iy, "<i4"), "count": _b64(count, "<u4"), "fat": _b64(fat, "<u4"),
        "region": [35.0, 32.0, 43.0, 38.0], "key": key,
    }  # fmt: skip


def test_a_square_s_tooltip_counts_in_words(zw):
    """A grid square of one event says "1 event, 1 fatality" (not "1 events"), as the
    Python side's captions do (geo.wording); larger counts in the plural, with commas."""
    payload = _cells([(1720, 980, 1, 1), (1721, 980, 1234, 0), (1722, 980, 2, 5)], 0.125, "w")
    labels = zw.evaluate(
        """p => { const g = L.featureGroup(); zw.drawCells(g, zw.decodeCells(p));
           return g.getLayers().map(r => r.getTooltip().getContent()); }""",
        payload,
    )
    assert sorted(labels) == sorted(
        [
            "1 event, 1 fatality · click to zoom in",
            "1,234 events, 0 fatalities · click to zoom in",
            "2 events, 5 fatalities · click to zoom in",
        ]
    )
    assert zw.evaluate("() => [zw.count(1, 'event'), zw.count(0, 'event')]") == [
        "1 event",
        "0 events",
    ]


def test_a_new_cells_payload_keeps_the_squares_drawn_already(zw):
    """The Map page's squares after a date change: the squares of the cells sent again are
    kept (their colour, figures and label updated), those no longer sent are gone, new ones
    are drawn; the group then holds exactly what a fresh draw of the new payload holds,
    also after points and at another zoom (other squares)."""
    size = 0.125
    grid = [(1720 + i % 13, 980 + i // 13) for i in range(150)]
    a = _cells([(x, y, 1 + (x * y) % 500, (x + y) % 40) for x, y in grid], size, "a")
    # a later start: fewer events everywhere, 20 squares emptied, 5 new ones
    b = _cells(
        [(x, y, 1 + (x * y) % 300, (x + y) % 25) for x, y in grid[20:]]
        + [(1700 + i, 970, 3, 1) for i in range(5)],
        size,
        "b",
    )
    points = _points(np.arange(1000, 1100), np.full(100, 17000), np.zeros(100), "p")
    c = _cells([(x // 2, y // 2, 7, 2) for x, y in grid[::4]], size * 2, "c")  # zoomed out
    steps = zw.evaluate(
        (JS / "redraw_cells.js").read_text(encoding="utf-8"),
        [a, b, points, a, c],
    )
    first, second, after_points, again, other = steps
    assert first["n"] == first["paths"] == 150 and first["shapes"] == first["fresh"]
    assert second["kept"] == 130 and second["n"] == second["paths"] == 135
    assert second["shapes"] == second["fresh"]
    assert after_points["n"] == after_points["paths"] == 100 and after_points["kept"] == 0
    assert again["kept"] == 0 and again["n"] == again["paths"] == 150
    assert again["shapes"] == again["fresh"]
    assert other["kept"] == 0 and other["shapes"] == other["fresh"]
    assert other["n"] == other["paths"] == len({(x // 2, y // 2) for x, y in grid[::4]})
