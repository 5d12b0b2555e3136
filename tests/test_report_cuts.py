"""Issue 14: the Zone and Place reports leave out first the events outside the bounds of
the shapes they count in (the zone's versions and ring; the box around each place), then
count. The same report as counting from every event shown, on the shipped data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def shipped(session_store_path):
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore.open(session_store_path, seed=False)
    return store.events(), store.zone_versions(), store.places()


def _same(a, b) -> None:
    for field in a.__dataclass_fields__:
        x, y = getattr(a, field), getattr(b, field)
        if isinstance(x, pd.DataFrame | pd.Series):
            pd.testing.assert_frame_equal(pd.DataFrame(x), pd.DataFrame(y))
        elif hasattr(x, "equals") and not isinstance(x, dict):
            assert x.equals(y), field
        else:
            assert x == y, field


@pytest.mark.parametrize("zone_id", ["idlib", "eastern_ghouta", "northern_homs"])
@pytest.mark.parametrize("coarse", [True, False])
def test_the_zone_report_is_the_report_over_every_event(shipped, monkeypatch, zone_id, coarse):
    import geo.report as R

    events, versions, _ = shipped
    args = dict(zone_name=zone_id, freq="month", pivot=date(2017, 5, 6), days=90, km=20,
                exclude_coarse=coarse)  # fmt: skip
    cut = R.zone_report(events, versions, zone_id, **args)
    monkeypatch.setattr(R, "_within_bounds", lambda ev, shapes: np.ones(len(ev), dtype=bool))
    every = R.zone_report(events, versions, zone_id, **args)
    assert len(cut.in_zone) > 50 and len(cut.in_zone) < len(events) / 2
    _same(cut, every)


@pytest.mark.parametrize("names", [["Raqqa", "Palmyra (Tadmur)"], ["Aleppo"], []])
def test_the_place_report_is_the_report_over_every_event(shipped, monkeypatch, names):
    import geo.place_report as P
    from geo.analysis import place_counts

    events, _, places = shipped
    cut = P.place_report(events, places, names, 25.0, "month", types=None)
    if names:
        assert 0 < int(cut.totals["events"].sum()) < len(events) / 2
    monkeypatch.setattr(P, "near_bbox", lambda lat, lon, km: (-180.0, -90.0, 180.0, 90.0))
    every = P.place_report(events, places, names, 25.0, "month", types=None)
    _same(cut, every)
    # and the figures per period are analysis.place_counts' (what the report used before)
    counts = place_counts(events, places, names, 25.0, "month", types=None)
    if names:
        want = counts.groupby(["place", "period", "label"], as_index=False, sort=True)[
            ["events", "fatalities"]
        ].sum()
        pd.testing.assert_frame_equal(cut.per_period, want)


@pytest.mark.parametrize(
    ("page", "module", "name", "key", "value"),
    [
        ("pages/zone_report.py", "geo.report", "zone_report", "window", 60),
        ("pages/place_report.py", "geo.place_report", "place_report", "radius", 30),
    ],
)
def test_a_report_is_computed_once_per_filter_and_choices(
    store_env, monkeypatch, page, module, name, key, value
):
    """A rerun that changes neither the filters nor the report's choices (a click
    elsewhere, a download) reuses the report: at a million events it took seconds."""
    import importlib

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    target = importlib.import_module(module)
    real, calls = getattr(target, name), []

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, counted)
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    at.run()
    at.run()
    assert len(calls) == 1
    at.number_input(key=key).set_value(value).run()
    assert not at.exception and len(calls) == 2
