"""The store: one interface, its engine chosen here and nowhere else.

Configuration (environment):

- ``DATABASE_URL=postgresql+psycopg://user:password@host:port/dbname``: the PostGIS
  engine, for teams sharing one server among several app processes.
- otherwise ``ZONEWATCH_STORE``: the path of the embedded GeoPackage store. Default:
  ``$XDG_DATA_HOME/zonewatch/zonewatch.gpkg`` (``~/.local/share/zonewatch/zonewatch.gpkg``).

The engines (and pandas) are imported when a store is opened, not with this package.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from geo.errors import StoreError

if TYPE_CHECKING:
    from geo.store.base import ImportResult, Store

#: The layout version both engines write (see the migrations of each engine).
SCHEMA_VERSION = 3


def default_store_path() -> Path:
    """Where the embedded store lives when ``ZONEWATCH_STORE`` is not set."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "zonewatch" / "zonewatch.gpkg"


def open_store(seed: bool = True) -> Store:
    """Open the configured store, creating it on first start (filled from ``data/`` if
    ``seed``; a restore starts from an empty store)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        from geo.store.postgis import PostGISStore

        return PostGISStore.open(url, seed=seed)
    from geo.store.gpkg import GeoPackageStore

    return GeoPackageStore.open(configured_gpkg_path(), seed=seed)


def configured_gpkg_path() -> Path | None:
    """The GeoPackage the configuration names (None when ``DATABASE_URL`` chooses PostGIS)."""
    if os.environ.get("DATABASE_URL", "").strip():
        return None
    path = Path(os.environ.get("ZONEWATCH_STORE") or default_store_path())
    if path.suffix.lower() != ".gpkg":
        raise StoreError(f"ZONEWATCH_STORE must name a .gpkg file, got '{path.name}'")
    return path


def __getattr__(name: str):
    if name in ("ImportResult", "Store"):  # imported when asked for: they load pandas
        from geo.store import base

        return getattr(base, name)
    raise AttributeError(f"module 'geo.store' has no attribute '{name}'")


__all__ = [
    "SCHEMA_VERSION",
    "ImportResult",
    "Store",
    "configured_gpkg_path",
    "default_store_path",
    "open_store",
]
