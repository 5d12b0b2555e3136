"""Backup files people bring to restore (part of the upload gate, :mod:`geo.uploads`).

A backup is a GeoPackage written by ``zonewatch backup``; the one given to ``zonewatch
restore`` may be anything. It is opened here as every untrusted SQLite file is
(:func:`open_geopackage`): read-only and immutable (nothing in or beside it is written),
with the schema's views and triggers unable to call functions, values bounded in size,
the file's integrity checked, and each table required to be a plain table with the
columns the store writes. Its geometries are decoded by the store's own codec
(:mod:`geo.gpkg_format`), refusing any other kind of blob. Anything else is refused with
one message before the store is touched.

Refusals are :class:`~geo.errors.StoreError` (the CLI's exit status 1, as before).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote as url_quote

from geo import gpkg_format
from geo.errors import StoreError
from geo.gpkg_format import quote
from geo.hashing import sha256_of
from geo.store import tables as T
from geo.store.version import SCHEMA_VERSION

if TYPE_CHECKING:
    import pandas as pd

_SQLITE_MAGIC = b"SQLite format 3\x00"
_GPKG_TABLES = ("gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys")
_UNREADABLE = "'{name}' is an SQLite file but not a readable GeoPackage"
#: no value in an untrusted file is read over this many bytes
MAX_VALUE_BYTES = 64 * 1024 * 1024


class NotAGeoPackage(StoreError):
    """An SQLite file (or bytes) that is not a GeoPackage one can read safely."""


def open_geopackage(
    source: bytes | Path, name: str, seconds: float | None = None, check: bool = True
) -> sqlite3.Connection:
    """An untrusted GeoPackage (its bytes, or a file) opened for reading only: a file
    immutable (no journal, lock or WAL file written or read), bytes in memory;
    ``trusted_schema`` off (views and triggers cannot call functions), ``query_only``,
    values over :data:`MAX_VALUE_BYTES` refused, every query stopped after ``seconds``
    (None: no limit), the file's integrity checked (when ``check``) and the GeoPackage
    tables required. ``name`` is how messages call the file. Raises
    :class:`NotAGeoPackage`, whose message callers complete with their advice."""
    con = _connect(source, name)
    try:
        con.execute("PRAGMA trusted_schema = OFF")
        con.execute("PRAGMA query_only = ON")
        con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        if seconds is not None:
            deadline = time.monotonic() + seconds
            con.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        if check and not _intact(con):
            raise NotAGeoPackage(f"'{name}' is a damaged SQLite file")
        for meta in _GPKG_TABLES:
            if _kind(con, meta) != "table":
                raise NotAGeoPackage(
                    f"'{name}' is an SQLite file but not a GeoPackage (no {meta} table)"
                )
    except sqlite3.DatabaseError:
        con.close()
        raise NotAGeoPackage(_UNREADABLE.format(name=name)) from None
    except BaseException:
        con.close()
        raise
    return con


def _connect(source: bytes | Path, name: str) -> sqlite3.Connection:
    if isinstance(source, bytes):
        if not source.startswith(_SQLITE_MAGIC):
            raise NotAGeoPackage(f"'{name}' is not an SQLite file")
        con = sqlite3.connect(":memory:", isolation_level=None)
        try:
            con.deserialize(source)
        except sqlite3.DatabaseError:
            con.close()
            raise NotAGeoPackage(_UNREADABLE.format(name=name)) from None
        return con
    with Path(source).open("rb") as fh:
        if fh.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
            raise NotAGeoPackage(f"'{name}' is not an SQLite file")
    uri = "file:" + url_quote(str(Path(source).resolve())) + "?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


def _intact(con: sqlite3.Connection) -> bool:
    try:
        return con.execute("PRAGMA quick_check").fetchone() == ("ok",)
    except sqlite3.DatabaseError:
        return False


def _kind(con: sqlite3.Connection, name: str) -> str | None:
    row = con.execute("SELECT type FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class BackupFile:
    """A backup that passed the gate: its tables as the store reads its own."""

    name: str
    sha256: str
    frames: dict[str, pd.DataFrame]


def read_backup(path: str | Path) -> BackupFile:
    """Check and read a backup made by ``zonewatch backup``; refuse anything else with a
    :class:`~geo.errors.StoreError` that says what the file is and what to give instead."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"'{path.name}' is not a file; give the path of a ZoneWatch backup")
    refusal = f"'{path.name}' is not a ZoneWatch backup; give a file made by 'zonewatch backup'"
    try:
        con = open_geopackage(path, path.name)
    except NotAGeoPackage as exc:
        raise StoreError(f"{refusal} ({exc})") from None
    try:
        version = _check_schema(con, path.name, refusal)
        present = T.tables_of(version)
        # A table the backup's schema did not have yet restores as empty.
        frames = {
            t.name: _read_table(con, t, path.name) if t in present else T.from_rows(t, [], None)
            for t in T.TABLES
        }
    except (sqlite3.DatabaseError, ValueError, TypeError):  # unreadable, or values not typed
        raise StoreError(
            f"'{path.name}' is a damaged backup (it cannot be read); nothing was restored"
        ) from None
    finally:
        con.close()
    return BackupFile(path.name, sha256_of(path), frames)


#: The oldest backup schema restored (3: the tables of 4 and later restore as empty).
OLDEST_RESTORED = 3


def _check_schema(con: sqlite3.Connection, name: str, refusal: str) -> int:
    """The backup's schema version, once its tables are checked."""
    if _kind(con, "zonewatch_meta") != "table":
        raise StoreError(refusal)
    row = con.execute("SELECT value FROM zonewatch_meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        raise StoreError(refusal)
    text = str(row[0])[:20]
    if not text.isdigit() or not OLDEST_RESTORED <= int(text) <= SCHEMA_VERSION:
        raise StoreError(
            f"'{name}' is a backup of schema {text}; this version of ZoneWatch restores "
            f"schemas {OLDEST_RESTORED} to {SCHEMA_VERSION}"
            + (
                "; restore it with the newer ZoneWatch that made it"
                if text.isdigit() and int(text) > SCHEMA_VERSION
                else ""
            )
        )
    version = int(text)
    for table in T.tables_of(version):
        wanted = table.names + (["geom"] if table.geometry else [])
        have = {r[1] for r in con.execute(f"PRAGMA table_info({quote(table.name)})")}
        if _kind(con, table.name) != "table" or not set(wanted) <= have:
            raise StoreError(f"{refusal} (its table '{table.name}' is not the store's)")
    return version


def _read_table(con: sqlite3.Connection, table, name: str) -> pd.DataFrame:
    cols = table.names + (["geom"] if table.geometry else [])
    rows = con.execute(
        f"SELECT {', '.join(map(quote, cols))} FROM {quote(table.name)} ORDER BY fid"
    ).fetchall()
    if not table.geometry:
        return T.from_rows(table, rows, None)
    try:
        geoms = [gpkg_format.decode(r[-1]) for r in rows]
    except gpkg_format.BlobError as exc:
        raise StoreError(
            f"'{name}' is a damaged backup: the table '{table.name}' holds {exc}; "
            "nothing was restored"
        ) from None
    return T.from_rows(table, [r[:-1] for r in rows], geoms)
