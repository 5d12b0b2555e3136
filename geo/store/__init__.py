"""The store: one interface, its engine chosen here and nowhere else.

Configuration (environment):

- ``ZONEWATCH_STORE``: path of the embedded GeoPackage store. Default:
  ``$XDG_DATA_HOME/zonewatch/zonewatch.gpkg`` (``~/.local/share/zonewatch/zonewatch.gpkg``).
- ``DATABASE_URL``: reserved for the PostGIS engine (not available in this version).
"""

from __future__ import annotations

import os
from pathlib import Path

from geo.errors import StoreError
from geo.store.base import Store


def default_store_path() -> Path:
    """Where the embedded store lives when ``ZONEWATCH_STORE`` is not set."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "zonewatch" / "zonewatch.gpkg"


def open_store() -> Store:
    """Open (and on first start create and fill) the configured store."""
    if os.environ.get("DATABASE_URL"):
        raise StoreError(
            "DATABASE_URL is set, but this version of ZoneWatch has only the embedded "
            "GeoPackage store; unset DATABASE_URL (or set ZONEWATCH_STORE to a .gpkg path)"
        )
    from geo.store.gpkg import GeoPackageStore

    path = Path(os.environ.get("ZONEWATCH_STORE") or default_store_path())
    if path.suffix.lower() != ".gpkg":
        raise StoreError(f"ZONEWATCH_STORE must name a .gpkg file, got '{path.name}'")
    return GeoPackageStore.open(path)


__all__ = ["Store", "open_store", "default_store_path"]
