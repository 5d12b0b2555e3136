"""Write events and zones in the formats people take away: CSV and GeoJSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import IO, TYPE_CHECKING

import pandas as pd
import shapely

from geo.schema import DATE_COLUMNS, EVENT_COLUMNS, INT_COLUMNS
from geo.spreadsheet import spreadsheet_safe

__all__ = ["dump_json", "events_csv", "events_geojson", "zones_geojson"]

if TYPE_CHECKING:
    import geopandas as gpd


def _plain(value: object) -> object:
    """A value as JSON has it: dates as ``YYYY-MM-DD``; every kind of missing value
    (None, NA, NaT, NaN) as null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, dt.date)):  # pd.Timestamp and datetime are dates too
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def events_csv(
    events: pd.DataFrame,
    out: IO[str],
    attribution: dict[str, str] | None = None,
    extra: tuple[str, ...] = (),
) -> None:
    """Events as CSV in the ZoneWatch event format (one column per model field); with
    ``attribution``, a column carries each row's dataset attribution; then the ``extra``
    columns of ``events`` (text), e.g. ``merged_records``."""
    df = events[list(EVENT_COLUMNS)].copy()
    for col in DATE_COLUMNS:
        df[col] = df[col].dt.strftime("%Y-%m-%d")
    if attribution is not None:
        df["attribution"] = df["dataset"].map(attribution).fillna("")
    for col in extra:
        df[col] = events[col].fillna("").astype(str).to_numpy()
    for col in df.columns:
        if df[col].dtype == object or str(df[col].dtype) == "str":
            df[col] = df[col].map(spreadsheet_safe)
    df.to_csv(out, index=False, lineterminator="\n")


def events_geojson(
    events: pd.DataFrame, attribution: dict[str, str], extra: tuple[str, ...] = ()
) -> dict:
    """Events as a GeoJSON FeatureCollection of points, with each dataset's attribution;
    the ``extra`` columns of ``events`` (text) are properties too."""
    features = []
    records = events[list(EVENT_COLUMNS)].to_dict(orient="records")
    added = [events[col].fillna("").astype(str).tolist() for col in extra]
    for i, rec in enumerate(records):
        props = {k: _plain(v) for k, v in rec.items() if k not in ("latitude", "longitude")}
        for col in INT_COLUMNS:
            props[col] = None if props[col] is None else int(props[col])
        props.update((col, values[i]) for col, values in zip(extra, added, strict=True))
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [float(rec["longitude"]), float(rec["latitude"])],
                },
                "properties": props,
            }
        )
    datasets = sorted(events["dataset"].unique()) if len(events) else []
    return {
        "type": "FeatureCollection",
        "attribution": {d: attribution.get(d, "") for d in datasets},
        "features": features,
    }


def zones_geojson(zones: gpd.GeoDataFrame) -> dict:
    """Zone versions as a GeoJSON FeatureCollection (EPSG:4326), properties as text/numbers."""
    zones = zones.to_crs("EPSG:4326")
    features = []
    props_cols = [c for c in zones.columns if c != zones.geometry.name]
    for rec, geom in zip(
        zones[props_cols].to_dict(orient="records"), zones.geometry.values, strict=True
    ):
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(geom)),
                "properties": {k: _plain(v) for k, v in rec.items()},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def dump_json(obj: dict, out: IO[str]) -> None:
    """Write JSON (UTF-8 text, no NaN) followed by a newline."""
    json.dump(obj, out, ensure_ascii=False, allow_nan=False)
    out.write("\n")
