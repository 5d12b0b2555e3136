"""The GeoPackage engine's bulk insert: GDAL's R-tree and feature-count triggers are set
aside during an import and their work is done once at the end; a large import packs the
R-tree again whole and makes the plain indexes again once. A GDAL reader (pyogrio, which
uses the R-tree for a box) must see exactly what the triggers would have made."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo.store import gpkg
from geo.store.gpkg import GeoPackageStore

TRIGGERS = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"


def _state(path):
    con = sqlite3.connect(path)
    try:
        return {
            "triggers": sorted(con.execute(TRIGGERS).fetchall()),
            "rtree": con.execute("SELECT COUNT(*) FROM rtree_events_geom").fetchone()[0],
            "rows": con.execute("SELECT COUNT(*) FROM events").fetchone()[0],
            "feature_count": con.execute(
                "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'events'"
            ).fetchone()[0],
            "indexes": sorted(
                con.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'events' AND sql IS NOT NULL"
                ).fetchall()
            ),
            "rtree_check": con.execute("SELECT rtreecheck('rtree_events_geom')").fetchone()[0],
        }
    finally:
        con.close()


def _new_events(store, n=3, offset=0):
    ev = store.events().head(n).copy()
    ev["dataset"] = "bulktest"
    ev["dataset_id"] = [f"b{offset + i}" for i in range(n)]
    ev["longitude"] = [40.01 + i * 0.01 for i in range(n)]
    ev["latitude"] = [33.01 + i * 0.01 for i in range(n)]
    return ev


def test_an_import_leaves_the_rtree_count_and_triggers_as_gdal_would(fresh_store_path):
    store = GeoPackageStore.open(fresh_store_path, seed=False)
    before = _state(fresh_store_path)
    assert len(before["triggers"]) >= 8 and before["rtree"] == before["rows"]

    result = store.add_events(_new_events(store, 3))
    assert result.added == 3
    after = _state(fresh_store_path)
    assert after["triggers"] == before["triggers"]  # put back exactly
    assert after["rows"] == before["rows"] + 3
    assert after["rtree"] == after["rows"] and after["feature_count"] == after["rows"]

    # GDAL's spatial filter goes through the R-tree: it finds the new points, and only them
    found = pyogrio.read_dataframe(
        fresh_store_path, layer="events", bbox=(40.0, 33.0, 40.05, 33.05)
    )
    assert sorted(found["dataset_id"]) == ["b0", "b1", "b2"]

    # a re-import adds nothing, and the count does not move
    assert store.add_events(_new_events(store, 3)).added == 0
    assert _state(fresh_store_path) == after


def test_a_failed_import_keeps_the_triggers_and_adds_nothing(fresh_store_path):
    store = GeoPackageStore.open(fresh_store_path, seed=False)
    before = _state(fresh_store_path)

    def chunks():
        yield _new_events(store, 2)
        raise OSError("the disk went away")

    with pytest.raises(OSError):
        store.add_event_chunks(chunks())
    assert _state(fresh_store_path) == before

    # and the triggers still work for writes that do not go through the bulk path
    con = sqlite3.connect(fresh_store_path)
    try:
        assert (
            con.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'rtree_events_geom_insert'"
            ).fetchone()[0]
            == 1
        )
    finally:
        con.close()
    assert isinstance(store.events(), pd.DataFrame)


def test_rows_are_converted_a_column_at_a_time_exactly_as_cell_by_cell(session_store_path):
    import geopandas as gpd
    import numpy as np
    import shapely

    from geo.gpkg_format import encode, encode_many
    from geo.store import tables as T

    ev = GeoPackageStore.open(session_store_path, seed=False).events().head(3000).copy()
    ev["import_id"] = "x"
    variants = [ev, ev.astype({"notes": object, "fatalities_best": "float64"})]
    for frame in variants:
        frame = frame.copy()
        frame.loc[frame.index[:5], "notes"] = None
        frame.loc[frame.index[:3], "fatalities_best"] = None
        frame.loc[frame.index[3:6], "date_end"] = pd.NaT
        frame = gpd.GeoDataFrame(
            frame, geometry=gpd.points_from_xy(frame.longitude, frame.latitude)
        )
        rows, geoms = T.to_rows(T.EVENTS, frame)
        columns = [frame[c].tolist() for c in T.EVENTS.names]
        kinds = [k for _, k in T.EVENTS.columns]
        expected = [
            tuple(T._cell(v, k) for v, k in zip(values, kinds, strict=True))
            for values in zip(*columns, strict=True)
        ]
        assert rows == expected
        assert {type(v) for r in rows for v in r} <= {str, int, float, type(None)}
    points = [shapely.Point(36.1, 35.2), shapely.Point(-0.0, 0.0), shapely.Point(-180, 90)]
    points += [shapely.Point(x, y) for x, y in zip(frame.longitude, frame.latitude, strict=True)]
    assert encode_many(points) == [encode(g) for g in points]  # the points-only path
    assert encode_many([None, *points[:2], shapely.Point()]) == [
        encode(g) for g in [None, *points[:2], shapely.Point()]
    ]
    shapes = [shapely.Point(36.1, 35.2), None, shapely.Point(), shapely.box(36, 33, 37, 34)]
    shapes += list(geoms[:100])
    assert encode_many(shapes) == [encode(g) for g in shapes]
    assert np.all([b is None or b[:2] == b"GP" for b in encode_many(shapes)])


def _many_events(store, n, offset=0):
    rng = np.random.default_rng(offset)
    base = store.events()
    ev = base.sample(n, replace=True, random_state=offset).reset_index(drop=True)
    ev["dataset"] = "bulktest"
    ev["dataset_id"] = [f"m{offset + i}" for i in range(n)]
    ev["longitude"] = rng.uniform(35.7, 42.3, n)
    ev["latitude"] = rng.uniform(32.4, 37.3, n)
    return ev


def _rtree_matches_the_table(path):
    """The R-tree holds exactly each event's point, as SQLite's rtree would store it."""
    con = sqlite3.connect(path)
    try:
        con.execute("CREATE TEMP TABLE points (fid, x, y)")
        con.execute("INSERT INTO points SELECT fid, longitude, latitude FROM events")
        con.execute("CREATE VIRTUAL TABLE temp.expected USING rtree(id, minx, maxx, miny, maxy)")
        con.execute("INSERT INTO expected SELECT fid, x, x, y, y FROM points")
        got = con.execute("SELECT * FROM rtree_events_geom ORDER BY id").fetchall()
        want = con.execute("SELECT * FROM expected ORDER BY id").fetchall()
        return got == want and len(got) > 0
    finally:
        con.close()


def _packed_nodes(rows):
    """Nodes of a packed tree of two levels under the root: full leaves, full parents."""
    leaves = -(-rows // 51)
    return leaves + -(-leaves // 51) + 1


def _node_count(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT COUNT(*) FROM rtree_events_geom_node").fetchone()[0]
    finally:
        con.close()


def test_a_large_import_packs_the_rtree_and_rebuilds_the_indexes(fresh_store_path, monkeypatch):
    # Large against the table: the shipped 16,575 events plus 6,000 new ones (more than a
    # quarter of the result); the row threshold is lowered so the test stays small.
    monkeypatch.setattr(gpkg, "BULK_MIN_ROWS", 1000)
    store = GeoPackageStore.open(fresh_store_path, seed=False)
    before = _state(fresh_store_path)
    assert gpkg._rebuild_pays(6000, before["rows"])
    assert not gpkg._rebuild_pays(3, before["rows"]) and not gpkg._rebuild_pays(999, 0)
    assert gpkg._rebuild_pays(1000, 3000) and not gpkg._rebuild_pays(1000, 3001)  # a quarter

    added = _many_events(store, 6000)
    assert store.add_events(added).added == 6000
    after = _state(fresh_store_path)
    assert after["rtree_check"] == "ok"
    assert after["triggers"] == before["triggers"] and after["indexes"] == before["indexes"]
    assert after["rows"] == before["rows"] + 6000
    assert after["rtree"] == after["feature_count"] == after["rows"]
    assert _rtree_matches_the_table(fresh_store_path)
    # packed: full nodes of 51 cells (SQLite's own splits leave them 1/3 to 2/3 full)
    assert _node_count(fresh_store_path) == _packed_nodes(after["rows"])

    # GDAL's box read (through the R-tree) finds exactly the events in the box
    box = (38.0, 34.0, 39.5, 35.2)
    found = pyogrio.read_dataframe(fresh_store_path, layer="events", bbox=box)
    every = store.events()
    inside = every[every.longitude.between(box[0], box[2]) & every.latitude.between(box[1], box[3])]
    assert sorted(found["dataset_id"]) == sorted(inside["dataset_id"])
    assert (found["dataset"] == "bulktest").sum() > 100

    # beyond the packing limit (memory), the new points go in one by one
    monkeypatch.setattr(gpkg, "PACK_MAX_ROWS", after["rows"])
    assert store.add_events(_many_events(store, 8000, offset=6000)).added == 8000
    assert _node_count(fresh_store_path) > _packed_nodes(after["rows"] + 8000)  # not packed
    assert _state(fresh_store_path)["rtree_check"] == "ok"
    assert _rtree_matches_the_table(fresh_store_path)
    after = _state(fresh_store_path)

    # afterwards, GDAL's triggers keep the packed tree right for a small import
    assert store.add_events(_new_events(store, 3)).added == 3
    later = _state(fresh_store_path)
    assert later["rtree_check"] == "ok" and later["rtree"] == later["rows"] == after["rows"] + 3
    assert _rtree_matches_the_table(fresh_store_path)


def test_a_failed_large_import_keeps_the_indexes_and_adds_nothing(fresh_store_path, monkeypatch):
    monkeypatch.setattr(gpkg, "BULK_MIN_ROWS", 1000)
    store = GeoPackageStore.open(fresh_store_path, seed=False)
    before = _state(fresh_store_path)

    def chunks():
        yield _many_events(store, 3000)
        yield _many_events(store, 3000, offset=3000)
        raise OSError("the disk went away")

    with pytest.raises(OSError):
        store.add_event_chunks(chunks(), expected_rows=9000)
    assert _state(fresh_store_path) == before


def _entries(path, where="", params=()):
    con = sqlite3.connect(path)
    try:
        return con.execute(
            f"SELECT * FROM rtree_events_geom {where} ORDER BY id", params
        ).fetchall()
    finally:
        con.close()


def test_entries_already_indexed_are_kept_as_gdal_made_them(fresh_store_path, monkeypatch):
    # A row edited outside ZoneWatch (e.g. in QGIS): its geometry is there, its coordinate
    # columns are not. Its entry (made from the geometry) must survive a packed rebuild.
    monkeypatch.setattr(gpkg, "BULK_MIN_ROWS", 1000)
    con = sqlite3.connect(fresh_store_path)
    gpkg._register(con)  # GDAL's update triggers call these functions
    with con:
        fid = con.execute("SELECT MIN(fid) FROM events").fetchone()[0]
        con.execute("UPDATE events SET longitude = NULL, latitude = NULL WHERE fid = ?", (fid,))
    con.close()
    entry = _entries(fresh_store_path, "WHERE id = ?", (fid,))
    assert len(entry) == 1
    store = GeoPackageStore.open(fresh_store_path, seed=False)
    assert store.add_event_chunks([_many_events(store, 6000)], expected_rows=6000).added == 6000
    after = _state(fresh_store_path)
    assert _node_count(fresh_store_path) == _packed_nodes(after["rows"])
    assert _entries(fresh_store_path, "WHERE id = ?", (fid,)) == entry
    world = "WHERE minx >= -180 AND maxx <= 180 AND miny >= -90 AND maxy <= 90"
    assert len(_entries(fresh_store_path, world)) == after["rows"] == after["rtree"]
    assert after["rtree_check"] == "ok"


def test_a_tree_that_cannot_be_packed_gets_the_new_points_one_by_one(fresh_store_path, monkeypatch):
    monkeypatch.setattr(gpkg, "BULK_MIN_ROWS", 1000)
    real = gpkg.rtree_bulk.rebuild

    def refused(tx, name, ids, boxes):  # as a database in defensive mode would refuse
        tx.execute(f'DELETE FROM "{name}_node"')
        raise sqlite3.OperationalError("table rtree_events_geom_node may not be modified")

    monkeypatch.setattr(gpkg.rtree_bulk, "rebuild", refused)
    store = GeoPackageStore.open(fresh_store_path, seed=False)
    before = _state(fresh_store_path)
    assert store.add_events(_many_events(store, 6000)).added == 6000
    after = _state(fresh_store_path)
    assert after["rtree_check"] == "ok" and after["rtree"] == after["rows"] == before["rows"] + 6000
    assert after["indexes"] == before["indexes"] and after["triggers"] == before["triggers"]
    assert _rtree_matches_the_table(fresh_store_path)

    # a failure of another kind at the end of the import rolls all of it back
    def broken(tx, name, ids, boxes):
        real(tx, name, ids, boxes)
        raise RuntimeError("out of memory, say")

    monkeypatch.setattr(gpkg.rtree_bulk, "rebuild", broken)
    with pytest.raises(RuntimeError):
        store.add_events(_many_events(store, 9000, offset=6000))
    assert _state(fresh_store_path) == after
    assert _rtree_matches_the_table(fresh_store_path)
