"""The embedded engine: one GeoPackage file (SQLite), WAL mode.

- Layers are created by GDAL (through pyogrio), so the file is a proper GeoPackage with an
  R-tree spatial index that QGIS and ArcGIS open; rows are then written with :mod:`sqlite3`
  in real transactions (``BEGIN IMMEDIATE``), which GDAL's index triggers follow because
  the ``ST_*`` functions they call are registered on each connection.
- WAL: readers keep reading while one writer writes. A second writer waits a bounded time,
  retrying and telling :attr:`Store.on_busy`, and then gets :class:`StoreBusyError`
  ("busy, try again") instead of SQLite's "database is locked".
- Every write adds rows; no layer is ever dropped or rewritten.
- A new store is built complete in a temporary file and linked into place, so a crash
  during first start never leaves a half-filled store.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo import gpkg_format as blob
from geo.errors import StoreBusyError, StoreError  # noqa: F401  (StoreBusyError re-exported)
from geo.filters import EventFilter, event_mask
from geo.gpkg_format import quote as _q
from geo.store import base
from geo.store import rtree as rtree_bulk
from geo.store import tables as T
from geo.store.base import Store
from geo.store.gpkg_sql import event_where as _event_where

_BUSY_STEP_MS = 250

_ROWS_PER_BATCH = 5000
#: events read at a time for the in-memory index (Store.event_columns)
INDEX_BATCH = 500_000
# Page cache while an import writes (SQLite's default is 2 MB): the indexes of a large
# table stay in memory instead of being read back from the OS for every batch.
_BULK_CACHE_KIB = 128 * 1024
# An import rebuilds the R-tree and the plain indexes whole when it brings at least this
# many rows and at least a quarter of the rows the table will then hold.
BULK_MIN_ROWS = 50_000
# Packing holds every entry of the R-tree in memory (about 130 bytes each): beyond this
# many, the new points go in one by one and memory stays flat.
PACK_MAX_ROWS = 4_000_000


def _arrays(cursor, columns: int) -> np.ndarray:
    """A query's numeric rows as one float64 array, read in batches (no list of a million
    tuples). Fids stay exact below 2**53."""
    parts = []
    while batch := cursor.fetchmany(100_000):
        parts.append(np.array(batch, dtype=np.float64).reshape(-1, columns))
    return np.concatenate(parts) if parts else np.zeros((0, columns))


def _rebuild_pays(rows: int, existing: int) -> bool:
    """Whether indexes are cheaper rebuilt than kept row by row for an import of ``rows``
    rows into a table of ``existing`` rows. Measured here per row: SQLite's R-tree insert
    15-20 µs against 1.5 µs to pack the whole tree again, the date index about 7 µs row by
    row against 1 µs to make it again; a quarter leaves a margin over the break-even."""
    return rows >= BULK_MIN_ROWS and rows * 4 >= rows + existing


def _register(con: sqlite3.Connection) -> None:
    """The SQL functions GDAL's R-tree triggers call, for writes made outside GDAL."""

    con.create_function("ST_IsEmpty", 1, blob.is_empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        con.create_function(
            name, 1, lambda b, i=i: None if b is None else blob.envelope(b)[i], deterministic=True
        )


def _connect(path: Path, timeout_ms: int = _BUSY_STEP_MS) -> sqlite3.Connection:
    # mode=rw: never create an empty file in place of a store that has gone missing.
    uri = "file:" + quote(str(Path(path).resolve())) + "?mode=rw"
    try:
        con = sqlite3.connect(uri, uri=True, timeout=timeout_ms / 1000, isolation_level=None)
    except sqlite3.OperationalError:
        raise StoreError(
            f"the store file '{Path(path).name}' is missing or cannot be opened; restart "
            "ZoneWatch to create it again, or set ZONEWATCH_STORE to the right .gpkg path"
        ) from None
    con.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
    _register(con)
    return con


def _empty_frame(table: T.Table) -> pd.DataFrame:
    dtypes = {T.TEXT: "str", T.INT: "Int64", T.REAL: "float64", T.DATE: "date32[pyarrow]"}
    data = {c: pd.Series([], dtype=dtypes[k]) for c, k in table.columns}
    if table.geometry:
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    return pd.DataFrame(data)


_SQLITE_TYPES = {T.TEXT: "TEXT", T.INT: "INTEGER", T.REAL: "REAL", T.DATE: "DATE"}


def _attribute_table(table: T.Table) -> list[str]:
    """The statements that add a table without geometry as GDAL makes one (a row id
    ``fid``, the columns, a GeoPackage ``attributes`` entry) with a unique index on its
    identity; nothing is done to a table that exists."""
    cols = ", ".join(f"{_q(c)} {_SQLITE_TYPES[k]}" for c, k in table.columns)
    return [
        f"CREATE TABLE IF NOT EXISTS {_q(table.name)} "
        f'("fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {cols})',
        f"CREATE UNIQUE INDEX IF NOT EXISTS {_q(table.name + '_identity')} "
        f"ON {_q(table.name)} ({', '.join(map(_q, table.identity))})",
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
        f"last_change) VALUES ('{table.name}', 'attributes', '{table.name}', '', "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
    ]


MIGRATIONS = {
    # version -> statements that bring a store from version - 1 to version
    1: [],  # version 1: the layers themselves, made by GDAL
    2: [
        'CREATE UNIQUE INDEX IF NOT EXISTS "events_identity" ON "events" (dataset, dataset_id)',
        'CREATE INDEX IF NOT EXISTS "events_dates" ON "events" (date_start, date_end)',
        'CREATE UNIQUE INDEX IF NOT EXISTS "zone_versions_identity" '
        'ON "zone_versions" (zone_id, version)',
        'CREATE UNIQUE INDEX IF NOT EXISTS "places_identity" ON "places" (geonameid)',
        'CREATE UNIQUE INDEX IF NOT EXISTS "history_identity" ON "history" (entry_id)',
    ],
    3: [
        # Boundaries restored twice before this version were inserted twice: keep the first.
        'DELETE FROM "admin0" WHERE fid NOT IN (SELECT MIN(fid) FROM "admin0" GROUP BY pcode)',
        'DELETE FROM "admin1" WHERE fid NOT IN (SELECT MIN(fid) FROM "admin1" GROUP BY pcode)',
        'CREATE UNIQUE INDEX IF NOT EXISTS "admin0_identity" ON "admin0" (pcode)',
        'CREATE UNIQUE INDEX IF NOT EXISTS "admin1_identity" ON "admin1" (pcode)',
    ],
    # The matches: the latest build's links, the builds, the decisions (versioned).
    4: [stmt for table in T.MATCH_TABLES for stmt in _attribute_table(table)],
}


class GeoPackageStore(Store):
    """A :class:`~geo.store.base.Store` in a single GeoPackage file."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)

    # --- opening and creating ----------------------------------------------------------

    @classmethod
    def open(cls, path: Path, seed: bool = True) -> GeoPackageStore:
        """Open the store at ``path``; create it (filled from ``data/`` if ``seed``) if missing."""
        path = Path(path)
        if not path.exists():
            cls.create(path, seed=seed, exist_ok=True)
        store = cls(path)
        store._migrate()
        if seed and store.is_empty():
            store.seed()  # e.g. a store left empty by a restore that failed
        elif seed:
            store.add_shipped_history()
        return store

    @classmethod
    def create(cls, path: Path, seed: bool, exist_ok: bool = False) -> GeoPackageStore:
        """Build a new store in a temporary file, then link it into place atomically."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the store ({exc.strerror}); "
                "set ZONEWATCH_STORE to a .gpkg path in a folder you can write to"
            ) from exc
        tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp.gpkg")
        try:
            for table in T.tables_of(1):  # the later tables are made by the migrations
                frame = _empty_frame(table)
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=table.name,
                    driver="GPKG",
                    use_arrow=True,
                    geometry_type=table.geometry if table.geometry else None,
                )
            con = _connect(tmp)
            try:
                con.execute("PRAGMA journal_mode = WAL")
                con.execute(
                    "CREATE TABLE zonewatch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
                )
                con.executemany(
                    "INSERT INTO zonewatch_meta VALUES (?, ?)",
                    [("schema_version", "1"), ("revision", "0"), ("created_at", T.now_utc())],
                )
            finally:
                con.close()
            store = cls(tmp)
            store._migrate()
            if seed:
                store.seed()
            store._checkpoint()
            try:
                os.link(tmp, path)  # atomic; fails if another process got there first
            except FileExistsError:
                if not exist_ok:
                    raise StoreError(f"'{path.name}' exists already") from None
        except OSError as exc:
            raise StoreError(
                f"cannot write the store ({exc.strerror}); "
                "set ZONEWATCH_STORE to a .gpkg path in a folder you can write to"
            ) from exc
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(tmp) + suffix).unlink(missing_ok=True)
        return cls(path)

    def _checkpoint(self) -> None:
        con = _connect(self.path)
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()

    def _schema_version(self) -> int:
        try:
            con = _connect(self.path)
            try:
                row = con.execute(
                    "SELECT value FROM zonewatch_meta WHERE key = 'schema_version'"
                ).fetchone()
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"'{self.path.name}' is not a ZoneWatch GeoPackage ({exc}); "
                "move it away or set ZONEWATCH_STORE to another path"
            ) from exc
        if row is None:
            raise StoreError(f"'{self.path.name}' is not a ZoneWatch GeoPackage")
        return int(row[0])

    def _migrate(self) -> None:
        version = self._schema_version()
        if version > T.SCHEMA_VERSION:
            raise StoreError(
                f"the store was made by a newer ZoneWatch (schema {version}); "
                f"this version reads schema {T.SCHEMA_VERSION} and older"
            )
        if version == T.SCHEMA_VERSION:
            return
        with self._transaction() as con:
            current = int(
                con.execute(
                    "SELECT value FROM zonewatch_meta WHERE key = 'schema_version'"
                ).fetchone()[0]
            )
            for target in range(current + 1, T.SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target]:
                    con.execute(statement)
            con.execute(
                "UPDATE zonewatch_meta SET value = ? WHERE key = 'schema_version'",
                (str(T.SCHEMA_VERSION),),
            )

    # --- primitives --------------------------------------------------------------------

    @contextmanager
    def _transaction(self):
        con = _connect(self.path)
        try:
            attempt = 0
            started = time.monotonic()
            while True:
                try:
                    con.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                    attempt += 1
                    self._wait_turn(attempt, started)
            try:
                yield con
                con.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                con.execute("ROLLBACK")
                raise StoreError(
                    f"the store could not be written ({exc}); nothing was saved"
                ) from None
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()

    @contextmanager
    def _bulk_insert(self, tx, table, rows: int):
        """GDAL's R-tree and feature-count triggers call Python functions and update a row
        for every inserted event. For an import they are dropped, the count is updated by
        one statement at the end and the triggers are put back as they were; all in the
        import's transaction, so a failure rolls back the schema change too.

        The R-tree gets the new points (an event's point is its longitude and latitude) by
        one statement at the end, or, for an import large against the table (see
        :func:`_rebuild_pays`), is packed again whole (:mod:`geo.store.rtree`), and the
        table's plain indexes are made again once instead of row by row."""
        rtree = f"rtree_{table.name}_geom"
        names = (f"{rtree}_insert", f"trigger_insert_feature_count_{table.name}")
        saved = tx.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN (?, ?)",
            names,
        ).fetchall()
        if table.geometry != "Point" or len(saved) != 2:
            yield  # not the layout GDAL makes: leave its triggers alone
            return
        last, count = tx.execute(
            f"SELECT COALESCE(MAX(fid), 0), COUNT(*) FROM {_q(table.name)}"
        ).fetchone()
        # Plain (not unique) indexes, for an import expected to be large: the unique ones
        # decide what INSERT OR IGNORE skips, so they stay.
        plain = (
            tx.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
                (table.name,),
            ).fetchall()
            if _rebuild_pays(rows, count)
            else []
        )
        for name, _ in saved:
            tx.execute(f"DROP TRIGGER {_q(name)}")
        for name, _ in plain:
            tx.execute(f"DROP INDEX {_q(name)}")
        # The connection is the import's own (closed after it), so the size is not restored.
        tx.execute(f"PRAGMA cache_size = {-_BULK_CACHE_KIB}")
        yield
        new_rows = f"FROM {_q(table.name)} WHERE fid > ? AND geom IS NOT NULL"
        added = tx.execute(f"SELECT COUNT(*) {new_rows}", (last,)).fetchone()[0]
        if not (
            _rebuild_pays(added, count)
            and count + added <= PACK_MAX_ROWS
            and self._pack_rtree(tx, table, rtree, last)
        ):
            tx.execute(
                f"INSERT OR REPLACE INTO {_q(rtree)} SELECT fid, longitude, longitude, "
                f"latitude, latitude {new_rows}",
                (last,),
            )
        for _, sql in plain + saved:
            tx.execute(sql)
        tx.execute(
            "UPDATE gpkg_ogr_contents SET feature_count = feature_count + ? "
            "WHERE lower(table_name) = lower(?)",
            (added, table.name),
        )

    @staticmethod
    def _pack_rtree(tx, table, rtree: str, last: int) -> bool:
        """Pack the R-tree again with its entries and the points of the rows after fid
        ``last``, in a savepoint: False (and nothing changed) if it cannot be done, and the
        caller inserts the new points one by one instead."""
        # The entries already there are kept as they are (GDAL made them from each
        # geometry); the new rows' points are their longitude and latitude.
        old = _arrays(tx.execute(f"SELECT id, minx, maxx, miny, maxy FROM {_q(rtree)}"), 5)
        new = _arrays(
            tx.execute(
                f"SELECT fid, longitude, longitude, latitude, latitude FROM {_q(table.name)} "
                "WHERE fid > ? AND geom IS NOT NULL",
                (last,),
            ),
            5,
        )
        both = np.concatenate([old, new])
        fids = np.concatenate([old[:, 0], new[:, 0]]).astype(np.int64)
        tx.execute("SAVEPOINT zonewatch_rtree")
        try:
            done = rtree_bulk.rebuild(tx, rtree, fids, both[:, 1:])
        except (ValueError, sqlite3.DatabaseError):  # a box that is not finite, a locked table
            done = False
        if not done:
            tx.execute("ROLLBACK TO zonewatch_rtree")
        tx.execute("RELEASE zonewatch_rtree")
        return done

    def _insert(self, tx, table: T.Table, frame: pd.DataFrame, skip_existing: bool) -> int:
        names = table.names + (["geom"] if table.geometry else [])
        verb = "INSERT OR IGNORE" if skip_existing else "INSERT"
        sql = (
            f"{verb} INTO {_q(table.name)} ({', '.join(map(_q, names))}) "
            f"VALUES ({', '.join('?' * len(names))})"
        )
        # rowcount (sqlite3_changes) counts the rows this statement inserted, not the
        # triggers' writes nor the rows INSERT OR IGNORE left out.
        added = 0
        for start in range(0, len(frame), _ROWS_PER_BATCH):  # bounded memory for big frames
            rows, geoms = T.to_rows(table, frame.iloc[start : start + _ROWS_PER_BATCH])
            if table.geometry:
                blobs = blob.encode_many(geoms)
                rows = (row + (g,) for row, g in zip(rows, blobs, strict=True))
            added += tx.executemany(sql, rows).rowcount
        return added

    def _max_versions(self, tx) -> dict[str, int]:
        return dict(tx.execute("SELECT zone_id, MAX(version) FROM zone_versions GROUP BY zone_id"))

    def _count(self, tx, table: T.Table) -> int:
        return tx.execute(f"SELECT COUNT(*) FROM {_q(table.name)}").fetchone()[0]

    def _bump_revision(self, tx) -> None:
        tx.execute(
            "UPDATE zonewatch_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'"
        )

    # --- reads -------------------------------------------------------------------------

    def _read_connection(self) -> sqlite3.Connection:
        return _connect(self.path, timeout_ms=int(base.WRITE_WAIT * 1000))

    _READ_ERRORS = (sqlite3.DatabaseError,)

    def _read_failed(self, exc: BaseException) -> str:
        return (
            f"the store could not be read ({exc}); if this persists, restore it from a "
            "backup ('zonewatch restore') into a new store"
        )

    def read_table(self, table: T.Table) -> pd.DataFrame:
        cols = ", ".join(map(_q, table.names + (["geom"] if table.geometry else [])))
        rows = self._read(f"SELECT {cols} FROM {_q(table.name)} ORDER BY fid")
        if table.geometry:
            geoms = [blob.decode(r[-1]) for r in rows]
            return T.from_rows(table, [r[:-1] for r in rows], geoms)
        return T.from_rows(table, rows, None)

    def events(self, flt: EventFilter | None = None) -> pd.DataFrame:
        where, params = _event_where(flt)
        cols = ", ".join(map(_q, T.EVENTS.names))
        rows = self._read(f"SELECT {cols} FROM events {where} ORDER BY fid", params)
        events = T.events_frame(T.from_rows(T.EVENTS, rows, None))
        if flt is not None and (flt.types is not None or flt.datasets is not None):
            keep = event_mask(events, EventFilter(types=flt.types, datasets=flt.datasets))
            events = events[keep].reset_index(drop=True)
        return events

    def _fids_clause(self, fids: list[int]) -> tuple[str, tuple]:
        # One parameter whatever the count (SQLite limits the number of parameters).
        return "fid IN (SELECT value FROM json_each(?))", (json.dumps(fids),)

    def event_columns(self, after: int | None = None) -> pd.DataFrame:
        df = T.concat_columns(list(self.event_column_batches(after)))
        if df["fid"].is_monotonic_increasing:
            return df
        return df.sort_values("fid", kind="stable").reset_index(drop=True)

    def event_column_batches(self, after: int | None = None) -> Iterator[pd.DataFrame]:
        # GDAL reads the columns straight into Arrow: about 0.4 s for a million events,
        # against 5 s through Python rows. Read in batches, each turned into categoricals
        # at once: the events' text is never held whole (ten million events' actors as
        # Arrow strings alone take about 2 GB).
        try:
            with pyogrio.open_arrow(
                self.path,
                layer="events",
                columns=list(T.INDEX_COLUMNS),
                read_geometry=False,
                return_fids=True,
                use_pyarrow=True,
                batch_size=INDEX_BATCH,
                where=None if after is None else f"fid > {int(after)}",
            ) as (_, reader):
                any_batch = False
                for batch in reader:
                    any_batch = True
                    yield batch.to_pandas(strings_to_categorical=True, date_as_object=False)
        except pyogrio.errors.DataSourceError as exc:
            raise StoreError(f"the store's events could not be read ({exc})") from None
        if not any_batch:  # nothing after ``after``: the common SQL gives the empty frame
            yield super().event_columns(after)

    def revision(self) -> str:
        (value,) = self._read("SELECT value FROM zonewatch_meta WHERE key = 'revision'")[0]
        return f"gpkg:{self.path}:{value}"

    @property
    def description(self) -> str:
        return "GeoPackage (embedded)"
