"""The store's tables, described once for both engines, and frame <-> row conversion.

Every table is append-only: a new zone boundary is a new row in ``zone_versions``, an
import adds rows to ``events`` (its identity is dataset + the dataset's own id, so a
re-import adds nothing), a decision on a match is a new row (a new version) in
``match_decisions``, and each write adds a row to ``history``. One exception:
``match_links`` holds the links of the latest matcher build only (derived data: a new build
replaces them whole, its summary is added to ``match_builds``; the decisions stay).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geo.schema import DATE_COLUMNS, EVENT_COLUMNS, INT_COLUMNS, PLACE_COLUMNS, ZONE_COLUMNS
from geo.store.version import SCHEMA_VERSION  # noqa: F401  (re-exported)

TEXT, INT, REAL, DATE = "text", "int", "real", "date"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]
    geometry: str | None  # "Point", "MultiPolygon" or None
    #: columns that identify a row; a row whose identity exists is not added again
    identity: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return [c for c, _ in self.columns]


def _event_type(col: str) -> str:
    if col in DATE_COLUMNS:
        return DATE
    if col in INT_COLUMNS:
        return INT
    if col in ("latitude", "longitude"):
        return REAL
    return TEXT


ZONE_DATE_COLUMNS = ("memorandum_date", "in_force_from", "valid_from")
ZONE_EXTRA_COLUMNS = ("source_file", "sha256", "created_at")

EVENTS = Table(
    "events",
    tuple((c, _event_type(c)) for c in EVENT_COLUMNS) + (("import_id", TEXT),),
    "Point",
    ("dataset", "dataset_id"),
)
ZONE_VERSIONS = Table(
    "zone_versions",
    tuple(
        (c, DATE if c in ZONE_DATE_COLUMNS else INT if c == "version" else TEXT)
        for c in ZONE_COLUMNS + ZONE_EXTRA_COLUMNS
    ),
    "MultiPolygon",
    ("zone_id", "version"),
)
PLACES = Table(
    "places",
    tuple((c, INT if c in ("population", "label_zoom") else TEXT) for c in PLACE_COLUMNS),
    "Point",
    ("geonameid",),
)
ADMIN0 = Table(
    "admin0",
    (("name_en", TEXT), ("name_ar", TEXT), ("pcode", TEXT), ("level", INT)),
    "MultiPolygon",
    ("pcode",),
)
ADMIN1 = Table("admin1", ADMIN0.columns, "MultiPolygon", ("pcode",))
HISTORY = Table(
    "history",
    (
        ("entry_id", TEXT),
        ("kind", TEXT),
        ("at", TEXT),
        ("who", TEXT),
        ("file_name", TEXT),
        ("sha256", TEXT),
        ("detail", TEXT),
    ),
    None,
    ("entry_id",),
)

#: The links of the latest build (:mod:`geo.matching.stored`), one row per pair of records.
#: ``link_key`` names the pair across builds: both records' ``dataset:dataset_id``, sorted,
#: joined by ``|`` (:func:`link_key`). ``days_apart`` and ``km`` are the matcher's, for
#: choosing each record's best link again over a filter.
MATCH_LINKS = Table(
    "match_links",
    (
        ("link_key", TEXT),
        ("a_dataset", TEXT),
        ("a_id", TEXT),
        ("b_dataset", TEXT),
        ("b_id", TEXT),
        ("score", REAL),
        ("days_apart", INT),
        ("km", REAL),
        ("reasons", TEXT),
        ("build_id", TEXT),
    ),
    None,
    ("link_key",),
)
#: One row per build of the links: when, by whom, over how many events, links found, time.
MATCH_BUILDS = Table(
    "match_builds",
    (
        ("build_id", TEXT),
        ("at", TEXT),
        ("who", TEXT),
        ("events", INT),
        ("links", INT),
        ("seconds", REAL),
    ),
    None,
    ("build_id",),
)
#: Decisions on links, append-only and versioned per link (1, 2, ...; the latest is in
#: force). Each keeps a copy of its link (both records, score, reasons), so an accepted
#: link a later build no longer finds can be made again.
MATCH_DECISIONS = Table(
    "match_decisions",
    (
        ("link_key", TEXT),
        ("version", INT),
        ("decision", TEXT),
        ("who", TEXT),
        ("at", TEXT),
        ("note", TEXT),
        ("a_dataset", TEXT),
        ("a_id", TEXT),
        ("b_dataset", TEXT),
        ("b_id", TEXT),
        ("score", REAL),
        ("reasons", TEXT),
    ),
    None,
    ("link_key", "version"),
)
#: The tables of the matches (schema 4), made by each engine's migration to version 4.
MATCH_TABLES = (MATCH_LINKS, MATCH_BUILDS, MATCH_DECISIONS)
#: The decisions a link can get.
DECISIONS = ("accept", "reject")

TABLES = (EVENTS, ZONE_VERSIONS, PLACES, ADMIN0, ADMIN1, HISTORY, *MATCH_TABLES)
BY_NAME = {t.name: t for t in TABLES}

#: The schema version that added each table after the first (a backup of an older schema
#: has no such table: it restores as empty).
ADDED_IN = {t.name: 4 for t in MATCH_TABLES}


def tables_of(version: int) -> tuple[Table, ...]:
    """The tables a store of schema ``version`` has."""
    return tuple(t for t in TABLES if ADDED_IN.get(t.name, 1) <= version)


def record_key(dataset: str, dataset_id: str) -> str:
    """One record's identity as text: ``dataset:dataset_id``."""
    return f"{dataset}:{dataset_id}"


def link_key(a_dataset: str, a_id: str, b_dataset: str, b_id: str) -> str:
    """The name of a link across builds: both records' identities, sorted, joined by ``|``
    (e.g. ``acled:SYR123|ucdp:456``)."""
    return "|".join(sorted((record_key(a_dataset, a_id), record_key(b_dataset, b_id))))


#: The event columns the map's in-memory index is built from (with ``fid``, the store's
#: row id; see :mod:`geo.eventindex`), read by :meth:`geo.store.base.Store.event_columns`.
INDEX_COLUMNS = (
    "latitude",
    "longitude",
    "date_start",
    "date_end",
    "event_type",
    "dataset",
    "fatalities_best",
    "location_precision",
    "actor1",
    "actor2",
)


def now_utc() -> str:
    """The current time as ISO 8601 UTC text, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cell(value: object, kind: str) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if kind == DATE:
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == INT:
        return int(value)
    if kind == REAL:
        return float(value)
    return str(value)


def _column(values: pd.Series, kind: str) -> list:
    """One column as Python values for the database, as :func:`_cell` gives them, converted
    a column at a time (an import of a million rows converts 25 million cells)."""
    missing = values.isna().to_numpy()
    if kind == DATE and pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values.dt.strftime("%Y-%m-%d").to_numpy(dtype=object, copy=True)
    elif kind == INT and pd.api.types.is_numeric_dtype(values.dtype):
        out = np.empty(len(values), dtype=object)
        out[~missing] = values[~missing].astype("int64").tolist()
    elif kind == REAL and pd.api.types.is_numeric_dtype(values.dtype):
        out = np.empty(len(values), dtype=object)
        out[~missing] = values[~missing].astype("float64").tolist()
    elif kind == TEXT and isinstance(values.dtype, pd.StringDtype):
        # Every value of a string column is a str or missing: converted in one call.
        out = values.to_numpy(dtype=object, na_value=None)
    elif (
        kind == TEXT
        and values.dtype == object
        and all(isinstance(v, str) for v in values[~missing].head(1000))
    ):
        out = np.array(
            [v if isinstance(v, str) else _cell(v, kind) for v in values.tolist()], dtype=object
        )
    else:
        return [_cell(v, kind) for v in values.tolist()]
    out[missing] = None
    return out.tolist()


def to_rows(table: Table, frame: pd.DataFrame) -> tuple[list[tuple], list]:
    """(attribute rows in column order, geometries) for inserting ``frame`` into ``table``."""
    missing = [c for c in table.names if c not in frame.columns]
    if missing:
        raise ValueError(f"{table.name}: missing column(s) {', '.join(missing)}")
    columns = [_column(frame[c], k) for c, k in table.columns]
    rows = list(zip(*columns, strict=True)) if len(frame) else []
    return rows, _geometries(table, frame)


def _geometries(table: Table, frame: pd.DataFrame) -> list:
    """The frame's geometries as stored: 2D, polygons as multipolygons where the table's are."""
    if not table.geometry:
        return []
    geoms = list(shapely.force_2d(np.asarray(frame.geometry.values)))
    if table.geometry == "MultiPolygon":
        geoms = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in geoms]
    return geoms


_ARROW_TYPES = {TEXT: pa.string(), INT: pa.int64(), REAL: pa.float64(), DATE: pa.string()}


def _arrow_column(values: pd.Series, kind: str) -> pa.Array:
    """One column as an Arrow array holding the values :func:`_column` gives, converted in
    C where the column's type allows (numbers, dates, text), else through :func:`_column`."""
    dtype = values.dtype
    if kind == DATE and isinstance(dtype, np.dtype) and dtype.kind == "M":  # naive: the day
        return pa.array(values.to_numpy().astype("datetime64[D]"), from_pandas=True)
    if kind == INT and pd.api.types.is_integer_dtype(dtype):
        return pa.array(values, type=pa.int64(), from_pandas=True)
    if kind == INT and pd.api.types.is_float_dtype(dtype):  # as astype("int64"): truncated
        floats = np.trunc(values.to_numpy(dtype="float64", na_value=np.nan))
        return pa.array(floats, from_pandas=True).cast(pa.int64())
    if kind == REAL and pd.api.types.is_numeric_dtype(dtype):
        return pa.array(values.to_numpy(dtype="float64", na_value=np.nan), from_pandas=True)
    if kind == TEXT and isinstance(dtype, pd.StringDtype):
        return pa.array(values, type=pa.string(), from_pandas=True)
    return pa.array(_column(values, kind), type=_ARROW_TYPES[kind])


def points_at_lon_lat(table: Table, frame: pd.DataFrame) -> bool:
    """True when every row's geometry is the point at its ``longitude`` and ``latitude``
    exactly (as an import makes events' points), so a bulk load can make the points from
    those columns instead of sending them."""
    if table.geometry != "Point" or not {"longitude", "latitude"} <= set(table.names):
        return False
    if not len(frame):
        return False
    geoms = np.asarray(frame.geometry.values)
    if not (shapely.get_type_id(geoms) == 0).all():  # 0: Point (a missing one is -1)
        return False
    lon = frame["longitude"].to_numpy(dtype="float64", na_value=np.nan)
    lat = frame["latitude"].to_numpy(dtype="float64", na_value=np.nan)
    return bool(
        np.array_equal(shapely.get_x(geoms), lon) and np.array_equal(shapely.get_y(geoms), lat)
    )


def to_arrow(table: Table, frame: pd.DataFrame, geometry: bool = True) -> pa.Table:
    """``frame``'s rows for ``table`` as an Arrow table (columns in the table's order, the
    values :func:`to_rows` gives; the geometry last, as hex WKB, unless ``geometry`` is
    False), for a bulk load: an import of a million rows converts 40 million cells, here a
    column at a time in C rather than a Python object per cell."""
    missing = [c for c in table.names if c not in frame.columns]
    if missing:
        raise ValueError(f"{table.name}: missing column(s) {', '.join(missing)}")
    arrays = [_arrow_column(frame[c], k) for c, k in table.columns]
    names = list(table.names)
    if table.geometry and geometry:
        hexes = shapely.to_wkb(np.asarray(_geometries(table, frame)), hex=True, output_dimension=2)
        arrays.append(pa.array(hexes, type=pa.string()))
        names.append("geom_hex")
    return pa.Table.from_arrays(arrays, names=names)


def from_rows(table: Table, rows: list[tuple], geoms: list | None) -> pd.DataFrame:
    """A frame (a GeoDataFrame for spatial tables) from stored rows, typed by the table."""
    df = pd.DataFrame.from_records(rows, columns=table.names)
    for col, kind in table.columns:
        if kind == DATE:
            df[col] = pd.to_datetime(df[col].str.slice(0, 10), format="%Y-%m-%d").astype(
                "datetime64[s]"
            )
        elif kind == INT:
            df[col] = (
                pd.array(df[col].tolist(), dtype="Int64") if len(df) else df[col].astype("Int64")
            )
        elif kind == REAL:
            df[col] = df[col].astype("float64")
        else:
            df[col] = df[col].fillna("").astype(str)
    if table.geometry and geoms is not None:
        return gpd.GeoDataFrame(df, geometry=list(geoms), crs="EPSG:4326")
    return df


def events_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Stored event rows back in the event model (drops the import id, fixes int types)."""
    out = df[list(EVENT_COLUMNS)].copy()
    return out


def zone_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Stored zone rows with ``version`` as a plain integer."""
    gdf = gdf.copy()
    gdf["version"] = gdf["version"].astype("int64")
    return gdf


def place_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    for col in ("population", "label_zoom"):
        gdf[col] = gdf[col].astype("int64")
    return gdf


def concat_columns(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames of the same columns (batches of the stored events), end to end; a column
    that is categorical in every frame stays categorical (its categories in order of
    first appearance), so no text is turned into one object per event."""
    if not frames:
        return pd.DataFrame()
    if len(frames) == 1:
        return frames[0]
    frames = [f.copy(deep=False) for f in frames]
    for col in frames[0].columns:
        if all(isinstance(f[col].dtype, pd.CategoricalDtype) for f in frames):
            cats = in_order_of_appearance([f[col].cat.categories for f in frames])
            for f in frames:
                f[col] = f[col].cat.set_categories(cats)
    return pd.concat(frames, ignore_index=True)


def in_order_of_appearance(indexes: list[pd.Index]) -> pd.Index:
    """The values of the indexes in order of first appearance."""
    out = indexes[0]
    for more in indexes[1:]:
        out = out.append(more[~more.isin(out)])
    return out
