"""OCHA COD-AB administrative boundaries for Syria (country outline and governorates)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio

from geo.errors import DataFileError

ATTRIBUTION = "OCHA Common Operational Dataset - Administrative Boundaries (COD-AB), CC BY-IGO"


def read_admin(path: str | Path, level: int) -> gpd.GeoDataFrame:
    """Read an admin level (0 = country, 1 = governorates) with English and Arabic names."""
    file = Path(path).name
    try:
        gdf = pyogrio.read_dataframe(path)
    except (OSError, pyogrio.errors.DataSourceError) as exc:
        raise DataFileError(file, "cannot be read as a shapefile") from exc
    cols = {
        f"adm{level}_name": "name_en",
        f"adm{level}_name1": "name_ar",
        f"adm{level}_pcode": "pcode",
    }
    for col in cols:
        if col not in gdf.columns:
            raise DataFileError(file, "is missing; is this an OCHA COD-AB layer?", col)
    out = gdf[list(cols) + ["geometry"]].rename(columns=cols)
    out["level"] = level
    return gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs).to_crs("EPSG:4326")
