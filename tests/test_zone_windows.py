"""Before/after windows the data or the zone's life do not cover (issue 15, item 12): both
windows are shortened, equally, to the days covered, the page warns, and with no day
covered there is no percentage. Figures against a recount with csv + ray casting."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from test_cli import zw

from conftest import DATA, ROOT, stdlib_rows
from independent import in_geojson_polygon


def test_windows_are_shortened_to_the_days_covered():
    from geo.analysis import window_days

    assert window_days("2017-05-06", 90) == 90
    # data until 01 Dec 2019: the after window 01 Oct - 01 Dec is 62 days
    assert window_days("2019-10-01", 90, date(2016, 1, 1), date(2019, 12, 1)) == 62
    # data from 01 Jan 2016: the before window 01 Jan - 30 Jan is 30 days
    assert window_days("2016-01-31", 90, date(2016, 1, 1), date(2019, 12, 1)) == 30
    assert window_days("2019-12-02", 90, date(2016, 1, 1), date(2019, 12, 1)) == 0
    assert window_days("2016-01-01", 90, date(2016, 1, 1), date(2019, 12, 1)) == 0


def test_the_window_stops_the_day_before_the_zone_ended(session_store_path):
    from geo.analysis import comparison_window
    from geo.store.gpkg import GeoPackageStore

    versions = GeoPackageStore.open(session_store_path, seed=False).zone_versions()
    # Eastern Ghouta ended on 14 Apr 2018: after 01 Mar, 44 days are left (to 13 Apr)
    days, note = comparison_window(
        versions, "eastern_ghouta", date(2018, 3, 1), 90, date(2016, 1, 1), date(2019, 12, 1)
    )
    assert days == 44
    assert "the zone ended on 14 Apr 2018" in note and "44 days" in note
    # data end first, then the zone: the nearer limit wins, and both are named when both cut
    days, note = comparison_window(
        versions, "eastern_ghouta", date(2018, 3, 1), 90, date(2016, 1, 1), date(2018, 3, 20)
    )
    assert days == 20 and "the events shown end on 20 Mar 2018" in note
    days, note = comparison_window(
        versions, "idlib", date(2017, 5, 6), 90, date(2016, 1, 1), date(2019, 12, 1)
    )
    assert (days, note) == (90, "")
    days, note = comparison_window(
        versions, "eastern_ghouta", date(2018, 5, 1), 90, date(2016, 1, 1), date(2019, 12, 1)
    )
    assert days == 0 and note.startswith("No before/after comparison")


@pytest.fixture(scope="module")
def idlib_versions(session_store_path):
    out = zw("zones", "export", "--all-versions", env_store=session_store_path)
    assert out.returncode == 0, out.stderr
    return {
        int(f["properties"]["version"]): (f["properties"]["valid_from"][:10], f["geometry"])
        for f in json.loads(out.stdout)["features"]
        if f["properties"]["zone_id"] == "idlib"
    }


def _recount(geometry, first: date, last: date) -> int:
    """Shipped events starting in [first, last] inside ``geometry`` (coarse ones too)."""
    n = 0
    for path, start_col in (
        (DATA / "ucdp" / "ged_syria.csv", "date_start"),
        (DATA / "events" / "curated_strikes.csv", "date_start"),
    ):
        for r in stdlib_rows(path):
            day = date.fromisoformat(r[start_col][:10])
            if first <= day <= last and in_geojson_polygon(
                float(r["longitude"]), float(r["latitude"]), geometry
            ):
                n += 1
    return n


def test_a_window_past_the_data_is_shortened_not_shown_as_minus_100(store_env, idlib_versions):
    from geo.report import comparison_table, report_csv, zone_report
    from geo.store import open_store

    store = open_store()
    events = store.events()
    last = events["date_end"].max().date()  # the data end on 01 Dec 2019
    pivot = date(2019, 10, 1)
    report = zone_report(
        events,
        store.zone_versions(),
        "idlib",
        zone_name="Idlib",
        freq="month",
        pivot=pivot,
        days=90,
        km=20,
        exclude_coarse=False,
        start=events["date_start"].min().date(),
        end=last,
    )
    days = (last - pivot).days + 1
    assert report.days == days < 90 and report.asked_days == 90
    assert f"{last:%d %b %Y}" in report.window_note
    after, before = report.zone_ba["after"], report.zone_ba["before"]
    assert after["last"] == pd.Timestamp(last)
    assert before["first"] == pd.Timestamp(pivot - timedelta(days=days))
    # the boundary in force on the pivot (version 4, 23 Aug 2019), recounted independently
    valid_from, geometry = idlib_versions[4]
    assert valid_from <= pivot.isoformat()
    b = _recount(geometry, pivot - timedelta(days=days), pivot - timedelta(days=1))
    a = _recount(geometry, pivot, last)
    assert (before["events"], after["events"]) == (b, a) and b > 0 and a > 0
    zone = comparison_table(report).iloc[0]
    assert zone["change %"] == f"{(a - b) / b * 100:+.0f}%" != "-100%"
    assert "window" not in report_csv(report).splitlines()[0]  # the CSV keeps its columns


def test_no_percentage_when_no_day_is_covered(store_env):
    from geo.report import comparison_table, report_html, zone_report
    from geo.store import open_store

    store = open_store()
    events = store.events()
    report = zone_report(
        events,
        store.zone_versions(),
        "eastern_ghouta",
        zone_name="Eastern Ghouta",
        freq="month",
        pivot=date(2018, 6, 1),  # after the zone ended
        days=90,
        km=20,
        exclude_coarse=True,
        start=date(2016, 1, 1),
        end=date(2019, 12, 1),
    )
    assert report.days == 0 and "No before/after comparison" in report.window_note
    table = comparison_table(report)
    assert set(table["change %"]) == {"n/a (no window covered)"}
    assert "No before/after comparison" in report_html(report, "<p>map</p>", "test")


def test_the_page_warns_about_a_shortened_window(store_env):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/zone_report.py").run()
    at.selectbox(key="zone").set_value("idlib").run()
    at.date_input(key="pivot").set_value(date(2019, 10, 1)).run()
    assert not at.exception, at.exception
    (warning,) = at.warning
    assert "shortened to 62 days" in warning.value.replace("\\", "")
    assert "01 Dec 2019" in warning.value
    table = at.dataframe[0].value
    assert "-100%" not in set(table["change %"])
    assert any("after: 01 Oct 2019 to 01 Dec 2019" in c.value for c in at.caption)
