"""The rows PostGIS's COPY is sent (:func:`geo.store.tables.to_arrow`) hold the same values
as the row-by-row path gives (:func:`geo.store.tables.to_rows`), whatever a column's dtype:
numbers with and without missing values, numbers stored as floats in an integer column,
dates with NaT, text as strings or as mixed objects; and the CSV written from them reads
back in PostgreSQL as those values (NULL for missing, '' for empty text)."""

from __future__ import annotations

import io
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.store import tables as T

TABLE = T.Table(
    "probe",
    (("t", T.TEXT), ("i", T.INT), ("r", T.REAL), ("d", T.DATE)),
    "Point",
    ("t",),
)


def _frames() -> dict[str, pd.DataFrame]:
    n = 6
    base = {
        "t": pd.array(["a", "", None, 'q"x', "l\nm", "ش"], dtype="str"),
        "i": pd.array([1, None, 3, -4, 5, 2**40], dtype="Int64"),
        "r": [0.1, 1 / 3, np.nan, 36.123456, 1e-7, -0.0],
        "d": pd.to_datetime(
            ["2017-01-01", "2018-02-03", None, "2019-12-31", "1969-07-20", "2020-02-29"]
        ).astype("datetime64[s]"),  # fmt: skip
    }
    points = gpd.points_from_xy(np.arange(n) + 0.5, np.arange(n) * 0.25)
    frames = {"typed": pd.DataFrame(base)}
    mixed = pd.DataFrame(base)
    mixed["t"] = pd.Series(["a", "", None, 7, 2.5, date(2017, 1, 2)], dtype=object)
    mixed["i"] = [1.0, np.nan, 3.9, -4.2, 5.0, 6.0]  # an integer column read as floats
    mixed["r"] = pd.array([1, None, 3, 4, 5, 6], dtype="Int64")
    mixed["d"] = ["2017-01-01", None, "2019-12-31", "2016-02-29", "2018-03-04", "2019-01-01"]
    frames["mixed"] = mixed
    plain = pd.DataFrame(base)
    plain["i"] = np.arange(n, dtype="int32")
    plain["t"] = pd.Series(["x", "y", "z", "", "v", "w"], dtype=object)
    frames["plain"] = plain
    aware = pd.DataFrame(base)  # a zone's date with a time zone: its local day, as before
    aware["d"] = pd.to_datetime(base["d"]).tz_localize("Asia/Damascus") + pd.Timedelta(hours=1)
    frames["aware"] = aware
    return {k: gpd.GeoDataFrame(f, geometry=points, crs="EPSG:4326") for k, f in frames.items()}


@pytest.mark.parametrize("kind", list(_frames()))
def test_arrow_rows_hold_the_row_paths_values(kind):
    frame = _frames()[kind]
    rows, geoms = T.to_rows(TABLE, frame)
    table = T.to_arrow(TABLE, frame)
    got = [tuple(r[c] for c in TABLE.names) for r in table.to_pylist()]
    want = [
        tuple(None if v is None else (str(v) if k == T.DATE else v)
              for v, (_, k) in zip(row, TABLE.columns, strict=True))
        for row in rows
    ]  # fmt: skip
    got = [tuple(str(v) if isinstance(v, date) else v for v in row) for row in got]
    assert got == want
    assert [shapely.from_wkb(h) for h in table.column("geom_hex").to_pylist()] == geoms


def test_the_csv_reads_back_in_postgresql(postgis):
    import psycopg
    from psycopg import sql
    from pyarrow import csv as pa_csv

    from geo.store.postgis import _CSV_OPTIONS, conninfo

    frame = _frames()["typed"]
    buf = io.BytesIO()
    pa_csv.write_csv(T.to_arrow(TABLE, frame), buf, _CSV_OPTIONS)
    url = postgis.create_db("copy_probe")
    with psycopg.connect(conninfo(url), autocommit=True) as con:
        con.execute("CREATE TABLE p (t text, i bigint, r double precision, d date, g text)")
        with con.cursor() as cur, cur.copy(sql.SQL("COPY p FROM STDIN (FORMAT csv)")) as cp:
            cp.write(buf.getvalue())
        got = con.execute("SELECT t, i, r, d::text FROM p").fetchall()
    rows, _ = T.to_rows(TABLE, frame)
    assert got == rows
    assert got[1][0] == "" and got[2][0] is None  # empty text kept apart from missing


def _events_frame(n: int = 4) -> gpd.GeoDataFrame:
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "tests"))
    from store_worker import _events

    ev = _events("xy", n).assign(import_id="i")
    return gpd.GeoDataFrame(
        ev, geometry=gpd.points_from_xy(ev["longitude"], ev["latitude"]), crs="EPSG:4326"
    )


def test_points_are_made_from_lon_lat_only_when_they_are_exactly_there():
    frame = _events_frame()
    assert T.points_at_lon_lat(T.EVENTS, frame)
    moved = frame.copy()
    moved.loc[2, "geometry"] = shapely.Point(36.6, 35.5020000001)
    assert not T.points_at_lon_lat(T.EVENTS, moved)
    gone = frame.copy()
    gone.loc[1, "geometry"] = None
    assert not T.points_at_lon_lat(T.EVENTS, gone)
    assert not T.points_at_lon_lat(T.ZONE_VERSIONS, frame)  # not a point table
    assert not T.points_at_lon_lat(T.EVENTS, frame.iloc[0:0])


def test_a_point_not_at_its_lon_lat_is_stored_as_given(postgis):
    """The fallback of the bulk load: the geometry sent as WKB, kept exactly."""
    from geo.store.postgis import PostGISStore

    store = PostGISStore.open(postgis.create_db("xy_probe", template="zonewatch_template"))
    frame = _events_frame()
    frame.loc[2, "geometry"] = shapely.Point(36.25, 35.75)
    with store._transaction() as tx:
        assert store._insert(tx, T.EVENTS, frame, skip_existing=True) == len(frame)
    stored = store.read_table(T.EVENTS)
    stored = stored[stored["dataset"] == "worker"].reset_index(drop=True)
    assert list(stored.geometry) == list(frame.geometry)
    with store._transaction() as tx:  # the same rows again: nothing added
        assert store._insert(tx, T.EVENTS, frame, skip_existing=True) == 0
