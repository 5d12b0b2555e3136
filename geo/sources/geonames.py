"""GeoNames ``cities500`` extract for Syria into the place model.

GeoNames names are transliterations (``Ḩamāh``, ``Tadmur``); a small table of our own
(``key_places.csv``) gives the English and Arabic names people use for the towns that
matter most here, and the zoom from which each is labelled. Other places get the GeoNames
name as English name and the shortest pure-Arabic alternate name as Arabic name.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import DataFileError
from geo.sources.text_csv import read_text_csv

ATTRIBUTION = "GeoNames (geonames.org), CC BY 4.0"

_ARABIC = re.compile(r"^[\u0621-\u064A\u0671\s]+$")


def arabic_name(alternatenames: str) -> str:
    """The shortest alternate name written only in Arabic letters, or ``""``."""
    names = [n.strip() for n in str(alternatenames).split("|") if _ARABIC.match(n.strip() or "x")]
    return min(names, key=len) if names else ""


def label_zoom(population: int) -> int:
    """The zoom from which a place's label is shown: bigger towns earlier."""
    if population >= 250_000:
        return 7
    if population >= 50_000:
        return 8
    if population >= 10_000:
        return 9
    return 10


def read_places(path: str | Path, key_places: str | Path) -> gpd.GeoDataFrame:
    """Read the GeoNames CSV and the key-places table; return places in EPSG:4326."""
    file = Path(path).name
    raw = read_text_csv(path, file)
    keys = read_text_csv(key_places, file)
    for col in ("geonameid", "name", "latitude", "longitude", "population", "alternatenames"):
        if col not in raw.columns:
            raise DataFileError(file, "is missing; is this a GeoNames cities file?", col)
    lat = pd.to_numeric(raw["latitude"], errors="coerce")
    lon = pd.to_numeric(raw["longitude"], errors="coerce")
    bad = lat.isna() | lon.isna()
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise DataFileError(file, "is not a number", "latitude/longitude", pos + 2)
    population = pd.to_numeric(raw["population"], errors="coerce").fillna(0).astype("int64")
    places = pd.DataFrame(
        {
            "geonameid": raw["geonameid"],
            "name": raw["name"],
            "name_en": raw["name"],
            "name_ar": raw["alternatenames"].map(arabic_name),
            "population": population,
            "label_zoom": population.map(label_zoom).astype("int64"),
        }
    )
    key_file = Path(key_places).name
    for col in ("geonameid", "name_en", "name_ar", "label_zoom"):
        if col not in keys.columns:
            raise DataFileError(key_file, "is missing", col)
    dup = keys["geonameid"].duplicated()
    if dup.any():
        pos = int(dup.to_numpy().nonzero()[0][0])
        raise DataFileError(key_file, "is listed twice", "geonameid", pos + 2)
    zoom = pd.to_numeric(keys["label_zoom"], errors="coerce")
    bad = zoom.isna() | (zoom < 0) | (zoom > 20)
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise DataFileError(key_file, "must be a zoom level from 0 to 20", "label_zoom", pos + 2)
    keys = keys.set_index("geonameid")
    unknown = set(keys.index) - set(places["geonameid"])
    if unknown:
        raise DataFileError(
            Path(key_places).name, f"geonameid(s) {', '.join(sorted(unknown))} not in {file}"
        )
    is_key = places["geonameid"].isin(keys.index)
    ids = places.loc[is_key, "geonameid"]
    places.loc[is_key, "name_en"] = ids.map(keys["name_en"]).to_numpy()
    places.loc[is_key, "name_ar"] = ids.map(keys["name_ar"]).to_numpy()
    places.loc[is_key, "label_zoom"] = ids.map(keys["label_zoom"]).astype("int64").to_numpy()
    return gpd.GeoDataFrame(places, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
