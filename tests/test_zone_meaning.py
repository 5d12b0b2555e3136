"""One meaning of "inside a zone" everywhere (issue 15, item 4): the zone's version in force
on the day the event began. The CLI's ``events --zone``, the "Inside zones" filter (pandas
and the in-memory index), the Zone report and ``zones stats`` are compared with each other
and with an independent count (csv + ray casting over the exported versions), on both
engines."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import date

import pandas as pd
import pytest
from test_cli import zw

from conftest import DATA, stdlib_rows
from independent import in_geojson_polygon, in_zone_on


@pytest.fixture(scope="module")
def features(session_store_path):
    """Every zone version, as ``zones export --all-versions`` writes them."""
    out = zw("zones", "export", "--all-versions", env_store=session_store_path)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["features"]


def _shipped():
    """(start day, end day, lon, lat) of every shipped event, read with the csv module."""
    rows = stdlib_rows(DATA / "ucdp" / "ged_syria.csv") + stdlib_rows(
        DATA / "events" / "curated_strikes.csv"
    )
    return [
        (r["date_start"][:10], r["date_end"][:10], float(r["longitude"]), float(r["latitude"]))
        for r in rows
    ]


def _independent(features, zone_id, first, last):
    """(events overlapping [first, last] inside the zone's version of their start day,
    of which started before ``first``)."""
    overlap = early = 0
    for start, end, lon, lat in _shipped():
        if start <= last and end >= first and in_zone_on(features, zone_id, start, lon, lat):
            overlap += 1
            early += start < first
    return overlap, early


def _latest_boundary_count(features, zone_id, first, last):
    """The old meaning (the zone's latest boundary, whatever the date), to show the test
    tells the two apart."""
    latest = max(
        (f for f in features if f["properties"]["zone_id"] == zone_id),
        key=lambda f: (f["properties"]["status"] != "ended", f["properties"]["valid_from"]),
    )["geometry"]
    return sum(
        1
        for start, end, lon, lat in _shipped()
        if start <= last and end >= first and in_geojson_polygon(lon, lat, latest)
    )


def _env() -> dict:
    return {k: os.environ[k] for k in ("ZONEWATCH_STORE", "DATABASE_URL") if k in os.environ}


CASES = [
    # the example: 114 (each zone's latest boundary) against 261
    ("idlib", "2017-05-06", "2017-12-31", False),
    # across Idlib's versions of 15 Sep 2017, 21 Jan 2018 and 23 Aug 2019; an event of
    # 8-10 May 2017 began before the dates
    ("idlib", "2017-05-09", "2019-12-31", True),
    # a zone that ended on 14 Apr 2018; an event of 9-10 May 2017 began before the dates
    ("eastern_ghouta", "2017-05-10", "2018-12-31", True),
]


@pytest.mark.parametrize(("zone_id", "first", "last", "some_began_before"), CASES)
def test_events_zone_report_and_stats_agree_with_an_independent_count(
    make_store, features, zone_id, first, last, some_began_before
):
    from geo.eventindex import EventIndex
    from geo.filters import EventFilter, select_events
    from geo.report import timeline_totals, zone_report
    from geo.timeline import before_range

    store = make_store()
    want, early = _independent(features, zone_id, first, last)
    assert want > 50  # a real test
    assert (early > 0) == some_began_before
    assert want != _latest_boundary_count(features, zone_id, first, last)

    # the CLI, as a user runs it
    out = zw(
        "events", "--zone", zone_id, "--from", first, "--to", last, "--format", "count", env=_env()
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == want

    # the shared filter: through the store (the pages' table) and through the index (map)
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    versions = store.zone_versions()
    flt = EventFilter(start=start, end=end, zones=(zone_id,))
    assert len(select_events(store, flt, versions)) == want
    index = EventIndex.from_frame(store.event_columns())
    assert int(index.mask(flt, versions).sum()) == want

    # the Zone report over the same dates (no zone filter; coarse locations kept)
    shown = select_events(store, EventFilter(start=start, end=end), versions)
    report = zone_report(
        shown,
        versions,
        zone_id,
        zone_name=zone_id,
        freq="month",
        pivot=start,
        days=30,
        km=10,
        exclude_coarse=False,
        start=start,
        end=end,
    )
    assert timeline_totals(report)["events"] == want
    # its chart counts the events that start in the dates; those that began before are
    # left out and counted for the caption
    assert int(report.timeline["events"].sum()) == want - early
    assert before_range(report.in_zone, start)["events"] == early

    # zones stats: events that start in the dates, per month
    out = zw("zones", "stats", "--from", first, "--to", last, "--by", "month", env=_env())
    assert out.returncode == 0, out.stderr
    stats = sum(
        int(r["events"]) for r in csv.DictReader(io.StringIO(out.stdout)) if r["zone_id"] == zone_id
    )
    assert stats == want - early == int(report.timeline["events"].sum())


def test_a_boundary_change_moves_events_out_of_the_filter(store_env, features):
    """Events in the strip Idlib lost on 21 January 2018 are inside the filter when they
    began before that day and outside when they began after it."""
    from geo.eventindex import EventIndex
    from geo.filters import EventFilter, event_mask
    from geo.store import open_store

    store = open_store()
    events = store.events()
    versions = store.zone_versions()
    idlib = {
        int(f["properties"]["version"]): f["geometry"]
        for f in features
        if f["properties"]["zone_id"] == "idlib"
    }
    v2, v3 = idlib[2], idlib[3]
    strip = [
        (dataset_id, start)
        for dataset_id, start, lon, lat in zip(
            events["dataset_id"],
            events["date_start"].dt.strftime("%Y-%m-%d"),
            events["longitude"],
            events["latitude"],
            strict=True,
        )
        if in_geojson_polygon(lon, lat, v2) and not in_geojson_polygon(lon, lat, v3)
    ]
    before = {i for i, day in strip if "2017-09-15" <= day < "2018-01-21"}
    after = {i for i, day in strip if "2018-01-21" <= day < "2019-08-23"}
    assert before and after
    flt = EventFilter(zones=("idlib",))
    mask = event_mask(events, flt, versions)
    chosen = set(events.loc[mask, "dataset_id"])
    assert before <= chosen and not (after & chosen)
    index = EventIndex.from_frame(store.event_columns())
    assert (index.mask(flt, versions) == mask).all()


def test_no_event_is_inside_a_zone_before_it_began_or_after_it_ended(store_env):
    from geo.filters import EventFilter, select_events
    from geo.store import open_store

    store = open_store()
    versions = store.zone_versions()

    def count(zone_id, first, last):
        flt = EventFilter(start=first, end=last, zones=(zone_id,))
        shown = select_events(store, flt, versions)
        return len(shown), shown["date_start"]

    n, _ = count("sochi_dmz", date(2016, 1, 1), date(2018, 9, 16))  # began 17 Sep 2018
    assert n == 0
    n, starts = count("eastern_ghouta", date(2017, 5, 6), date(2019, 12, 31))  # ended 14 Apr 2018
    assert n > 0 and starts.max() < pd.Timestamp("2018-04-14")


def test_the_help_text_says_what_inside_means(store_env):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert "in force on the day the event began" in at.multiselect(key="zones").help


def test_the_pages_inside_zones_filter_matches_the_independent_count(store_env, features):
    """The sidebar filter on the Map and Events pages (the pages pass the zone versions)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    from test_app import showing

    from conftest import ROOT, whole_page

    want, _ = _independent(features, "idlib", "2017-05-06", "2017-12-31")
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.date_input(key="dates").set_value((date(2017, 5, 6), date(2017, 12, 31))).run()
    whole_page(at).multiselect(key="zones").set_value(["idlib"]).run()  # see whole_page
    assert not at.exception, at.exception
    assert showing(at)[0] == want
    at.switch_page("pages/events.py").run()
    assert not at.exception, at.exception
    assert showing(at)[0] == want
