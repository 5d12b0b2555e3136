"""Zone versions: which is in force on a date, the shipped history, diffs, rollback, and
the upgrade of a store filled before the history was shipped."""

from __future__ import annotations

import json
import subprocess
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geo import zones as Z

SQUARE = shapely.Polygon([(36.5, 35.8), (36.7, 35.8), (36.7, 36.0), (36.5, 36.0)])


def _versions(rows) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=["zone_id", "version", "valid_from", "status", "geometry"])
    frame["valid_from"] = pd.to_datetime(frame["valid_from"])
    for col in ("name_en", "name_ar"):
        frame[col] = frame["zone_id"]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def test_in_force_takes_the_latest_valid_from_not_the_latest_record():
    small = SQUARE.buffer(-0.05)
    v = _versions(
        [
            ("a", 1, "2017-05-06", "proposed", SQUARE),
            ("a", 2, "2018-01-01", "agreed", small),
            ("a", 3, "2017-06-01", "proposed", SQUARE.buffer(0.01)),  # added later, dated earlier
            ("b", 1, "2017-05-06", "proposed", SQUARE),
            ("b", 2, "2018-04-14", "ended", SQUARE),
            ("c", 1, "2019-01-01", "agreed", SQUARE),
        ]
    )
    on = {
        d: dict(
            zip(
                *[Z.in_force(v, date.fromisoformat(d))[c] for c in ("zone_id", "version")],
                strict=True,
            )
        )
        for d in ("2017-05-01", "2017-07-01", "2018-06-01", "2019-06-01")
    }
    assert on["2017-05-01"] == {}
    assert on["2017-07-01"] == {"a": 3, "b": 1}
    assert on["2018-06-01"] == {"a": 2}  # b ended; c not started
    assert on["2019-06-01"] == {"a": 2, "c": 1}
    assert dict(zip(Z.last_extent(v)["zone_id"], Z.last_extent(v)["version"], strict=True)) == {
        "a": 2,
        "b": 1,
        "c": 1,
    }


def test_area_is_equal_area_and_matches_the_geodesic_area():
    geod = Geod(ellps="WGS84")
    for geom in (
        SQUARE,
        shapely.box(35.8, 32.4, 42.3, 37.3),
        shapely.box(38.0, 34.5, 38.01, 34.51),
    ):
        geodesic = abs(geod.geometry_area_perimeter(geom)[0]) / 1e6
        assert Z.area_km2(geom) == pytest.approx(geodesic, rel=0.003)


def test_diff_adds_and_removes():
    new = shapely.box(36.6, 35.8, 36.8, 36.0)
    d = Z.diff(SQUARE, new)
    half = Z.area_km2(shapely.box(36.5, 35.8, 36.6, 36.0))
    assert d.removed_km2 == pytest.approx(half, rel=1e-6)
    assert d.added_km2 == pytest.approx(Z.area_km2(shapely.box(36.7, 35.8, 36.8, 36.0)), rel=1e-6)
    assert d.new_km2 - d.old_km2 == pytest.approx(d.added_km2 - d.removed_km2, abs=1e-6)
    assert Z.diff(None, SQUARE).added_km2 == pytest.approx(Z.area_km2(SQUARE))


def _export(store_path, at):
    from test_cli import zw

    out = zw("zones", "export", "--at", at, env_store=store_path)
    assert out.returncode == 0, out.stderr
    return {f["properties"]["zone_id"]: f["properties"] for f in json.loads(out.stdout)["features"]}


def test_export_at_two_dates_tells_the_history(store_env):
    june_2017 = _export(store_env, "2017-06-01")
    june_2018 = _export(store_env, "2018-06-01")
    assert set(june_2017) == {"idlib", "northern_homs", "eastern_ghouta", "south"}
    # Eastern Ghouta ended in April 2018 and northern Homs in May 2018
    assert set(june_2018) == {"idlib", "south"}
    assert june_2018["idlib"]["version"] == 3 and june_2018["idlib"]["valid_from"] == "2018-01-21"
    assert set(_export(store_env, "2018-10-01")) == {"idlib", "sochi_dmz"}
    assert set(_export(store_env, "2020-03-06")) == {"idlib", "m4_corridor"}


def test_store_filled_before_the_history_gets_it_once(make_store, engine, monkeypatch, tmp_path):
    """A store seeded with only the four first versions (as before the history shipped),
    plus a user's version, gains the shipped history after it, numbered after the user's."""
    import shutil

    from geo import shipped
    from geo.store import open_store

    data = tmp_path / "data"
    shutil.copytree(shipped.data_dir(), data)
    (data / shipped.ZONE_HISTORY_GEOJSON).unlink()
    monkeypatch.setenv("ZONEWATCH_DATA_DIR", str(data))
    store = make_store(seed=False)
    store.seed()
    assert len(store.zone_versions()) == 4
    mine = store.zones(date(2017, 6, 1)).query("zone_id == 'idlib'").copy()
    mine["valid_from"] = pd.Timestamp("2017-06-01")
    mine["note"] = "a user's version"
    assert store.add_zone_version(mine, who="analyst") == [2]
    monkeypatch.delenv("ZONEWATCH_DATA_DIR")
    store = open_store()
    v = store.zone_versions()
    assert len(v) == 4 + 1 + 14
    idlib = v[v["zone_id"] == "idlib"].sort_values("version")
    assert idlib["version"].tolist() == [1, 2, 3, 4, 5, 6]
    assert idlib.iloc[1]["note"] == "a user's version"
    assert str(idlib.iloc[-1]["valid_from"].date()) == "2020-03-06"
    assert store.add_shipped_history() == 0  # once only
    assert len(open_store().zone_versions()) == 19


def test_cli_list_and_history(store_env):
    from test_cli import zw

    out = zw("zones", "list", env_store=store_env)
    assert out.returncode == 0, out.stderr
    rows = {line.split("\t")[0]: line.split("\t") for line in out.stdout.splitlines()[1:]}
    assert rows["eastern_ghouta"][3] == "ended" and rows["idlib"][3] == "in force"
    assert rows["idlib"][1] == "5"
    out = zw("zones", "history", "Eastern Ghouta de-escalation zone", env_store=store_env)
    assert out.returncode == 0 and out.stdout.startswith("eastern_ghouta: 3 versions")
    out = zw("zones", "history", "atlantis", env_store=store_env)
    assert (
        out.returncode == 2 and out.stderr.count("\n") == 1 and "no zone 'atlantis'" in out.stderr
    )


def test_no_traceback_from_import_zones_on_a_directory(store_env, tmp_path):
    from test_cli import zw

    out = zw("import-zones", str(tmp_path), env_store=store_env)
    assert out.returncode == 2 and "is not a file" in out.stderr
    assert "Traceback" not in out.stderr
    _ = subprocess  # (the CLI runs as a subprocess in zw)
