"""GeoPackages: read with sqlite3 from memory, read-only, with bounded work, and their
geometry blobs decoded here."""

from __future__ import annotations

import sqlite3
import struct
import time

import shapely
from pyproj import CRS

from geo.uploads.common import UploadError
from geo.uploads.crs import crs_from_wkt, epsg
from geo.uploads.model import Refused, ZoneUpload, choose_layer


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_gpkg(data: bytes, name: str, layer: str | None, upload: ZoneUpload):
    upload.format = "GeoPackage"
    con = sqlite3.connect(":memory:")
    deadline = time.monotonic() + 20
    try:
        con.deserialize(data)
        con.execute("PRAGMA trusted_schema = OFF")
        con.execute("PRAGMA query_only = ON")
        # Bounded work whatever the file holds: no value over 64 MB, no query over 20 s.
        con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 64 * 1024 * 1024)
        con.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        kinds = dict(con.execute("SELECT name, type FROM sqlite_master"))
        for meta in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys"):
            if kinds.get(meta) != "table":
                raise UploadError(
                    f"'{name}' is an SQLite file but not a GeoPackage (no {meta} table); "
                    "export the layer again as GeoPackage or GeoJSON"
                )
        tables = {
            t: (col, srs)
            for t, col, srs in con.execute(
                "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c "
                "JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
                "JOIN sqlite_master m ON m.name = c.table_name AND m.type = 'table' "
                "WHERE c.data_type = 'features' AND upper(m.sql) NOT LIKE 'CREATE VIRTUAL%' "
                "AND typeof(c.table_name) = 'text' AND typeof(g.column_name) = 'text'"
            )
        }
        if not tables:
            raise UploadError(f"'{name}' is a GeoPackage with no feature layer (no zones in it)")
        chosen = choose_layer(upload, tables, layer, name)
        if chosen is None:
            return [], None
        geom_col, srs_id = tables[chosen]
        if any(col[6] not in (0,) for col in con.execute(f"PRAGMA table_xinfo({_q(chosen)})")):
            raise UploadError(
                f"'{name}': the layer '{chosen[:60]}' has computed (generated or hidden) "
                "columns, which ZoneWatch does not read; export the layer again"
            )
        crs = _gpkg_crs(con, srs_id, name)
        cursor = con.execute(f"SELECT * FROM {_q(chosen)} LIMIT 100001")
        columns = [d[0] for d in cursor.description]
        records = []
        for row in cursor:
            props, geom = {}, None
            for col, value in zip(columns, row, strict=True):
                if col == geom_col:
                    geom = _gpkg_geometry(value)
                elif col != "fid":
                    props[col] = "<binary>" if isinstance(value, bytes) else value
            records.append((props, geom))
        return records, crs
    except sqlite3.Error:
        raise UploadError(
            f"'{name}' is an SQLite file but not a readable GeoPackage; export the layer "
            "again as GeoPackage or GeoJSON"
        ) from None
    finally:
        con.close()


def _gpkg_crs(con, srs_id, name: str) -> CRS | None:
    if srs_id in (0, -1, None):
        return None
    row = con.execute(
        "SELECT organization, organization_coordsys_id, definition "
        "FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
        (srs_id,),
    ).fetchone()
    if row is None:
        raise UploadError(f"'{name}': the layer names a CRS (srs_id {srs_id}) it does not define")
    org, code, definition = row
    if str(org).casefold() == "epsg" and isinstance(code, int) and 0 < code < 10**6:
        return epsg(code, name)
    return crs_from_wkt(str(definition or ""), name)


_ENVELOPE = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def _gpkg_geometry(blob):
    if blob is None:
        return None
    if not isinstance(blob, bytes) or len(blob) < 8 or blob[:2] != b"GP":
        return Refused("has a geometry that is not a GeoPackage geometry blob")
    flags = blob[3]
    if flags & 0x20 or ((flags >> 1) & 0x07) not in _ENVELOPE:
        return Refused("has a GeoPackage geometry of an unsupported (extended) kind")
    try:
        return shapely.from_wkb(blob[8 + _ENVELOPE[(flags >> 1) & 0x07] :])
    except (shapely.errors.GEOSException, ValueError, struct.error):
        return Refused("has a damaged geometry (its WKB cannot be read)")
