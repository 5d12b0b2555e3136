"""Real-browser test: the playback slider keeps to the chosen dates (issue 15, item 8)."""

from __future__ import annotations

from datetime import date

import pytest
from test_browser import Session, _wait_for, browser, server  # noqa: F401

from conftest import stdlib_count

pytestmark = pytest.mark.browser

SLIDER_JS = """() => { const s = document.querySelector('.zw-playback input[type=range]');
    return s ? [Number(s.min), Number(s.max)] : null; }"""


def _day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def test_playback_runs_over_the_chosen_dates(server, browser):  # noqa: F811
    s = Session(browser, f"{server}/?dates=2017-05-01&dates=2017-06-30")
    want = stdlib_count("2017-05-01", "2017-06-30")
    assert _wait_for(lambda: s.showing() == want)
    assert _wait_for(lambda: s.count_layers("event") == want)

    def slider():
        try:
            return s.map_frame().evaluate(SLIDER_JS)
        except Exception:  # the map remounts: ask again
            return None

    low, high = _wait_for(slider)
    # May-June 2017, not January-December: the year-long events of 1 January do not
    # stretch it (their days are clipped to the dates)
    assert low == _day(date(2017, 5, 1))
    assert _day(date(2017, 6, 20)) <= high <= _day(date(2017, 6, 30))
    assert s.external_requests() == []
    s.page.close()
