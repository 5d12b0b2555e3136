"""Real-browser tests of the pages layout: every page's link as the very first request
after the server starts and in a second session, links with nonsense values, the map's
zoom from a link, and "Zones as of" in a shared link."""

from __future__ import annotations

import re
import shutil
import time
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from test_browser import (  # noqa: F401
    NAV_LINK,
    NAV_TITLES,
    Session,
    _start_app,
    _stop_app,
    _wait_for,
    browser,
    server,
)
from test_browser_zones import _save, _set_date, _shapefile_zip, app  # noqa: F401

from conftest import stdlib_count

pytestmark = pytest.mark.browser

TITLES = NAV_TITLES
#: (path, heading, follows the shared filters)
PAGES = [
    ("/", "ZoneWatch", True),
    ("/events", "Events", True),
    ("/zone_report", "Zone report", True),
    ("/place_report", "Place report", True),
    ("/import_events", "Import events", False),
    ("/zones", "Zones", False),
    ("/zone_history", "Zone history", False),
    ("/matches", "Matches", False),
    ("/sources", "Sources", False),
    ("/admin", "Admin", False),
]
MAY = "?dates=2017-05-01&dates=2017-05-31"
VIEW_JS = """() => { const c = window.map.getCenter();
    return [Number(c.lat.toFixed(2)), Number(c.lng.toFixed(2)), window.map.getZoom()]; }"""


def _sidebar_text(s: Session) -> str:
    return re.sub(r"\s+", "", s.page.get_by_test_id("stSidebar").inner_text(timeout=60000))


def _check_page(s: Session, path: str, heading: str, filters: bool) -> None:
    s.page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=90000)
    # the app's navigation, in its order and with its titles, on every entry
    links = s.page.get_by_test_id(NAV_LINK)
    _wait_for(lambda: links.count() == len(TITLES))
    assert links.all_inner_texts() == TITLES
    # each page's own address (Streamlit gives the Map's link no address of its own: a
    # click on it opens the Map, see test_page_links_keep_the_filters)
    hrefs = [urlparse(links.nth(i).evaluate("a => a.href")).path for i in range(len(TITLES))]
    assert hrefs[1:] == [p for p, _, _ in PAGES[1:]]
    # the current page's link is the one drawn as current (its own style)
    looks = [
        links.nth(i).evaluate("a => getComputedStyle(a).backgroundColor")
        for i in range(len(TITLES))
    ]
    here = [p for p, _, _ in PAGES].index(path)
    assert [i for i, look in enumerate(looks) if looks.count(look) == 1] == [here]
    # the shared filters, bound to the link, on the pages that follow them
    if filters:
        assert _wait_for(lambda: "2017/05/01–2017/05/31" in _sidebar_text(s))
        if path in ("/", "/events"):
            assert _wait_for(lambda: s.showing() == stdlib_count("2017-05-01", "2017-05-31"))
    else:
        time.sleep(1)
        assert "Eventdates" not in _sidebar_text(s)
    if path == "/":
        assert s.count_layers("event") == stdlib_count("2017-05-01", "2017-05-31")
    assert s.page.get_by_test_id("stException").count() == 0
    assert s.external_requests() == []
    assert s.dialogs == []


@pytest.mark.parametrize("path,heading,filters", PAGES)
def test_each_page_link_as_first_request_and_second_session(
    browser,  # noqa: F811
    tmp_path,
    session_store_path,
    path,
    heading,
    filters,
):
    store = tmp_path / "first.gpkg"
    shutil.copyfile(session_store_path, store)
    proc, url = _start_app(store)
    try:
        for _ in ("first request after start", "second session"):
            s = Session(browser, url + path + MAY)
            _check_page(s, path, heading, filters)
            s.page.screenshot(path=str(tmp_path / f"{heading}.png"))
            s.page.close()
    finally:
        _stop_app(proc)


def test_page_links_keep_the_filters(server, browser):  # noqa: F811
    s = Session(browser, server + "/" + MAY + "&actor=Syria")
    shown = _wait_for(lambda: s.showing())
    assert 0 < shown < stdlib_count("2017-05-01", "2017-05-31")
    s.page.get_by_test_id(NAV_LINK).get_by_text("Events", exact=True).click()
    s.page.get_by_role("heading", name="Events", exact=True).wait_for(timeout=60000)
    assert _wait_for(lambda: s.showing() == shown)
    assert _wait_for(lambda: "actor=Syria" in s.page.url and "/events" in s.page.url)
    s.page.get_by_test_id(NAV_LINK).get_by_text("Zones", exact=True).click()
    s.page.get_by_role("heading", name="Zones", exact=True).wait_for(timeout=60000)
    s.page.get_by_test_id(NAV_LINK).get_by_text("Map", exact=True).click()
    assert _wait_for(lambda: s.showing() == shown)
    s.page.close()


@pytest.mark.parametrize("path", ["/", "/events"])
def test_a_reversed_date_range_link_opens_with_the_whole_range(server, browser, path):  # noqa: F811
    s = Session(browser, server + path + "?dates=2017-09-30&dates=2017-05-01&min_fatalities=1e999")
    total = stdlib_count(None, None)
    assert _wait_for(lambda: s.showing() == total)
    note = s.page.get_by_text(re.compile("Part of this link made no sense"))
    assert "dates (the end date is before the start date)" in note.inner_text(timeout=30000)
    assert "min_fatalities (not a number)" in note.inner_text()
    assert s.page.get_by_test_id("stException").count() == 0
    assert "dates=" not in s.page.url and "min_fatalities" not in s.page.url
    s.page.close()


@pytest.mark.parametrize(
    "view,expected",
    [("35,38,99", [35.0, 38.0, 14]), ("35,38,-4", None), ("35,38,1e308", [35.0, 38.0, 14])],
)
def test_a_link_zoom_is_kept_within_the_map_zoom_range(server, browser, view, expected):  # noqa: F811
    s = Session(browser, server + "/?view=" + view)
    frame = s.map_frame()
    _wait_for(lambda: s.count_layers("event") > 0)
    time.sleep(2)
    got = frame.evaluate(VIEW_JS)
    assert 5 <= got[2] <= 14
    if expected:
        assert got == expected
    assert frame.evaluate("() => [window.map.getMinZoom(), window.map.getMaxZoom()]") == [5, 14]
    assert s.zone_ids()  # the map is drawn (on a canvas)
    s.page.close()


def _zones_caption(s: Session) -> str:
    return s.page.get_by_text(re.compile(r"^Zones as of \d")).inner_text(timeout=60000)


def test_a_shared_link_keeps_zones_as_of(server, browser):  # noqa: F811
    s = Session(browser, server)
    _wait_for(lambda: s.showing())
    s.page.get_by_text("Zones as of the end of the event dates").click()
    _wait_for(lambda: "zones_follow=false" in s.page.url)
    for part, text in (("year", "2018"), ("month", "01"), ("day", "01")):
        s.page.get_by_role("spinbutton", name=f"{part}, Zones as of").click()
        s.page.keyboard.type(text)
    s.page.get_by_role("heading", name="ZoneWatch").click()  # blur: commit
    _wait_for(lambda: _zones_caption(s).startswith("Zones as of 01 Jan 2018"))
    before = _zones_caption(s)
    link = _wait_for(lambda: "zones_as_of=" in s.page.url and s.page.url)
    assert parse_qs(urlparse(link).query)["zones_as_of"] == ["2018-01-01"]

    other = Session(browser, link)
    _wait_for(lambda: other.showing())
    assert _wait_for(lambda: _zones_caption(other) == before)
    time.sleep(3)  # and it stays so once the page has settled
    assert _zones_caption(other) == before
    assert "zones_as_of=2018-01-01" in other.page.url
    assert other.zone_ids() == {"eastern_ghouta", "idlib", "northern_homs", "south"}
    s.page.close()
    other.page.close()


def test_a_link_after_saving_a_zone_keeps_zones_as_of(app, browser, tmp_path):  # noqa: F811
    """After a save the Map shows the zones as of its date: the box unticked, the date in
    the address."""
    versions = app.versions()
    idlib = versions[versions.zone_id == "idlib"].sort_values("version")
    archive = _shapefile_zip(tmp_path, idlib.geometry.iloc[-1].buffer(-0.03))
    s = Session(browser, app.url + "/zones")
    s.page.get_by_test_id("stFileUploader").wait_for(timeout=60_000)
    s.page.locator("input[type=file]").set_input_files(str(archive))
    s.page.get_by_text(re.compile(r"accepted or repaired, \d+ refused")).wait_for(timeout=60_000)
    _set_date(s, "Valid from", date(2024, 1, 15))
    saved = re.match(r"Saved idlib version (\d+), valid from 15 Jan 2024", _save(s))
    assert saved, "the save message names the new version and its date"
    version = saved.group(1)
    s.page.get_by_test_id(NAV_LINK).get_by_text("Map", exact=True).click()
    _wait_for(lambda: _zones_caption(s).startswith("Zones as of 15 Jan 2024"))
    follow = s.page.get_by_role("checkbox", name="Zones as of the end of the event dates")
    assert not follow.is_checked()  # the box says what the map does
    link = _wait_for(lambda: "zones_as_of=" in s.page.url and s.page.url)
    query = parse_qs(urlparse(link).query)
    assert query["zones_as_of"] == ["2024-01-15"] and query["zones_follow"] == ["false"]

    other = Session(browser, link)
    _wait_for(lambda: other.showing())
    assert _wait_for(lambda: _zones_caption(other).startswith("Zones as of 15 Jan 2024"))
    assert f"Idlib (v{version}" in _zones_caption(other)  # by name
    s.page.close()
    other.page.close()
