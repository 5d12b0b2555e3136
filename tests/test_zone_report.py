"""The Zone report page and the before/after arithmetic behind it."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest
import shapely
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_zone_analysis import _independent, _shipped_events, exported_versions  # noqa: F401

from conftest import ROOT
from geo import analysis
from geo.zones import area_km2
from independent import in_geojson_polygon


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


def test_a_band_asked_again_in_another_run_is_the_one_made_before():
    """Each rerun of a report runs in a new thread, where the projections first make their
    own PROJ objects (50 to 200 ms on a loaded machine): the same zone's or place's band
    is made once and given again, in any thread."""
    import threading

    first = analysis.ring(shapely.box(36.3, 33.5, 36.51, 33.6), 10)
    got = []
    run = threading.Thread(
        target=lambda: got.append(analysis.ring(shapely.box(36.3, 33.5, 36.51, 33.6), 10))
    )
    run.start()
    run.join()
    assert got[0] is first
    wider = analysis.ring(shapely.box(36.3, 33.5, 36.51, 33.6), 12)
    assert wider is not first and wider.area > first.area
    disc = analysis.ring(shapely.Point(38.99, 35.95), 25)  # a place's disc, as its report's
    assert disc.contains(shapely.Point(38.99, 35.95 + 0.2)) and disc is analysis.ring(
        shapely.Point(38.99, 35.95), 25.0
    )


def _zone_report_page() -> AppTest:
    """The Zone report page as it opens (AppTest), after the Map page."""
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/zone_report.py").run()
    assert not at.exception, at.exception
    return at


def test_zone_report_page_counts_match_the_functions(store_env):
    from geo.store import open_store

    at = _zone_report_page()
    at.selectbox(key="zone").set_value("eastern_ghouta").run()
    at.number_input(key="window").set_value(60).run()
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


# ---- exports -----------------------------------------------------------------------------


def _ghouta_report(exclude_coarse=True, name="Eastern Ghouta", days=90):
    from geo.report import zone_report
    from geo.store import open_store

    store = open_store()
    return zone_report(
        store.events(),
        store.zone_versions(),
        "eastern_ghouta",
        zone_name=name,
        freq="month",
        pivot=date(2017, 5, 6),
        days=days,
        km=20,
        exclude_coarse=exclude_coarse,
        filters="all events",
    )


def test_report_csv_matches_an_independent_count(store_env, exported_versions):  # noqa: F811
    """The CSV's timeline adds up to the events an independent point-in-polygon count puts
    in the zone, and its before/after rows match a recount of the two windows."""
    import csv
    import io

    from geo.report import report_csv

    report = _ghouta_report()
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    timeline = [r for r in rows if r["section"] == "timeline"]
    counts, _ = _independent(exported_versions, exclude_coarse=True)
    in_zone = sum(n for (zone, _v), n in counts.items() if zone == "eastern_ghouta")
    assert in_zone > 100
    assert sum(int(r["events"]) for r in timeline) == in_zone
    assert all(r["period_end"] >= r["period_start"] for r in timeline)

    v1 = next(v for v in exported_versions["eastern_ghouta"] if v[1] == 1)[3]
    windows = {"before": ("2017-02-05", "2017-05-05"), "after": ("2017-05-06", "2017-08-03")}
    for section, (first, last) in windows.items():
        (row,) = [r for r in rows if r["section"] == section and r["area"] == "zone"]
        assert (row["period_start"], row["period_end"]) == (first, last)
        recount = sum(
            1
            for _ds, _id, day, lon, lat, coarse in _shipped_events()
            if not coarse and first <= day <= last and in_geojson_polygon(lon, lat, v1)
        )
        assert int(row["events"]) == recount
    (change,) = [r for r in rows if r["section"] == "change" and r["area"] == "zone"]
    before, after = (report.zone_ba[k]["events"] for k in ("before", "after"))
    assert int(change["events"]) == after - before
    assert float(change["events_change_pct"]) == pytest.approx(
        (after - before) / before * 100, abs=0.05
    )
    ring = [r for r in rows if r["area"] == "ring_20km"]
    assert [r["section"] for r in ring] == ["before", "after", "change"]


def test_report_exports_keep_hostile_names_as_text(store_env):
    import csv
    import io

    from geo.report import report_csv, report_html

    report = _ghouta_report(name='=HYPERLINK("http://x")<script>alert(1)</script>')
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert all(r["zone"].startswith("'=") for r in rows)  # a spreadsheet shows it as text
    page = report_html(report, "<p>map</p>", "UCDP <b>")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "UCDP &lt;b&gt;" in page
    assert page.count("<svg") == 2
    assert "default-src 'none'" in page  # the file may make no request at all


def test_inlined_map_refers_to_nothing_outside_the_file(store_env):
    from geo.assets import STATIC_URL, inline_assets
    from geo.render import MapLayers, build_map
    from geo.store import open_store

    store = open_store()
    fmap = build_map(
        MapLayers(
            zones=store.zones(),
            places=store.places(),
            events=store.events().head(50),
            admin0=store.admin(0),
            admin1=store.admin(1),
            event_attribution={},
            place_attribution="GeoNames",
        )
    )
    page = fmap.get_root().render()
    assert STATIC_URL in page  # the app's own map loads Leaflet from the app
    inlined = inline_assets(page)
    assert STATIC_URL not in inlined
    assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=", inlined)
    assert "url(images/" not in inlined
    with pytest.raises(ValueError):
        inline_assets(page.replace("leaflet.js", "other.js"))
    # data that merely mentions the path (an event's source, say) is not a reference
    assert inline_assets(
        page + f'<script>var x = "https://example.org{STATIC_URL}/a.pdf";</script>'
    )


def test_report_chart_colours_follow_the_legend_over_all_types(store_env):
    from geo.render import event_types_legend
    from geo.report import timeline_svg

    report = _ghouta_report()
    in_zone = set(report.timeline["event_type"])
    others = ["Battles", "Explosions/Remote violence"]  # no fixed colour: assigned in order
    report.all_types = (*others, *sorted(in_zone))
    legend = dict(event_types_legend(list(report.all_types)))
    svg = timeline_svg(report)
    for kind in in_zone:
        assert legend[kind].lstrip("#") in svg.lower()
    report.timeline = report.timeline.assign(event_type="Explosions/Remote violence")
    svg = timeline_svg(report)
    assert legend["Explosions/Remote violence"].lstrip("#") in svg.lower()
    assert legend["Battles"].lstrip("#") not in svg.lower()


def test_the_before_and_after_counts_are_written_with_thousands_separators(store_env):
    """23,885 as every other count in the app (the table showed 23885 at a million events)."""
    import json

    (frame,) = _zone_report_page().dataframe
    config = json.loads(frame.proto.columns)
    counts = [c for c in frame.value.columns if c != "area" and not c.endswith("%")]
    assert len(counts) == 6
    for column in counts:
        assert config[column]["type_config"]["format"] == "localized", column


def test_the_ring_the_caption_names_is_drawn_on_the_map(store_env):
    """The map's caption named a 20 km ring that was not drawn (third walkthrough): the
    ring of the before/after table is a layer of the map, under the events."""
    import json

    import shapely
    from test_app import layer_payload

    from geo.report import zone_report
    from geo.store import open_store

    at = _zone_report_page()
    at.selectbox(key="zone").set_value("eastern_ghouta").run()
    at.number_input(key="ring").set_value(15).run()
    assert not at.exception
    (script,) = [json.loads(c.proto.json_args)["script"] for c in at.get("component_instance")]
    ring = layer_payload(script, "shapes")
    assert [f["properties"]["label"] for f in ring["features"]] == ["ring of 15 km around it"]
    assert script.index("window.zw.shapes(") < script.index("window.zw.events(")
    store = open_store()
    want = zone_report(
        store.events(), store.zone_versions(), "eastern_ghouta", zone_name="", freq="month",
        pivot=date(2017, 5, 6), days=90, km=15, exclude_coarse=True, filters="",
    ).ring  # fmt: skip
    drawn = shapely.geometry.shape(ring["features"][0]["geometry"])
    assert abs(drawn.area - want.area) < 0.01 * want.area
    assert any("ring of 15 km around it (grey, dashed)" in c.value for c in at.caption)


def test_the_exported_charts_count_in_whole_numbers(store_env):
    """A zone with one event a period: the export's axes read 0 and 1, never 0.2 or 0.5
    (as the pages' count charts, views.charts.count_axis)."""
    import re

    from geo.report import comparison_svg, timeline_svg

    report = _ghouta_report()
    report.timeline = report.timeline.head(1).assign(events=1)
    for side in ("before", "after"):
        report.zone_ba[side]["events"] = 1
        report.ring_ba[side]["events"] = 0
    for svg in (timeline_svg(report), comparison_svg(report)):
        ticks = re.findall(r">\s*(\d+\.\d+)\s*<", svg)  # a tick label with a fraction
        assert ticks == [], ticks


def test_one_event_begun_before_the_dates_is_in_the_singular(store_env):
    """Eastern Ghouta from 10 May 2017: one event in the zone (of 9-10 May) began before the
    dates. The report said "1 of them (... fatalities) began before the chosen dates and
    are not in the chart", on the page and in the HTML export."""
    from geo.filters import EventFilter, select_events
    from geo.report import before_note, report_html, zone_report
    from geo.store import open_store

    store = open_store()
    versions = store.zone_versions()
    start, end = date(2017, 5, 10), date(2018, 12, 31)
    report = zone_report(
        select_events(store, EventFilter(start=start, end=end), versions), versions,
        "eastern_ghouta", zone_name="Eastern Ghouta", freq="month", pivot=start, days=30,
        km=10, exclude_coarse=False, filters="", start=start, end=end,
    )  # fmt: skip
    assert report.before_start["events"] == 1
    note = before_note(report)
    assert note.startswith("1 of them (") and " began before the chosen dates and is not " in note
    page = report_html(report, "", "")
    assert " and is not in the chart" in page and " and are not in the chart" not in page
    report.before_start = {"events": 2, "fatalities": 1}  # two: the plural again
    assert before_note(report).startswith(
        "2 of them (1 fatality) began before the chosen dates and are not in the chart"
    )
