"""The second new-user walkthrough's findings on the pages (AppTest) and in geo/."""

from __future__ import annotations

import json
import re

import shapely.geometry

# --- 1. An identical zone re-upload keeps the status the user sees and chooses ----------


def _idlib_current():
    from geo.store import open_store

    v = open_store(seed=False).zone_versions()
    return v[v["zone_id"] == "idlib"].sort_values("version").iloc[-1]


def _same_as_current() -> bytes:
    current = _idlib_current()
    return json.dumps(
        {
            "type": "Feature",
            "properties": {"zone_id": "idlib", "name": current["name_en"]},
            "geometry": shapely.geometry.mapping(current.geometry),
        }
    ).encode()


def _save_identical(at, status: str | None = None):
    at.file_uploader(key="zone_upload").set_value(("same.geojson", _same_as_current(), "")).run()
    assert not at.exception, at.exception
    (box,) = [s for s in at.selectbox if s.label == "Status"]
    if status is not None:
        box.set_value(status)
    shown = box.value
    (tick,) = [c for c in at.checkbox if c.label == "Save even the identical versions"]
    tick.check()
    [b for b in at.button if "Save 1 zone" in str(b.proto.label)][0].click().run()
    assert not at.exception, at.exception
    return shown


def test_identical_reupload_keeps_the_status_of_the_version_it_repeats(fresh_store_path):
    from test_zone_upload_report import _zones_page

    before = _idlib_current()
    assert before["status"] != "proposed"  # shipped: Idlib in force since March 2020
    shown = _save_identical(_zones_page())
    after = _idlib_current()
    assert after["version"] == before["version"] + 1
    assert shown == before["status"]  # what the form showed
    assert after["status"] == before["status"]  # is what was saved


def test_identical_reupload_saves_the_status_the_user_chose(fresh_store_path):
    from test_zone_upload_report import _zones_page

    before = _idlib_current()
    _save_identical(_zones_page(), "agreed")
    after = _idlib_current()
    assert (after["version"], after["status"]) == (before["version"] + 1, "agreed")


def test_plan_status_is_proposed_unless_every_feature_repeats_one_status(fresh_store_path):
    from geo import zone_workflow
    from geo.store import open_store
    from geo.uploads.zones import read_zone_file

    versions = open_store().zone_versions()
    same = zone_workflow.plan(read_zone_file(_same_as_current(), "same.geojson"), versions)
    assert same.status == _idlib_current()["status"]
    doc = json.loads(_same_as_current())
    doc["geometry"] = shapely.geometry.mapping(
        shapely.geometry.shape(doc["geometry"]).buffer(-0.05)
    )
    changed = zone_workflow.plan(read_zone_file(json.dumps(doc).encode(), "x.geojson"), versions)
    assert changed.identical == [] and changed.status == "proposed"


# --- 2. The Matches page ------------------------------------------------------------------


def test_matches_page_says_to_press_build_here_and_the_build_time_is_not_zero(fresh_store_path):
    from test_matches_page import _build, _page

    at = _page()
    (info,) = [i.value for i in at.info if "No links to review" in i.value]
    assert "on the Matches page" not in info
    assert "press **Build the matches** above" in info
    _build(at)
    texts = [m.value.replace("\\", "") for m in at.markdown]
    (line,) = [t for t in texts if t.startswith("Last build:")]
    assert "(0 s)" not in line
    assert re.search(r"\((under 1 s|\d+\.\d s|[\d,]+ s)\)\.$", line), line


def test_build_duration_in_words():
    import pandas as pd

    from geo.matching import review

    row = {"at": "2026-12-06T16:25:00", "who": "ana", "links": 3, "events": 10}
    for seconds, words in ((0.0, "under 1 s"), (0.4, "under 1 s"), (2.24, "2.2 s"), (38.4, "38 s")):
        text = review.last_build(pd.DataFrame([row | {"seconds": seconds}]))
        assert text.endswith(f"({words}).")


# --- 4. No nearest place for an event located only by region or country ------------------


def test_no_nearest_place_for_region_country_or_international(store_env):
    import numpy as np

    from geo import table as T
    from geo.eventindex import EventIndex
    from geo.store import open_store

    store = open_store()
    index = EventIndex.from_frame(store.event_columns())
    precision = T.precisions_of(index)
    coarse = np.isin(precision, ["admin1", "region", "country", "international"])
    assert coarse.sum() > 100 and (~coarse).sum() > 100  # the shipped data has both
    near = T.nearest_places(index.lat, index.lon, store.places(), precision=precision)
    names = near.name_of()
    assert (names[coarse] == "").all() and np.isnan(near.km[coarse]).all()
    assert (names[~coarse] != "").all() and not np.isnan(near.km[~coarse]).any()
    # sorted by nearest place, they come last (no place), whichever the direction
    mask = np.ones(len(index), dtype=bool)
    for descending in (False, True):
        order = T.sort_order(index, mask, "place", descending, near)
        assert coarse[order[-coarse.sum() :]].all()


def test_events_page_shows_no_nearest_place_for_a_country_level_event(store_env):
    from test_tidy import _page

    at = _page("pages/events.py")
    table = at.dataframe[0].value
    coarse = table["Location precision"].isin(["region", "country", "international"])
    assert coarse.any() and (~coarse).any()  # the first page has both
    # it says what the event is located by (the third walkthrough: an empty cell, or a
    # town next to a governorate's centroid, read as a real place)
    words = {"region": "(region only)", "country": "(country only)"}
    assert (
        table.loc[coarse, "Nearest place"] == table.loc[coarse, "Location precision"].map(words)
    ).all()
    assert table.loc[coarse, "Distance (km)"].isna().all()
    assert (table.loc[~coarse, "Nearest place"] != "").all()


# --- 6. 'Swap latitude and longitude' only where swapping helps ---------------------------


def test_swap_is_offered_only_when_swapping_puts_the_zones_in_syria(fresh_store_path):
    from test_zone_upload_report import CASES, _idleb_only, _zones_page

    def offered(at) -> bool:
        return any(c.label == "Swap latitude and longitude" for c in at.checkbox)

    at = _zones_page()

    def upload(name: str, data: bytes) -> None:
        at.file_uploader(key="zone_upload").set_value((name, data, "")).run()
        assert not at.exception, at.exception

    upload("x.geojson", CASES["outside-syria"][2])  # simply bad: swapping does not help
    assert at.dataframe[0].value["outcome"].tolist() == ["refused"]
    assert not offered(at)
    upload("idleb.geojson", _idleb_only())  # fine as it is
    assert not offered(at)
    upload("y.geojson", CASES["swapped"][2])
    assert offered(at)
    (box,) = [c for c in at.checkbox if c.label == "Swap latitude and longitude"]
    box.check().run()
    assert not at.exception, at.exception
    assert "refused" not in at.dataframe[0].value["outcome"].tolist()
    assert offered(at)  # still there, to untick


# --- 6. A zone's name in a message, never cut inside a word -------------------------------


def test_a_feature_label_keeps_a_zone_name_whole_or_cuts_it_between_words():
    from geo.uploads.model import LABEL_CHARS, ZoneFeature

    idlib = "Idlib de-escalation zone (Idlib and parts of Latakia, Hama and Aleppo)"
    assert ZoneFeature(1, name=idlib).label == f"feature 1 '{idlib}'"
    long = " ".join(["Eastern Ghouta de-escalation zone"] * 8)
    label = ZoneFeature(2, name=long).label
    shown = label.removeprefix("feature 2 '").removesuffix("…'")
    assert label.endswith("…'") and len(shown) < LABEL_CHARS
    assert long.startswith(shown) and long[len(shown)] == " "  # cut between words
    one_word = "x" * 300
    assert ZoneFeature(3, name=one_word).label == f"feature 3 '{'x' * (LABEL_CHARS - 1)}…'"


# --- 6. The Map's zones caption names the zones --------------------------------------------


def test_map_caption_lists_the_zones_shown_by_name(store_env):
    from test_tidy import _page

    at = _page("app.py")
    (line,) = [c.value.replace("\\", "") for c in at.caption if c.value.startswith("Zones as of")]
    # the whole UCDP release ends in 2019: Idlib and the Sochi demilitarised zone
    assert "Idlib (v4, agreed)" in line and "Sochi demilitarised zone (v2, agreed)" in line, line
    assert "idlib (" not in line and "sochi_dmz" not in line


# --- 6. The Sources page: names, origins and licences, no project paths -------------------


def test_sources_page_names_datasets_and_licences_but_no_paths(store_env):
    from test_tidy import _page

    at = _page("pages/sources.py")
    text = "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)
    for path in ("data/", "scripts/", "geo/", "tests/", ".py", str(store_env)):
        assert path not in text, path
    for words in (
        "Uppsala Conflict Data Program",
        "CC BY 4.0",
        "GeoNames",
        "CC BY-IGO",
        "ged_syria.csv",  # a file by its own name
        "knapply/data4ds4da",  # where the UCDP copy came from
        "ACLED's terms forbid redistribution",
    ):
        assert words in text, words


# --- 7. The reports' timelines say which events run past their bar -----------------------

LONGER = re.compile(r"([\d,]+) events? with a date range longer than the bar \(a (week|month)\)")


def _longer_in(at) -> tuple[int, str]:
    (found,) = [m for c in at.caption if (m := LONGER.search(c.value.replace("\\", "")))]
    return int(found.group(1).replace(",", "")), found.group(2)


def _past_their_period(frame, freq: str) -> int:
    """Counted independently: an event's last day after the last day of its start's
    week (from Monday) or month."""
    import pandas as pd

    start = pd.to_datetime(frame["date_start"])
    end = pd.to_datetime(frame["date_end"])
    if freq == "month":
        last = start + pd.offsets.MonthEnd(0)
    else:
        last = start + pd.to_timedelta(6 - start.dt.weekday, unit="D")
    return int((end > last).sum())


def test_zone_report_timeline_says_how_many_events_run_past_their_bar(store_env):
    from datetime import date

    from test_tidy import _page

    from geo.report import zone_report
    from geo.store import open_store

    at = _page("pages/zone_report.py")
    count, freq = _longer_in(at)
    # the events of the page's zone (the default filters select all), counted again
    store = open_store()
    zone_id = at.selectbox(key="zone").value
    report = zone_report(
        store.events(),
        store.zone_versions(),
        zone_id,
        zone_name=zone_id,
        freq=freq,
        pivot=date(2018, 1, 1),
        days=90,
        km=20,
        exclude_coarse=at.checkbox(key="coarse").value,
    )
    assert count == _past_their_period(report.in_zone, freq) > 0


def test_place_report_timeline_says_how_many_events_run_past_their_bar(store_env):
    from test_tidy import _page

    at = _page("pages/place_report.py")
    count, freq = _longer_in(at)
    assert count > 0 and freq in ("week", "month")


def test_a_governorate_level_event_has_no_nearest_place_but_says_governorate_only(store_env):
    """A town next to a governorate's centroid read as the event's place (third
    walkthrough): the coarse locations of the Zone report (analysis.COARSE) get none."""
    from test_tidy import _page

    from geo import analysis
    from geo import table as T

    assert set(T.NO_NEAREST) == analysis.COARSE
    at = _page("pages/events.py")
    at.multiselect(key="precision").set_value(["admin1"]).run()
    table = at.dataframe[0].value
    assert len(table) and (table["Location precision"] == "admin1").all()
    assert (table["Nearest place"] == "(governorate only)").all()
    assert table["Distance (km)"].isna().all()
