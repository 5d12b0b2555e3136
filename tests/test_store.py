"""The GeoPackage store: created and filled on first start, reused, append-only zones."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import date

import pytest
import shapely

from conftest import stdlib_count
from geo import shipped
from geo.errors import StoreError
from geo.store import default_store_path, open_store


def test_first_start_fills_the_store(store_env):
    store = open_store()
    assert len(store.events()) == stdlib_count(None, None)
    assert len(store.zones()) == 4
    assert len(store.places()) == 308
    assert len(store.admin(1)) == 14
    con = sqlite3.connect(store_env)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_events_round_trip_the_model(store_env):
    stored = open_store().events().sort_values(["dataset", "dataset_id"]).reset_index(drop=True)
    original = shipped.events().sort_values(["dataset", "dataset_id"]).reset_index(drop=True)
    assert stored.dtypes.astype(str).tolist() == original.dtypes.astype(str).tolist()
    assert stored.equals(original)


def test_later_starts_reuse_the_store(fresh_store_path):
    store = open_store()
    store.add_zone_version(_changed_zone(store))
    again = open_store()
    assert len(again.zone_versions()) == 5  # the added version survived reopening


def _changed_zone(store, zone_id="eastern_ghouta"):
    zone = store.zones()
    zone = zone[zone["zone_id"] == zone_id].copy()
    zone["geometry"] = shapely.buffer(zone.geometry.values, -0.01)
    zone["valid_from"] = "2017-07-22"
    zone["author"] = "test"
    zone["note"] = "Cairo agreement"
    return zone


def test_new_version_is_added_never_overwritten(fresh_store_path):
    store = open_store()
    before = store.zone_versions()
    rev = store.revision()
    assert store.add_zone_version(_changed_zone(store)) == [2]
    after = store.zone_versions()
    assert len(after) == len(before) + 1
    assert store.revision() != rev
    ghouta = after[after["zone_id"] == "eastern_ghouta"].sort_values("version")
    assert ghouta["version"].tolist() == [1, 2]
    v1, v2 = ghouta.geometry.iloc[0], ghouta.geometry.iloc[1]
    assert v1.equals(before[before["zone_id"] == "eastern_ghouta"].geometry.iloc[0])
    assert v2.area < v1.area
    # The zones "as of" a date pick the version in force then.
    assert (
        store.zones(as_of=date(2017, 6, 1)).set_index("zone_id").loc["eastern_ghouta", "version"]
        == 1
    )
    assert store.zones().set_index("zone_id").loc["eastern_ghouta", "version"] == 2


def test_two_processes_starting_together_make_one_store(tmp_path):
    path = tmp_path / "race.gpkg"
    code = "from geo.store import open_store; print(len(open_store().zones()))"
    env = {"ZONEWATCH_STORE": str(path), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert outs == ["4", "4"]
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("race.gpkg")] == []


def test_not_a_store_gives_an_actionable_error(tmp_path, monkeypatch):
    bad = tmp_path / "notes.gpkg"
    bad.write_text("these are my notes, not a database")
    monkeypatch.setenv("ZONEWATCH_STORE", str(bad))
    with pytest.raises(StoreError, match="not a ZoneWatch GeoPackage.*ZONEWATCH_STORE"):
        open_store()
    assert bad.read_text() == "these are my notes, not a database"


def test_store_path_must_be_gpkg(monkeypatch, tmp_path):
    monkeypatch.setenv("ZONEWATCH_STORE", str(tmp_path / "store.sqlite"))
    with pytest.raises(StoreError, match=r"must name a \.gpkg file"):
        open_store()


def test_unwritable_folder_says_what_to_do(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("ZONEWATCH_STORE", str(blocker / "sub" / "z.gpkg"))
    with pytest.raises(StoreError, match="folder you can write to"):
        open_store()


def test_database_url_is_refused_clearly(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/db")
    with pytest.raises(StoreError, match="unset DATABASE_URL"):
        open_store()


def test_default_store_lives_under_a_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_store_path() == tmp_path / "zonewatch" / "zonewatch.gpkg"
