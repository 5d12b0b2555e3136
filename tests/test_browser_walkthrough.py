"""Real-browser checks of the second new-user walkthrough's findings, at 1400 x 900
(Debian's Chromium, Playwright). Fails (never skips) when Chromium is missing."""

from __future__ import annotations

import re

import pytest
import test_browser
from test_browser import Session, _wait_for
from test_browser_zones import T, app  # noqa: F401

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
