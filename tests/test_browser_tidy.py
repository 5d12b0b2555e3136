"""Real-browser checks of the walkthrough's findings: what a person sees at 1400 px wide
(Debian's Chromium, Playwright; one app for the module, on its own copy of the store)."""

from __future__ import annotations

import pytest
from test_browser import Session, _wait_for, browser, server  # noqa: F401
from test_browser_scale import crowded  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

T = 60_000


def _grid_overflow(s: Session) -> list[tuple[int, int]]:
    """(width of the columns, width shown) of each st.dataframe on the page whose columns do
    not all fit: a table that must be scrolled sideways to see its last columns."""
    return s.page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid=stDataFrame]'))
             .map(d => d.querySelector('.dvn-scroller'))
             .filter(el => el && el.scrollWidth > el.clientWidth + 1)
             .map(el => [el.scrollWidth, el.clientWidth])"""
    )


def test_zone_history_tables_show_every_column_at_1400px(server, browser):  # noqa: F811
    s = Session(browser, server + "/zone_history")
    s.page.get_by_role("heading", name="Compare two versions").wait_for(timeout=T)
    grids = s.page.locator("[data-testid=stDataFrame] .dvn-scroller")
    _wait_for(lambda: grids.count() >= 1)
    s.page.wait_for_timeout(1500)
    assert _grid_overflow(s) == []
    s.page.close()


def _headers_in_view(s: Session) -> list[str]:
    """The column names the first st.dataframe draws (it draws only those in view)."""
    table = s.page.locator("[data-testid=stDataFrame] table[role=grid]").first
    table.wait_for(state="attached", timeout=T)
    return table.evaluate("t => Array.from(t.querySelectorAll('thead th')).map(c => c.textContent)")


def test_events_table_shows_the_key_columns_at_1400px(server, browser):  # noqa: F811
    s = Session(browser, server + "/events")
    s.page.get_by_role("heading", name="Table").wait_for(timeout=T)
    s.page.locator("[data-testid=stDataFrame]").first.scroll_into_view_if_needed(timeout=T)
    key = ["Start date", "Event type", "Fatalities (best)", "Location", "Dataset"]
    headers = _wait_for(lambda: (h := _headers_in_view(s)) and set(key) <= set(h) and h, 30)
    assert headers[: len(key)] == key
    s.page.close()


# --- 5. the map's popups and labels keep clear of its controls ----------------------------

OVERLAPS = """sel => {
  const box = e => e.getBoundingClientRect();
  const hit = (a, b) => a.left < b.right && b.left < a.right
    && a.top < b.bottom && b.top < a.bottom;
  const controls = Array.from(document.querySelectorAll('.leaflet-control')).map(box)
    .filter(b => b.width > 0 && b.height > 0);
  // what is seen: a label fading out (opacity 0) is not
  return Array.from(document.querySelectorAll(sel))
    .filter(e => getComputedStyle(e).opacity !== '0').map(box)
    .filter(b => b.width > 0 && controls.some(c => hit(b, c))).length;
}"""

#: Put the event at (lat, lon) at a corner of the map and open its popup.
CORNER_POPUP = """([lat, lon, corner]) => {
  const size = window.map.getSize();
  const want = {tl: [70, 20], tr: [size.x - 20, 20], br: [size.x - 20, size.y - 20],
                bl: [20, size.y - 20]}[corner];
  window.map.closePopup();
  window.map.setView([lat, lon], 9, {animate: false});
  const p = window.map.latLngToContainerPoint([lat, lon]);
  window.map.panBy([p.x - want[0], p.y - want[1]], {animate: false});
  let done = false;
  window.map.eachLayer(l => {
    if (!done && l.options && l.options.zwKind === 'event' && l.getLatLng
        && Math.abs(l.getLatLng().lat - lat) < 1e-3 && Math.abs(l.getLatLng().lng - lon) < 1e-3) {
      l.fire('click', {latlng: l.getLatLng()}, true); done = true; }
  });
  return done;
}"""


def test_popups_and_place_labels_keep_clear_of_the_map_controls(server, browser):  # noqa: F811
    s = Session(browser, server)
    _wait_for(lambda: s.count_layers("event") > 10000)
    frame = s.map_frame()
    # the convoy strike of the founding report (25 May 2017)
    for corner in ("tr", "tl", "br"):
        assert frame.evaluate(CORNER_POPUP, [35.2576, 38.6459, corner])
        frame.locator(".leaflet-popup .zw-popup h4").first.wait_for(timeout=T)
        s.page.wait_for_timeout(1500)  # Leaflet's pan, then the content, then ours
        assert frame.evaluate(OVERLAPS, ".leaflet-popup-close-button") == 0, corner
        assert frame.evaluate(OVERLAPS, ".leaflet-popup-content-wrapper") == 0, corner
    frame.evaluate("() => window.map.closePopup()")
    # Damascus (the largest label) at each corner, under each control
    for corner in ("tl", "tr", "br", "bl"):
        frame.evaluate(
            """corner => { const size = window.map.getSize();
                 const want = {tl: [20, 20], tr: [size.x - 60, 20], br: [size.x - 60,
                   size.y - 20], bl: [20, size.y - 20]}[corner];
                 window.map.setView([33.51, 36.29], 9, {animate: false});
                 const p = window.map.latLngToContainerPoint([33.51, 36.29]);
                 window.map.panBy([p.x - want[0], p.y - want[1]], {animate: false}); }""",
            corner,
        )
        s.page.wait_for_timeout(1000)
        assert frame.evaluate(OVERLAPS, ".zw-label") == 0, corner
    s.page.close()


def test_event_popup_gives_each_source_article_its_line(server, browser):  # noqa: F811
    # UCDP event 224661 (29 Jan 2016): three articles in its source field
    s = Session(browser, server + "/?dates=2016-01-29&dates=2016-01-29")
    _wait_for(lambda: s.count_layers("event") > 0)
    frame = s.map_frame()
    assert frame.evaluate(CORNER_POPUP, [36.48259, 37.19709, "tl"])
    cell = frame.locator(".leaflet-popup tr", has=frame.locator("th", has_text="Source")).locator(
        "td"
    )
    _wait_for(lambda: cell.count() == 1, 30)
    lines = cell.inner_text().splitlines()
    assert len(lines) == 3, lines
    assert (
        lines[1] == "Human Rights Watch, 2016-02-08: Russia/Syria: Daily Cluster Munition Attacks"
    )
    s.page.close()


# --- 7. the squares' scale in the legend only while squares are drawn ----------------------


@pytest.fixture(scope="module")
def crowded_url(crowded):  # noqa: F811  (test_browser_scale's app: squares beyond 2,000 events)
    return crowded[0]


SCALE_SHOWN = """() => Array.from(document.querySelectorAll('.zw-legend .zw-cells'))
    .map(e => e.offsetParent !== null)"""


def test_legend_shows_the_squares_scale_only_while_squares_are_drawn(crowded_url, browser):  # noqa: F811
    s = Session(browser, crowded_url)  # every event: squares
    _wait_for(lambda: s.count_layers("cell") > 0)
    frame = s.map_frame()
    assert _wait_for(lambda: frame.evaluate(SCALE_SHOWN) == [True, True])
    assert "events per square" in frame.locator("details.zw-legend").inner_text()
    s.page.close()
    s = Session(browser, crowded_url + "/?dates=2017-05-01&dates=2017-05-31")  # few: circles
    _wait_for(lambda: s.count_layers("event") > 0)
    frame = s.map_frame()
    assert s.count_layers("cell") == 0
    assert _wait_for(lambda: frame.evaluate(SCALE_SHOWN) == [False, False])
    assert "events per square" not in frame.locator("details.zw-legend").inner_text()
    s.page.close()


def test_events_period_and_page_go_into_the_address(server, browser):  # noqa: F811
    s = Session(browser, server + "/events")
    s.page.get_by_role("heading", name="Table").wait_for(timeout=T)
    s.page.get_by_text("month", exact=True).click()
    _wait_for(lambda: "timeline_freq=month" in s.page.url, 30)
    page = s.page.get_by_label("Page")
    page.fill("2")
    page.press("Enter")
    _wait_for(lambda: "table_page=2" in s.page.url, 30)
    assert "timeline_freq=month" in s.page.url
    s.page.close()


# --- 11. the drawing map has the main map's place labels -----------------------------------


def test_the_drawing_map_has_the_place_labels(server, browser):  # noqa: F811
    from test_browser_zones import _visible_map

    s = Session(browser, server + "/zones")
    s.page.get_by_text("Draw on the map", exact=True).click()
    s.page.get_by_text("Nothing drawn yet.").wait_for(timeout=T)
    _, frame = _visible_map(s)
    count = """() => { let n = 0; window.map.eachLayer(l => {
                 if (l.options && l.options.zwKind === 'place') n++; }); return n; }"""
    assert _wait_for(lambda: frame.evaluate(count) == 308)
    frame.evaluate("() => window.map.setView([33.51, 36.29], 9, {animate: false})")
    labels = frame.locator(".zw-label", has_text="Damascus · دمشق")
    _wait_for(lambda: labels.count() == 1, 30)
    assert labels.first.is_visible()
    s.page.close()


# --- 9. a long event type is readable in the sidebar's tags --------------------------------

LONG_TYPE = "Explosions/Remote violence: shelling, artillery and missile attack"


@pytest.fixture(scope="module")
def long_type(tmp_path_factory, session_store_path):
    """The app with one more event, of a long type (the CLI's own CSV, imported back)."""
    import csv
    import io
    import os
    import shutil
    import subprocess
    import sys

    from test_browser import _start_app, _stop_app

    from conftest import ROOT

    folder = tmp_path_factory.mktemp("long_type")
    store = folder / "store.gpkg"
    shutil.copyfile(session_store_path, store)
    env = {**os.environ, "ZONEWATCH_STORE": str(store)}
    env.pop("DATABASE_URL", None)
    zw = [sys.executable, "-m", "geo.cli"]
    out = subprocess.run(
        [*zw, "events", "--from", "2017-05-25", "--to", "2017-05-25", "--format", "csv"],
        capture_output=True, text=True, env=env, cwd=ROOT, check=True,
    )  # fmt: skip
    row = next(csv.DictReader(io.StringIO(out.stdout)))
    row.update(event_type=LONG_TYPE, dataset_id=row["dataset_id"] + "-long")
    path = folder / "long.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(row))
        w.writeheader()
        w.writerow(row)
    subprocess.run(
        [*zw, "import-events", str(path), "--format", "zonewatch"], env=env, cwd=ROOT, check=True
    )
    proc, url = _start_app(store)
    yield url
    _stop_app(proc)


def test_a_long_event_type_is_readable_in_the_sidebar(long_type, browser):  # noqa: F811
    s = Session(browser, long_type + "/events")
    s.page.get_by_role("heading", name="Timeline").wait_for(timeout=T)
    tag = s.page.locator("[data-testid=stSidebar] [data-tag] > span[title]", has_text="Explosions")
    tag.first.wait_for(timeout=T)
    assert tag.first.get_attribute("title") == LONG_TYPE
    assert tag.first.inner_text() == LONG_TYPE
    # the whole name is drawn: nothing overflows the tag's box, which stays in the sidebar
    cut = tag.first.evaluate("e => e.scrollWidth > e.clientWidth + 1")
    inside = s.page.evaluate(
        """() => { const bar = document.querySelector('[data-testid=stSidebar]')
                     .getBoundingClientRect();
                   const t = document.querySelector('[data-tag] > span[title^=Explosions]')
                     .getBoundingClientRect();
                   return t.right <= bar.right && t.width > 0; }"""
    )
    assert not cut and inside
    s.page.close()
