"""Take the README's screenshot (docs/map.png) of a running app, in Debian's Chromium.

make run &   # or any running ZoneWatch
uv run python scripts/screenshot.py http://127.0.0.1:8501 docs/map.png
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from headless_chromium import launch  # noqa: E402


def main(url: str, out: str) -> None:
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        page.frame_locator('iframe[title="streamlit_folium.st_folium"]').locator(
            ".leaflet-container"
        ).wait_for(timeout=60000)
        for which, (y, m, d) in (("start", ("2017", "05", "01")), ("end", ("2017", "06", "30"))):
            for part, text in (("year", y), ("month", m), ("day", d)):
                page.get_by_role("spinbutton", name=f"{part}, Event dates {which} date").click()
                page.keyboard.type(text)
        page.get_by_role("heading", name="ZoneWatch").click()
        page.locator("p", has_text="to 30 Jun 2017").wait_for(timeout=60000)
        time.sleep(3)
        frame = page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]').content_frame()
        frame.wait_for_function("() => window.map && window.zw")
        # Open the popup of the founding report's strike: the Raqqa-Palmyra convoy.
        frame.evaluate(
            """() => { window.map.eachLayer(l => {
                 if (l.options && l.options.zwKind === 'event'
                     && Math.abs(l.getLatLng().lat - 35.2576) < 1e-3) { l.fire('click', {
                       latlng: l.getLatLng() }, true); } }); }"""
        )
        time.sleep(1)
        page.screenshot(path=out)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
