"""The Events page (AppTest): a paged table sorted on the server, its rows read by fid."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT, stdlib_count


def _events_page() -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/events.py").run()
    assert not at.exception, at.exception
    return at


def _caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Rows "))


def test_sort_and_page_through_all_rows(store_env):
    from geo.store.gpkg import GeoPackageStore

    at = _events_page()
    at.date_input(key="dates").set_value((date(2017, 1, 1), date(2017, 12, 31))).run()
    total = stdlib_count("2017-01-01", "2017-12-31")
    assert _caption(at).startswith(f"Rows 1-100 of {total:,}, page 1 of {-(-total // 100):,}.")

    at.selectbox(key="sort").set_value("fatalities").run()
    at.radio(key="sort_order").set_value("descending").run()
    at.number_input(key="table_page").set_value(3).run()
    assert not at.exception, at.exception
    assert _caption(at).startswith(f"Rows 201-300 of {total:,}, page 3 of")
    shown = at.dataframe[0].value

    # the same rows, from the whole year's events sorted by pandas (stable: ties in the
    # stored order), missing fatalities last
    store = GeoPackageStore.open(store_env)
    year = store.events()
    year = year[(year["date_start"] <= "2017-12-31") & (year["date_end"] >= "2017-01-01")]
    want = year.sort_values("fatalities_best", ascending=False, kind="stable", na_position="last")
    want = want.iloc[200:300].reset_index(drop=True)
    assert shown["Dataset id"].tolist() == want["dataset_id"].tolist()
    assert shown["Fatalities (best)"].tolist() == want["fatalities_best"].tolist()
    # every event has a nearest place, but one located only by region or country
    placed = ~shown["Location precision"].isin(["admin1", "region", "country", "international"])
    assert shown.loc[placed, "Nearest place"].str.len().gt(0).all()
    assert shown.loc[placed, "Distance (km)"].ge(0).all()
    assert shown.loc[~placed, "Nearest place"].str.endswith(" only)").all()
    # the attribution names each dataset among the filtered events, once
    credited = [t.value.split(":")[0] for t in at.expander[0].text]
    assert credited == sorted(year["dataset"].unique()) and len(credited) >= 2

    # a page past the end shows the last page; a new filter goes back to page 1
    at.number_input(key="table_page").set_value(10_000).run()
    last = -(-total // 100)
    assert re.search(rf"page {last:,} of {last:,}\.", _caption(at))
    assert len(at.dataframe[0].value) == total - (last - 1) * 100
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 5, 31))).run()
    may = stdlib_count("2017-05-01", "2017-05-31")
    assert _caption(at).startswith(f"Rows 1-100 of {may:,}, page 1 of")
    pd.testing.assert_series_equal(
        at.dataframe[0].value["Fatalities (best)"],
        at.dataframe[0].value["Fatalities (best)"].sort_values(ascending=False, kind="stable"),
    )


def test_the_fatalities_spike_of_the_first_week_is_said_to_be_year_long_records(store_env):
    """The first week's fatalities (week of 28 Dec 2015) are mostly a few UCDP records dated
    over all of 2016, counted at their start as the timeline counts every event: the note
    under the chart says so with the figures, and each bar's tooltip gives its share."""
    import sqlite3

    with sqlite3.connect(store_env) as db:
        ((n, dead),) = db.execute(
            "SELECT count(*), sum(fatalities_best) FROM events WHERE date_start <= "
            "'2016-01-03' AND date_end > '2016-01-03'"
        )
        (week,) = db.execute(
            "SELECT sum(fatalities_best) FROM events WHERE date_start <= '2016-01-03'"
        ).fetchone()
        ((all_n, all_dead),) = db.execute(
            "SELECT count(*), sum(fatalities_best) FROM events WHERE "
            "date_end > date(date_start, 'weekday 0')"  # past the Sunday of its week
        )
    assert n >= 5 and dead > 0.9 * week  # the shipped data's year-long records
    at = _events_page()
    note = next(c.value for c in at.caption if "longer than the bar" in c.value)
    assert note.startswith(f"{all_n:,} events with a date range longer than the bar (a week)")
    assert (
        f"They hold {all_dead:,} fatalities; most in week of 28 Dec 2015: {n:,} such events, "
        f"{dead:,} of its {week:,} fatalities" in note
    )
    # the chart's bars carry their share (in the tooltip)
    import pyarrow as pa

    (chart,) = at.get("vega_lite_chart")
    (dataset,) = chart.proto.datasets
    bars = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
    first = bars[bars["label"] == "week of 28 Dec 2015"]
    assert first["fatalities dated past the bar"].sum() == dead
    assert first["fatalities"].sum() == week
    assert bars["events dated past the bar"].sum() == all_n
    assert "fatalities dated past the bar" in chart.proto.spec
    # bars only where there are events (a week with none keeps one empty row on the axis)
    weeks = pd.date_range("2015-12-28", bars["label"].str[8:].pipe(pd.to_datetime).max(), freq="7D")
    assert list(dict.fromkeys(bars["label"])) == [f"week of {w:%d %b %Y}" for w in weeks]
    zero = bars[bars["events"] == 0]
    assert (
        not zero["label"].duplicated().any()
        and not zero["label"].isin(bars.loc[bars["events"] > 0, "label"]).any()
    )


def test_the_column_sorted_by_is_among_those_in_view(store_env):
    """Sorted by actor 1, its column was the ninth, off to the right of a 1400 px window
    (walkthrough). The first columns (geo.table.FIRST_COLUMNS) are those in view there."""
    from geo import table as T

    at = _events_page()
    for by, label in T.SORT_COLUMNS.items():
        at.selectbox(key="sort").set_value(by).run()
        assert not at.exception, at.exception
        order = list(at.dataframe[0].proto.column_order)
        in_view = order[: len(T.FIRST_COLUMNS)]
        assert label in in_view, (by, order[:10])
        assert order[0] == "Start date"
        assert len(order) == len(set(order)) == len(at.dataframe[0].value.columns)
    # and it has a width (a long list of actors would push the others out of view)
    widths = {k: v for k, v in T.column_widths("Actor 1").items() if k in in_view}
    assert sum(widths.values()) <= 1400 - 480  # the page's main column at 1400 px
