"""AppTest over every page; assertions include what the map script draws."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import DATA, ROOT, stdlib_count, stdlib_rows, whole_page

APP = str(ROOT / "app.py")
HOSTILE = "<img src=x onerror=alert(1)>"


def _app() -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def map_script(at: AppTest) -> str:
    comps = at.get("component_instance")
    assert len(comps) == 1
    return json.loads(comps[0].proto.json_args)["script"]


def layer_payload(script: str, kind: str) -> dict:
    """The JSON handed to window.zw.<kind>(map, payload) in the map script."""
    match = re.search(rf"window\.zw\.{kind}\(\s*[\w]+,\s*", script)
    assert match, f"no {kind} layer in the map script"
    payload, _ = json.JSONDecoder().raw_decode(script, match.end())
    return payload


def event_view_payload(at: AppTest) -> dict:
    """What the Map page sends to draw the events (window.zw.eventView(payload))."""
    args = json.loads(at.get("component_instance")[0].proto.json_args)
    match = re.search(r"window\.zw\.eventView\(", args["feature_group"])
    assert match, "no event view in the map's feature group"
    payload, _ = json.JSONDecoder().raw_decode(args["feature_group"], match.end())
    return payload


def showing(at: AppTest) -> tuple[int, int]:
    for md in at.markdown:
        m = re.search(
            r"Showing ([\d,]+) (?:of ([\d,]+) events|events, .* of ([\d,]+) records)", md.value
        )
        if m:
            total = m.group(2) or m.group(3)  # the events, or the records when counted once
            return int(m.group(1).replace(",", "")), int(total.replace(",", ""))
    raise AssertionError("no 'Showing N of M events' line")


def test_map_page_draws_zones_places_events(store_env):
    at = _app()
    total = stdlib_count(None, None)
    assert showing(at) == (total, total)
    script = map_script(at)
    # By default, the zones as they stood on the last day of the event dates: the UCDP
    # release ends in 2019, after the Sochi memorandum and before the March 2020 protocol.
    last = layer_payload(script, "zones")
    assert {(f["properties"]["zone_id"], f["properties"]["version"]) for f in last["features"]} == {
        ("idlib", "4"),
        ("sochi_dmz", "2"),
    }
    at.checkbox(key="zones_follow").uncheck().run()
    at.date_input(key="zones_as_of").set_value(date(2020, 6, 1)).run()
    after_2020 = layer_payload(map_script(at), "zones")["features"]
    assert {f["properties"]["zone_id"] for f in after_2020} == {"idlib", "m4_corridor"}
    at.checkbox(key="zones_follow").check().run()
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 6, 1))).run()
    script = map_script(at)
    zones = layer_payload(script, "zones")
    assert len(zones["features"]) == 4
    assert {f["properties"]["status"] for f in zones["features"]} == {"proposed"}
    assert "No official map" in zones["warning"]
    assert event_view_payload(at)["n"] == stdlib_count("2017-05-01", "2017-06-01")
    places = layer_payload(script, "places")
    assert any(r[2] == "Palmyra (Tadmur)" and r[3] == "تدمر" for r in places["rows"])
    assert len(layer_payload(script, "admin")["features"]) == 14
    assert "window.zw.legend(" in script
    args = json.loads(at.get("component_instance")[0].proto.json_args)
    assert all(link.startswith("/app/static/") for link in args["js_links"] + args["css_links"])
    # the map reports its view and the event clicked; the events travel apart from the map
    # (few events: all are sent, so the view is not needed and panning reruns nothing)
    assert args["returned_objects"] == ["last_object_clicked_tooltip"]
    assert "window.zw.eventLayer(" in script and "window.zw.eventView(" not in script
    assert len(script) < 300_000  # zones, places, governorates: not the events


def test_date_and_type_filters_change_map_and_count(store_env):
    at = _app()
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 5, 31))).run()
    expected = stdlib_count("2017-05-01", "2017-05-31")
    assert showing(at)[0] == expected
    assert event_view_payload(at)["n"] == expected
    whole_page(at).multiselect(key="types").set_value(["Air strike"]).run()
    expected = stdlib_count("2017-05-01", "2017-05-31", {"Air strike"})
    assert showing(at)[0] == expected == event_view_payload(at)["n"]
    assert expected >= 3  # the curated May 2017 strikes


def test_half_picked_range_keeps_whole_range_and_says_so(store_env):
    at = _app()
    at.date_input(key="dates").set_value((date(2017, 5, 1),)).run()
    assert not at.exception
    assert any("Pick an end date" in i.value for i in at.info)


def test_no_type_selected_warns(store_env):
    at = _app()
    at.multiselect(key="types").set_value([]).run()
    assert showing(at)[0] == 0
    assert any("No event type" in w.value for w in at.warning)


def test_hostile_zone_name_reaches_the_script_only_escaped(fresh_store_path):
    from geo.store import open_store

    store = open_store()
    last_event = store.event_summary().last  # the map shows the zones as of that day
    zone = store.zones(last_event).head(1).copy()
    zone["name_en"] = HOSTILE
    zone["valid_from"] = last_event
    store.add_zone_version(zone)
    at = _app()
    script = map_script(at)
    assert HOSTILE not in script
    names = [f["properties"]["name_en"] for f in layer_payload(script, "zones")["features"]]
    assert HOSTILE in names  # the text is kept, and shown as text by the browser


def test_store_error_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not a database")
    monkeypatch.setenv("ZONEWATCH_STORE", str(bad))
    at = _app()
    assert not at.exception
    assert any("could not be opened" in e.value and "ZONEWATCH_STORE" in e.value for e in at.error)


def test_damaged_store_is_a_message_not_a_traceback(fresh_store_path):
    import sqlite3

    con = sqlite3.connect(fresh_store_path, isolation_level=None)
    con.execute("ALTER TABLE events RENAME TO events_lost")
    con.close()
    at = _app()
    assert not at.exception
    assert any("could not be read" in e.value for e in at.error)


@pytest.mark.parametrize(
    "licence",
    ["CC BY 4.0", "CC BY-IGO", "Sundberg", "GeoNames", "not official boundaries", "ACLED"],
)
def test_sources_page(store_env, licence):
    at = _app()
    at.switch_page("pages/sources.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert licence in text


def test_map_page_on_both_engines(make_store, engine):
    make_store()
    at = _app()
    total = stdlib_count(None, None)
    assert showing(at) == (total, total)
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 5, 31))).run()
    expected = stdlib_count("2017-05-01", "2017-05-31")
    assert showing(at)[0] == expected == event_view_payload(at)["n"]
    assert len(layer_payload(map_script(at), "zones")["features"]) == 4  # as of 31 May 2017


def test_events_page_table_chart_and_downloads_agree(store_env):
    at = _app()
    at.switch_page("pages/events.py").run()
    assert not at.exception
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 5, 31))).run()
    expected = stdlib_count("2017-05-01", "2017-05-31")
    assert showing(at)[0] == expected
    # the table is paged: 100 rows a page, the total in the caption
    assert len(at.dataframe[0].value) == min(expected, 100)
    assert any(c.value.startswith(f"Rows 1-100 of {expected:,},") for c in at.caption)
    caption = next(c.value for c in at.caption if " fatalities" in c.value)
    # the chart counts the events that start in May; those that began earlier are named
    began_earlier = sum(
        1
        for r in stdlib_rows(DATA / "ucdp" / "ged_syria.csv")
        + stdlib_rows(DATA / "events" / "curated_strikes.csv")
        if r["date_start"][:10] < "2017-05-01" <= r["date_end"][:10]
    )
    assert began_earlier > 0
    assert caption.startswith(f"{expected - began_earlier:,} events")
    assert f"Left out here: {began_earlier:,} events" in caption
    assert len(at.get("vega_lite_chart")) == 1
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download CSV", "Download GeoJSON"]


def test_filter_state_is_shared_between_pages(store_env):
    at = _app()
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 5, 31))).run()
    whole_page(at).text_input(key="actor").set_value("islamic state").run()
    on_map = showing(at)[0]
    whole_page(at).switch_page("pages/events.py").run()
    assert showing(at)[0] == on_map > 0
    assert all(
        "islamic state" in (a1 + a2).lower()
        for a1, a2 in zip(
            at.dataframe[0].value["Actor 1"], at.dataframe[0].value["Actor 2"], strict=True
        )
    )


def test_import_page_previews_imports_and_reports(fresh_store_path):
    fixture = ROOT / "tests" / "data" / "acled_fixture.csv"
    rows = fixture.read_text(encoding="utf-8").splitlines()
    rows[2] = rows[2].replace("2017-05-20", "2017-02-31")  # one bad date: row 3
    data = ("\n".join(rows) + "\n").encode("utf-8")
    at = _app()
    at.switch_page("pages/import_events.py").run()
    assert not at.exception
    at.get("file_uploader")[0].set_value(("acled.csv", data, "text/csv")).run()
    assert not at.exception
    assert any("Format: acled" in c.value for c in at.caption)
    at.button[0].click().run()
    assert not at.exception
    assert any(
        "4 rows read, 3 imported, 0 already present, 1 skipped" in s.value for s in at.success
    )
    problems = at.dataframe[-1].value
    assert list(problems["row"]) == [3] and list(problems["column"]) == ["date_start"]


def test_import_page_refuses_a_binary_file(fresh_store_path):
    at = _app()
    at.switch_page("pages/import_events.py").run()
    at.get("file_uploader")[0].set_value(
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(300), "text/csv")
    ).run()
    assert not at.exception
    assert any("binary file" in e.value for e in at.error)


def test_imported_types_and_datasets_show_without_touching_the_filters(fresh_store_path):
    """Map, then import ACLED-format events, then back: the new events are shown."""
    at = _app()
    before = showing(at)
    at.switch_page("pages/import_events.py").run()
    fixture = (ROOT / "tests" / "data" / "acled_fixture.csv").read_bytes()
    at.get("file_uploader")[0].set_value(("acled.csv", fixture, "text/csv")).run()
    at.button[0].click().run()
    assert any("4 imported" in s.value for s in at.success)
    at.switch_page("app.py").run()
    assert not at.exception
    assert showing(at) == (before[0] + 4, before[1] + 4)
    assert "Battles" in at.multiselect(key="types").value
    assert "acled" in at.multiselect(key="datasets").value


def test_a_clicked_event_gets_its_details_and_nothing_else(store_env):
    from geo.aggregate import decode
    from geo.render import event_tooltip
    from geo.store import open_store

    at = _app()
    payload = event_view_payload(at)
    assert "detail" not in payload
    fids = decode(payload, "fid", "<u4")
    fid = int(fids[len(fids) // 2])
    # what the map returns when an event is clicked: its tooltip, which holds its id
    at.session_state["map"] = {
        "last_object_clicked_tooltip": event_tooltip(fid, date(2017, 5, 25), "Air strike"),
        "last_object_clicked_count": 1,
    }
    at.run()
    detail = event_view_payload(at)["detail"]
    row = open_store().event_by_fid(fid).iloc[0]
    assert detail["fid"] == fid
    assert detail["title"] == f"{row['event_type']}, {row['date_start']:%Y-%m-%d}"
    assert ["Location", row["location"], None] in detail["rows"]
    # an id no longer in the store: the popup says so instead of waiting
    gone = event_tooltip(999999999, date(2017, 5, 25), "Air strike")
    at.session_state["map"] = {"last_object_clicked_tooltip": gone}
    at.run()
    assert event_view_payload(at)["detail"]["missing"].startswith("This event is no longer")
    # anything else in that field is ignored: no detail, no error
    forgeries = (
        f"Event {fid}<img src=x> · 2017-05-25",
        "Event -1 · 2017-05-25",
        f"Air strike · 2017-05-25 #{fid}<img src=x>",
        "Air strike · 2017-05-25 #-1",
        "x" * 5000,
    )
    for forged in forgeries:
        at.session_state["map"] = {"last_object_clicked_tooltip": forged}
        at.run()
        assert not at.exception and not at.error
        assert "detail" not in event_view_payload(at)


def test_a_crowded_view_is_sent_as_cells(store_env, monkeypatch):
    monkeypatch.setenv("ZONEWATCH_POINT_LIMIT", "100")
    at = _app()
    assert event_view_payload(at)["mode"] == "cells"
    args = json.loads(at.get("component_instance")[0].proto.json_args)
    assert args["returned_objects"][-2:] == ["bounds", "zoom"]  # now the view matters
    caption = " ".join(c.value for c in at.caption)
    total = stdlib_count(None, None)
    assert re.search(rf"In view: {total:,} events \(.*\) in [\d,]+ squares", caption)
    # zoomed in on Eastern Ghouta in May 2017: few enough to draw one by one
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 5, 31))).run()
    at.session_state["map_view"] = {
        "bounds": {
            "_southWest": {"lat": 33.3, "lng": 36.2},
            "_northEast": {"lat": 33.7, "lng": 36.6},
        },
        "zoom": 11,
    }
    at.run()
    payload = event_view_payload(at)
    assert stdlib_count("2017-05-01", "2017-05-31") > 100
    assert payload["mode"] == "points" and payload["region"] is not None
