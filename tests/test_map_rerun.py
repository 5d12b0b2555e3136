"""What a date change on the Map page costs besides its answer: only the map's part of the
page is run and sent again (the navigation and the filters stay as they are in the
browser), and no spinner's timer thread starts for the quick cached steps (the filter's
mask, the map's view, the zones of a date), whose start costs milliseconds of a busy
server on every change."""

from __future__ import annotations

import threading
from datetime import date

import streamlit as st
from streamlit.testing.v1 import AppTest
from test_app import event_view_payload, showing

from conftest import ROOT, stdlib_count, whole_page


class _CountedTimer(threading.Timer):
    started = 0

    def start(self):
        type(self).started += 1
        super().start()


def test_a_date_change_starts_no_spinner_timer(store_env, monkeypatch):
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    monkeypatch.setattr(threading, "Timer", _CountedTimer)  # the spinner's delay timer
    for start, end in (
        (date(2017, 3, 1), date(2019, 12, 31)),
        (date(2017, 3, 1), date(2018, 6, 30)),
    ):
        # a new start, then a new end
        whole_page(at).date_input(key="dates").set_value((start, end)).run()
        assert not at.exception, at.exception
    assert _CountedTimer.started == 0


def _map() -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert at.get("page_link") and at.sidebar.date_input  # the whole page, on a first run
    return at


def test_a_filter_change_on_the_map_reruns_only_the_map(store_env):
    at = _map()
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 5, 31))).run()
    assert not at.exception, at.exception
    # neither the navigation nor the filters were run and sent again: only the map's part
    assert not at.get("page_link") and not at.sidebar.children
    expected = stdlib_count("2017-05-01", "2017-05-31")
    assert showing(at)[0] == expected == event_view_payload(at)["n"]
    assert any("Zones as of 31 May 2017" in c.value for c in at.caption)
    whole_page(at).multiselect(key="types").set_value(["Air strike"]).run()
    assert not at.get("page_link")
    expected = stdlib_count("2017-05-01", "2017-05-31", {"Air strike"})
    assert showing(at)[0] == expected == event_view_payload(at)["n"]
    # the Map's own choices (the zones' date, the basemap) make a new map: the whole page
    whole_page(at).checkbox(key="zones_follow").uncheck().run()
    assert at.get("page_link") and at.sidebar.date_input(key="zones_as_of")


def test_a_filter_change_on_another_page_reruns_the_whole_page(store_env):
    at = _map()
    at.switch_page("pages/events.py").run()
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 5, 31))).run()
    assert not at.exception, at.exception
    assert at.get("page_link") and showing(at)[0] == stdlib_count("2017-05-01", "2017-05-31")


def test_a_note_in_the_sidebar_is_redrawn_by_a_whole_page_rerun(store_env):
    """A half-picked range is said in a note beside the filters: the change that shows the
    note, and the one after it, rerun the whole page, so the note never stays stale."""
    at = _map()
    at.date_input(key="dates").set_value((date(2017, 5, 1),)).run()
    assert at.get("page_link") and any("Pick an end date" in i.value for i in at.info)
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 5, 31))).run()
    assert at.get("page_link") and not any("Pick an end date" in i.value for i in at.info)
    assert showing(at)[0] == stdlib_count("2017-05-01", "2017-05-31")
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 6, 30))).run()
    assert not at.get("page_link")  # no note before or after: the map's part alone


def test_a_write_since_the_last_whole_run_reruns_the_whole_page(fresh_store_path, tmp_path):
    """A filter change reruns only the map's part, which uses the data of the page's last
    whole run. Events imported meanwhile (another tab, the command line, another app
    process) must show on the next change, as on every other page: the page runs whole."""
    from test_pg_processes import _ucdp_file

    at = _map()
    _, total = showing(at)
    csv_path = tmp_path / "ucdp_export.csv"
    _ucdp_file(csv_path, 40, tag=991_000_000)
    from geo.cli import main as cli

    assert cli(["import-events", "--format", "ucdp", str(csv_path)]) == 0
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 5, 31))).run()
    assert not at.exception, at.exception
    assert at.get("page_link")  # the whole page ran again
    assert showing(at)[1] == total + 40
    # and the next change, with nothing written, is the map's part alone again
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 6, 30))).run()
    assert not at.get("page_link") and showing(at)[1] == total + 40
