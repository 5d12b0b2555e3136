"""Events around places in time: the app's counts against a brute-force Vincenty count."""

from __future__ import annotations

import math
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

    from geo.analysis import is_coarse, place_counts
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
    shown = shown[~is_coarse(shown)]  # coarse locations left out (the default)
    expected = place_counts(shown, store.places(), ["Raqqa", "Palmyra (Tadmur)"], 40.0)
    totals = at.dataframe[0].value.set_index("place")
    for name in ("Raqqa", "Palmyra (Tadmur)"):
        want = expected.loc[expected["place"] == name, "events"].sum()
        assert totals.loc[name, "events"] == want
    assert totals.loc["Raqqa", "events"] > 50  # the battle for Raqqa, June-October 2017


def _shipped_with_fatalities():
    """(dataset id, start day, lon, lat, best fatalities) of every shipped event, read from
    the CSVs with the csv module."""
    from conftest import DATA, stdlib_rows

    out = [
        (r["id"], r["date_start"][:10], float(r["longitude"]), float(r["latitude"]), r["best"])
        for r in stdlib_rows(DATA / "ucdp" / "ged_syria.csv")
    ]
    out += [
        (
            r["dataset_id"],
            r["date_start"][:10],
            float(r["longitude"]),
            float(r["latitude"]),
            r["fatalities_best"],
        )
        for r in stdlib_rows(DATA / "events" / "curated_strikes.csv")
    ]
    return [(i, day, lon, lat, int(best) if best else 0) for i, day, lon, lat, best in out]


def _brute_force_near(places, names, km):
    """{place: [(id, day, fatalities)]} of the shipped events within ``km`` (Vincenty)."""
    from geo.filters import find_place

    events = _shipped_with_fatalities()
    near = {}
    for name in names:
        lat0, lon0, _ = find_place(places, name)
        near[name] = [
            (i, day, best)
            for i, day, lon, lat, best in events
            if abs(lat - lat0) < 0.5
            and abs(lon - lon0) < 0.6
            and vincenty_km(lat0, lon0, lat, lon) <= km
        ]
    return near


def test_place_report_figures_match_a_brute_force_count(store_env):
    """Homs and Rastan are 20 km apart: within 25 km an event can be near both, and then
    counts for both places but is one event on the map."""
    from datetime import date

    from geo.place_report import place_report
    from geo.store import open_store

    store = open_store()
    places, events = store.places(), store.events()
    names, km, start = ["Homs", "Rastan"], 25.0, date(2016, 7, 1)
    report = place_report(events, places, names, km, "month", start=start, types=None)
    theirs = _brute_force_near(places, names, km)

    totals = report.totals.set_index("place")
    assert list(totals.index) == names
    for name in names:
        assert totals.loc[name, "events"] == len(theirs[name]) > 20
        assert totals.loc[name, "fatalities"] == sum(best for _, _, best in theirs[name])
    # the chart: each event in its month from the start; the earlier ones are counted apart
    early = [e for name in names for e in theirs[name] if e[1] < start.isoformat()]
    assert report.early == len(early) > 0
    per_place = report.per_period.groupby("place")["events"].sum()
    for name in names:
        assert per_place[name] == sum(1 for e in theirs[name] if e[1] >= start.isoformat())
    months = Counter(
        (name, day[:7]) for name in names for _, day, _ in theirs[name] if day >= "2016-07"
    )
    got = {
        (r.place, f"{r.period:%Y-%m}"): r.events for r in report.per_period.itertuples() if r.events
    }
    assert got == dict(months)
    # the map: each event once, however many places it is near, in the order given
    both = {i for i, _, _ in theirs["Homs"]} & {i for i, _, _ in theirs["Rastan"]}
    assert both, "the test needs events near both places"
    ids = {i for name in names for i, _, _ in theirs[name]}
    assert len(report.near) == len(ids) == sum(map(len, theirs.values())) - len(both)
    assert report.near.index.is_unique and report.near.index.is_monotonic_increasing


def test_place_report_focus_is_the_discs_around_the_places(store_env):
    import pyproj
    import shapely

    from geo.filters import find_place
    from geo.place_report import place_report
    from geo.store import open_store

    store = open_store()
    places = store.places()
    report = place_report(store.events(), places, ["Raqqa", "Palmyra (Tadmur)"], 10.0)
    geod = pyproj.Geod(ellps="WGS84")
    area_km2 = abs(geod.geometry_area_perimeter(report.focus)[0]) / 1e6
    assert abs(area_km2 - 2 * math.pi * 10**2) < 0.02 * 2 * math.pi * 10**2  # two 10 km discs
    for name in ("Raqqa", "Palmyra (Tadmur)"):
        lat, lon, _ = find_place(places, name)
        for azimuth in (0, 90, 180, 270):
            inner_lon, inner_lat, _ = geod.fwd(lon, lat, azimuth, 9_800)
            outer_lon, outer_lat, _ = geod.fwd(lon, lat, azimuth, 10_200)
            assert report.focus.contains(shapely.Point(inner_lon, inner_lat))
            assert not report.focus.contains(shapely.Point(outer_lon, outer_lat))


def test_place_report_of_no_place_or_no_event_is_empty(store_env):
    from geo.place_report import place_report
    from geo.store import open_store

    store = open_store()
    places, events = store.places(), store.events()
    nothing = place_report(events, places, [], 25.0)
    assert nothing.totals.empty and nothing.near.empty and nothing.early == 0
    quiet = place_report(events.iloc[0:0], places, ["Raqqa"], 25.0)
    assert quiet.totals.to_dict("records") == [{"place": "Raqqa", "events": 0, "fatalities": 0}]
    assert quiet.near.empty and quiet.per_period["events"].sum() == 0


def test_the_circles_the_figures_count_in_are_drawn_on_the_map(store_env):
    """The figures counted within R km of each place, but the map drew no circle (as the
    Zone report drew no ring): each place's disc is a layer of the map, under the events."""
    import json

    import shapely
    from test_app import layer_payload

    from geo.place_report import place_report
    from geo.store import open_store

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/place_report.py").run()
    at.number_input(key="radius").set_value(30).run()
    assert not at.exception, at.exception
    (script,) = [json.loads(c.proto.json_args)["script"] for c in at.get("component_instance")]
    circles = layer_payload(script, "shapes")
    labels = [f["properties"]["label"] for f in circles["features"]]
    assert labels == ["within 30 km of Raqqa", "within 30 km of Palmyra (Tadmur)"]
    assert script.index("window.zw.shapes(") < script.index("window.zw.events(")
    store = open_store()
    want = place_report(store.events(), store.places(), ["Raqqa", "Palmyra (Tadmur)"], 30.0)
    drawn = [shapely.geometry.shape(f["geometry"]) for f in circles["features"]]
    for disc, (_, expected) in zip(drawn, want.discs, strict=True):
        assert abs(disc.area - expected.area) < 0.01 * expected.area
    assert abs(shapely.union_all(drawn).area - want.focus.area) < 0.01 * want.focus.area
    assert any("(the circles of 30 km, grey, dashed)" in c.value for c in at.caption)


def _shipped_coarse_ids() -> set[str]:
    """The ids of the shipped events placed only at a governorate's centroid or coarser
    (UCDP where_prec 4 and up; the curated events' own words), read with the csv module."""
    from conftest import DATA, stdlib_rows

    ucdp = {
        r["id"] for r in stdlib_rows(DATA / "ucdp" / "ged_syria.csv") if int(r["where_prec"]) >= 4
    }
    coarse = {"admin1", "region", "country", "international"}
    curated = stdlib_rows(DATA / "events" / "curated_strikes.csv")
    return ucdp | {r["dataset_id"] for r in curated if r["location_precision"] in coarse}


def test_the_place_report_leaves_out_coarse_locations_as_the_zone_report_does(store_env):
    """The Place report counted events placed only at a governorate's centroid within R km
    of a place (61 near Raqqa, 54 near Palmyra at 25 km), while the Events table gives them
    no nearest place: as the Zone report, it leaves them out by default, and says how many."""
    from geo.store import open_store

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/place_report.py").run()
    assert not at.exception, at.exception
    box = at.checkbox(key="place_coarse")
    assert box.label == "Leave out coarse locations" and box.value is True
    wording = (box.label, box.value, box.help)  # the same as the Zone report's, below
    names = ["Raqqa", "Palmyra (Tadmur)"]
    theirs = _brute_force_near(open_store().places(), names, 25.0)
    coarse = _shipped_coarse_ids()
    left_out = {i for name in names for i, _, _ in theirs[name] if i in coarse}
    assert len(left_out) > 50
    for leave_out in (True, False):
        totals = at.dataframe[0].value.set_index("place")
        for name in names:
            want = [e for e in theirs[name] if not (leave_out and e[0] in coarse)]
            assert totals.loc[name, "events"] == len(want), (leave_out, name)
            assert totals.loc[name, "fatalities"] == sum(best for _, _, best in want)
        said = f"({len(left_out):,} coarse ones left out)"
        assert any(said in c.value for c in at.caption) == leave_out
        at.checkbox(key="place_coarse").uncheck().run()
    zone = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    zone.run()
    zone.switch_page("pages/zone_report.py").run()
    (zone_box,) = [c for c in zone.checkbox if c.key == "coarse"]
    assert (zone_box.label, zone_box.value, zone_box.help) == wording
