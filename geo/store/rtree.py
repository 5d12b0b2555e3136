"""Bulk loading of an SQLite R-tree: the spatial index of a GeoPackage layer.

SQLite's ``rtree`` module adds entries one at a time, splitting nodes as it goes: about
15-20 µs an entry here, so a million imported events spend 15-20 s on their index alone.
An R-tree packed in one pass from sorted entries (Sort-Tile-Recursive, the way GDAL builds
a GeoPackage's index in memory) takes about a second and gives fuller, tighter nodes.

The layout written is SQLite's own, documented at the top of its ``rtree.c``:

- ``<name>_node(nodeno INTEGER PRIMARY KEY, data BLOB)``: one row per node. The root is
  node 1. A node blob is ``node size`` bytes: a 2-byte tree depth (root only, else 0), a
  2-byte cell count, then cells of an 8-byte id and four 4-byte floats (minx, maxx, miny,
  maxy), all big-endian. A leaf cell's id is the layer's fid, an inner cell's its child's
  node number.
- ``<name>_rowid(rowid INTEGER PRIMARY KEY, nodeno)``: the leaf holding each entry.
- ``<name>_parent(nodeno INTEGER PRIMARY KEY, parentnode)``: every node but the root.

Coordinates are stored as 32-bit floats rounded outwards (a box's minimum down, its
maximum up), as ``rtree`` itself does. The tests check a packed tree with SQLite's own
``rtreecheck()`` and against the entries ``rtree`` writes itself.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from geo.gpkg_format import quote as _q

MAX_CELLS = 51  # RTREE_MAXCELLS in rtree.c
_CELL = np.dtype([("id", ">i8"), ("box", ">f4", (4,))])  # 24 bytes, as rtree.c writes them
_COLUMNS = {
    "node": ["nodeno", "data"],
    "rowid": ["rowid", "nodeno"],
    "parent": ["nodeno", "parentnode"],
}


def _rounded(values: np.ndarray, down: bool) -> np.ndarray:
    """float64 → float32 rounded down (a box's minimum) or up (its maximum), exactly as
    rtreeValueDown and rtreeValueUp in rtree.c do it."""
    towards, away = 1.0 - 1.0 / 8388608.0, 1.0 + 1.0 / 8388608.0
    with np.errstate(over="ignore"):  # beyond float32's range: ±inf, as rtree.c's cast
        out = values.astype(np.float32)
        wrong = out > values if down else out < values
        if wrong.any():
            d = values[wrong]
            grow = (d < 0) if down else (d >= 0)  # |d| made larger
            out[wrong] = (d * np.where(grow, away, towards)).astype(np.float32)
    return out


def _str_order(boxes: np.ndarray, per_node: int) -> np.ndarray:
    """Sort-Tile-Recursive order of boxes (n × [minx, maxx, miny, maxy]): vertical slices
    by centre x, each sorted by centre y, so consecutive runs of ``per_node`` are compact."""
    n = len(boxes)
    cx = boxes[:, 0].astype(np.float64) + boxes[:, 1]
    cy = boxes[:, 2].astype(np.float64) + boxes[:, 3]
    nodes = -(-n // per_node)
    slices = max(1, int(np.ceil(np.sqrt(nodes))))
    by_x = np.argsort(cx, kind="stable")
    slice_of = np.empty(n, dtype=np.int64)
    slice_of[by_x] = np.arange(n) // (slices * per_node)
    return np.lexsort((cy, slice_of))


def pack(
    ids: np.ndarray, boxes: np.ndarray, node_size: int
) -> tuple[list[tuple[int, bytes]], np.ndarray, list[tuple[int, int]]]:
    """An R-tree over ``ids`` with float64 ``boxes`` (n × [minx, maxx, miny, maxy]).

    Returns (node rows (nodeno, blob), the leaf node number of each id (in the order of
    ``ids``), parent rows (nodeno, parentnode)).
    """
    per_node = min(MAX_CELLS, (node_size - 4) // _CELL.itemsize)
    if per_node < 2:
        raise ValueError(f"an R-tree node of {node_size} bytes cannot hold two cells")
    ids = np.asarray(ids, dtype=np.int64)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(ids) != len(boxes):
        raise ValueError(f"{len(ids)} ids for {len(boxes)} boxes")
    if (
        not np.isfinite(boxes).all()
        or (boxes[:, 0] > boxes[:, 1]).any()
        or (boxes[:, 2] > boxes[:, 3]).any()
    ):
        raise ValueError("every box needs finite coordinates, its minimum below its maximum")
    entry_ids = ids
    entry_boxes = np.column_stack(
        [
            _rounded(boxes[:, 0], True),
            _rounded(boxes[:, 1], False),
            _rounded(boxes[:, 2], True),
            _rounded(boxes[:, 3], False),
        ]
    )
    levels = []  # bottom-up: (cell ids as level-local child indices or fids, boxes, counts)
    leaf_of = np.zeros(len(ids), dtype=np.int64)  # leaf index (level 0) of each input entry
    position = np.arange(len(ids))
    while len(entry_ids) > per_node:
        order = _str_order(entry_boxes, per_node)
        entry_ids, entry_boxes, position = entry_ids[order], entry_boxes[order], position[order]
        starts = np.arange(0, len(entry_ids), per_node)
        node_boxes = np.column_stack(
            [
                np.minimum.reduceat(entry_boxes[:, 0], starts),
                np.maximum.reduceat(entry_boxes[:, 1], starts),
                np.minimum.reduceat(entry_boxes[:, 2], starts),
                np.maximum.reduceat(entry_boxes[:, 3], starts),
            ]
        )
        counts = np.diff(np.append(starts, len(entry_ids)))
        levels.append((entry_ids, entry_boxes, counts))
        node_of_entry = np.arange(len(entry_ids)) // per_node
        if len(levels) == 1:
            leaf_of[position] = node_of_entry
        else:
            # The entries of this level are the nodes of the one below, in STR order.
            below_parent = np.empty(len(entry_ids), dtype=np.int64)
            below_parent[position] = node_of_entry
            levels[-2] = (*levels[-2], below_parent)
        entry_ids = np.arange(len(starts), dtype=np.int64)  # this level's nodes, by index
        entry_boxes = node_boxes.astype(np.float32)
        position = np.arange(len(starts))
    depth = len(levels)
    # Number the nodes: the root is 1, then each level from the top down.
    first = {}
    next_no = 2
    for level in range(depth - 1, -1, -1):
        first[level] = next_no
        next_no += len(levels[level][2])
    nodes: list[tuple[int, bytes]] = []
    parents: list[tuple[int, int]] = []

    def blob(cell_ids: np.ndarray, cell_boxes: np.ndarray, level_depth: int) -> bytes:
        cells = np.zeros(len(cell_ids), dtype=_CELL)
        cells["id"] = cell_ids
        cells["box"] = cell_boxes
        head = np.array([level_depth, len(cell_ids)], dtype=">u2").tobytes()
        body = head + cells.tobytes()
        return body + bytes(node_size - len(body))

    # The root holds the top entries: fids when the tree is one leaf, else node numbers.
    root_ids = entry_ids if depth == 0 else entry_ids + first[depth - 1]
    nodes.append((1, blob(root_ids, entry_boxes, depth)))
    for level in range(depth):
        cell_ids, cell_boxes, counts = levels[level][:3]
        if level > 0:
            cell_ids = cell_ids + first[level - 1]  # children: nodes of the level below
        if level == depth - 1:
            parent_no = np.ones(len(counts), dtype=np.int64)
        else:
            parent_no = levels[level][3] + first[level + 1]
        start = 0
        for k, count in enumerate(counts.tolist()):
            nodes.append(
                (
                    first[level] + k,
                    blob(cell_ids[start : start + count], cell_boxes[start : start + count], 0),
                )
            )
            start += count
        numbers = first[level] + np.arange(len(counts))
        parents.extend(zip(numbers.tolist(), parent_no.tolist(), strict=True))
    leaf_no = leaf_of + first[0] if depth else np.ones(len(ids), dtype=np.int64)
    return nodes, leaf_no, parents


def node_size(con: sqlite3.Connection, name: str) -> int | None:
    """The node size of R-tree ``name``, or None if it is not a plain 2-D ``rtree`` laid
    out as ``rtree.c`` documents (then it is left to SQLite)."""
    row = con.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    if not row or not row[0]:
        return None
    sql = " ".join(row[0].split()).lower()
    if "using rtree(" not in sql or sql.count(",") != 4:
        return None
    for suffix, columns in _COLUMNS.items():
        found = [r[1] for r in con.execute(f"PRAGMA table_info({_q(f'{name}_{suffix}')})")]
        if found != columns:
            return None
    root = con.execute(f"SELECT length(data) FROM {_q(name + '_node')} WHERE nodeno = 1").fetchone()
    return int(root[0]) if root and root[0] else None


def rebuild(con: sqlite3.Connection, name: str, ids: np.ndarray, boxes: np.ndarray) -> bool:
    """Replace the whole content of R-tree ``name`` by a packed tree of ``ids`` and
    ``boxes``, in the caller's transaction. Returns False (and changes nothing) when the
    tree is not one this module knows how to write."""
    size = node_size(con, name)
    if size is None:
        return False
    nodes, leaf_no, parents = pack(ids, boxes, size)
    for suffix in _COLUMNS:
        con.execute(f"DELETE FROM {_q(f'{name}_{suffix}')}")
    con.executemany(f"INSERT INTO {_q(name + '_node')} (nodeno, data) VALUES (?, ?)", nodes)
    con.executemany(
        f"INSERT INTO {_q(name + '_rowid')} (rowid, nodeno) VALUES (?, ?)",
        zip(np.asarray(ids, dtype=np.int64).tolist(), leaf_no.tolist(), strict=True),
    )
    con.executemany(
        f"INSERT INTO {_q(name + '_parent')} (nodeno, parentnode) VALUES (?, ?)", parents
    )
    return True
