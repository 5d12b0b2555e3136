"""GeoPackages: opened by :func:`geo.uploads.backup.open_geopackage` (from memory,
read-only, bounded work); geometry blobs decoded by :mod:`geo.gpkg_format`."""

from __future__ import annotations

import sqlite3

from pyproj import CRS

from geo import gpkg_format
from geo.gpkg_format import quote as _q
from geo.uploads.backup import NotAGeoPackage, open_geopackage
from geo.uploads.common import UploadError
from geo.uploads.crs import crs_from_wkt, epsg
from geo.uploads.model import Refused, ZoneUpload, choose_layer


def read_gpkg(data: bytes, name: str, layer: str | None, upload: ZoneUpload):
    upload.format = "GeoPackage"
    # Bounded work whatever the file holds: no value over 64 MB, no query over 20 s.
    try:
        con = open_geopackage(data, name, seconds=20, check=False)
    except NotAGeoPackage as exc:
        raise UploadError(f"{exc}; export the layer again as GeoPackage or GeoJSON") from None
    try:
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


def _gpkg_geometry(blob):
    try:
        return gpkg_format.decode(blob)
    except gpkg_format.BlobError as exc:
        return Refused(f"has {exc}")
