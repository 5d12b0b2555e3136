"""The map's aggregates: cells add up to the filtered events in view; points are exactly
the filtered events in view. Checked against plain Python loops on the shipped events."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.aggregate import POINT_LIMIT, View, cell_degrees, cells, in_view


@pytest.fixture(scope="module")
def shipped(session_store_path):
    from geo.store.gpkg import GeoPackageStore

    ev = GeoPackageStore.open(session_store_path, seed=False).events()
    assert len(ev) > 16000
    return ev


VIEWS = [
    View(35.5, 32.0, 42.5, 37.5, 7),  # all of Syria
    View(36.0, 35.3, 37.2, 36.5, 9),  # Idlib
    View(36.2, 33.3, 36.6, 33.7, 11),  # Eastern Ghouta
    View(38.5, 35.8, 39.3, 36.1, 10),  # Raqqa
]


@pytest.mark.parametrize("view", VIEWS, ids=["syria", "idlib", "ghouta", "raqqa"])
def test_cells_add_up_to_the_filtered_events_in_view(shipped, view):
    ev = shipped[(shipped["event_type"] != "Non-state conflict")]  # a filter
    lat = ev["latitude"].to_numpy(float)
    lon = ev["longitude"].to_numpy(float)
    fat = ev["fatalities_best"].to_numpy(float)
    mask = in_view(lat, lon, view)
    got = cells(lat[mask], lon[mask], fat[mask], view.zoom)

    # independent: a loop over the rows
    want_n, want_f, per_cell = 0, 0, {}
    size = 360.0 / (256 * 2**view.zoom) * 48
    for la, lo, f in zip(lat, lon, fat, strict=True):
        if view.west <= lo <= view.east and view.south <= la <= view.north:
            want_n += 1
            want_f += 0 if math.isnan(f) else int(f)
            k = (math.floor((lo + 180) / size), math.floor((la + 90) / size))
            per_cell[k] = per_cell.get(k, 0) + 1
    assert want_n > 100
    assert int(got["count"].sum()) == want_n
    assert int(got["fatalities"].sum()) == want_f
    mine = dict(
        zip(
            zip(got["ix"].tolist(), got["iy"].tolist(), strict=True),
            got["count"].tolist(),
            strict=True,
        )
    )
    assert mine == per_cell
    # each cell's marker sits inside its cell
    assert np.all((got["lon"] >= got["west"]) & (got["lon"] <= got["west"] + got["size"]))
    assert np.all((got["lat"] >= got["south"]) & (got["lat"] <= got["south"] + got["size"]))


def test_cells_stay_put_while_panning_and_halve_per_zoom():
    assert cell_degrees(8) == pytest.approx(cell_degrees(7) / 2)
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(33, 36, 2000), rng.uniform(36, 40, 2000)
    fat = rng.integers(0, 5, 2000).astype(float)
    a = cells(lat, lon, fat, 8)
    shifted = View(36.5, 33, 40, 36, 8)
    m = in_view(lat, lon, shifted)
    b = cells(lat[m], lon[m], fat[m], 8)
    # a cell wholly inside both views has the same count in both
    size = cell_degrees(8)
    inside = (b["west"] >= 36.5) & (b["west"] + size <= 40)
    keys_a = dict(
        zip(zip(a["ix"].tolist(), a["iy"].tolist(), strict=True), a["count"].tolist(), strict=True)
    )
    for ix, iy, n in zip(b["ix"][inside], b["iy"][inside], b["count"][inside], strict=True):
        assert keys_a[(int(ix), int(iy))] == n


def test_view_from_streamlit_folium_bounds():
    bounds = {"_southWest": {"lat": 32.1, "lng": 35.6}, "_northEast": {"lat": 37.3, "lng": 42.4}}
    assert View.from_bounds(bounds, 7) == View(35.6, 32.1, 42.4, 37.3, 7)
    assert View.from_bounds(None, 7) is None
    assert View.from_bounds({"_southWest": {"lat": "x"}}, 7) is None
    bad = {"_southWest": {"lat": 37.0, "lng": 35.6}, "_northEast": {"lat": 32.0, "lng": 42.4}}
    assert View.from_bounds(bad, 7) is None
    assert POINT_LIMIT > 0
