"""Real-browser checks of the second new-user walkthrough's findings, at 1400 x 900
(Debian's Chromium, Playwright). Fails (never skips) when Chromium is missing."""

from __future__ import annotations

import re

import pytest
import test_browser
from test_browser import MAP_IFRAME, Session, _wait_for
from test_browser_zones import T, app  # noqa: F401

from conftest import stdlib_count

browser = test_browser.browser
pytestmark = pytest.mark.browser

SIZE = {"width": 1400, "height": 900}

# Every cell whose text is cut (wider than the cell), and how far the element pokes out of
# the page's main column (px; 0 when it fits).
OVERFLOW = """(el) => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]')
    .getBoundingClientRect();
  const cut = Array.from(el.querySelectorAll('td, th'))
    .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText);
  const box = el.getBoundingClientRect();
  return {cut: cut, out: Math.max(0, box.right - main.right)};
}"""


def _session(browser, url: str) -> Session:
    context = browser.new_context(viewport=SIZE)
    return Session(context, url)


def test_matches_pair_fits_and_its_map_has_places_and_a_legend(app, browser):  # noqa: F811
    s = _session(browser, app.url + "/matches")
    s.page.get_by_role("button", name="Build the matches").click()
    s.page.get_by_text(re.compile(r"^Matches built: [\d,]+ links stored")).wait_for(timeout=120_000)
    table = s.page.get_by_test_id("stTable")
    table.wait_for(timeout=T)
    s.idle()
    s.page.get_by_text("Each record at its position").scroll_into_view_if_needed()
    assert table.evaluate(OVERFLOW) == {"cut": [], "out": 0}
    assert "Source" in table.inner_text()
    frame = s.map_frame()
    # the legend gives each layer's colour; the places are a layer, labelled as on the Map
    legend = frame.locator(".zw-legend")
    assert legend.get_attribute("open") is not None
    assert "This link" in legend.inner_text()
    assert frame.locator(".zw-legend .zw-sw").count() == 3
    assert "Places" in frame.locator(".leaflet-control-layers").inner_text()
    for _ in range(3):  # out to where towns are
        frame.locator(".leaflet-control-zoom-out").click()
        s.page.wait_for_timeout(1500)
    assert _wait_for(lambda: frame.locator(".zw-label").count() > 0, timeout=10)
    s.page.screenshot(path=str(app.store.parent / "matches.png"))
    assert s.page.get_by_test_id("stException").count() == 0
    assert s.external_requests() == []
    s.page.close()


CONVOY = (35.2576, 38.6459)  # the curated convoy strike of 25 May 2017


def _at(s: Session, frame, lat: float, lon: float) -> tuple[float, float]:
    """The page's pixel at a map coordinate."""
    x, y = frame.evaluate(
        "([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]);"
        "return [p.x, p.y]; }",
        [lat, lon],
    )
    box = s.page.locator(MAP_IFRAME).bounding_box()
    return box["x"] + x, box["y"] + y


def test_event_hover_says_type_and_date_and_its_popup_is_wide(app, browser):  # noqa: F811
    s = _session(browser, app.url)
    s.set_dates("2017-05-25", "2017-05-25")
    _wait_for(lambda: s.showing() == stdlib_count("2017-05-25", "2017-05-25"))
    _wait_for(lambda: s.count_layers("event") == s.showing())
    s.idle()
    frame = s.map_frame()
    s.page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    x, y = _at(s, frame, *CONVOY)
    assert 0 < y < SIZE["height"], y
    # what a person reads on the convoy's marker: the type and the day, never the store's
    # record number
    shown = frame.evaluate(
        """([lat, lon]) => { let best = null, d = 1e9;
             window.map.eachLayer(l => { if (l.options.zwKind !== 'event') return;
               const e = Math.hypot(l.getLatLng().lat - lat, l.getLatLng().lng - lon);
               if (e < d) { d = e; best = l; } });
             best.openTooltip(); const text = best.getTooltip().getElement().innerText;
             best.closeTooltip(); return text; }""",
        list(CONVOY),
    )
    assert shown == "Air strike · 2017-05-25", shown
    s.page.mouse.click(x, y)
    popup = frame.locator(".leaflet-popup .zw-popup")
    popup.locator("h4").wait_for(timeout=T)
    assert popup.locator("h4").inner_text() == "Air strike, 2017-05-25"  # the click found it
    assert "Asharq Al-Awsat" in popup.inner_text()
    s.page.wait_for_timeout(500)  # the popup fades in
    width = frame.locator(".leaflet-popup-content").evaluate("e => e.getBoundingClientRect().width")
    assert width >= 300, width
    # the values get room: their column is wider than the names' (the walkthrough saw a
    # 161 px popup whose values wrapped a word or two a line)
    names, values = frame.locator(".leaflet-popup tr").first.evaluate(
        "r => Array.from(r.children).map(c => c.getBoundingClientRect().width)"
    )
    assert values >= 170 and values > names, (names, values)
    s.page.screenshot(path=str(app.store.parent / "popup.png"))
    assert s.page.get_by_test_id("stException").count() == 0
    s.page.close()


# Every chosen tag of each multiselect box within its box (none cut, no hidden scrolling).
TAGS_SHOWN = """() => Array.from(document.querySelectorAll(
    '[data-testid=stSidebar] [data-testid=stMultiSelectTagsContainer]')).map(c => {
  const box = c.getBoundingClientRect();
  const cut = Array.from(c.querySelectorAll('[data-tag]')).filter(t => {
    const r = t.getBoundingClientRect();
    return r.bottom > box.bottom + 1 || r.top < box.top - 1;
  }).map(t => t.innerText);
  return {tags: c.querySelectorAll('[data-tag]').length, cut: cut,
          hidden: c.scrollHeight - c.clientHeight};
})"""


def test_every_chosen_event_type_is_visible_in_the_sidebar(app, browser):  # noqa: F811
    s = _session(browser, app.url)
    s.page.get_by_text("Event types").first.wait_for(timeout=T)
    s.idle()
    boxes = s.page.evaluate(TAGS_SHOWN)
    assert boxes and boxes[0]["tags"] >= 6, boxes  # the event types: every shipped type
    for box in boxes:
        assert box["cut"] == [] and box["hidden"] <= 1, boxes
    s.page.close()


def test_zones_feature_table_fits_the_page(app, browser, tmp_path):  # noqa: F811
    import json

    from test_zone_upload_report import _geojson

    doc = json.loads(_geojson()[0])
    doc["features"] = doc["features"][:3] + [
        {  # refused, with a long name and a long reason
            "type": "Feature",
            "properties": {"name": "Somewhere in France with a rather long name"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[2, 48], [3, 48], [3, 49], [2, 49], [2, 48]]],
            },
        }
    ]
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps(doc))
    s = _session(browser, app.url + "/zones")
    s.page.locator("input[type=file]").first.set_input_files(str(path))
    s.page.get_by_text("3 accepted or repaired, 1 refused").wait_for(timeout=60_000)
    s.idle()
    grid = s.page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    # the grid scrolls sideways when its columns are wider than the page's column
    wide, shown = grid.locator(".dvn-scroller").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert wide <= shown + 1, (wide, shown)
    # nothing offers to swap latitude and longitude for a file that is simply bad
    assert s.page.get_by_text("Swap latitude and longitude").count() == 0
    s.page.screenshot(path=str(tmp_path / "zones.png"))
    assert s.page.get_by_test_id("stException").count() == 0
    s.page.close()


def test_the_server_log_has_no_widget_state_warning(browser, tmp_path, session_store_path):
    """Going from page to page (the filters kept) logs no 'created with a default value but
    also had its value set via the Session State API' (the "dates" box did)."""
    import shutil

    from test_browser import _start_app, _stop_app

    store = tmp_path / "zonewatch.gpkg"
    shutil.copyfile(session_store_path, store)
    proc, url = _start_app(store)
    try:
        s = _session(browser, url + "/events?dates=2017-05-01&dates=2017-06-30")
        s.page.get_by_role("heading", name="Events", exact=True).wait_for(timeout=T)
        for page in ("Map", "Zones", "Events", "Zone report", "Map"):
            s.idle()
            s.page.get_by_role("link", name=page, exact=True).click()
            heading = "ZoneWatch" if page == "Map" else page
            s.page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=T)
        s.idle()
        assert "dates=2017-05-01" in s.page.url  # the filters followed
        s.page.close()
    finally:
        _stop_app(proc)
    log = proc.stdout.read().decode()
    assert "was created with a default value" not in log, log[-3000:]


@pytest.mark.parametrize("query", ["dates=2017-05-25&dates=2017-05-25", "dates=2017-05-25"])
def test_a_link_of_one_day_opens_on_that_day(app, browser, query):  # noqa: F811
    # Streamlit writes the range D to D as one dates=D and read it back as a start with no
    # end: such a link showed every event (16,575, not 18), and a click on the convoy's
    # point could open another event's popup
    s = _session(browser, f"{app.url}/?{query}")
    _wait_for(lambda: s.showing() == stdlib_count("2017-05-25", "2017-05-25"))
    _wait_for(lambda: s.count_layers("event") == s.showing())
    s.idle()
    assert s.showing() == stdlib_count("2017-05-25", "2017-05-25")
    frame = s.map_frame()
    s.page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    s.page.mouse.click(*_at(s, frame, *CONVOY))
    popup = frame.locator(".leaflet-popup .zw-popup")
    popup.locator("h4").wait_for(timeout=T)
    assert popup.locator("h4").inner_text() == "Air strike, 2017-05-25"
    # the date box shows the day as the range's start and end (it showed no end date)
    assert _date_box(s) == ("2017/05/25", "2017/05/25")
    assert s.page.get_by_text("Pick an end date").count() == 0
    # and changing it works as usual afterwards
    s.set_dates("2017-05-01", "2017-05-31")
    _wait_for(lambda: s.showing() == stdlib_count("2017-05-01", "2017-05-31"))
    assert _date_box(s) == ("2017/05/01", "2017/05/31")
    assert s.page.get_by_test_id("stException").count() == 0
    s.page.close()


def _date_box(s: Session) -> tuple[str, str]:
    """The start and end dates the sidebar's "Event dates" box shows (yyyy/mm/dd)."""

    def shown(which: str) -> str:
        parts = [
            s.page.get_by_role("spinbutton", name=f"{part}, Event dates {which} date")
            .inner_text()
            .strip()
            for part in ("year", "month", "day")
        ]
        return "/".join(parts)

    return shown("start"), shown("end")
