"""Filters against counts computed independently from the CSVs with the standard library."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from conftest import stdlib_count
from geo import shipped
from geo.errors import InputError
from geo.filters import EventFilter, check_types, event_mask, filter_events, parse_date


@pytest.fixture(scope="module")
def events():
    return shipped.events()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2017-05-01", "2017-05-31"),
        ("2017-05-06", "2017-05-06"),
        ("2016-01-01", "2019-12-01"),
        ("2018-02-18", "2018-04-14"),
        ("2019-11-30", "2019-12-31"),
        (None, "2016-01-31"),
        ("2019-06-01", None),
        ("2020-01-01", "2020-12-31"),
    ],
)
def test_date_overlap_matches_stdlib(events, start, end):
    flt = EventFilter(
        start=date.fromisoformat(start) if start else None,
        end=date.fromisoformat(end) if end else None,
    )
    assert len(filter_events(events, flt)) == stdlib_count(start, end)


def test_multi_day_event_overlapping_the_edge_is_included():
    df = pd.DataFrame(
        {
            "date_start": pd.to_datetime(["2017-04-28", "2017-05-02", "2017-06-01"]),
            "date_end": pd.to_datetime(["2017-05-01", "2017-05-03", "2017-06-02"]),
            "event_type": ["a", "b", "a"],
            "dataset": ["x", "x", "y"],
        }
    )
    mask = event_mask(df, EventFilter(start=date(2017, 5, 1), end=date(2017, 5, 31)))
    assert mask.tolist() == [True, True, False]


def test_type_filter_matches_stdlib(events):
    types = ("Air strike", "One-sided violence")
    flt = EventFilter(start=date(2017, 5, 1), end=date(2017, 6, 30), types=types)
    assert len(filter_events(events, flt)) == stdlib_count("2017-05-01", "2017-06-30", set(types))


def test_no_types_selected_selects_nothing(events):
    assert len(filter_events(events, EventFilter(types=()))) == 0


def test_reversed_range_is_refused():
    with pytest.raises(InputError, match="before the start date"):
        EventFilter(start=date(2017, 6, 1), end=date(2017, 5, 1))


def test_parse_date_message():
    assert parse_date(" 2017-05-04 ") == date(2017, 5, 4)
    with pytest.raises(InputError, match="write it as YYYY-MM-DD"):
        parse_date("4 May 2017", "--from")


def test_check_types_is_case_insensitive_and_names_unknown():
    assert check_types(["air STRIKE"], ["Air strike", "Shoot-down"]) == ("Air strike",)
    with pytest.raises(InputError, match="'bombing'.*known types: Air strike, Shoot-down"):
        check_types(["bombing"], ["Air strike", "Shoot-down"])


def test_within_km_gives_the_geodesic_answer_for_every_point():
    """The great-circle shortcut decides only the points clearly in or out: the answer is
    the WGS84 geodesic one everywhere, near the circle's edge included."""
    import numpy as np

    from geo.filters import distance_km, within_km

    rng = np.random.default_rng(15)
    for lat0, lon0, km in [(36.2, 37.16, 25.0), (0.0, 0.0, 300.0), (-70.0, 120.0, 5.0),
                           (89.5, 10.0, 800.0), (33.5, 36.3, 5000.0)]:  # fmt: skip
        lat = np.clip(lat0 + rng.normal(0, km / 80, 20000), -90, 90)
        lon = lon0 + rng.normal(0, km / 60, 20000)
        exact = distance_km(lat, lon, lat0, lon0)
        # points put right on the edge, a metre either side
        edge = np.argsort(np.abs(exact - km))[:200]
        got = within_km(lat, lon, lat0, lon0, km)
        assert (got == (exact <= km)).all()
        assert 0 < got.sum() < len(got) and got[edge].any() and not got[edge].all()
