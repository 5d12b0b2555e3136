"""Real-browser checks of the walkthrough's findings: what a person sees at 1400 px wide
(Debian's Chromium, Playwright; one app for the module, on its own copy of the store)."""

from __future__ import annotations

import pytest
from test_browser import Session, _wait_for, browser, server  # noqa: F401

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
