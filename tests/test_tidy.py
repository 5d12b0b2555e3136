"""The walkthrough's findings on the pages (AppTest) and in geo/ (plain tests)."""

from __future__ import annotations

from datetime import date

import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT


def _page(path: str) -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(path)
    at.run()
    assert not at.exception, at.exception
    return at


# --- 1. Zone history ----------------------------------------------------------------------


def test_latest_is_by_valid_from_then_number():
    import geopandas as gpd

    from geo import zones

    versions = gpd.GeoDataFrame(
        {
            "zone_id": ["a", "a", "a", "b"],
            "version": [1, 2, 3, 1],
            "valid_from": [date(2017, 5, 1), date(2019, 1, 1), date(2018, 1, 1), date(2030, 1, 1)],
        },
        geometry=[None] * 4,
    )
    assert zones.latest(versions, "a") == 2  # version 3 is valid from an earlier day
    assert zones.latest(versions, "b") == 1


def test_zone_history_never_compares_a_version_with_itself(store_env):
    at = _page("pages/zone_history.py")
    for zone in at.selectbox(key="history_zone").options:
        at.selectbox(key="history_zone").set_value(zone.rsplit("(", 1)[1][:-1]).run()
        zone_id = zone.rsplit("(", 1)[1][:-1]
        boxes = {b.label: b for b in at.selectbox if b.label in ("From version", "To version")}
        if zone_id == "m4_corridor":  # one version
            assert boxes == {}
            assert any("only one version" in i.value for i in at.info)
            continue
        a, b = boxes["From version"], boxes["To version"]
        assert a.value != b.value
        assert a.value not in b.options
        # picking the "To" version as "From" moves "To" to another version
        a.set_value(b.value).run()
        a = at.selectbox(key=f"diff_a_{zone_id}")
        b = at.selectbox(key=f"diff_b_{zone_id}")
        assert not at.exception, at.exception
        assert a.value != b.value and a.value not in b.options
