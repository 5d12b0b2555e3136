"""Real-browser tests: the app served on 127.0.0.1, driven in Debian's Chromium.

They fail (never skip) when Chromium is missing: the README's test command installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from urllib.parse import urlparse

import pytest

from conftest import DATA, ROOT, stdlib_count, stdlib_rows
from headless_chromium import CHROMIUM, launch

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
#: A link of the app's navigation (st.page_link, drawn by views/shell.py).
NAV_LINK = "stPageLink-NavLink"
#: The navigation's links, in order.
NAV_TITLES = [
    "Map",
    "Events",
    "Zone report",
    "Place report",
    "Import events",
    "Zones",
    "Zone history",
    "Matches",
    "Sources",
    "Admin",  # the one analyst on 127.0.0.1 without sign-in has every right
]
HOSTILE = "<img src=x onerror=alert(1)>"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_app(
    store, *, address="127.0.0.1", port=None, args=(), env=None, unset=()
) -> tuple[subprocess.Popen, str]:
    """The app on its own store, served on ``address`` (reached through 127.0.0.1) at
    ``port`` (default: a free one), with more ``streamlit run`` ``args``, ``env`` over the
    environment and the variables ``unset`` left out of it; once it answers its health check."""
    full_env = {**os.environ, "ZONEWATCH_STORE": str(store), **(env or {})}
    for name in ("DATABASE_URL", *unset):
        full_env.pop(name, None)
    port = port or _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            address,
            "--server.headless",
            "true",
            *args,
        ],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail("the app did not start: " + proc.stdout.read().decode()[-2000:])


def _stop_app(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory, session_store_path):
    """The app on a free port of 127.0.0.1, on its own copy of the store."""
    store = tmp_path_factory.mktemp("browser") / "zonewatch.gpkg"
    shutil.copyfile(session_store_path, store)
    # A zone version with a hostile name: the browser must show it as text.
    env = {**os.environ, "ZONEWATCH_STORE": str(store)}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from geo.store import open_store; s = open_store();"
            "z = s.zone_extents(); z = z[z.zone_id == 'northern_homs'].copy();"
            f"z['name_en'] = {HOSTILE!r}; z['status'] = 'proposed';"
            "z['valid_from'] = s.event_summary().last; s.add_zone_version(z)",
        ],
        env=env,
        check=True,
        cwd=ROOT,
    )
    proc, url = _start_app(store)
    yield url
    _stop_app(proc)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; run the README's test command, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


class Session:
    """One page of the app, recording every request and every dialog."""

    def __init__(self, browser, url: str):
        # a Browser (a fresh context per page) or a BrowserContext (sized already)
        size = {"viewport": {"width": 1400, "height": 950}} if hasattr(browser, "contexts") else {}
        self.page = browser.new_page(**size)
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.ws_bytes = 0
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("websocket", self._on_ws)
        self.page.goto(url)

    def _on_ws(self, ws):
        self.requests.append(ws.url)

        def count(payload):
            self.ws_bytes += len(payload)

        ws.on("framereceived", count)

    def map_frame(self, timeout: float = 60):
        """The map iframe's frame, once Leaflet has drawn the layers (re-resolved on remount)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                handle = self.page.wait_for_selector(MAP_IFRAME, timeout=5000)
                frame = handle.content_frame()
                if frame and frame.evaluate(
                    "() => !!(window.map && window.map.eachLayer && window.zw)"
                ):
                    return frame
            except Exception:  # the iframe remounts when the map changes: try again
                pass
            time.sleep(0.3)
        raise AssertionError("the map did not appear")

    def count_layers(self, kind: str) -> int:
        js = """kind => { let n = 0; window.map.eachLayer(l => {
                    if (l.options && l.options.zwKind === kind) n++; }); return n; }"""
        for _ in range(30):
            try:
                return self.map_frame().evaluate(js, kind)
            except Exception:
                time.sleep(0.5)
        raise AssertionError(f"could not count {kind} layers")

    def zone_ids(self) -> set[str]:
        js = """() => { const ids = new Set(); window.map.eachLayer(l => {
                    if (l.zwZone) ids.add(l.zwZone.zone_id); }); return [...ids]; }"""
        for _ in range(30):
            try:
                return set(self.map_frame().evaluate(js))
            except Exception:
                time.sleep(0.5)
        raise AssertionError("could not list the zones drawn")

    def showing(self) -> int:
        shown = re.compile(r"Showing ([\d,]+) (of|events, each)")  # counted once: "events, each"
        text = self.page.get_by_text(shown).inner_text(timeout=60000)
        return int(shown.search(text).group(1).replace(",", ""))

    def idle(self, quiet: float = 1.0, timeout: float = 60, strict: bool = False) -> None:
        """Wait until the page has stopped running for ``quiet`` seconds (Streamlit's
        status widget gone); ``strict``: fail when it is still running after ``timeout``."""
        deadline, since = time.time() + timeout, time.time()
        while time.time() < deadline:
            if self.page.locator('[data-testid="stStatusWidget"]').count():
                since = time.time()
            elif time.time() - since >= quiet:
                return
            time.sleep(0.2)
        if strict:
            raise AssertionError("the page kept running")

    def settle(self, quiet: float = 1.5, timeout: float = 60) -> None:
        """Wait until the map has drawn its events and the page has stopped running for
        ``quiet`` seconds. With more events than the map draws one by one, the map reports
        its view once after it loads, which reruns the page; keys typed into a date field
        during that rerun can be lost, as they would be for a person."""
        self.map_frame()
        self.idle(quiet, timeout)

    def set_dates(self, start: str, end: str) -> None:
        """Type a range into Streamlit's segmented date field; it commits on blur."""
        for which, value in (("start", start), ("end", end)):
            y, m, d = value.split("-")
            for part, text in (("year", y), ("month", m), ("day", d)):
                seg = self.page.get_by_role("spinbutton", name=f"{part}, Event dates {which} date")
                seg.click()
                self.page.keyboard.type(text)
        self.page.get_by_role("heading", name="ZoneWatch").click()

    def external_requests(self) -> list[str]:
        bad = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about"):
                continue
            if parsed.hostname != "127.0.0.1":
                bad.append(url)
        return bad


def _wait_for(predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError("condition not met in time")


def test_map_shows_zones_and_events_and_follows_the_date_filter(server, browser):
    s = Session(browser, server)
    total = stdlib_count(None, None)
    assert _wait_for(lambda: s.showing() == total)
    # the zones as they stood at the end of the events (2019): Idlib and the Sochi DMZ,
    # and the hostile-named version of northern Homs this module's store adds on that day
    assert _wait_for(lambda: s.zone_ids() == {"idlib", "sochi_dmz", "northern_homs"})
    assert _wait_for(lambda: s.count_layers("event") == total)
    assert s.count_layers("place") == 308

    s.set_dates("2017-05-01", "2017-05-31")
    may = stdlib_count("2017-05-01", "2017-05-31")
    assert _wait_for(lambda: s.showing() == may)
    assert _wait_for(lambda: s.count_layers("event") == may)
    assert s.count_layers("zone") == 4
    assert s.zone_ids() == {"idlib", "northern_homs", "eastern_ghouta", "south"}

    assert s.external_requests() == []
    assert s.dialogs == []
    s.page.close()


def test_pan_and_zoom_do_not_resend_events(server, browser):
    s = Session(browser, server)
    frame = s.map_frame()
    _wait_for(lambda: s.count_layers("event") > 10000)
    frame.evaluate("() => { window.zwProbe = 'still here'; }")
    time.sleep(2)
    before = s.ws_bytes
    frame.evaluate("() => window.map.setView([35.9, 36.6], 10)")
    time.sleep(1)
    frame.evaluate("() => window.map.panBy([200, 100])")
    time.sleep(3)
    assert s.ws_bytes - before < 5_000  # the event layer alone is megabytes
    assert s.map_frame().evaluate("() => window.zwProbe") == "still here"  # no remount
    assert s.external_requests() == []
    s.page.close()


def test_hostile_zone_name_shows_as_text(server, browser):
    s = Session(browser, server)
    frame = s.map_frame()
    opened = frame.evaluate(
        """name => { let done = false; window.map.eachLayer(l => {
             if (!done && l.zwZone && l.zwZone.name_en === name) { l.openPopup(); done = true; }
           }); return done; }""",
        HOSTILE,
    )
    assert opened
    title = frame.locator(".leaflet-popup .zw-popup h4")
    assert title.inner_text() == HOSTILE
    assert frame.locator(".leaflet-popup img").count() == 0
    time.sleep(1)
    assert s.dialogs == []
    s.page.close()


def test_a_deep_link_opens_the_page_inside_the_app(browser, tmp_path, session_store_path):
    """The first request after start is a page's own URL: it must still get the app's
    navigation and layout (Streamlit's older multipage mode must not take over)."""
    store = tmp_path / "deep.gpkg"
    shutil.copyfile(session_store_path, store)
    proc, url = _start_app(store)
    try:
        s = Session(browser, url + "/sources")
        s.page.get_by_role("heading", name="Sources", exact=True).wait_for(timeout=60000)
        # the sidebar is drawn as the page runs: read it once its last link is there
        s.page.get_by_test_id(NAV_LINK).get_by_text("Admin", exact=True).wait_for(timeout=60000)
        links = s.page.get_by_test_id(NAV_LINK).all_inner_texts()
        assert links == NAV_TITLES
        s.page.close()
    finally:
        _stop_app(proc)


def test_sources_page_offline(server, browser):
    s = Session(browser, server)
    s.page.get_by_role("link", name="Sources").click()
    s.page.get_by_role("heading", name="Sources", exact=True).wait_for(timeout=30000)
    s.page.get_by_text("CC BY-IGO").first.wait_for(timeout=30000)
    assert s.page.get_by_text("Sundberg").count() >= 1
    assert s.external_requests() == []
    s.page.close()


def _click_latlng(s: Session, lat: float, lon: float) -> None:
    """A real mouse click at a map coordinate (through every pane, as a user clicks)."""
    frame = s.map_frame()
    x, y = frame.evaluate(
        "([lat, lon]) => { const p = window.map.latLngToContainerPoint("
        "[lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    box = s.page.locator(MAP_IFRAME).bounding_box()
    s.page.mouse.click(box["x"] + x, box["y"] + y)


def test_real_clicks_open_event_and_zone_popups(server, browser):
    s = Session(browser, server)
    s.set_dates("2017-05-25", "2017-05-25")
    assert _wait_for(lambda: s.showing() == stdlib_count("2017-05-25", "2017-05-25"))
    _wait_for(lambda: s.count_layers("event") == s.showing())
    frame = s.map_frame()
    # The convoy strike of the founding report, placed on the Raqqa-Palmyra corridor.
    _click_latlng(s, 35.2576, 38.6459)
    popup = frame.locator(".leaflet-popup .zw-popup")
    popup.wait_for(timeout=10000)
    assert popup.locator("h4").inner_text() == "Air strike, 2017-05-25"
    assert "Asharq Al-Awsat" in popup.inner_text()
    link = popup.locator("a")
    assert link.get_attribute("href") == "https://www.interfax.ru/amp/564105"
    assert link.get_attribute("rel") == "noopener noreferrer"
    frame.locator(".leaflet-popup-close-button").click()
    popup.wait_for(state="detached", timeout=10000)
    # Inside the Idlib zone, away from events and towns: the zone's own popup.
    _click_latlng(s, 35.52, 36.95)
    title = frame.locator(".leaflet-popup .zw-popup h4")
    title.wait_for(timeout=10000)
    assert title.inner_text().startswith("Idlib de-escalation zone")
    assert "No official map" in popup.inner_text()
    assert s.external_requests() == [] and s.dialogs == []
    s.page.close()


def test_import_acled_through_the_page_then_map_table_and_chart_agree(
    browser, tmp_path, session_store_path
):
    from test_import import _acled_date, _acled_real, _acled_rows

    acled_file = _acled_real()
    store = tmp_path / "import.gpkg"
    shutil.copyfile(session_store_path, store)
    proc, url = _start_app(store)
    try:
        s = Session(browser, url + "/import_events")
        s.page.get_by_test_id("stFileUploader").wait_for(timeout=60000)
        s.page.locator("input[type=file]").set_input_files(str(acled_file))
        s.page.get_by_text("Preview").wait_for(timeout=60000)
        s.page.get_by_role("button", name="Import").click()
        s.page.get_by_text("8,759 imported").wait_for(timeout=120000)

        may = [
            r
            for r in _acled_rows(acled_file)
            if date(2017, 5, 1) <= _acled_date(r["event_date"]) <= date(2017, 5, 31)
        ]
        expected = stdlib_count("2017-05-01", "2017-05-31") + len(may)
        s.page.get_by_test_id(NAV_LINK).get_by_text("Map", exact=True).click()
        # 25,334 events now: more than the map draws one by one, so it shows squares
        s.settle()
        assert _wait_for(lambda: s.count_layers("cell") > 0)
        assert s.count_layers("event") == 0
        s.set_dates("2017-05-01", "2017-05-31")
        assert _wait_for(lambda: s.showing() == expected)
        assert _wait_for(lambda: s.count_layers("event") == expected)  # few: one by one

        # The same filters hold on the Events page: its count, table and chart agree.
        s.page.get_by_test_id(NAV_LINK).get_by_text("Events", exact=True).click()
        s.page.get_by_role("heading", name="Timeline").wait_for(timeout=60000)
        assert _wait_for(lambda: s.showing() == expected)
        grid = s.page.locator("[role=grid][aria-rowcount]")  # a page of at most 100 rows
        assert _wait_for(lambda: grid.get_attribute("aria-rowcount") == str(min(expected, 100) + 1))
        assert s.page.get_by_text(f"of {expected:,}, page 1 of").count() == 1
        caption = s.page.get_by_text(re.compile(r"[\d,]+ events, [\d,]+ fatalities"))
        # the chart counts the events that start in May; those that began earlier are named
        earlier = sum(
            1
            for r in stdlib_rows(DATA / "ucdp" / "ged_syria.csv")
            + stdlib_rows(DATA / "events" / "curated_strikes.csv")
            if r["date_start"][:10] < "2017-05-01" <= r["date_end"][:10]
        )
        text = caption.inner_text()
        assert int(text.split(" events")[0].replace(",", "")) == expected - earlier
        assert f"Left out here: {earlier:,} events" in text
        chart = s.page.locator("[data-testid=stVegaLiteChart]")
        chart.locator("canvas, svg").first.wait_for(timeout=30000)  # the chart is drawn
        assert s.external_requests() == [] and s.dialogs == []
        s.page.close()
    finally:
        _stop_app(proc)
