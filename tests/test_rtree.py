"""The packed R-tree (geo.store.rtree) against SQLite's own: SQLite's rtreecheck() finds
it sound, it holds exactly the entries SQLite's rtree would hold for the same boxes, it
answers box queries the same way, and SQLite keeps it sound through later inserts and
deletes."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from geo.store import rtree

BOX = "minx >= ? AND maxx <= ? AND miny >= ? AND maxy <= ?"


def _two_trees(ids, boxes, page_size=4096):
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.execute(f"PRAGMA page_size = {page_size}")
    for name in ("packed", "inserted"):
        con.execute(f"CREATE VIRTUAL TABLE {name} USING rtree(id, minx, maxx, miny, maxy)")
    con.executemany(
        "INSERT INTO inserted VALUES (?, ?, ?, ?, ?)",
        [(int(i), *map(float, b)) for i, b in zip(ids, boxes, strict=True)],
    )
    assert rtree.rebuild(con, "packed", ids, boxes)
    return con


def _rows(con, name, where="", params=()):
    return con.execute(
        f"SELECT * FROM {name} {'WHERE ' + where if where else ''} ORDER BY id", params
    ).fetchall()


@pytest.mark.parametrize("n", [0, 1, 51, 52, 2601, 2602, 40_000])
def test_a_packed_tree_is_sound_and_holds_what_sqlite_would(n):
    rng = np.random.default_rng(n)
    ids = rng.choice(10**12, n, replace=False) + 1
    x = rng.uniform(35.5, 42.5, n)
    y = rng.uniform(32.2, 37.4, n)
    x[: n // 10] = np.round(x[: n // 10], 1)  # shared coordinates: ties in the sort
    boxes = np.column_stack([x, x, y, y])
    con = _two_trees(ids, boxes)
    assert con.execute("SELECT rtreecheck('packed')").fetchone()[0] == "ok"
    # the same entries, to the float32 SQLite stores (rounded outwards)
    assert _rows(con, "packed") == _rows(con, "inserted")
    for query in [(37.0, 38.0, 34.0, 35.5), (35.0, 43.0, 32.0, 38.0), (36.1, 36.2, 33.0, 33.1)]:
        assert _rows(con, "packed", BOX, query) == _rows(con, "inserted", BOX, query)
    # SQLite's own inserts and deletes keep the packed tree sound
    con.execute("INSERT INTO packed VALUES (7, 36, 36, 33, 33)")
    if n:
        con.executemany("DELETE FROM packed WHERE id = ?", [(int(i),) for i in ids[: n // 2]])
    assert con.execute("SELECT rtreecheck('packed')").fetchone()[0] == "ok"
    expected = n - n // 2 + 1
    assert con.execute("SELECT COUNT(*) FROM packed").fetchone()[0] == expected


def test_boxes_negative_coordinates_and_other_node_sizes():
    rng = np.random.default_rng(3)
    n = 5000
    lo = rng.uniform(-180, 170, (n, 2))
    size = rng.uniform(0, 10, (n, 2))
    boxes = np.column_stack(
        [lo[:, 0], lo[:, 0] + size[:, 0], lo[:, 1] / 2, lo[:, 1] / 2 + size[:, 1]]
    )
    ids = np.arange(1, n + 1)
    for page_size in (1024, 65536):  # nodes of 960 bytes (39 cells) and of 51 cells
        con = _two_trees(ids, boxes, page_size)
        assert con.execute("SELECT rtreecheck('packed')").fetchone()[0] == "ok"
        assert _rows(con, "packed") == _rows(con, "inserted")
        query = (-50.0, 60.0, -20.0, 40.0)
        assert _rows(con, "packed", BOX, query) == _rows(con, "inserted", BOX, query)


def test_a_tree_of_another_kind_is_left_to_sqlite():
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.execute("CREATE VIRTUAL TABLE ints USING rtree_i32(id, minx, maxx, miny, maxy)")
    con.execute("CREATE VIRTUAL TABLE cube USING rtree(id, x0, x1, y0, y1, z0, z1)")
    con.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY)")
    boxes = np.array([[1.0, 1.0, 2.0, 2.0]])
    for name in ("ints", "cube", "plain", "missing"):
        assert not rtree.rebuild(con, name, np.array([1]), boxes)
    assert con.execute("SELECT COUNT(*) FROM ints").fetchone()[0] == 0


def test_coordinates_are_rounded_outwards_exactly_as_sqlite_rounds_them():
    values = [0.0, -0.0, 1e-300, -1e-300, 1.4e-45, 0.1, -0.1, 35.123456789, -35.123456789]
    values += [3.4e38, -3.4e38, 1e39, -1e39]  # at and beyond float32's range
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")
    con.executemany(
        "INSERT INTO r VALUES (?, ?, ?, ?, ?)", [(i, v, v, v, v) for i, v in enumerate(values)]
    )
    stored = con.execute("SELECT minx, maxx FROM r ORDER BY id").fetchall()
    arr = np.array(values)
    down = rtree._rounded(arr, down=True).astype(float).tolist()
    up = rtree._rounded(arr, down=False).astype(float).tolist()
    assert stored == list(zip(down, up, strict=True))
    assert any(lo < v < hi for v, (lo, hi) in zip(values, stored, strict=True))  # not exact


def test_boxes_that_are_not_finite_or_inverted_are_refused():
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.execute("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")
    con.execute("INSERT INTO r VALUES (1, 1, 1, 1, 1)")
    for bad in ([[np.nan, 1, 1, 1]], [[1, 1, 1, np.inf]], [[2, 1, 1, 1]]):
        with pytest.raises(ValueError, match="finite coordinates, its minimum below its max"):
            rtree.rebuild(con, "r", np.array([9]), np.array(bad, dtype=float))
    with pytest.raises(ValueError, match="2 ids for 1 boxes"):
        rtree.rebuild(con, "r", np.array([1, 2]), np.array([[1.0, 1.0, 1.0, 1.0]]))
    assert con.execute("SELECT id FROM r").fetchall() == [(1,)]  # refused before writing
