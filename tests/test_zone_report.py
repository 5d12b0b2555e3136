"""The Zone report page and the before/after arithmetic behind it."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import shapely
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from geo import analysis
from geo.zones import area_km2


def _events(days_and_fatalities):
    return pd.DataFrame(
        {
            "date_start": pd.to_datetime([d for d, _ in days_and_fatalities]),
            "fatalities_best": [f for _, f in days_and_fatalities],
        }
    )


def test_before_after_uses_equal_windows_and_says_when_there_is_no_base():
    ev = _events(
        [
            ("2017-03-01", 5),
            ("2017-05-05", 1),
            ("2017-05-06", 2),
            ("2017-08-03", 3),
            ("2017-08-04", 100),
            ("2017-02-04", 100),
        ]
    )
    r = analysis.before_after(ev, "2017-05-06", 90)
    assert (r["before"]["first"], r["before"]["last"]) == (
        pd.Timestamp("2017-02-05"),
        pd.Timestamp("2017-05-05"),
    )
    assert (r["after"]["first"], r["after"]["last"]) == (
        pd.Timestamp("2017-05-06"),
        pd.Timestamp("2017-08-03"),
    )
    assert (r["before"]["events"], r["before"]["fatalities"]) == (2, 6)
    assert (r["after"]["events"], r["after"]["fatalities"]) == (2, 5)
    assert r["events_change"] == 0 and r["events_change_pct"] == 0
    assert r["fatalities_change_pct"] == pytest.approx(-100 / 6)
    both = analysis.around(ev, "2017-05-06", 90)  # the two windows, nothing outside
    assert sorted(both["fatalities_best"]) == [1, 2, 3, 5]
    empty = analysis.before_after(_events([("2017-06-01", 1)]), "2017-05-06", 90)
    assert empty["events_change_pct"] is None  # nothing before: no percentage


def test_ring_is_a_band_of_the_asked_width_outside_the_zone():
    square = shapely.box(36.3, 33.5, 36.5, 33.6)
    band = analysis.ring(square, 10)
    assert not band.intersects(square.buffer(-1e-6))
    assert band.contains(shapely.Point(36.4, 33.6 + 0.05))  # ~5.5 km north
    assert not band.contains(shapely.Point(36.4, 33.6 + 0.12))  # ~13 km north
    # area of a 10 km buffer minus the square: perimeter*10 + pi*10^2, about
    width = area_km2(square)
    assert area_km2(band) == pytest.approx(2 * (18.5 + 11.1) * 10 + 3.1416 * 100, rel=0.05), width


def test_zone_report_page_counts_match_the_functions(store_env):
    from geo.store import open_store

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("views/zone_report.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="report_zone").set_value("eastern_ghouta").run()
    at.number_input(key="report_days").set_value(60).run()
    assert not at.exception
    store = open_store()
    events = store.events()
    events = events[~analysis.is_coarse(events)]
    versions = store.zone_versions()
    row = analysis.boundary_at(versions, "eastern_ghouta", date(2017, 5, 6))
    expected = analysis.before_after(analysis.inside(events, row.geometry), "2017-05-06", 60)
    (frame,) = at.dataframe
    table = frame.value
    zone = table.iloc[0]
    assert zone["events before"] == expected["before"]["events"]
    assert zone["events after"] == expected["after"]["events"]
    assert expected["before"]["events"] > 0 and expected["after"]["events"] > 0
    in_zone = analysis.in_zone(events, versions, "eastern_ghouta")
    assert any(f"{len(in_zone):,} events" in c.value for c in at.caption)
