"""The walkthrough's findings on the pages (AppTest) and in geo/ (plain tests)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import shapely.geometry
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT, stdlib_count


def _page(path: str) -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(path)
    at.run()
    assert not at.exception, at.exception
    return at


# --- 1. Zone history ----------------------------------------------------------------------


def test_latest_is_by_valid_from_then_number():
    import geopandas as gpd

    from geo import zones

    versions = gpd.GeoDataFrame(
        {
            "zone_id": ["a", "a", "a", "b"],
            "version": [1, 2, 3, 1],
            "valid_from": [date(2017, 5, 1), date(2019, 1, 1), date(2018, 1, 1), date(2030, 1, 1)],
        },
        geometry=[None] * 4,
    )
    assert zones.latest(versions, "a") == 2  # version 3 is valid from an earlier day
    assert zones.latest(versions, "b") == 1


def test_zone_history_never_compares_a_version_with_itself(store_env):
    at = _page("pages/zone_history.py")
    for zone in at.selectbox(key="history_zone").options:
        at.selectbox(key="history_zone").set_value(zone.rsplit("(", 1)[1][:-1]).run()
        zone_id = zone.rsplit("(", 1)[1][:-1]
        boxes = {b.label: b for b in at.selectbox if b.label in ("From version", "To version")}
        if zone_id == "m4_corridor":  # one version
            assert boxes == {}
            assert any("only one version" in i.value for i in at.info)
            continue
        a, b = boxes["From version"], boxes["To version"]
        assert a.value != b.value
        assert a.value not in b.options
        # picking the "To" version as "From" moves "To" to another version
        a.set_value(b.value).run()
        a = at.selectbox(key=f"diff_a_{zone_id}")
        b = at.selectbox(key=f"diff_b_{zone_id}")
        assert not at.exception, at.exception
        assert a.value != b.value and a.value not in b.options


# --- 2. An identical re-upload ------------------------------------------------------------


def _idlib_versions():
    from geo.store import open_store

    v = open_store(seed=False).zone_versions()
    return v[v["zone_id"] == "idlib"].sort_values("version")


def test_cli_skips_an_identical_reupload_unless_allowed(fresh_store_path, tmp_path):
    from test_zone_upload_report import _cli, _idleb_only

    path = tmp_path / "idleb.geojson"
    path.write_bytes(_idleb_only())
    code, out, err = _cli("import-zones", str(path), "--valid-from", "2021-01-01")
    assert code == 0 and out.startswith("idlib: version 6"), err
    six = _idlib_versions().iloc[-1]
    name, saved_on = six["name_en"], str(six["created_at"])[:10]
    code, out, err = _cli("import-zones", str(path), "--valid-from", "2021-02-01")
    assert code == 0 and out == ""
    assert f"identical to version 6 of {name} saved on {saved_on} by {six['author']}" in err, err
    assert "nothing stored; give --allow-identical" in err
    assert _idlib_versions()["version"].max() == 6  # nothing saved
    code, out, err = _cli(
        "import-zones", str(path), "--valid-from", "2021-02-01", "--allow-identical"
    )
    assert code == 0 and out.startswith("idlib: version 7"), err


def test_workflow_refuses_an_identical_version_without_confirmation(fresh_store_path):

    from geo import zone_workflow
    from geo.errors import InputError
    from geo.store import open_store
    from geo.uploads.zones import read_zone_file

    store = open_store()
    versions = store.zone_versions()
    # the Idlib zone's current boundary, uploaded again with its own name
    current = _idlib_versions().iloc[-1]
    upload = read_zone_file(
        json.dumps(
            {
                "type": "Feature",
                "properties": {"zone_id": "idlib", "name": current["name_en"]},
                "geometry": shapely.geometry.mapping(current.geometry),
            }
        ).encode(),
        "same.geojson",
    )
    plan = zone_workflow.plan(upload, versions)
    (same,) = plan.identical
    assert f"identical to version {current['version']} of {current['name_en']}" in same
    args = dict(valid_from=date(2024, 3, 1), author="a", note="", status="agreed", sources="")
    with pytest.raises(InputError, match="identical to version"):
        zone_workflow.save(store, plan, versions, who="tester", **args)
    assert len(store.zone_versions()) == len(versions)  # nothing saved
    (saved,) = zone_workflow.save(store, plan, versions, who="tester", allow_identical=True, **args)
    assert saved.version == current["version"] + 1


def test_zones_page_warns_and_saves_an_identical_upload_only_when_confirmed(fresh_store_path):
    from test_zone_upload_report import _idleb_only, _zones_page

    from geo.store import open_store

    open_store().zone_versions()
    at = _zones_page()
    at.file_uploader(key="zone_upload").set_value(("idleb.geojson", _idleb_only(), "")).run()
    [b for b in at.button if "Save 1 zone" in str(b.proto.label)][0].click().run()
    assert _idlib_versions()["version"].max() == 6
    six = _idlib_versions().iloc[-1]
    at.file_uploader(key="zone_upload_1").set_value(("idleb.geojson", _idleb_only(), "")).run()
    want = f"identical to version 6 of {six['name_en']} saved on {str(six['created_at'])[:10]}"
    assert any(want in w.value.replace("\\", "") for w in at.warning), [w.value for w in at.warning]
    [b for b in at.button if "Save 1 zone" in str(b.proto.label)][0].click().run()
    assert any("Nothing was saved" in e.value for e in at.error)
    assert _idlib_versions()["version"].max() == 6  # not without the confirmation
    (box,) = [c for c in at.checkbox if c.label == "Save even the identical versions"]
    box.check()
    [b for b in at.button if "Save 1 zone" in str(b.proto.label)][0].click().run()
    assert not at.exception, at.exception
    assert _idlib_versions()["version"].max() == 7


# --- 3. Sources: one title ----------------------------------------------------------------


def test_sources_page_has_one_title(store_env):
    import re

    at = _page("pages/sources.py")
    titles = [t.value for t in at.title] + [
        line for md in at.markdown for line in md.value.splitlines() if re.match(r"#\s", line)
    ]
    assert titles == ["Sources"]
    assert any("Every layer ZoneWatch ships" in md.value for md in at.markdown)


# --- 6. UCDP's source field, readable ----------------------------------------------------


def _ucdp_row(event_id: str) -> dict:
    import csv

    from conftest import DATA

    with open(DATA / "ucdp" / "ged_syria.csv", encoding="utf-8", newline="") as fh:
        return next(r for r in csv.DictReader(fh) if r["id"] == event_id)


def test_ucdp_source_is_one_article_a_line_with_nothing_left_out():
    from geo import source_text

    raw = _ucdp_row("224661")["source_article"]
    stored = raw.strip().strip('"')  # as geo/sources/ucdp.py stores it
    lines = source_text.readable(stored).splitlines()
    assert len(lines) == raw.count('";"') + 1 >= 3
    assert lines[0].startswith("SOHR, 2016-01-30: About 10 factions merge")
    assert (
        lines[1] == "Human Rights Watch, 2016-02-08: Russia/Syria: Daily Cluster Munition Attacks"
    )
    assert all(line == line.strip() and '"' not in line[:1] + line[-1:] for line in lines)
    # every headline whole, commas inside it kept
    for entry in raw.strip('"').split('";"'):
        assert entry.split(",", 2)[2] in source_text.readable(stored)
    # ACLED's outlets joined by ';', and a plain one
    assert source_text.entries("SOHR; Step News Agency ;") == ["SOHR", "Step News Agency"]
    assert source_text.readable("Asharq Al-Awsat") == "Asharq Al-Awsat"
    assert source_text.readable(None) == source_text.readable("  ") == ""


def test_events_table_shows_the_source_one_article_a_line(store_env):
    at = _page("pages/events.py")
    at.date_input(key="dates").set_value((date(2016, 1, 29), date(2016, 1, 29))).run()
    frame = at.dataframe[0].value
    sources = frame["Source"].dropna()
    assert len(sources) and not sources.str.contains('";"').any()
    assert sources.str.contains("\nHuman Rights Watch, 2016-02-08: ").any()


# --- 8. the count under a map of squares says what it counts -------------------------------


def test_the_count_under_the_squares_is_of_the_events_inside_the_view(store_env, monkeypatch):
    import re

    from test_browser_scale import stdlib_in_box

    monkeypatch.setenv("ZONEWATCH_POINT_LIMIT", "100")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    box = (36.0, 35.0, 37.5, 36.5)  # west, south, east, north: around Idlib and Hama
    at.session_state["map_view"] = {
        "bounds": {
            "_southWest": {"lat": box[1], "lng": box[0]},
            "_northEast": {"lat": box[3], "lng": box[2]},
        },
        "zoom": 8,
    }
    at.run()
    caption = next(c.value for c in at.caption if c.value.startswith("In view"))
    n = int(re.search(r"In view: ([\d,]+) events", caption).group(1).replace(",", ""))
    assert n == stdlib_in_box("2016-01-01", "2019-12-31", box) > 100
    assert "counted inside the map's edges" in caption
    assert "a square on an edge also holds events just beyond them" in caption


# --- 10. events longer than a bar; no pandas deprecation in the timeline --------------------


@pytest.mark.filterwarnings("error")
def test_timeline_leaves_out_other_types_without_a_deprecation():
    import pandas as pd

    from geo.timeline import timeline

    events = pd.DataFrame(
        {
            "date_start": pd.to_datetime(["2017-01-02", "2017-01-03", "2017-01-04"]),
            "event_type": ["Air strike", "Shelling", None],  # text, not categorical
            "fatalities_best": [1.0, 2.0, 4.0],
        }
    )
    got = timeline(events, "week", types=["Air strike"])
    assert got["event_type"].tolist() == ["Air strike"]
    assert (got["events"].tolist(), got["fatalities"].tolist()) == ([1], [1])


def test_longer_than_period_counts_the_year_long_records():
    import pandas as pd

    from geo.timeline import longer_than_period

    events = pd.DataFrame(
        {
            "date_start": pd.to_datetime(["2017-01-01", "2017-01-02", "2017-01-02", "2016-06-01"]),
            "date_end": pd.to_datetime(["2017-12-31", "2017-01-08", "2017-01-05", "2017-06-01"]),
            "event_type": ["A", "A", "B", "A"],
            "fatalities_best": [1.0, 1.0, 1.0, 1.0],
        }
    )
    # weeks from Monday: 1 Jan 2017 was a Sunday; 2-8 Jan is one week
    assert longer_than_period(events, "week", "2017-01-01", "2017-12-31") == 1
    assert longer_than_period(events, "day", "2017-01-01", "2017-12-31") == 3
    assert longer_than_period(events, "month", "2017-01-01", "2017-12-31") == 1
    assert longer_than_period(events, "day", "2017-01-01", "2017-12-31", types=["B"]) == 1
    assert longer_than_period(events, "week") == 2  # no dates: the 2016 record counts too


def test_events_page_says_how_many_events_are_longer_than_a_bar(store_env):
    import csv

    from conftest import DATA

    at = _page("pages/events.py")
    at.date_input(key="dates").set_value((date(2017, 1, 1), date(2017, 12, 31))).run()
    with open(DATA / "ucdp" / "ged_syria.csv", encoding="utf-8", newline="") as fh:
        rows = [(r["date_start"][:10], r["date_end"][:10]) for r in csv.DictReader(fh)]
    with open(DATA / "events" / "curated_strikes.csv", encoding="utf-8", newline="") as fh:
        rows += [(r["date_start"][:10], r["date_end"][:10]) for r in csv.DictReader(fh)]

    def week_end(day: str) -> date:
        d = date.fromisoformat(day)
        return date.fromordinal(d.toordinal() - d.weekday() + 6)

    want = sum(
        1
        for s, e in rows
        if "2017-01-01" <= s <= "2017-12-31" and date.fromisoformat(e) > week_end(s)
    )
    assert want > 0
    note = f"{want:,} events with a date range longer than the bar (a week) are counted at"
    assert any(c.value.startswith(note) for c in at.caption), [c.value for c in at.caption]


# --- 12. the Events page's period and page number in the address --------------------------


def _events_link(query: dict) -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page("pages/events.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_events_period_and_page_are_in_the_address_and_a_link_restores_them(store_env):
    # (that the widgets write the address is checked in a browser: test_browser_tidy.py)
    at = _events_link({"timeline_freq": "month", "table_page": "3"})
    assert at.radio(key="timeline_freq").value == "month"
    assert at.number_input(key="table_page").value == 3
    assert any(c.value.startswith("Rows 201-300 of") for c in at.caption)
    # a page past the last: the last; nonsense: page 1, and said
    at = _events_link({"table_page": "99999"})
    pages = -(-stdlib_count(None, None) // 100)
    assert any(c.value.startswith(f"Rows {(pages - 1) * 100 + 1:,}-") for c in at.caption)
    assert any(f"page {pages:,} of {pages:,}" in c.value for c in at.caption)
    at = _events_link({"table_page": "1e999"})
    assert at.number_input(key="table_page").value == 1
    assert any("table_page" in i.value for i in at.info)
    # a filter changed after opening a link: page 1 again
    at = _events_link({"table_page": "3"})
    at.date_input(key="dates").set_value((date(2017, 1, 1), date(2017, 12, 31))).run()
    assert at.number_input(key="table_page").value == 1
    assert any(c.value.startswith("Rows 1-100 of") for c in at.caption)


# --- 13. import-events shows progress in a log too ----------------------------------------


def test_progress_in_a_log_is_a_line_per_tenth_or_per_interval():
    import io

    from geo.cli.common import StageProgress

    log, now = io.StringIO(), [0.0]
    shown = StageProgress(log, clock=lambda: now[0])
    shown("reading", 0.5, "quick")  # nothing in the first second
    assert log.getvalue() == ""
    now[0] = 1.0
    shown = StageProgress(log, clock=lambda: now[0], delay=0)
    for i in range(1001):
        shown("reading", i / 1000, f"{i:,} rows")
    lines = log.getvalue().splitlines()
    assert [line.split("... ")[1].split(" ")[0] for line in lines] == [
        f"{p}%" for p in range(0, 101, 10)
    ]
    assert lines[-1] == "zonewatch: reading... 100% (1,000 rows)"
    # stuck below the next tenth: a line every 30 seconds all the same
    log = io.StringIO()
    now[0] = 0.0
    shown = StageProgress(log, clock=lambda: now[0], delay=0)
    for second in range(0, 95):
        now[0] = float(second)
        shown("saving", 0.05, "indexing")
    assert len(log.getvalue().splitlines()) == 4  # at 0, 30, 60 and 90 s
    assert "\r" not in log.getvalue()


def test_import_events_prints_progress_lines_when_stderr_is_not_a_terminal(fresh_store_path):
    import csv
    import os
    import subprocess
    import sys

    from conftest import DATA

    # the UCDP release six times over, each copy with its own ids: an import of seconds
    big = fresh_store_path.parent / "ged_x6.csv"
    with open(DATA / "ucdp" / "ged_syria.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(big, "w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=list(rows[0]))
        out.writeheader()
        for copy in range(6):
            for r in rows:
                out.writerow({**r, "id": f"{r['id']}{copy}9"})
    env = {**os.environ, "ZONEWATCH_STORE": str(fresh_store_path)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "geo.cli", "import-events", str(big)],
        capture_output=True,  # stderr a pipe, as in a log or a CI job
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    reading = [line for line in lines if line.startswith("zonewatch: reading... ")]
    saving = [line for line in lines if line.startswith("zonewatch: saving... ")]
    # (lines start after the first second; the reader reports once per chunk of rows)
    assert 1 <= len(reading) + len(saving) <= 24, lines
    assert "\r" not in out.stderr


# --- 14. one home for each helper ---------------------------------------------------------


def test_geo_export_no_longer_re_exports_the_timeline_and_spreadsheet_helpers():
    import geo.export
    import geo.spreadsheet
    import geo.timeline

    gone = ("timeline", "before_range", "BEFORE_RULE", "FREQS", "period_start", "period_end")
    assert [
        n for n in (*gone, "period_label", "from_spreadsheet_safe") if n in geo.export.__all__
    ] == []
    assert not any(hasattr(geo.export, n) for n in gone)
    assert callable(geo.timeline.timeline) and callable(geo.spreadsheet.from_spreadsheet_safe)


def test_a_source_written_as_a_sentence_is_shown_as_written():
    """The Map's popup of the convoy strike cut its source at ';' mid-sentence (third
    walkthrough): only a list of outlets is split."""
    import csv

    from conftest import DATA
    from geo import source_text

    with open(DATA / "events" / "curated_strikes.csv", encoding="utf-8", newline="") as fh:
        written = {r["source"] for r in csv.DictReader(fh) if ";" in r["source"]}
    sentence = (
        "Russian Defence Ministry, announced Saturday 27 May 2017 and dated by it to 25 May; "
        "reported by Interfax (27 May 2017) and Asharq Al-Awsat"
    )
    within = (
        "US-led coalition strikes in the al-Tanf zone, May-June 2017 (Reuters via Orient "
        "News; Grasswire)"
    )
    assert {sentence, within, "RT, 1 June 2017; TASS"} <= written  # the shipped strikes
    assert source_text.readable(sentence) == sentence
    assert source_text.readable(within) == within
    assert source_text.entries("RT, 1 June 2017; TASS") == ["RT, 1 June 2017", "TASS"]
    assert source_text.entries("SOHR; Syrian Observatory for Human Rights; Aleppo 24") == [
        "SOHR",
        "Syrian Observatory for Human Rights",
        "Aleppo 24",
    ]
    assert len(source_text.entries("A report, on 2 May; confirmed by B")) == 1


def test_zone_history_shows_whole_notes_and_a_map_with_places_and_governorates(store_env):
    """The notes were cut ("Initial approximate boundary as of the memora") and the map of
    two versions had no town or governorate to read it by (third walkthrough)."""
    import json

    from test_app import layer_payload

    from geo.store import open_store

    at = _page("pages/zone_history.py")
    at.selectbox(key="history_zone").set_value("eastern_ghouta").run()
    assert not at.exception, at.exception
    notes = open_store().zone_versions().query("zone_id == 'eastern_ghouta'")["note"]
    (table,) = at.table  # a table: its cells wrap, nothing is cut
    shown = table.value
    assert sorted(shown["note"]) == sorted(notes) and notes.str.len().max() > 60
    (script,) = [json.loads(c.proto.json_args)["script"] for c in at.get("component_instance")]
    assert len(layer_payload(script, "places")["rows"]) > 100
    assert "window.zw.admin(" in script and "Versions " in script  # governorates, a legend
