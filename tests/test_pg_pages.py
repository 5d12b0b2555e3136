"""The Map and Events pages on PostGIS take their figures from SQL (geo.store.pgquery) and
read no event index, showing what they show on GeoPackage (AppTest, both engines, the
same visit: a date change on each page, every order of the table, a second page)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_app import event_view_payload, showing

from conftest import ROOT, whole_page

SQL_SORTS = [(by, way) for by in ("date", "fatalities", "type", "dataset", "actor")
             for way in ("ascending", "descending")]  # fmt: skip


def _visit() -> dict:
    """What the pages show along one visit, and whether the event index was read before
    the table was sorted by nearest place and after."""
    from views import data

    st.cache_resource.clear()
    st.cache_data.clear()
    data._LAST_INDEX.clear()
    out = {}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    out["map"] = (showing(at), event_view_payload(at))
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 8, 31))).run()
    out["map, summer 2017"] = (showing(at), event_view_payload(at))
    at.switch_page("pages/events.py").run()
    assert not at.exception, at.exception
    at.date_input(key="dates").set_value((date(2017, 3, 1), date(2017, 12, 31))).run()
    out["events"] = (showing(at), [c.value for c in at.caption])
    for by, way in SQL_SORTS:
        at.selectbox(key="sort").set_value(by).run()
        at.radio(key="sort_order").set_value(way).run()
        out[f"{by} {way}"] = at.dataframe[0].value
    at.number_input(key="table_page").set_value(2).run()
    out["page 2"] = (at.dataframe[0].value, [c.value for c in at.caption])
    assert not at.exception, at.exception
    # a jump (OFFSET), then a step back and one forward (keyset paging on PostGIS)
    for page in (5, 4, 5, 6):
        at.number_input(key="table_page").set_value(page).run()
        assert not at.exception, at.exception
        out[f"page {page}, then"] = at.dataframe[0].value
    out["keys kept"] = (
        at.session_state["table_keyset"][1] if "table_keyset" in at.session_state else None
    )
    out["credits"] = [t.value for t in at.expander[0].text]
    out["index read"] = bool(data._LAST_INDEX)
    at.selectbox(key="sort").set_value("place").run()
    assert not at.exception, at.exception
    out["place"] = at.dataframe[0].value
    out["index read for place"] = bool(data._LAST_INDEX)
    return out


def _on_both_stores(visit, db_name, postgis, session_store_path, monkeypatch):
    """``visit()`` on the shipped GeoPackage, then on a PostGIS copy of it named
    ``db_name``: (what each gave)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ZONEWATCH_STORE", str(session_store_path))
    gpkg = visit()
    monkeypatch.delenv("ZONEWATCH_STORE")
    monkeypatch.setenv("DATABASE_URL", postgis.create_db(db_name, "zonewatch_template"))
    return gpkg, visit()


def test_map_and_events_on_postgis_read_no_index_and_show_the_same(
    postgis, session_store_path, monkeypatch
):
    gpkg, pg = _on_both_stores(_visit, "pages_sql", postgis, session_store_path, monkeypatch)

    assert gpkg["index read"] and gpkg["index read for place"]  # GeoPackage: as before
    assert not pg["index read"]  # PostGIS: every figure above from SQL
    assert not pg["index read for place"]  # the nearest place's order too (pgnearest)
    assert pg["keys kept"] == 6 and gpkg["keys kept"] is None  # keyset paging: PostGIS only
    assert gpkg["map"][0][0] > gpkg["map, summer 2017"][0][0] > 0
    for key, want in gpkg.items():
        got = pg[key]
        if key.startswith("index read") or key == "keys kept":
            continue
        if isinstance(want, pd.DataFrame):
            assert len(want) == 100, key
            pd.testing.assert_frame_equal(got, want, obj=key)
        elif key == "page 2":
            pd.testing.assert_frame_equal(got[0], want[0])
            assert got[1] == want[1]
        else:
            assert got == want, key


def _visit_once(may_june) -> dict:
    """What the Map and Events pages show with "count each event once" on (and off again),
    and whether the event index was read before the table was sorted by nearest place."""
    from views import data

    st.cache_resource.clear()
    st.cache_data.clear()
    data._LAST_INDEX.clear()
    out = {}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.date_input(key="dates").set_value(may_june).run()
    out["records"] = showing(at)
    whole_page(at).checkbox(key="once").check().run()  # the date change ran the map's part
    assert not at.exception, at.exception
    out["map"] = (showing(at), event_view_payload(at), [m.value for m in at.markdown])
    at.switch_page("pages/events.py").run()
    assert not at.exception, at.exception
    out["events"] = (showing(at), [c.value for c in at.caption], [m.value for m in at.markdown])
    for by, way in SQL_SORTS[::3]:
        at.selectbox(key="sort").set_value(by).run()
        at.radio(key="sort_order").set_value(way).run()
        out[f"{by} {way}"] = at.dataframe[0].value
    at.number_input(key="table_page").set_value(2).run()
    out["page 2"] = at.dataframe[0].value
    assert not at.exception, at.exception
    out["index read"] = bool(data._LAST_INDEX)
    at.selectbox(key="sort").set_value("place").run()
    assert not at.exception, at.exception
    out["place"] = at.dataframe[0].value
    at.radio(key="sort_order").set_value("ascending" if way == "descending" else "descending")
    at.run()
    out["place, other way"] = at.dataframe[0].value
    out["index read for place"] = bool(data._LAST_INDEX)
    at.checkbox(key="once").uncheck().run()
    out["off again"] = showing(at)
    return out


def test_count_once_on_postgis_reads_no_index_and_shows_what_the_index_shows(postgis, monkeypatch):
    """With "count each event once" on, the pages on PostGIS count in SQL
    (geo.store.pgonce) and read no event index (but for the nearest place's order), and
    show what the in-memory path shows on the same store (the pages made to take the index:
    ``pgquery.in_sql`` False): counts, the map, the table's rows and merged records."""
    from geo.eventindex import EventIndex
    from geo.filters import EventFilter
    from geo.matching import stored
    from geo.store import pgquery
    from geo.store.postgis import PostGISStore

    url = postgis.create_db("pages_once", "zonewatch_template")
    store = PostGISStore.open(url, seed=False)
    stored.build(store, "tester")
    may_june = (date(2017, 5, 1), date(2017, 6, 30))
    index = EventIndex.from_frame(store.event_columns())
    mask = index.mask(EventFilter(*may_june))
    counted, records = int(stored.counted_mask(store, index, mask).sum()), int(mask.sum())
    assert counted < records

    monkeypatch.delenv("ZONEWATCH_STORE", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    sql = _visit_once(may_june)
    monkeypatch.setattr(pgquery, "in_sql", lambda store: False)
    memory = _visit_once(may_june)

    assert sql["records"][0] == records and sql["off again"][0] == records
    assert sql["map"][0][0] == counted == sql["map"][1]["n"]
    assert sql["events"][0][0] == counted
    assert not sql["index read"]  # every figure above from SQL, count-once too
    assert not sql["index read for place"]  # and the order by nearest place
    assert memory["index read"]  # the in-memory path (the comparison's reference)
    merged = 0
    for key, want in memory.items():
        got = sql[key]
        if key.startswith("index read") or key == "keys kept":
            continue
        if isinstance(want, pd.DataFrame):
            assert len(want) == 100, key
            pd.testing.assert_frame_equal(got, want, obj=key)
            merged += int((want["Merged records"] != "").sum())
        else:
            assert got == want, key
    assert merged > 0  # rows name the records merged into them


def _reports() -> dict:
    """What the Zone and Place reports show (tables, captions, text), and whether the event
    index was read."""
    from views import data

    st.cache_resource.clear()
    st.cache_data.clear()
    data._LAST_INDEX.clear()
    out = {}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    for page in ("pages/zone_report.py", "pages/place_report.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        out[page] = (
            [d.value for d in at.dataframe],
            [c.value for c in at.caption],
            [m.value for m in at.markdown],
        )
    at.checkbox(key="place_coarse").uncheck().run()  # the coarse locations counted too
    out["place, coarse kept"] = ([d.value for d in at.dataframe], [c.value for c in at.caption])
    out["index read"] = bool(data._LAST_INDEX)
    return out


def test_zone_and_place_reports_on_postgis_read_no_index_and_show_the_same(
    postgis, session_store_path, monkeypatch
):
    gpkg, pg = _on_both_stores(_reports, "reports_sql", postgis, session_store_path, monkeypatch)
    assert gpkg["index read"] and not pg["index read"]
    for page in ("pages/zone_report.py", "pages/place_report.py"):
        (g_frames, g_captions, g_text), (p_frames, p_captions, p_text) = gpkg[page], pg[page]
        assert g_frames and len(g_frames) == len(p_frames), page
        for g, p in zip(g_frames, p_frames, strict=True):
            pd.testing.assert_frame_equal(p, g, obj=page)
        assert p_captions == g_captions and p_text == g_text
    (g_frames, g_captions), (p_frames, p_captions) = (
        gpkg["place, coarse kept"],
        pg["place, coarse kept"],
    )  # with the coarse locations: more events, the same on both
    for g, p in zip(g_frames, p_frames, strict=True):
        pd.testing.assert_frame_equal(p, g)
    assert p_captions == g_captions
    less = gpkg["pages/place_report.py"][0][0]
    assert g_frames[0]["events"].sum() > less["events"].sum()
