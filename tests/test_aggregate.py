"""The map's aggregates: cells add up to the filtered events in view; points are exactly
the filtered events in view. Checked against plain Python loops on the shipped events."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from geo.aggregate import (
    CELL_PX,
    POINT_LIMIT,
    View,
    cell_degrees,
    cells,
    decode,
    event_view,
    in_view,
    region,
)
from geo.filters import EventFilter, event_mask


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
    size = 360.0 / (256 * 2**view.zoom) * CELL_PX
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
    # a zoom sent by the browser is kept within the map's range
    assert View.from_bounds(bounds, 5000).zoom == 14 and View.from_bounds(bounds, -3).zoom == 0
    assert View.from_bounds(bounds, float("inf")) is None
    assert POINT_LIMIT > 0


# --- the Map page's event layer: index, filter and payload ------------------------------

FILTERS = [
    EventFilter(),
    EventFilter(start=date(2017, 5, 1), end=date(2017, 5, 31)),
    EventFilter(types=("AIR STRIKE", "state-based conflict")),
    EventFilter(datasets=("curated",), min_fatalities=3),
    EventFilter(actor="russian", precisions=("exact", "near")),
    EventFilter(near=(35.95, 39.01, 40.0)),  # Raqqa
    EventFilter(zones=("idlib", "eastern_ghouta"), start=date(2018, 1, 1)),
    EventFilter(bbox=(36.0, 35.3, 37.2, 36.5), actor="government"),
]


@pytest.fixture(scope="module")
def indexed(session_store_path):
    from geo.eventindex import EventIndex
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore.open(session_store_path, seed=False)
    return store, EventIndex.from_frame(store.event_columns()), store.zone_versions()


@pytest.mark.parametrize("flt", FILTERS, ids=range(len(FILTERS)))
def test_the_index_selects_what_the_filters_select(indexed, shipped, flt):
    store, index, zones = indexed
    want = event_mask(shipped, flt, zones)
    got = index.mask(flt, zones)
    assert len(index) == len(shipped)
    # the same events in the same (fid) order, so the masks must be equal element-wise
    assert got.sum() == want.sum() and np.array_equal(got, want)
    assert 0 < got.sum() or flt.datasets


def test_the_index_filter_stays_simple_enough_to_read():
    """EventIndex.mask within the complexity the team allows (ruff's C901, at most 12)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "C901", "--config",
         "lint.mccabe.max-complexity=12", "geo/eventindex.py"],
        cwd=root, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout


def test_event_columns_agree_on_both_engines(make_store):
    from geo.eventindex import EventIndex

    store = make_store()
    index = EventIndex.from_frame(store.event_columns())
    events = store.events()
    assert len(index) == len(events)
    assert np.allclose(index.lat, events["latitude"]) and np.allclose(
        index.lon, events["longitude"]
    )
    days = events["date_start"].to_numpy().astype("datetime64[D]").astype(np.int64)
    assert np.array_equal(index.start, days)
    assert [index.types[c] for c in index.type_code[:50]] == events["event_type"][:50].tolist()
    one = store.event_by_fid(int(index.fid[7]))
    assert one.iloc[0]["dataset_id"] == events.iloc[7]["dataset_id"]
    assert len(store.event_by_fid(10**12)) == 0


def test_the_index_read_in_batches_is_the_index_read_at_once(indexed, monkeypatch):
    """The GeoPackage's columns are read in batches (memory: one batch's text); the index
    built from them is the one built from a single read: same arrays, same dictionaries."""
    from geo.eventindex import EventIndex
    from geo.store import gpkg

    store, whole, _ = indexed
    monkeypatch.setattr(gpkg, "INDEX_BATCH", 1000)
    frame = store.event_columns()
    assert len(whole) > 10_000 and isinstance(frame["actor1"].dtype, pd.CategoricalDtype)
    batched = EventIndex.from_frame(frame)
    for name, value in vars(whole).items():
        other = getattr(batched, name)
        if isinstance(value, np.ndarray):
            assert value.dtype == other.dtype and np.array_equal(value, other, equal_nan=True)
        else:
            assert value == other, name
    # the actors' dictionary: every name of either column once, sorted, as when read whole
    names = set(frame["actor1"].dropna()) | set(frame["actor2"].dropna())
    assert list(batched.actors) == sorted(names)


def test_the_compact_frame_is_built_without_copies(indexed):
    """EventIndex.frame: its columns as documented, and built in about its own size (a
    cached frame of ten million events is half a gigabyte: no second copy on the way)."""
    import tracemalloc

    _, index, zones = indexed
    mask = index.mask(EventFilter(start=date(2017, 1, 1), end=date(2018, 6, 30)), zones)
    sel = np.flatnonzero(mask)
    index.frame(mask)  # warm
    tracemalloc.start()
    try:
        frame = index.frame(mask)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    for col, days in (("date_start", index.start), ("date_end", index.end)):
        assert frame[col].dtype == "datetime64[s]"
        want = days[sel].astype("datetime64[D]").astype("datetime64[s]")
        assert np.array_equal(frame[col].to_numpy(), want)
    assert np.array_equal(frame["fid"].to_numpy(), index.fid[sel])
    assert frame["fatalities_best"].dtype == np.float64
    types = [index.types[c] for c in index.type_code[sel]]
    assert list(frame["event_type"].astype(object)) == types
    assert peak < 1.5 * held, (peak, held)


def _brute(shipped, flt, zones, view):
    """The filtered events in the view, by a loop over rows: {row number: fatalities}."""
    keep = event_mask(shipped, flt, zones)
    out = {}
    for la, lo, f, key in zip(
        shipped["latitude"][keep],
        shipped["longitude"][keep],
        shipped["fatalities_best"][keep],
        np.flatnonzero(keep),
        strict=True,
    ):
        if view.west <= lo <= view.east and view.south <= la <= view.north:
            out[key] = 0 if pd.isna(f) else int(f)
    return out


@pytest.mark.parametrize("view", VIEWS, ids=["syria", "idlib", "ghouta", "raqqa"])
@pytest.mark.parametrize("flt", FILTERS[:3], ids=range(3))
def test_cells_in_view_add_up_to_the_filtered_events_in_view(indexed, shipped, view, flt):
    store, index, zones = indexed
    mask = index.mask(flt, zones)
    shown = event_view(index, mask, view, ["#000"] * len(index.types), limit=3)
    want = _brute(shipped, flt, zones, view)
    assert shown.mode == "cells" and len(want) > 3
    assert shown.in_view == len(want)
    assert shown.fatalities_in_view == sum(want.values())
    # the cells sent cover the view and beyond; those wholly inside it hold exactly the
    # filtered events there, and all cells together hold every filtered event of the area
    p = shown.payload
    ix, iy = decode(p, "ix", "<i4"), decode(p, "iy", "<i4")
    count, fat = decode(p, "count", "<u4"), decode(p, "fat", "<u4")
    west, south, east, north = p["region"]
    area = _brute(shipped, flt, zones, View(west, south, east, north, view.zoom))
    assert int(count.sum()) == len(area) and int(fat.sum()) == sum(area.values())
    size = p["size"]
    inside = (ix * size - 180 >= view.west) & ((ix + 1) * size - 180 <= view.east)
    inside &= (iy * size - 90 >= view.south) & ((iy + 1) * size - 90 <= view.north)
    per_cell = {}
    for la, lo in zip(
        shipped["latitude"][event_mask(shipped, flt, zones)],
        shipped["longitude"][event_mask(shipped, flt, zones)],
        strict=True,
    ):
        k = (math.floor((lo + 180) / size), math.floor((la + 90) / size))
        per_cell[k] = per_cell.get(k, 0) + 1
    for a, b, n in zip(ix[inside], iy[inside], count[inside], strict=True):
        assert per_cell[(int(a), int(b))] == n


@pytest.mark.parametrize("view", VIEWS[1:], ids=["idlib", "ghouta", "raqqa"])
def test_points_in_view_are_exactly_the_filtered_events_in_view(indexed, shipped, view):
    store, index, zones = indexed
    flt = FILTERS[1]  # May 2017
    mask = index.mask(flt, zones)
    for limit in (20000, int(mask.sum()) - 1):  # all filtered events; or the area's only
        shown = event_view(index, mask, view, ["#000"] * len(index.types), limit=limit)
        assert shown.mode == "points"
        p = shown.payload
        fid = decode(p, "fid", "<u4")
        lat, lon = decode(p, "lat", "<f4"), decode(p, "lon", "<f4")
        inside = (lon >= view.west - 1e-5) & (lon <= view.east + 1e-5)
        inside &= (lat >= view.south - 1e-5) & (lat <= view.north + 1e-5)
        # the index and the frame hold the events in the same (fid) order
        got = set(np.searchsorted(index.fid, fid[inside]).tolist())
        want = _brute(shipped, flt, zones, view)
        assert got == set(want) and len(want) > 0
        assert shown.in_view == len(want)
        # the day and type sent are the event's own
        i = np.searchsorted(index.fid, fid)
        assert np.array_equal(decode(p, "start", "<i4"), index.start[i])
        assert np.array_equal(decode(p, "type", "<u2"), index.type_code[i])


def test_a_small_pan_sends_the_same_payload(indexed):
    store, index, zones = indexed
    mask = index.mask(EventFilter(), zones)
    a = event_view(index, mask, View(36.0, 35.3, 37.2, 36.5, 9), ["#000"] * 6, limit=50)
    b = event_view(index, mask, View(36.01, 35.31, 37.21, 36.51, 9), ["#000"] * 6, limit=50)
    c = event_view(index, mask, View(37.5, 35.3, 38.7, 36.5, 9), ["#000"] * 6, limit=50)
    assert a.payload == b.payload and a.payload["key"] != c.payload["key"]
    assert region(View(36.0, 35.3, 37.2, 36.5, 9)).west < 36.0 - 0.5


@pytest.mark.parametrize("spread", [3, 40, 5000, 2_000_000])
def test_dense_binning_equals_sorting_the_cell_keys(spread):
    """The O(N) count over a block of cells gives what np.unique over the keys gives, for
    cells close together (the block path) and scattered far apart (the fallback)."""
    from geo.aggregate import _bins

    rng = np.random.default_rng(spread)
    n = 5000
    ix = rng.integers(-spread, spread, n)
    iy = rng.integers(0, 3, n) * spread + rng.integers(0, 7, n)
    weight = rng.random(n)
    cx, cy, count, (total,) = _bins(ix, iy, weight)
    uniq, inverse, want = np.unique(ix * (1 << 31) + iy, return_inverse=True, return_counts=True)
    assert list(cx) == list(uniq // (1 << 31)) and list(cy) == list(uniq % (1 << 31))
    assert list(count) == list(want)
    assert np.allclose(total, np.bincount(inverse, weights=weight))
    assert _bins(ix[:0], iy[:0])[2].size == 0


def test_cells_from_the_deepest_zoom_are_the_cells_computed_per_zoom(indexed):
    """The map bins from each event's cell at the deepest zoom, shifted to the zoom shown
    (geo.eventindex.EventIndex.fine_cells): the same cell as computing it per zoom, for
    the shipped events and for points on and beside the cells' edges at every zoom."""
    from geo.aggregate import MAX_ZOOM, _cell_index, _cells_of

    store, index, zones = indexed
    rng = np.random.default_rng(14)
    lat = [index.lat, rng.uniform(-90, 90, 20000)]
    lon = [index.lon, rng.uniform(-180, 180, 20000)]
    for zoom in range(MAX_ZOOM + 1):  # edges of every zoom's cells, and a hair either side
        size = cell_degrees(zoom)
        edges = (np.arange(-50, 50) + math.floor(216 / size)) * size - 180.0
        for shift in (0.0, 1e-12, -1e-12):
            lon.append(edges + shift)
            lat.append(np.clip(edges - 2.0 + shift, -90, 90))
    lat, lon = np.concatenate(lat), np.concatenate(lon)

    class Plain:  # what the map bins over: positions and their cells at the deepest zoom
        pass

    fine = Plain()
    fine.fine_cells = _cell_index(lat, lon, cell_degrees(MAX_ZOOM))
    fine.fine_cells = tuple(a.astype(np.int32) for a in fine.fine_cells)
    every = np.arange(len(lat))
    for zoom in range(MAX_ZOOM + 1):
        want = _cell_index(lat, lon, cell_degrees(zoom))
        got = _cells_of(fine, every, lat, lon, zoom)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1]), zoom
    assert np.array_equal(index.fine_cells[0], fine.fine_cells[0][: len(index)])


MADE_ONCE = ("fine_cells", "fatalities_or_zero", "extent")


@pytest.mark.parametrize(
    "view",
    [*VIEWS, View(30.0, 30.0, 45.0, 40.0, 6)],
    ids=["syria", "idlib", "ghouta", "raqqa", "all"],
)
@pytest.mark.parametrize("flt", [FILTERS[i] for i in (0, 1, 2, 6)], ids=[0, 1, 2, 6])
@pytest.mark.parametrize("limit", [3, 200, 20000])
def test_the_map_layer_from_the_index_is_the_layer_computed_afresh(indexed, view, flt, limit):
    """event_view from what the index makes once (MADE_ONCE) sends the same payload and
    counts as from the positions alone (every cell computed anew, every event tested)."""
    import types

    store, index, zones = indexed
    bare = types.SimpleNamespace(**{k: v for k, v in vars(index).items() if k not in MADE_ONCE})
    index.fine_cells, index.fatalities_or_zero, index.extent  # noqa: B018 - as the page does
    mask = index.mask(flt, zones)
    colors = ["#000"] * len(index.types)
    fast = event_view(index, mask, view, colors, limit)
    plain = event_view(bare, mask, view, colors, limit)
    assert fast == plain


class _NoPositions:
    """An index whose positions cannot be read (everything else is the real index's)."""

    def __init__(self, index):
        self._index = index

    def __getattr__(self, name):
        if name in ("lat", "lon"):
            raise AssertionError(f"the event positions ({name}) were read")
        return getattr(self._index, name)


def test_cells_of_a_view_holding_every_event_read_no_positions(indexed, shipped):
    """At a view that holds every event (the Map's start view: all of Syria), the cells
    come from the index's grid cells alone: no position is gathered (8 MB at a million
    events), and the cells are those :func:`cells` counts from the positions."""
    _, index, _ = indexed
    west, south, east, north = index.extent
    view = View(west - 1, south - 1, east + 1, north + 1, 7)
    flt = EventFilter(start=date(2016, 1, 1), end=date(2017, 12, 31))
    mask = index.mask(flt)
    colors = ["#000"] * len(index.types)
    got = event_view(_NoPositions(index), mask, view, colors, limit=3)
    assert got == event_view(index, mask, view, colors, limit=3)
    assert got.mode == "cells"
    sel = np.flatnonzero(mask)
    want = cells(index.lat[sel], index.lon[sel], index.fatalities[sel], view.zoom)
    p = got.payload
    assert decode(p, "ix", "<i4").tolist() == want["ix"].tolist()
    assert decode(p, "iy", "<i4").tolist() == want["iy"].tolist()
    assert decode(p, "count", "<u4").tolist() == want["count"].tolist()
    assert decode(p, "fat", "<u4").tolist() == want["fatalities"].tolist()
    assert got.in_view == mask.sum() and got.cells_in_view == len(want["count"])
