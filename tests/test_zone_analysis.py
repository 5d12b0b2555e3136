"""Events in zones, in time: the app's per-zone counts against an independent count
(standard-library ray casting on the exported zone versions, events read from the
shipped CSVs), including events on both sides of a boundary change."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from test_cli import zw

from conftest import DATA, stdlib_rows
from independent import in_geojson_polygon


@pytest.fixture(scope="module")
def exported_versions(session_store_path):
    out = zw("zones", "export", "--all-versions", env_store=session_store_path)
    assert out.returncode == 0, out.stderr
    by_zone: dict[str, list] = {}
    for f in json.loads(out.stdout)["features"]:
        p = f["properties"]
        by_zone.setdefault(p["zone_id"], []).append(
            (p["valid_from"], int(p["version"]), p["status"], f["geometry"], _bbox(f["geometry"]))
        )
    return by_zone


def _bbox(geometry: dict):
    polys = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    xs = [pt[0] for poly in polys for pt in poly[0]]
    ys = [pt[1] for poly in polys for pt in poly[0]]
    return min(xs), min(ys), max(xs), max(ys)


COARSE_UCDP = {"4", "5", "6", "7"}  # where_prec: admin1, region, country, international


def _shipped_events():
    """(dataset, id, start day, lon, lat, coarse) from the CSVs, with the csv module."""
    out = []
    for r in stdlib_rows(DATA / "ucdp" / "ged_syria.csv"):
        out.append(
            (
                "ucdp",
                r["id"],
                r["date_start"][:10],
                float(r["longitude"]),
                float(r["latitude"]),
                r["where_prec"] in COARSE_UCDP,
            )
        )
    for r in stdlib_rows(DATA / "events" / "curated_strikes.csv"):
        out.append(
            (
                "curated",
                r["dataset_id"],
                r["date_start"][:10],
                float(r["longitude"]),
                float(r["latitude"]),
                r["location_precision"] in {"admin1", "region", "country"},
            )
        )
    return out


def _independent(exported_versions, exclude_coarse=False):
    counts: Counter = Counter()
    where: dict = {}
    for dataset, ident, day, lon, lat, coarse in _shipped_events():
        if exclude_coarse and coarse:
            continue
        for zone_id, versions in exported_versions.items():
            live = [v for v in versions if v[0] <= day]
            if not live:
                continue
            valid_from, version, status, geometry, (x0, y0, x1, y1) = max(
                live, key=lambda v: (v[0], v[1])
            )
            if status == "ended" or not (x0 <= lon <= x1 and y0 <= lat <= y1):
                continue
            if in_geojson_polygon(lon, lat, geometry):
                counts[(zone_id, version)] += 1
                where[(dataset, ident, zone_id)] = version
    return counts, where


def test_membership_matches_an_independent_count(store_env, exported_versions):
    from geo.analysis import zone_membership
    from geo.store import open_store

    store = open_store()
    events = store.events()
    member = zone_membership(events, store.zone_versions())
    mine = Counter(zip(member["zone_id"], member["version"], strict=True))
    theirs, where = _independent(exported_versions)
    assert mine == theirs
    assert sum(theirs.values()) > 1000  # a real test: thousands of events in zones

    # Both sides of a boundary change: events in the strip Idlib lost on 21 January 2018
    # (east of the new line) count for Idlib before that day and not after it.
    idlib = {v[1]: v[3] for v in exported_versions["idlib"]}
    strip = [
        (day, (ds, i))
        for ds, i, day, lon, lat, _ in _shipped_events()
        if in_geojson_polygon(lon, lat, idlib[2]) and not in_geojson_polygon(lon, lat, idlib[3])
    ]
    before = [k for day, k in strip if "2017-09-15" <= day < "2018-01-21"]
    after = [k for day, k in strip if "2018-01-21" <= day < "2019-08-23"]
    assert before and after
    assert all(where.get((*k, "idlib")) == 2 for k in before)
    assert not any((*k, "idlib") in where for k in after)
    keyed = set(
        zip(
            events.loc[member["event"], "dataset"],
            events.loc[member["event"], "dataset_id"],
            member["zone_id"],
            strict=True,
        )
    )
    assert all((*k, "idlib") in keyed for k in before)
    assert not any((*k, "idlib") in keyed for k in after)


def test_cli_stats_totals_match_and_coarse_events_can_be_left_out(store_env, exported_versions):
    for flag, exclude in (([], False), (["--exclude-coarse"], True)):
        out = zw("zones", "stats", "--by", "month", *flag, env_store=store_env)
        assert out.returncode == 0, out.stderr
        totals: Counter = Counter()
        for row in csv.DictReader(io.StringIO(out.stdout)):
            totals[row["zone_id"]] += int(row["events"])
        theirs, _ = _independent(exported_versions, exclude_coarse=exclude)
        expected: Counter = Counter()
        for (zone_id, _), n in theirs.items():
            expected[zone_id] += n
        assert totals == expected
    assert out.stdout.splitlines()[0] == "zone_id,period,event_type,events,fatalities"


def test_cli_stats_json_and_dates(store_env):
    out = zw(
        "zones",
        "stats",
        "--from",
        "2018-01-01",
        "--to",
        "2018-01-31",
        "--by",
        "week",
        "--format",
        "json",
        env_store=store_env,
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows and {r["period"] for r in rows} <= {
        "2018-01-01",
        "2018-01-08",
        "2018-01-15",
        "2018-01-22",
        "2018-01-29",
    }
    bad = zw("zones", "stats", "--from", "2018-02-01", "--to", "2018-01-01", env_store=store_env)
    assert bad.returncode == 2 and "before --from" in bad.stderr


def test_nearest_place_matches_a_brute_force_vincenty_search():
    from geo import shipped
    from geo.analysis import nearest_places
    from independent import vincenty_km

    events = shipped.events().sample(150, random_state=7)
    places = shipped.places()
    got = nearest_places(events, places)
    coords = list(zip(places.geometry.y, places.geometry.x, strict=True))
    for (_, e), (_, g) in zip(events.iterrows(), got.iterrows(), strict=True):
        dists = [vincenty_km(e["latitude"], e["longitude"], la, lo) for la, lo in coords]
        assert g["nearest_km"] == pytest.approx(min(dists), abs=0.06)
        assert g["nearest_place"]


def test_events_page_table_has_the_nearest_place(store_env):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/events.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert {"Nearest place", "Distance (km)"} <= set(table.columns)
    # every event has one, but those located only by a region, the country or the sea
    from geo.table import LOCATED_ONLY_BY, NO_NEAREST

    placed = ~table["Location precision"].isin(NO_NEAREST)
    assert placed.any()
    assert (table.loc[placed, "Distance (km)"] >= 0).all()
    assert table.loc[placed, "Nearest place"].astype(bool).all()
    assert (
        table.loc[~placed, "Nearest place"]
        == table.loc[~placed, "Location precision"].map(LOCATED_ONLY_BY)
    ).all()
