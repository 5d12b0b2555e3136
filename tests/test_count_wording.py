"""Counts in words, singular or plural as the number asks (geo.wording): "The 1 events
within 25 km" read on the Place report. The pages tested on the shipped data with filters
that give exactly one event, and the count charts' y axis in whole numbers (it read
"0.000000" when every value was 0)."""

from __future__ import annotations

import json
from datetime import date

import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from geo.wording import count, plural
from views.text import plain

#: The one shipped event of 29 Nov 2019 (6 deaths), 13 km from Jisr al-Shughur.
ALONE = (date(2019, 11, 29), "Jisr al-Shughur")
#: Of the events of 7 Feb 2016, the one within 25 km of Idlib, with no death.
NO_DEATH = (date(2016, 2, 7), "Idlib")


def test_one_is_singular_and_every_other_number_plural():
    assert count(1, "event") == "1 event"
    assert count(0, "event") == "0 events"
    assert count(6418, "event") == "6,418 events"
    assert count(1, "fatality", "fatalities") == "1 fatality"
    assert count(2, "fatality", "fatalities") == "2 fatalities"
    assert plural(1, "is", "are") == "is" and plural(3, "is", "are") == "are"


def _place_report(day: date, place: str) -> AppTest:
    """The app on the Place report, around ``place`` alone, on ``day``."""
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/place_report.py").run()
    at.multiselect(key="places").set_value([place]).run()
    at.date_input(key="dates").set_value((day, day)).run()
    assert not at.exception, at.exception
    return at


def _y_axes(at: AppTest) -> list[dict]:
    """The y encodings of the page's Vega-Lite charts (a vconcat's parts each)."""
    out = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        out += [part["encoding"]["y"] for part in spec.get("vconcat", [spec])]
    return out


def test_the_pages_say_one_event_in_the_singular(store_env):
    day, place = ALONE
    at = _place_report(day, place)
    captions = [c.value for c in at.caption]
    shown = f"Of the 1 event shown ({day:%d %b %Y}), within 25 km of each place"
    assert f"{shown} (0 coarse ones left out):" in captions
    assert any(c.startswith(f"The 1 event within 25 km of {plain(place)} (") for c in captions)
    assert not any("1 events" in c or "1 fatalities" in c for c in captions), captions

    at.switch_page("pages/events.py").run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert any(c.startswith("1 event, 6 fatalities (best estimates).") for c in captions), captions


def test_the_count_charts_have_whole_numbers_on_their_axis(store_env):
    day, place = NO_DEATH
    at = _place_report(day, place)
    captions = [c.value for c in at.caption]
    assert any(c.startswith(f"The 1 event within 25 km of {plain(place)} (") for c in captions)
    assert at.dataframe[0].value["fatalities"].tolist() == [0]  # the chart's values: all 0
    axes = _y_axes(at)
    assert [y["title"] for y in axes] == ["Events", "Fatalities (best estimate)"]
    for y in axes:
        assert y["axis"]["format"] == ",d" and y["axis"]["tickMinStep"] == 1, y
        assert y["scale"]["domain"] == {"unionWith": [0, 1]}, y  # zeros at the axis's foot

    at.switch_page("pages/events.py").run()
    axes = _y_axes(at)
    assert [y["title"] for y in axes] == ["Events", "Fatalities"]
    for y in axes:
        assert y["axis"]["format"] == ",d" and y["axis"]["tickMinStep"] == 1, y
