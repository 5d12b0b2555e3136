"""The store: one interface, its engine chosen here and nowhere else.

Which store: :func:`open_store` takes it as an argument (``url`` or ``path``); without
one, from the environment:

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
from geo.store.version import SCHEMA_VERSION

if TYPE_CHECKING:
    from geo.store.base import ImportResult, Store


def default_store_path() -> Path:
    """Where the embedded store lives when ``ZONEWATCH_STORE`` is not set."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "zonewatch" / "zonewatch.gpkg"


def open_store(
    url: str | None = None, path: str | Path | None = None, *, seed: bool = True
) -> Store:
    """Open a store, creating it on first start (filled from ``data/`` if ``seed``; a
    restore starts from an empty store).

    ``url`` (``postgresql+psycopg://...``) names a PostGIS store, ``path`` (a ``.gpkg``
    file) an embedded one; with neither, the environment decides (``DATABASE_URL``, else
    ``ZONEWATCH_STORE``, else :func:`default_store_path`). Nothing here writes the
    environment."""
    url, gpkg = store_location(url, path)
    if url:
        from geo.store.postgis import PostGISStore

        return PostGISStore.open(url, seed=seed)
    from geo.store.gpkg import GeoPackageStore

    return GeoPackageStore.open(gpkg, seed=seed)


def store_location(
    url: str | None = None, path: str | Path | None = None
) -> tuple[str | None, Path | None]:
    """The store :func:`open_store` opens: ``(url, None)`` for PostGIS or ``(None, path)``
    for a GeoPackage; what is given explicitly wins over the environment."""
    if url is not None and path is not None:
        raise StoreError("name one store: a database URL or a .gpkg path, not both")
    named = "the store"
    if path is None and url is None:
        url = os.environ.get("DATABASE_URL", "").strip() or None
        if url is None:
            named = "ZONEWATCH_STORE"
            path = os.environ.get("ZONEWATCH_STORE") or default_store_path()
    if url is not None:
        return url.strip(), None
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise StoreError(f"{named} must name a .gpkg file, got '{path.name}'")
    return None, path


def configured_gpkg_path(path: str | Path | None = None) -> Path | None:
    """The GeoPackage :func:`open_store` would open for ``path`` (None when PostGIS is
    chosen)."""
    return store_location(None, path)[1]


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
    "store_location",
]
