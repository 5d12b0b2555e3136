"""Real-browser tests of shared views and the offline zone report (Debian's Chromium)."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from test_browser import MAP_IFRAME, Session, _wait_for, browser, server  # noqa: F401

from conftest import stdlib_count

pytestmark = pytest.mark.browser

VIEW_JS = """() => { const c = window.map.getCenter();
    return [Number(c.lat.toFixed(2)), Number(c.lng.toFixed(2)), window.map.getZoom()]; }"""


def _map_state(s: Session) -> dict:
    frame = s.map_frame()
    return {
        "showing": s.showing(),
        "events": s.count_layers("event"),
        "places": s.count_layers("place"),
        "zones": s.zone_ids(),
        "view": frame.evaluate(VIEW_JS),
    }


def _copy_link(s: Session) -> str:
    s.page.get_by_role("button", name="Copy link to this view").click()
    field = s.page.get_by_label("Link to this view")
    _wait_for(lambda: field.input_value())
    return field.input_value()


def test_a_copied_link_restores_the_same_view(server, browser):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1400, "height": 950})
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    s = Session(ctx, server)
    total = stdlib_count(None, None)
    assert _wait_for(lambda: s.showing() == total)

    # filters: dates, an actor, and the zones as of a chosen date
    s.set_dates("2017-05-01", "2017-09-30")
    _wait_for(lambda: s.showing() == stdlib_count("2017-05-01", "2017-09-30"))
    s.page.get_by_text("More filters").click()
    actor = s.page.get_by_role("textbox", name="Actor contains")
    actor.fill("Syria")
    actor.press("Enter")
    _wait_for(lambda: "actor=Syria" in s.page.url)
    filtered = _wait_for(
        lambda: (n := s.showing()) < stdlib_count("2017-05-01", "2017-09-30") and n
    )
    s.page.get_by_text("Zones as of the end of the event dates").click()
    _wait_for(lambda: "zones_follow=false" in s.page.url)

    # the map: zoom on Idlib, hide the places layer with a real click
    frame = s.map_frame()
    _wait_for(lambda: s.count_layers("event") == filtered)
    frame.evaluate("() => { window.map.setView([35.9, 36.6], 9); }")
    frame.get_by_text("Places", exact=True).click()
    _wait_for(lambda: "hide=places" in s.page.url and "view=35.9" in s.page.url)
    before = _map_state(s)
    assert before["places"] == 0 and before["events"] == filtered
    assert before["view"] == [35.9, 36.6, 9]

    link = _copy_link(s)
    assert link == s.page.url
    assert s.page.evaluate("navigator.clipboard.readText()") == link
    query = parse_qs(urlparse(link).query)
    assert query["dates"] == ["2017-05-01", "2017-09-30"] and query["actor"] == ["Syria"]

    # a new browser session (nothing shared but the link) sees the same view
    other = Session(browser, link)
    _wait_for(lambda: other.showing() == filtered)
    after = _wait_for(lambda: (st := _map_state(other))["events"] == filtered and st)
    assert after == before
    assert (
        other.page.get_by_role(
            "checkbox", name="Zones as of the end of the event dates"
        ).is_checked()
        is False
    )

    # the same link after the user moved on: the pan and zoom survive a filter change
    s.set_dates("2017-05-01", "2017-06-30")
    _wait_for(lambda: s.showing() < filtered)
    assert _wait_for(lambda: s.map_frame().evaluate(VIEW_JS) == [35.9, 36.6, 9])

    for session in (s, other):
        assert session.external_requests() == []
        assert session.dialogs == []
    other.page.close()
    ctx.close()


def test_a_zone_report_link_restores_the_report(server, browser):  # noqa: F811
    s = Session(browser, server + "/zone_report")
    s.page.get_by_role("heading", name="Zone report").wait_for(timeout=60000)
    s.page.get_by_role("combobox", name="Zone").click()
    s.page.get_by_role("option", name=re.compile("Idlib")).first.click()
    _wait_for(lambda: "zone=" in s.page.url)
    window = s.page.get_by_role("spinbutton", name="Window (days each side)")
    window.fill("60")
    window.press("Enter")
    _wait_for(lambda: "window=60" in s.page.url)
    table = s.page.get_by_test_id("stDataFrame")
    caption = s.page.get_by_text(re.compile(r"[\d,]+ events, [\d,]+ fatalities"))
    time.sleep(1)
    before = (caption.inner_text(timeout=60000), table.inner_text(timeout=60000))
    link = _copy_link(s)

    other = Session(browser, link)
    other.page.get_by_role("heading", name="Zone report").wait_for(timeout=60000)
    other_caption = other.page.get_by_text(re.compile(r"[\d,]+ events, [\d,]+ fatalities"))
    _wait_for(lambda: other_caption.inner_text(timeout=60000) == before[0])
    assert other.page.get_by_test_id("stDataFrame").inner_text(timeout=60000) == before[1]
    assert "Idlib" in before[0]
    s.page.close()
    other.page.close()


def test_bad_link_parameters_are_ignored_not_shown(server, browser):  # noqa: F811
    bad = (
        "/?dates=yesterday&dates=2017-99-99&types=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
        "&min_fatalities=-5&zones=nowhere&view=NaN,1e999,abc&hide=__proto__,constructor"
        "&base=javascript:alert(1)"
    )
    # and a link cannot make the browser fetch online tiles: offered, not chosen
    tiles = "/?online_tiles=true&base=osm&view=35.9,36.6,12"
    s = Session(browser, server + bad)
    total = stdlib_count(None, None)
    assert _wait_for(lambda: s.showing() == total)
    assert _wait_for(lambda: s.count_layers("event") == total)
    assert s.page.get_by_test_id("stException").count() == 0
    assert s.dialogs == []
    assert s.external_requests() == []
    s.page.close()

    s = Session(browser, server + tiles)
    assert _wait_for(lambda: s.count_layers("event") == total)
    frame = s.map_frame()
    assert frame.get_by_text("OpenStreetMap").count() == 1  # offered in the layer control
    time.sleep(3)
    assert frame.evaluate(VIEW_JS) == [35.9, 36.6, 12]
    assert s.external_requests() == []
    s.page.close()


def test_the_zone_report_html_opens_offline_with_map_and_charts(server, browser, tmp_path):  # noqa: F811
    s = Session(browser, server + "/zone_report?zone=eastern_ghouta")
    s.page.get_by_role("heading", name="Zone report").wait_for(timeout=60000)
    s.page.get_by_text(re.compile(r"[\d,]+ events, [\d,]+ fatalities")).wait_for(timeout=60000)
    # the CSV first, then the HTML file: both downloads work one after the other. Click
    # when the page has finished running: a rerun replaces the files behind the buttons.
    s.page.get_by_role("button", name="Report as one HTML file (works offline)").wait_for()
    _wait_for(lambda: s.page.get_by_test_id("stStatusWidget").count() == 0)
    time.sleep(2)
    with s.page.expect_download(timeout=60000) as csv_download:
        s.page.get_by_role("button", name="Report as CSV").click()
    assert csv_download.value.suggested_filename.endswith(".csv")
    with s.page.expect_download(timeout=120000) as download:
        s.page.get_by_role("button", name="Report as one HTML file (works offline)").click()
    path = tmp_path / "report.html"
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".html")

    ctx = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    requests: list[str] = []
    errors: list[str] = []
    ctx.on("request", lambda r: requests.append(r.url))
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    assert page.get_by_role("heading", name=re.compile("Zone report: Eastern Ghouta")).is_visible()
    assert page.locator("#chart-timeline svg").count() == 1
    assert page.locator("#chart-comparison svg").count() == 1
    assert page.locator("#chart-timeline svg g[id^='patch'] path").count() > 5  # bars drawn
    frame = page.frame_locator('iframe[title="Map of the zone"]')
    frame.locator(".leaflet-container").wait_for(timeout=30000)
    map_frame = next(f for f in page.frames if f != page.main_frame)
    counts = map_frame.evaluate(
        """() => { const m = window[Object.keys(window).find(k => k.startsWith('map_'))];
        const n = {}; m.eachLayer(l => { const k = l.options && l.options.zwKind;
        if (k) n[k] = (n[k] || 0) + 1; }); return n; }"""
    )
    assert counts.get("zone", 0) >= 1 and counts.get("event", 0) > 50
    assert [u for u in requests if not u.startswith(("data:", "about:"))] == [path.as_uri()]
    assert errors == []
    ctx.close()
    s.page.close()
