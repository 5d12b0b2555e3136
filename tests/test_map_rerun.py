"""What a date change on the Map page costs besides its answer: only the map's part of the
page is run and sent again (the navigation and the filters stay as they are in the
browser), and no spinner's timer thread starts for the quick cached steps (the filter's
mask, the map's view, the zones of a date), whose start costs milliseconds of a busy
server on every change."""

from __future__ import annotations

import json
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


def _map_script(at: AppTest) -> str:
    """The script of the map's base (zones, places, boundaries) the page last sent."""
    return json.loads(at.get("component_instance")[0].proto.json_args)["script"]


def _import(tmp_path, n: int, tag: int, day: str | None = None) -> None:
    """``zonewatch import-events`` of ``n`` shipped UCDP rows under new ids (all on
    ``day`` when given), as another tab, the command line or another app process does."""
    import csv

    from test_pg_processes import _ucdp_file

    from geo.cli import main as cli

    path = tmp_path / f"ucdp_{tag}.csv"
    _ucdp_file(path, n, tag=tag)
    if day is not None:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            row.update(date_start=day, date_end=day, year=day[:4])
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    assert cli(["import-events", "--format", "ucdp", str(path)]) == 0


def test_events_imported_since_the_last_whole_run_show_in_the_map_part_alone(
    fresh_store_path, tmp_path
):
    """A filter change reruns only the map's part, which uses the data of the page's last
    whole run. Events imported meanwhile must show on the next change, as on every other
    page. When they bring no new type, dataset or first or last date, the rest of the page
    (the navigation, the filters) would be drawn the same: the map's part alone runs, with
    the store's new data, and the map's base (zones, places, boundaries: an import does not
    change them) is not made and sent anew."""
    at = _map()  # a whole run
    _, total = showing(at)
    script = _map_script(at)  # the zones as of the last date
    last = at.date_input(key="dates").value[1]
    _import(tmp_path, 40, tag=991_000_000)  # (dated 2016)
    at.date_input(key="dates").set_value((date(2017, 5, 1), last)).run()
    assert not at.exception, at.exception
    assert not at.get("page_link")  # the map's part alone
    assert showing(at) == (stdlib_count("2017-05-01", last.isoformat()), total + 40)
    assert _map_script(at) == script  # the same base map: not made again
    # the next whole run draws the new data too
    assert whole_page(at).get("page_link") and showing(at)[1] == total + 40


def test_events_imported_past_the_last_date_rerun_the_whole_page(fresh_store_path, tmp_path):
    """Events later than any before widen the date filter's bounds (and its range, when it
    reached the last date): the next change runs the whole page, filters and all."""
    at = _map()
    _, total = showing(at)
    last = at.date_input(key="dates").value[1]
    _import(tmp_path, 3, tag=992_000_000, day="2024-06-01")
    at.date_input(key="dates").set_value((date(2017, 5, 1), last)).run()
    assert not at.exception, at.exception
    assert at.get("page_link")  # the whole page ran again
    assert at.date_input(key="dates").value == (date(2017, 5, 1), date(2024, 6, 1))
    assert showing(at)[1] == total + 3


def test_a_zone_saved_since_the_last_whole_run_reruns_the_whole_page(fresh_store_path):
    """A zone saved elsewhere changes what the filters list and the map draws: the next
    change runs the whole page, which shows the new version."""
    from test_store import _changed_zone

    from geo.store import open_store

    at = _map()
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 8, 31))).run()
    assert not at.get("page_link")
    before = [c.value for c in whole_page(at).caption if c.value.startswith("Zones as of")]
    store = open_store()
    store.add_zone_version(_changed_zone(store), who="ana", file_name="g.geojson", sha256="ab" * 32)
    at.date_input(key="dates").set_value((date(2017, 5, 2), date(2017, 8, 31))).run()
    assert not at.exception, at.exception
    assert at.get("page_link")  # the whole page ran again
    after = [c.value for c in at.caption if c.value.startswith("Zones as of")]
    assert after and after != before
