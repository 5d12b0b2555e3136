"""Every page's figures are the same on PostGIS (a real server) as on the GeoPackage engine:
on the shipped data, and on the shipped data with a real ACLED export imported into both
(the file lives only in ../shared, since ACLED may not be redistributed; without it those
cases skip, saying why).

The figures are computed as the pages compute them, from each engine's own store: the
event index read from the store (``Store.event_columns``), the filters' mask, then the
map's grid cells for a view (:func:`geo.aggregate.event_view`), the Events page's timeline
and table (the first page in every order, and the total), the Zone report (its CSV export
holds every figure, for every shipped zone) and the Place report; and the CLI's
``zones stats`` and ``events --format csv`` (the CSV download's writer), byte for byte.
"""

from __future__ import annotations

import io
import shutil
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd
import pytest

from conftest import SHARED
from geo import stream, timeline
from geo import table as T
from geo.aggregate import View, event_view
from geo.eventindex import EventIndex
from geo.filters import EventFilter
from geo.place_report import DEFAULT_PLACES, place_report
from geo.report import comparison_table, report_csv, zone_report

ACLED_REAL = SHARED / "data" / "external" / "acled_syria_battles" / "acled_syria_battles_2017.csv"

#: The Map page's start view (all of Syria at zoom 7) and a closer one (Idlib, zoom 9).
VIEWS = {"syria": View(35.6, 32.3, 42.4, 37.35, 7), "idlib": View(35.9, 35.3, 37.2, 36.5, 9)}
ZONES = ("idlib", "northern_homs", "eastern_ghouta", "south", "sochi_dmz", "m4_corridor")


def _filters(summary) -> dict[str, EventFilter]:
    """The pages' default (every date, every type) and a narrower choice."""
    return {
        "default": EventFilter(start=summary.first, end=summary.last, types=summary.types),
        "2017": EventFilter(
            start=date(2017, 3, 1),
            end=date(2017, 10, 31),
            types=summary.types,
            min_fatalities=1,
        ),
    }


class Figures:
    """What each page shows, computed from one store as the page computes it."""

    def __init__(self, store):
        self.store = store
        self.summary = store.event_summary()
        self.versions = store.zone_versions()
        self.places = store.places()
        self.index = EventIndex.from_frame(store.event_columns())
        self.filters = _filters(self.summary)
        self.masks = {k: self.index.mask(f, self.versions) for k, f in self.filters.items()}

    def cells(self, which: str, view: str) -> dict:
        colors = [f"#{k:06x}" for k in range(len(self.index.types))]
        flt = self.filters[which]
        got = event_view(self.index, self.masks[which], VIEWS[view], colors, 1000,
                         (flt.start, flt.end))  # fmt: skip
        assert got.mode == "cells"  # more than the limit: counted per grid cell
        return {
            "payload": got.payload,
            "stats": (got.in_view, got.fatalities_in_view, got.cells_in_view),
        }

    def timeline(self, which: str, freq: str) -> tuple[pd.DataFrame, dict]:
        flt = self.filters[which]
        frame = self.index.frame(self.masks[which])
        series = timeline.timeline(frame, freq, flt.start, flt.end, list(self.summary.types))
        return series, timeline.before_range(frame, flt.start)

    @cached_property
    def nearest(self) -> T.Nearest:
        return T.nearest_places(self.index.lat, self.index.lon, self.places)

    def table_page(self, which: str, by: str, descending: bool) -> pd.DataFrame:
        order = T.sort_order(self.index, self.masks[which], by, descending, self.nearest)
        rows = T.page_rows(order, 1)
        return self.store.events_by_fids(self.index.fid[rows]).reset_index(drop=True)

    def zone_report(self, which: str, zone_id: str) -> tuple[str, pd.DataFrame]:
        from geo.analysis import in_force_date

        flt = self.filters[which]
        shown = self.index.frame(self.masks[which])
        report = zone_report(
            shown,
            self.versions,
            zone_id,
            zone_name=zone_id,
            freq="month",
            pivot=in_force_date(self.versions, zone_id),
            days=90,
            km=20.0,
            exclude_coarse=True,
            filters=flt.describe(self.summary.types),
            all_types=self.summary.types,
            start=max(flt.start, self.summary.first),
            end=min(flt.end, self.summary.last),
        )
        return report_csv(report), comparison_table(report)

    def place_report(self, which: str, exclude_coarse: bool = True):
        flt = self.filters[which]
        shown = self.index.frame(self.masks[which])
        return place_report(
            shown, self.places, DEFAULT_PLACES, 25.0, "month", flt.start, flt.end,
            self.summary.types, exclude_coarse,
        )  # fmt: skip

    def download(self, which: str) -> bytes:
        out = io.BytesIO()
        stream.write_events(self.store, self.index.fid[self.masks[which]], "csv", out)
        return out.getvalue()


def _import_acled(store) -> None:
    from geo.uploads.events import import_events

    report = import_events(store, ACLED_REAL, fmt="acled", who="parity test")
    assert report.imported > 8000, report


@pytest.fixture(scope="module", params=["shipped", "acled"])
def pair(request, postgis, session_store_path, tmp_path_factory) -> dict[str, Figures]:
    """(GeoPackage, PostGIS) figures, for the shipped data or with the ACLED file imported."""
    from geo.store.gpkg import GeoPackageStore
    from geo.store.postgis import PostGISStore

    if request.param == "acled" and not ACLED_REAL.exists():
        # ACLED may not be redistributed, so the file lives only in ../shared (there in CI).
        pytest.skip(f"the real ACLED file is not here ({ACLED_REAL}); the shipped data is tested")
    path = tmp_path_factory.mktemp("parity") / "zonewatch.gpkg"
    shutil.copyfile(session_store_path, path)
    gpkg = GeoPackageStore.open(path, seed=False)
    pg = PostGISStore.open(
        postgis.create_db(f"parity_{request.param}", template="zonewatch_template"), seed=False
    )
    if request.param == "acled":
        for store in (gpkg, pg):
            _import_acled(store)
    return {"gpkg": Figures(gpkg), "postgis": Figures(pg), "name": request.param}


def test_the_same_events_are_selected(pair):
    g, p = pair["gpkg"], pair["postgis"]
    assert len(g.index) == len(p.index)
    assert g.summary == p.summary
    for which in g.filters:
        assert int(g.masks[which].sum()) == int(p.masks[which].sum()) > 0, which
        assert (g.index.fid[g.masks[which]] == p.index.fid[p.masks[which]]).all()


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("which", ["default", "2017"])
def test_map_grid_counts(pair, which, view):
    g, p = pair["gpkg"].cells(which, view), pair["postgis"].cells(which, view)
    assert g == p
    assert g["stats"][0] > 0  # events in the view


@pytest.mark.parametrize("freq", ["week", "month"])
@pytest.mark.parametrize("which", ["default", "2017"])
def test_timeline(pair, which, freq):
    (gs, gb), (ps, pb) = pair["gpkg"].timeline(which, freq), pair["postgis"].timeline(which, freq)
    pd.testing.assert_frame_equal(gs, ps)
    assert gb == pb
    assert gs["events"].sum() > 0


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("by", list(T.SORT_COLUMNS))
def test_events_table_first_page_and_total(pair, by, descending):
    for which in ("default", "2017"):
        g = pair["gpkg"].table_page(which, by, descending)
        p = pair["postgis"].table_page(which, by, descending)
        assert len(g) == min(T.PAGE_SIZE, int(pair["gpkg"].masks[which].sum()))
        pd.testing.assert_frame_equal(g, p)
        total = [int(pair[e].masks[which].sum()) for e in ("gpkg", "postgis")]
        assert total[0] == total[1]
        assert T.page_count(total[0]) == T.page_count(total[1])


@pytest.mark.parametrize("zone_id", ZONES)
def test_zone_report(pair, zone_id):
    for which in ("default", "2017"):
        g_csv, g_table = pair["gpkg"].zone_report(which, zone_id)
        p_csv, p_table = pair["postgis"].zone_report(which, zone_id)
        assert g_csv == p_csv
        pd.testing.assert_frame_equal(g_table, p_table)


def test_place_report(pair):
    for which, coarse in (("default", True), ("2017", True), ("default", False)):
        g = pair["gpkg"].place_report(which, coarse)
        p = pair["postgis"].place_report(which, coarse)
        pd.testing.assert_frame_equal(g.totals, p.totals)
        pd.testing.assert_frame_equal(g.per_period, p.per_period)
        assert g.early == p.early and g.coarse_left_out == p.coarse_left_out
        assert list(g.near.index) == list(p.near.index)
        assert g.totals["events"].sum() > 0


def test_csv_download_is_byte_identical(pair):
    for which in ("default", "2017"):
        g, p = pair["gpkg"].download(which), pair["postgis"].download(which)
        assert g.count(b"\n") > 100
        assert g == p, _first_difference(g, p)


def _first_difference(a: bytes, b: bytes) -> str:
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False)):
        if x != y:
            return f"line {n + 1}:\n gpkg    {x[:300]!r}\n postgis {y[:300]!r}"
    return f"lengths {len(a)} and {len(b)}"


def _cli(engine: str, store, capsys, monkeypatch, *args: str) -> str:
    from geo.cli import main

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ZONEWATCH_STORE", raising=False)
    if engine == "gpkg":
        monkeypatch.setenv("ZONEWATCH_STORE", str(store.path))
    else:
        monkeypatch.setenv("DATABASE_URL", store.url)
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ("zones", "stats"),
        ("zones", "stats", "--by", "week", "--exclude-coarse", "--from", "2017-01-01"),
        ("events", "--format", "csv", "--from", "2017-05-01", "--to", "2017-06-30"),
    ],
    ids=["zones-stats", "zones-stats-week", "events-csv"],
)
def test_cli_output_is_byte_identical(pair, args, capsys, monkeypatch):
    out = {e: _cli(e, pair[e].store, capsys, monkeypatch, *args) for e in ("gpkg", "postgis")}
    assert out["gpkg"].count("\n") > 10
    assert out["gpkg"] == out["postgis"], _first_difference(
        out["gpkg"].encode(), out["postgis"].encode()
    )


def test_fatalities_and_precision_survive_both_engines(pair):
    """The columns the figures rest on, compared whole (not only through the figures)."""
    g, p = pair["gpkg"].index, pair["postgis"].index
    assert np.array_equal(g.lat, p.lat) and np.array_equal(g.lon, p.lon)
    assert np.array_equal(g.start, p.start) and np.array_equal(g.end, p.end)
    assert np.array_equal(g.fatalities, p.fatalities, equal_nan=True)
    assert g.types == p.types and g.datasets == p.datasets
