"""One store test suite, run against both engines (GeoPackage and a real PostGIS server)."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest
import shapely

from conftest import ROOT, stdlib_count
from geo import shipped
from geo.errors import StoreBusyError, StoreError
from geo.filters import EventFilter, filter_events
from geo.store import backup as bk
from geo.store import default_store_path, open_store
from geo.store.gpkg import GeoPackageStore
from geo.store.version import SCHEMA_VERSION


def _changed_zone(store, zone_id="eastern_ghouta", valid_from="2017-07-22"):
    zone = store.zones(date(2017, 6, 1))
    zone = zone[zone["zone_id"] == zone_id].copy()
    zone["geometry"] = shapely.buffer(zone.geometry.values, -0.01)
    zone["valid_from"] = valid_from
    zone["author"] = "test"
    zone["note"] = "Cairo agreement"
    return zone


def test_first_start_fills_the_store(make_store):
    store = make_store()
    assert len(store.events()) == stdlib_count(None, None)
    assert len(store.zones(date(2017, 6, 1))) == 4
    assert len(store.zone_versions()) == 18  # with the shipped history 2017-2020
    assert len(store.places()) == 308
    assert len(store.admin(1)) == 14 and len(store.admin(0)) == 1
    assert store.history()["kind"].tolist() == ["seed"]


def test_events_round_trip_the_model(make_store):
    stored = make_store().events()
    original = shipped.events()
    assert stored.dtypes.astype(str).tolist() == original.dtypes.astype(str).tolist()
    key = ["dataset", "dataset_id"]
    assert (
        stored.sort_values(key)
        .reset_index(drop=True)
        .equals(original.sort_values(key).reset_index(drop=True))
    )


@pytest.mark.parametrize(
    "flt",
    [
        EventFilter(start=date(2017, 5, 1), end=date(2017, 5, 31)),
        EventFilter(start=date(2017, 5, 1), end=date(2017, 6, 30), types=("air STRIKE",)),
        EventFilter(datasets=("UCDP",), end=date(2016, 2, 1)),
        EventFilter(types=()),
        EventFilter(bbox=(36.2, 35.3, 37.2, 36.3), start=date(2017, 5, 6)),
    ],
    ids=["may-2017", "type", "dataset", "no-type", "bbox"],
)
def test_filters_run_in_the_engine_and_match_pandas(make_store, flt):
    store = make_store()
    expected = filter_events(shipped.events(), flt)
    got = store.events(flt)
    assert sorted(got["dataset_id"]) == sorted(expected["dataset_id"])
    if flt.bbox is None and flt.datasets is None and flt.types is None:
        assert len(got) == stdlib_count(flt.start.isoformat(), flt.end.isoformat())


def test_event_summary(make_store):
    summary = make_store().event_summary()
    events = shipped.events()
    assert summary.count == len(events)
    assert summary.first == events["date_start"].min().date()
    assert summary.last == events["date_end"].max().date()
    assert set(summary.types) == set(events["event_type"])
    assert summary.datasets == ("curated", "ucdp")


def test_new_version_is_added_never_overwritten(make_store):
    store = make_store()
    before = store.zone_versions()
    rev = store.revision()
    assert store.add_zone_version(
        _changed_zone(store), who="ana", file_name="g.geojson", sha256="ab" * 32
    ) == [4]  # after the three shipped versions
    assert store.revision() != rev
    after = store.zone_versions()
    assert len(after) == len(before) + 1
    ghouta = after[after["zone_id"] == "eastern_ghouta"].sort_values("version")
    assert ghouta["version"].tolist() == [1, 2, 3, 4]
    v1, v2 = ghouta.geometry.iloc[0], ghouta.geometry.iloc[3]
    assert v1.equals(before[before["zone_id"] == "eastern_ghouta"].geometry.iloc[0])
    assert v2.area < v1.area
    assert ghouta["source_file"].iloc[3] == "g.geojson"
    as_of = store.zones(as_of=date(2017, 6, 1)).set_index("zone_id")
    assert as_of.loc["eastern_ghouta", "version"] == 1
    # same valid_from as the shipped version 2: the newer record is the one in force
    assert store.zones(date(2017, 8, 1)).set_index("zone_id").loc["eastern_ghouta", "version"] == 4
    last = store.history().iloc[-1]
    assert (last["kind"], last["who"], last["file_name"]) == ("zone_version", "ana", "g.geojson")
    assert last["sha256"] == "ab" * 32 and "eastern_ghouta v4" in last["detail"]


def test_reimport_adds_nothing(make_store):
    sys.path.insert(0, str(ROOT / "tests"))
    from store_worker import _events

    store = make_store()
    batch = _events("reimport", 25)
    first = store.add_events(batch, who="ana", file_name="x.csv", sha256="cd" * 32)
    second = store.add_events(batch, who="ana", file_name="x.csv", sha256="cd" * 32)
    assert (first.added, first.already_present) == (25, 0)
    assert (second.added, second.already_present) == (0, 25)
    assert len(store.events()) == stdlib_count(None, None) + 25
    imports = store.history().query("kind == 'import'")
    assert imports["file_name"].tolist() == ["x.csv", "x.csv"]
    # An import that brings a known event again with others adds only the new ones.
    more = pd.concat([batch.head(5), _events("other", 3)], ignore_index=True)
    assert store.add_events(more).added == 3


def test_backup_restore_backup_round_trip(make_store, engine, tmp_path, request):
    """Backup from one engine, restore into an empty store of the other, backup again."""
    sys.path.insert(0, str(ROOT / "tests"))
    from store_worker import _events

    source = make_store()
    source.add_zone_version(_changed_zone(source), who="ana")
    source.add_events(_events("bk", 7), who="ana")
    first = tmp_path / "first.gpkg"
    bk.backup(source, first)
    # Restore into the *other* engine: GeoPackage -> PostGIS and PostGIS -> GeoPackage.
    if engine == "gpkg":
        from geo.store.postgis import PostGISStore

        url = request.getfixturevalue("postgis").create_db(f"restore_{tmp_path.name[-8:]}")
        target = PostGISStore.open(url, seed=False)
    else:
        target = GeoPackageStore.open(tmp_path / "target.gpkg", seed=False)
    counts = bk.restore(target, first, who="ana")
    assert counts["zone_versions"] == 19 and counts["events"] == stdlib_count(None, None) + 7
    second = tmp_path / "second.gpkg"
    bk.backup(target, second)
    a, b = GeoPackageStore(first), GeoPackageStore(second)
    za, zb = a.zone_versions(), b.zone_versions()
    assert pd.DataFrame(za.drop(columns="geometry")).equals(
        pd.DataFrame(zb.drop(columns="geometry"))
    )
    assert all(shapely.equals_exact(za.geometry.values, zb.geometry.values, 0))
    assert a.events().equals(b.events())
    assert a.places().drop(columns="geometry").equals(b.places().drop(columns="geometry"))
    assert b.history()["kind"].tolist()[-1] == "restore"


def test_restore_never_overwrites_a_different_version(make_store, tmp_path):
    store = make_store()
    store.add_zone_version(_changed_zone(store))
    backup = tmp_path / "b.gpkg"
    bk.backup(store, backup)
    other = make_store()
    other.add_zone_version(
        _changed_zone(other, valid_from="2018-01-01").assign(
            geometry=lambda z: shapely.buffer(z.geometry.values, -0.02)
        )
    )
    before = other.zone_versions()
    with pytest.raises(StoreError, match="differs from the one in this store"):
        bk.restore(other, backup)
    after = other.zone_versions()
    assert len(after) == len(before)
    assert all(shapely.equals_exact(after.geometry.values, before.geometry.values, 0))


def test_busy_writer_waits_retries_then_says_busy(make_store, engine, monkeypatch):
    import geo.store.base as base_mod

    store = make_store()
    monkeypatch.setattr(base_mod, "WRITE_WAIT", 1.5)
    calls = []
    store.on_busy = lambda attempt, waited: calls.append(attempt)
    holder = make_holder(store, engine)
    try:
        with pytest.raises(StoreBusyError, match="busy with another writer.*try again"):
            store.add_zone_version(_changed_zone(store))
    finally:
        holder.close()
    assert len(calls) >= 2
    assert store.add_zone_version(_changed_zone(store)) == [
        4
    ]  # free again (after the three shipped versions)


def make_holder(store, engine):
    """Another connection holding the write lock."""
    if engine == "gpkg":
        con = sqlite3.connect(store.path, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        return con
    import psycopg

    from geo.store.postgis import _LOCK_WRITE, conninfo

    con = psycopg.connect(conninfo(store.url))
    con.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_WRITE,))
    return con


def test_newer_schema_is_refused(make_store, engine):
    store = make_store()
    if engine == "gpkg":
        con = sqlite3.connect(store.path, isolation_level=None)
        con.execute("UPDATE zonewatch_meta SET value = '99' WHERE key = 'schema_version'")
        con.close()
    else:
        import psycopg

        from geo.store.postgis import conninfo

        with psycopg.connect(conninfo(store.url), autocommit=True) as con:
            con.execute("UPDATE zonewatch_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer ZoneWatch"):
        open_store()


# --- engine-specific ----------------------------------------------------------------


def test_gpkg_is_wal_with_a_spatial_index_gdal_reads(session_store_path):
    import pyogrio

    con = sqlite3.connect(session_store_path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    n = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert con.execute("SELECT COUNT(*) FROM rtree_events_geom").fetchone()[0] == n
    con.close()
    gdf = pyogrio.read_dataframe(session_store_path, layer="zone_versions")
    assert len(gdf) == 18 and gdf.crs.to_epsg() == 4326
    inside = pyogrio.read_dataframe(
        session_store_path, layer="events", bbox=(36.2, 35.3, 37.2, 36.3)
    )
    expected = filter_events(shipped.events(), EventFilter(bbox=(36.2, 35.3, 37.2, 36.3)))
    assert len(inside) == len(expected)


def test_gpkg_migrates_a_version_1_store(tmp_path, session_store_path, monkeypatch):
    import shutil

    path = tmp_path / "old.gpkg"
    shutil.copyfile(session_store_path, path)
    con = sqlite3.connect(path, isolation_level=None)
    for index in ("events_identity", "events_dates", "zone_versions_identity", "admin1_identity"):
        con.execute(f'DROP INDEX "{index}"')
    # a version-2 bug: boundaries restored twice were inserted twice
    from geo.store.gpkg import _register

    _register(con)  # the functions GDAL's R-tree triggers call
    con.execute(
        "INSERT INTO admin1 (geom, name_en, name_ar, pcode, level) "
        "SELECT geom, name_en, name_ar, pcode, level FROM admin1 WHERE pcode = 'SY01'"
    )
    con.execute("UPDATE zonewatch_meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    monkeypatch.setenv("ZONEWATCH_STORE", str(path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    open_store()
    con = sqlite3.connect(path)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"events_identity", "events_dates", "zone_versions_identity", "admin1_identity"} <= names
    assert con.execute("SELECT value FROM zonewatch_meta WHERE key='schema_version'").fetchone()[
        0
    ] == str(SCHEMA_VERSION)
    assert con.execute("SELECT COUNT(*) FROM admin1").fetchone()[0] == 14


def test_postgis_has_gist_and_date_indexes(postgis):
    import psycopg

    from geo.store.postgis import PostGISStore, conninfo

    store = PostGISStore.open(postgis.create_db("indexes", template="zonewatch_template"))
    with psycopg.connect(conninfo(store.url)) as con:
        defs = {r[0]: r[1] for r in con.execute("SELECT indexname, indexdef FROM pg_indexes")}
        srid = con.execute("SELECT Find_SRID('public', 'zone_versions', 'geom')").fetchone()[0]
    assert "USING gist" in defs["events_geom"] and "USING gist" in defs["zone_versions_geom"]
    assert "date_start" in defs["events_dates"]
    assert srid == 4326


def test_two_processes_starting_together_make_one_store(tmp_path):
    path = tmp_path / "race.gpkg"
    code = "from geo.store import open_store; print(len(open_store().zone_versions()))"
    env = {"ZONEWATCH_STORE": str(path), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert outs == ["18", "18"]
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("race.gpkg")] == []


def test_not_a_store_gives_an_actionable_error(tmp_path, monkeypatch):
    bad = tmp_path / "notes.gpkg"
    bad.write_text("these are my notes, not a database")
    monkeypatch.setenv("ZONEWATCH_STORE", str(bad))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(StoreError, match="not a ZoneWatch GeoPackage.*ZONEWATCH_STORE"):
        open_store()
    assert bad.read_text() == "these are my notes, not a database"


def test_store_path_must_be_gpkg(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ZONEWATCH_STORE", str(tmp_path / "store.sqlite"))
    with pytest.raises(StoreError, match=r"must name a \.gpkg file"):
        open_store()


def test_unwritable_folder_says_what_to_do(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ZONEWATCH_STORE", str(blocker / "sub" / "z.gpkg"))
    with pytest.raises(StoreError, match="folder you can write to"):
        open_store()


def test_unreachable_postgis_is_a_clear_message_without_password(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://ana:s3cret@127.0.0.1:1/db")
    with pytest.raises(StoreError) as err:
        open_store()
    assert "cannot connect to the PostGIS server at 127.0.0.1:1/db" in str(err.value)
    assert "s3cret" not in str(err.value)


def test_malformed_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://x@y/z")
    with pytest.raises(StoreError, match="must look like postgresql"):
        open_store()


def test_default_store_lives_under_a_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_store_path() == tmp_path / "zonewatch" / "zonewatch.gpkg"


def test_backup_refuses_existing_file(make_store, tmp_path):
    existing = tmp_path / "b.gpkg"
    existing.write_bytes(b"keep me")
    with pytest.raises(StoreError, match="exists already"):
        bk.backup(make_store(), existing)
    assert (
        hashlib.sha256(existing.read_bytes()).hexdigest() == hashlib.sha256(b"keep me").hexdigest()
    )


def test_store_deleted_while_running_is_not_recreated_empty(
    tmp_path, session_store_path, monkeypatch
):
    import shutil

    path = tmp_path / "gone.gpkg"
    shutil.copyfile(session_store_path, path)
    monkeypatch.setenv("ZONEWATCH_STORE", str(path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = open_store()
    path.unlink()
    with pytest.raises(StoreError, match="missing or cannot be opened.*restart"):
        store.events()
    assert not path.exists()
    assert len(open_store().zone_versions()) == 18  # a new start creates it again


def test_damaged_store_read_is_a_store_error(tmp_path, session_store_path, monkeypatch):
    import shutil

    path = tmp_path / "damaged.gpkg"
    shutil.copyfile(session_store_path, path)
    monkeypatch.setenv("ZONEWATCH_STORE", str(path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = open_store()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("ALTER TABLE events RENAME TO events_lost")
    con.close()
    with pytest.raises(StoreError, match="could not be read.*restore"):
        store.events()


def test_non_ascii_names_filter_the_same_on_both_engines(make_store):
    sys.path.insert(0, str(ROOT / "tests"))
    from store_worker import _events

    store = make_store()
    batch = _events("unicode", 3).assign(event_type="Échanges de tirs", dataset="Études")
    store.add_events(batch)
    assert len(store.events(EventFilter(types=("échanges DE TIRS",)))) == 3
    assert len(store.events(EventFilter(datasets=("ÉTUDES",)))) == 3
    assert "études" in store.event_summary().datasets  # dataset names are kept in one case


def test_restore_refuses_a_version_differing_only_in_properties(make_store, tmp_path):
    store = make_store()
    store.add_zone_version(_changed_zone(store).assign(note="Astana-6", valid_from="2017-09-15"))
    backup = tmp_path / "b.gpkg"
    bk.backup(store, backup)
    other = make_store()
    other.add_zone_version(_changed_zone(other).assign(note="something else"))
    with pytest.raises(StoreError, match="differs from the one in this store"):
        bk.restore(other, backup)
    assert (
        other.zone_versions().set_index(["zone_id", "version"]).loc[("eastern_ghouta", 4), "note"]
        == "something else"
    )


def test_restoring_twice_adds_nothing_the_second_time(make_store, tmp_path):
    store = make_store()
    backup = tmp_path / "b.gpkg"
    bk.backup(store, backup)
    counts = bk.restore(store, backup)
    assert {k: v for k, v in counts.items() if k != "history"} == {
        "events": 0,
        "zone_versions": 0,
        "places": 0,
        "admin0": 0,
        "admin1": 0,
        "match_links": 0,
        "match_builds": 0,
        "match_decisions": 0,
    }
    assert len(store.admin(1)) == 14 and len(store.admin(0)) == 1


def test_a_store_left_empty_is_filled_on_the_next_start(make_store):
    empty = make_store(seed=False)
    assert empty.is_empty() and len(empty.zones()) == 0
    assert len(open_store().zone_versions()) == 18  # a normal start fills it
