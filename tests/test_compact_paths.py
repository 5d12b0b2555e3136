"""The reports computed from the compact frame of the index (what the pages now use, at any
scale) give the same figures as from the stored rows with all their text (what they used)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from geo import analysis
from geo.eventindex import EventIndex
from geo.filters import EventFilter, select_events
from geo.report import report_csv, zone_report


@pytest.fixture(scope="module")
def shipped(session_store_path):
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore.open(session_store_path)
    return store, EventIndex.from_frame(store.event_columns()), store.zone_versions()


FILTERS = [
    EventFilter(start=date(2017, 1, 1), end=date(2018, 12, 31)),
    EventFilter(start=date(2017, 5, 1), end=date(2017, 6, 30), min_fatalities=2),
    EventFilter(start=date(2016, 1, 1), end=date(2019, 12, 1), zones=("idlib",)),
]


def _both(shipped, flt):
    store, index, versions = shipped
    full = select_events(store, flt, versions)
    compact = index.frame(index.mask(flt, versions))
    assert len(full) == len(compact) > 0
    return full, compact, versions


def zone_args(zone_id: str, types, exclude_coarse: bool, **dates) -> dict:
    """The zone report's arguments these comparisons use (monthly, 90 days around 6 May
    2017, a ring of 20 km), for ``zone_id`` and the store's ``types``."""
    return dict(
        zone_name=zone_id,
        freq="month",
        pivot=date(2017, 5, 6),
        days=90,
        km=20.0,
        exclude_coarse=exclude_coarse,
        all_types=tuple(types),
        **dates,
    )


@pytest.mark.parametrize("flt", FILTERS, ids=["2017-18", "may-june-2", "idlib"])
@pytest.mark.parametrize("zone_id", ["idlib", "eastern_ghouta"])
def test_zone_report_from_the_compact_frame_equals_the_full_rows(shipped, flt, zone_id):
    full, compact, versions = _both(shipped, flt)
    args = zone_args(zone_id, shipped[1].types, True, start=flt.start, end=flt.end)
    a = zone_report(full, versions, zone_id, **args)
    b = zone_report(compact, versions, zone_id, **args)
    assert report_csv(a) == report_csv(b)
    assert a.zone_ba == b.zone_ba and a.ring_ba == b.ring_ba
    assert len(a.nearby) == len(b.nearby) and len(a.in_zone) == len(b.in_zone)
    assert a.coarse_left_out == b.coarse_left_out


@pytest.mark.parametrize("flt", FILTERS[:2], ids=["2017-18", "may-june-2"])
def test_place_counts_from_the_compact_frame_equal_the_full_rows(shipped, flt):
    full, compact, _ = _both(shipped, flt)
    places = shipped[0].places()
    names = ["Douma", "Idlib", "Raqqa"]
    a = analysis.place_counts(full, places, names, 25.0, "month", flt.start, flt.end)
    b = analysis.place_counts(compact, places, names, 25.0, "month", flt.start, flt.end)
    pd.testing.assert_frame_equal(
        a.astype({"event_type": str}), b.astype({"event_type": str}), check_dtype=False
    )
    assert a["events"].sum() > 0


def test_zone_counts_from_the_compact_frame_equal_the_full_rows(shipped):
    full, compact, versions = _both(shipped, FILTERS[0])
    a = analysis.zone_counts(full, versions, "month", True, FILTERS[0].start, FILTERS[0].end)
    b = analysis.zone_counts(compact, versions, "month", True, FILTERS[0].start, FILTERS[0].end)
    pd.testing.assert_frame_equal(
        a.astype({"event_type": str}), b.astype({"event_type": str}), check_dtype=False
    )


def test_a_map_draws_the_events_with_most_fatalities_when_too_many(shipped):
    _, compact, _ = _both(shipped, FILTERS[0])
    picked = analysis.for_map(compact, 500)
    assert len(picked) == 500
    rest = compact.drop(picked.index)
    assert picked["fatalities_best"].fillna(-1).min() >= rest["fatalities_best"].fillna(-1).max()
    assert list(picked.index) == sorted(picked.index)  # kept in the stored order
    assert analysis.for_map(compact, len(compact)) is compact
