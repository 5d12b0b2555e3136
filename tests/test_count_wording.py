"""Counts in words, singular or plural as the number asks (geo.wording): "The 1 events
within 25 km" read on the Place report. The pages tested on the shipped data with filters
that give exactly one event."""

from __future__ import annotations

from datetime import date

import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from geo.wording import count, plural
from views.text import plain

#: The one shipped event of 29 Nov 2019 (6 deaths), 13 km from Jisr al-Shughur.
ALONE = (date(2019, 11, 29), "Jisr al-Shughur")


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
