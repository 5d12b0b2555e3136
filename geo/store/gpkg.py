"""The embedded store: one GeoPackage file (SQLite), WAL mode, filled from ``data/``.

The file is built complete in a temporary file beside its final path and then linked
into place, so a crash during first start never leaves a half-filled store and two
processes starting at once end up with the same single store.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo import shipped
from geo.errors import StoreError
from geo.schema import DATE_COLUMNS, EVENT_COLUMNS, INT_COLUMNS, ZONE_COLUMNS
from geo.store.base import Store

SCHEMA_VERSION = 1
ZONE_DATE_COLUMNS = ("memorandum_date", "in_force_from", "valid_from")
ZONE_EXTRA_COLUMNS = ("source_file", "sha256", "created_at")


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=30)
    con.execute("PRAGMA busy_timeout = 30000")
    return con


def _zones_for_storage(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = zones.copy()
    for col in ZONE_EXTRA_COLUMNS:
        if col not in out.columns:
            out[col] = ""
    out["created_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for col in ZONE_DATE_COLUMNS:
        out[col] = pd.to_datetime(out[col]).astype("datetime64[s]")
    out["version"] = out["version"].astype("int64")
    out = out[list(ZONE_COLUMNS) + list(ZONE_EXTRA_COLUMNS) + ["geometry"]]
    out["geometry"] = shapely.force_2d(out.geometry.values)
    out = out.set_geometry("geometry").to_crs("EPSG:4326")
    return out


class GeoPackageStore(Store):
    """A :class:`~geo.store.base.Store` in a single GeoPackage file."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def open(cls, path: Path) -> GeoPackageStore:
        """Open the store at ``path``, creating and filling it from ``data/`` if missing."""
        path = Path(path)
        if not path.exists():
            cls._create(path)
        store = cls(path)
        store._check()
        return store

    @classmethod
    def _create(cls, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the store ({exc.strerror}); "
                "set ZONEWATCH_STORE to a .gpkg path in a folder you can write to"
            ) from exc
        tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp.gpkg")
        try:
            cls._fill(tmp)
            try:
                os.link(tmp, path)  # atomic; fails if another process got there first
            except FileExistsError:
                pass
        except OSError as exc:
            raise StoreError(
                f"cannot write the store ({exc.strerror}); "
                "set ZONEWATCH_STORE to a .gpkg path in a folder you can write to"
            ) from exc
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(tmp) + suffix).unlink(missing_ok=True)

    @staticmethod
    def _fill(tmp: Path) -> None:
        events = shipped.events()
        geometry = gpd.points_from_xy(events["longitude"], events["latitude"])
        gdf = gpd.GeoDataFrame(events, geometry=geometry, crs="EPSG:4326")
        pyogrio.write_dataframe(gdf, tmp, layer="events", driver="GPKG")
        pyogrio.write_dataframe(
            _zones_for_storage(shipped.zones()),
            tmp,
            layer="zone_versions",
            driver="GPKG",
            promote_to_multi=True,
        )
        pyogrio.write_dataframe(shipped.places(), tmp, layer="places", driver="GPKG")
        for level in (0, 1):
            pyogrio.write_dataframe(
                shipped.admin(level),
                tmp,
                layer=f"admin{level}",
                driver="GPKG",
                promote_to_multi=True,
            )
        con = _connect(tmp)
        try:
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("CREATE TABLE zonewatch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            con.executemany(
                "INSERT INTO zonewatch_meta VALUES (?, ?)",
                [
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("revision", "1"),
                    ("created_at", datetime.now(UTC).isoformat(timespec="seconds")),
                ],
            )
            con.commit()
        finally:
            con.close()

    def _check(self) -> None:
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
                f"the store file is not a ZoneWatch GeoPackage ({exc}); "
                "move it away or set ZONEWATCH_STORE to another path"
            ) from exc
        if row is None or int(row[0]) != SCHEMA_VERSION:
            raise StoreError(
                f"the store was made by another version of ZoneWatch (schema {row and row[0]}); "
                f"this version reads schema {SCHEMA_VERSION}"
            )

    @property
    def description(self) -> str:
        return f"GeoPackage {self.path}"

    def revision(self) -> str:
        con = _connect(self.path)
        try:
            (value,) = con.execute(
                "SELECT value FROM zonewatch_meta WHERE key = 'revision'"
            ).fetchone()
        finally:
            con.close()
        return f"{self.path}:{value}"

    def events(self) -> pd.DataFrame:
        df = pyogrio.read_dataframe(self.path, layer="events", read_geometry=False, use_arrow=True)
        for col in DATE_COLUMNS:
            df[col] = df[col].astype("datetime64[s]")
        for col in INT_COLUMNS:
            df[col] = df[col].astype("Float64").astype("Int64")
        for col in EVENT_COLUMNS:
            if df[col].dtype == object or str(df[col].dtype) == "str":
                df[col] = df[col].fillna("").astype(str)
        return df[list(EVENT_COLUMNS)]

    def zone_versions(self) -> gpd.GeoDataFrame:
        gdf = pyogrio.read_dataframe(self.path, layer="zone_versions")
        for col in ZONE_DATE_COLUMNS:
            gdf[col] = gdf[col].astype("datetime64[s]")
        gdf["version"] = gdf["version"].astype("int64")
        for col in ZONE_COLUMNS + ZONE_EXTRA_COLUMNS:
            if col not in ZONE_DATE_COLUMNS and col != "version":
                gdf[col] = gdf[col].fillna("").astype(str)
        return gdf

    def add_zone_version(self, zone: gpd.GeoDataFrame) -> list[int]:
        con = _connect(self.path)
        try:
            latest = dict(
                con.execute("SELECT zone_id, MAX(version) FROM zone_versions GROUP BY zone_id")
            )
        finally:
            con.close()
        rows = zone.copy()
        versions = [int(latest.get(z, 0)) + 1 for z in rows["zone_id"]]
        rows["version"] = versions
        pyogrio.write_dataframe(
            _zones_for_storage(rows),
            self.path,
            layer="zone_versions",
            driver="GPKG",
            append=True,
            promote_to_multi=True,
        )
        self._bump()
        return versions

    def _bump(self) -> None:
        con = _connect(self.path)
        try:
            con.execute(
                "UPDATE zonewatch_meta SET value = CAST(value AS INTEGER) + 1 "
                "WHERE key = 'revision'"
            )
            con.commit()
        finally:
            con.close()

    def places(self) -> gpd.GeoDataFrame:
        gdf = pyogrio.read_dataframe(self.path, layer="places")
        for col in ("population", "label_zoom"):
            gdf[col] = gdf[col].astype("int64")
        return gdf

    def admin(self, level: int) -> gpd.GeoDataFrame:
        if level not in (0, 1):
            raise StoreError(f"admin level must be 0 or 1, got {level}")
        return pyogrio.read_dataframe(self.path, layer=f"admin{level}")
