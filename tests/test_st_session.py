"""The load test's websocket user (``bench/st_session.py``, ``bench/pg_load.py``'s
``WsUser``) against a real app server: it opens the Map page over Streamlit's protocol,
finds the date widget, and each date change it sends reruns the page with the new dates
and new map data; a change that does nothing is caught as one."""

from __future__ import annotations

import asyncio
import shutil
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from pg_load import WsUser  # noqa: E402
from st_session import Session  # noqa: E402
from test_browser import _start_app, _stop_app  # noqa: E402


@pytest.fixture(scope="module")
def app(tmp_path_factory, session_store_path):
    store = tmp_path_factory.mktemp("st_session") / "zonewatch.gpkg"
    shutil.copyfile(session_store_path, store)
    proc, url = _start_app(store)
    yield url
    _stop_app(proc)


def test_date_changes_over_the_websocket(app):
    async def go():
        user = WsUser("test", app, timeout=60)
        await user.open()
        assert user.session.page_hash  # the server named the page it ran
        assert "Event dates" in user.session.widgets
        first_key = user.key
        seconds = []
        for day in (date(2017, 3, 1), date(2018, 5, 2), date(2016, 7, 7)):
            seconds.append(await user.change(day))  # checks dates shown and map data new
        assert all(0 < s < 60 for s in seconds)
        assert user.key != first_key
        # The same date again: the run redraws the same events, which the user reports.
        with pytest.raises(RuntimeError, match="did not change"):
            await user.change(date(2016, 7, 7))
        await user.close()

    asyncio.run(go())


def test_the_run_is_the_widgets_value(app):
    """What the server ran is what was sent: the page states the dates set, and another
    session on the same server is not affected."""

    async def go():
        one, two = Session(app, timeout=60), Session(app, timeout=60)
        await one.open()
        opened = await two.open()
        run = await one.set_dates("Event dates", date(2017, 5, 6), date(2017, 6, 30))
        assert any("(06 May 2017 to 30 Jun 2017)" in m for m in run.markdown())
        assert run.component("streamlit_folium.st_folium") is not None
        assert not run.exceptions()
        again = await two.rerun()  # a rerun with no change: the whole range still
        shown = [m for m in again.markdown() if m.startswith("**Showing")]
        assert shown == [m for m in opened.markdown() if m.startswith("**Showing")]
        await one.close()
        await two.close()

    asyncio.run(go())


def test_a_date_change_sends_every_widget_and_runs_the_maps_part_alone(app):
    """As a browser does, the session sends every widget's value with a change, so the
    Map's filter change reruns only the map's part of the page (a fragment): its run
    names the new dates and draws the map, and the other filters keep their values."""

    async def go():
        session = Session(app, timeout=60)
        opened = await session.open()
        assert not opened.fragment
        assert len(session.states) >= 5  # the sidebar's filters and the map's choices
        for day in (date(2017, 5, 6), date(2016, 2, 3)):
            run = await session.set_dates("Event dates", day, date(2017, 6, 30))
            assert run.fragment, "a date change ran the whole page"
            assert not run.exceptions()
            assert any(f"({day:%d %b %Y} to 30 Jun 2017)" in m for m in run.markdown())
            assert run.component("streamlit_folium.st_folium") is not None
        # the whole page again (no change): it shows the dates the fragment ran with
        again = await session.rerun()
        assert not again.fragment
        assert any("(03 Feb 2016 to 30 Jun 2017)" in m for m in again.markdown())
        await session.close()

    asyncio.run(go())
