"""Events around places in time: the app's counts against a brute-force Vincenty count."""

from __future__ import annotations

from collections import Counter

import streamlit as st
from streamlit.testing.v1 import AppTest
from test_zone_analysis import _shipped_events

from conftest import ROOT
from independent import vincenty_km


def _month(day: str) -> str:
    return day[:7] + "-01"


def test_place_counts_match_a_brute_force_vincenty_count(store_env):
    from geo.analysis import place_counts
    from geo.filters import find_place
    from geo.store import open_store

    store = open_store()
    places = store.places()
    km = 25.0
    table = place_counts(store.events(), places, ["Raqqa", "palmyra"], km, "month")
    mine = Counter()
    for r in table.itertuples(index=False):
        mine[(r.place, f"{r.period:%Y-%m-%d}")] += int(r.events)

    theirs = Counter()
    for name in ("Raqqa", "Palmyra (Tadmur)"):
        lat0, lon0, _ = find_place(places, name)
        for _ds, _id, day, lon, lat, _coarse in _shipped_events():
            if abs(lat - lat0) < 0.5 and abs(lon - lon0) < 0.6:
                if vincenty_km(lat0, lon0, lat, lon) <= km:
                    theirs[(name, _month(day))] += 1
    assert mine == theirs
    assert sum(v for (p, _), v in theirs.items() if p == "Raqqa") > 200
    assert sum(v for (p, _), v in theirs.items() if p.startswith("Palmyra")) > 50


def test_near_place_keeps_the_events_within_the_radius():
    import pandas as pd

    from geo.analysis import near_place

    events = pd.DataFrame({"latitude": [35.95, 36.2, 35.95], "longitude": [39.01, 39.01, 39.3]})
    near = near_place(events, 35.95, 39.01, 25)
    assert list(near.index) == [0]  # 28 km north and 26 km east are outside
    assert near_place(events.iloc[0:0], 35.95, 39.01, 25).empty


def test_place_report_page_follows_the_filters(store_env):
    from datetime import date

    from geo.analysis import place_counts
    from geo.filters import EventFilter, select_events
    from geo.store import open_store

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/place_report.py").run()
    assert not at.exception, at.exception
    assert at.multiselect(key="places").value == ["Raqqa", "Palmyra (Tadmur)"]
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 10, 31))).run()
    at.number_input(key="radius").set_value(40).run()
    assert not at.exception, at.exception
    store = open_store()
    shown = select_events(store, EventFilter(start=date(2017, 5, 1), end=date(2017, 10, 31)))
    expected = place_counts(shown, store.places(), ["Raqqa", "Palmyra (Tadmur)"], 40.0)
    totals = at.dataframe[0].value.set_index("place")
    for name in ("Raqqa", "Palmyra (Tadmur)"):
        want = expected.loc[expected["place"] == name, "events"].sum()
        assert totals.loc[name, "events"] == want
    assert totals.loc["Raqqa", "events"] > 50  # the battle for Raqqa, June-October 2017
