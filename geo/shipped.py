"""The layers shipped in ``data/``: where they are and how they are read.

The store is filled from these on first start (see :mod:`geo.store`).
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import DataFileError
from geo.schema import ZONE_COLUMNS
from geo.sources import geonames, ocha, ucdp
from geo.sources.zonewatch_csv import read_events_csv


def data_dir() -> Path:
    """The shipped data folder (``ZONEWATCH_DATA_DIR`` or ``data/`` beside ``geo/``)."""
    return Path(
        os.environ.get("ZONEWATCH_DATA_DIR") or Path(__file__).resolve().parents[1] / "data"
    )


UCDP_CSV = "ucdp/ged_syria.csv"
CURATED_CSV = "events/curated_strikes.csv"
ZONES_GEOJSON = "zones/astana_2017.geojson"
ZONE_HISTORY_GEOJSON = "zones/history_2017_2020.geojson"
SHIPPED_AUTHOR = "ZoneWatch (shipped)"
PLACES_CSV = "geonames/geonames_sy_cities500.csv"
KEY_PLACES_CSV = "geonames/key_places.csv"
ADMIN = {0: "ocha/syr_admin0.shp", 1: "ocha/syr_admin1.shp"}

from geo.attribution import ATTRIBUTION  # noqa: E402,F401  (re-exported)


def events() -> pd.DataFrame:
    """The shipped events: UCDP GED Syria plus the curated reported strikes."""
    d = data_dir()
    return pd.concat(
        [ucdp.read_ucdp_csv(d / UCDP_CSV), read_events_csv(d / CURATED_CSV)], ignore_index=True
    )


def zones() -> gpd.GeoDataFrame:
    """The zones' shipped versions: the four Astana zones as first versions, then their
    dated history 2017-2020 (approximate; see data/SOURCES.md)."""
    out = gpd.GeoDataFrame(
        pd.concat([_zone_file(ZONES_GEOJSON), zone_history()], ignore_index=True),
        crs="EPSG:4326",
    )
    return out


def zone_history() -> gpd.GeoDataFrame:
    """The shipped versions after the first ones (data/zones/history_2017_2020.geojson)."""
    return _zone_file(ZONE_HISTORY_GEOJSON)


def _zone_file(name: str) -> gpd.GeoDataFrame:
    path = data_dir() / name
    if name == ZONE_HISTORY_GEOJSON and not path.exists():
        return _zone_file(ZONES_GEOJSON).iloc[0:0]
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several kinds; the file is ours
        raise DataFileError(path.name, "cannot be read as GeoJSON") from exc
    if name == ZONES_GEOJSON:
        gdf["version"] = 1
        gdf["author"] = SHIPPED_AUTHOR
        gdf["note"] = "Initial approximate boundary as of the memorandum's entry into force"
    missing = [c for c in ZONE_COLUMNS if c not in gdf.columns]
    if missing:
        raise DataFileError(path.name, f"missing zone properties {', '.join(missing)}")
    gdf = gdf[list(ZONE_COLUMNS) + ["geometry"]].copy()
    gdf["version"] = gdf["version"].astype("int64")
    for col in ("memorandum_date", "in_force_from", "valid_from"):
        gdf[col] = pd.to_datetime(gdf[col]).astype("datetime64[s]")
    return gdf


def places() -> gpd.GeoDataFrame:
    """Syrian towns from GeoNames with English and Arabic names."""
    d = data_dir()
    return geonames.read_places(d / PLACES_CSV, d / KEY_PLACES_CSV)


def admin(level: int) -> gpd.GeoDataFrame:
    """OCHA boundaries: 0 = country outline, 1 = the 14 governorates."""
    return ocha.read_admin(data_dir() / ADMIN[level], level)


#: A path in the project, as SOURCES.md writes them (`data/...`, `scripts/...`).
_PATH = r"`(?:data|scripts|geo|tests)/[^`]*`"


def sources_for_readers() -> str:
    """data/SOURCES.md for the Sources page: each layer's name, origin, licence and how it
    was derived, without the project's own paths (which file, made by which script): the
    files are named by their own names, the scripts and folders left out. The file's first
    heading is left out too (the page has its title)."""
    import re

    text = (data_dir() / "SOURCES.md").read_text(encoding="utf-8")
    text = re.sub(r"\A#[^#\n][^\n]*\n+", "", text)
    text = re.sub(r",?\s+(?:made|converted to the event model) by\s+" + _PATH, "", text)
    text = re.sub(r"\s*\(" + _PATH + r"\)", "", text)
    return re.sub(_PATH, lambda m: "`" + m.group(0).strip("`/").rsplit("/", 1)[-1] + "`", text)
