"""Timelines over the chosen dates (issue 15, item 8): every period of the dates, empty
ones as zero, named as periods, and events that began before the dates left out (and
counted for the caption). Figures on the shipped data against a count made with csv and
datetime only."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, ROOT, stdlib_rows

UCDP_TYPES = {"1": "State-based conflict", "2": "Non-state conflict", "3": "One-sided violence"}


def _stdlib_events():
    """(start, end, type, fatalities) of every shipped event, with csv + datetime."""
    out = []
    for r in stdlib_rows(DATA / "ucdp" / "ged_syria.csv"):
        out.append(
            (
                date.fromisoformat(r["date_start"][:10]),
                date.fromisoformat(r["date_end"][:10]),
                UCDP_TYPES[r["type_of_violence"]],
                int(r["best"] or 0),
            )
        )
    for r in stdlib_rows(DATA / "events" / "curated_strikes.csv"):
        out.append(
            (
                date.fromisoformat(r["date_start"]),
                date.fromisoformat(r["date_end"]),
                r["event_type"],
                int(r["fatalities_best"] or 0),
            )
        )
    return out


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _stdlib_timeline(first: date, last: date, freq: str):
    """Per (period start, type): [events, fatalities] of the events overlapping the dates
    that start in them; and the events and fatalities of those that began before."""
    counts: dict = {}
    early = [0, 0]
    for start, end, kind, dead in _stdlib_events():
        if start > last or end < first:
            continue
        if start < first:
            early[0] += 1
            early[1] += dead
            continue
        period = start.replace(day=1) if freq == "month" else _monday(start)
        cell = counts.setdefault((period, kind), [0, 0])
        cell[0] += 1
        cell[1] += dead
    return counts, early


@pytest.fixture(scope="module")
def shipped():
    from geo import shipped

    return shipped.events()


def _overlapping(events, first, last):
    from geo.filters import EventFilter, filter_events

    return filter_events(events, EventFilter(start=first, end=last))


@pytest.mark.parametrize(
    ("first", "last", "freq"),
    [
        (date(2017, 5, 1), date(2017, 6, 30), "month"),  # the May-June 2017
        (date(2017, 5, 3), date(2017, 7, 20), "week"),
        (date(2016, 1, 1), date(2019, 12, 31), "month"),
    ],
)
def test_timeline_counts_every_period_of_the_dates(shipped, first, last, freq):
    from geo.timeline import before_range, timeline

    shown = _overlapping(shipped, first, last)
    got = timeline(shown, freq, first, last)
    counts, early = _stdlib_timeline(first, last, freq)

    # every period of the dates, in order, from the one holding the first day to the one
    # holding the last, and nothing outside
    if freq == "month":
        want_periods, p = [], first.replace(day=1)
        while p <= last:
            want_periods.append(p)
            p = (p + timedelta(days=32)).replace(day=1)
    else:
        want_periods = [_monday(first) + timedelta(weeks=k) for k in range(100)]
        want_periods = [p for p in want_periods if p <= last]
    periods = list(dict.fromkeys(d.date() for d in got["period"]))
    assert periods == want_periods
    # each (period, type) cell: the stdlib count, zero where it has none
    types = sorted({k for _, k in counts})
    assert len(got) == len(want_periods) * len(types)
    for row in got.itertuples(index=False):
        want = counts.get((row.period.date(), row.event_type), [0, 0])
        assert [row.events, row.fatalities] == want, row
    assert (got["events"] == 0).any()  # empty cells are there, as zeros
    assert int(got["events"].sum()) == sum(v[0] for v in counts.values()) > 0
    # the events that began before the dates: left out of the chart, counted for the caption
    assert before_range(shown, first) == {"events": early[0], "fatalities": early[1]}
    assert len(shown) == int(got["events"].sum()) + early[0]


def test_may_june_2017_starts_in_may_and_leaves_out_the_year_long_events(shipped):
    """The issue: four year-long events of 1 January made the chart start in December 2016
    with 1,900 fatalities in its first bar."""
    from geo.timeline import before_range, timeline

    first, last = date(2017, 5, 1), date(2017, 6, 30)
    shown = _overlapping(shipped, first, last)
    got = timeline(shown, "month", first, last)
    assert got["period"].min() == pd.Timestamp("2017-05-01")
    assert got["period"].max() == pd.Timestamp("2017-06-01")
    assert list(dict.fromkeys(got["label"])) == ["May 2017", "Jun 2017"]
    _, early = _stdlib_timeline(first, last, "month")
    assert early[1] > 1000  # the year-long events' fatalities...
    may = got.loc[got["period"] == pd.Timestamp("2017-05-01"), "fatalities"].sum()
    stdlib_may = sum(
        dead
        for start, end, _k, dead in _stdlib_events()
        if first <= start <= date(2017, 5, 31) and end >= first
    )
    assert may == stdlib_may  # ...are not in the first bar
    assert before_range(shown, first)["fatalities"] == early[1]


def test_empty_periods_are_zero_and_labels_name_periods():
    from geo.timeline import timeline

    frame = pd.DataFrame(
        {
            "date_start": pd.to_datetime(["2018-01-03", "2018-03-30", "2018-03-31"]),
            "event_type": ["a", "b", "a"],
            "fatalities_best": [1.0, np.nan, 4.0],
        }
    )
    got = timeline(frame, "month", date(2017, 12, 15), date(2018, 4, 2))
    assert list(dict.fromkeys(got["label"])) == [
        "Dec 2017",
        "Jan 2018",
        "Feb 2018",
        "Mar 2018",
        "Apr 2018",
    ]
    feb = got[got["label"] == "Feb 2018"]
    assert list(feb["event_type"]) == ["a", "b"]
    assert (feb[["events", "fatalities"]] == 0).all().all()
    march = got[got["label"] == "Mar 2018"].set_index("event_type")
    assert march.loc["a", "fatalities"] == 4 and march.loc["b", "events"] == 1
    ends = got.drop_duplicates("period")["period_end"].dt.strftime("%Y-%m-%d").tolist()
    assert ends == ["2017-12-31", "2018-01-31", "2018-02-28", "2018-03-31", "2018-04-30"]

    weeks = timeline(frame, "week", date(2018, 1, 3), date(2018, 1, 22))
    assert list(dict.fromkeys(weeks["label"])) == [
        "week of 01 Jan 2018",
        "week of 08 Jan 2018",
        "week of 15 Jan 2018",
        "week of 22 Jan 2018",
    ]
    assert int(weeks["events"].sum()) == 1  # only the event of 3 January is in the dates
    # types asked for get a row even with no event; the others are left out
    typed = timeline(frame, "month", date(2018, 1, 1), date(2018, 1, 31), types=["a", "z"])
    assert list(typed["event_type"]) == ["a", "z"] and list(typed["events"]) == [1, 0]
    assert timeline(frame.iloc[0:0], "month", date(2018, 1, 1), date(2018, 2, 1)).empty


def test_a_compact_frame_gives_the_same_timeline(shipped):
    """The Events page builds its frame from the index's compact columns: three columns,
    the type as a category, fatalities as float32."""
    from geo.timeline import timeline

    first, last = date(2016, 3, 1), date(2019, 11, 30)
    full = timeline(shipped, "week", first, last)
    compact = pd.DataFrame(
        {
            "date_start": shipped["date_start"].to_numpy().astype("datetime64[D]"),
            "event_type": shipped["event_type"].astype("category"),
            "fatalities_best": shipped["fatalities_best"].to_numpy(dtype=np.float32),
        }
    )
    pd.testing.assert_frame_equal(timeline(compact, "week", first, last), full)
    # types named (one absent, one present left out): recoded on the categories alike
    present = sorted(shipped["event_type"].dropna().unique())
    types = ["No such type", *present[1:]]
    for freq in ("day", "week", "month"):
        pd.testing.assert_frame_equal(
            timeline(compact, freq, first, last, types), timeline(shipped, freq, first, last, types)
        )


def test_report_charts_are_labelled_by_period_and_keep_to_the_dates(store_env):
    import json

    import pyarrow as pa
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def charts(at):
        out = []
        for chart in at.get("vega_lite_chart"):
            spec = json.loads(chart.proto.spec)
            (dataset,) = chart.proto.datasets
            frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            out.append((spec["encoding"]["x"], frame))
        return out

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 12, 31))).run()
    at.switch_page("pages/zone_report.py").run()
    at.selectbox(key="zone").set_value("northern_homs").run()
    assert not at.exception, at.exception
    months = [f"{m} 2017" for m in ("May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")]
    ((x, frame),) = charts(at)
    assert x["field"] == "label" and x["type"] == "ordinal"
    assert list(dict.fromkeys(frame["label"])) == months
    assert any("began before the chosen dates" in c.value for c in at.caption)

    at.switch_page("pages/place_report.py").run()
    at.radio(key="place_per").set_value("week").run()
    assert not at.exception, at.exception
    got = charts(at)
    assert len(got) == 2
    for x, frame in got:
        assert x["field"] == "label" and x["type"] == "ordinal"
        labels = list(dict.fromkeys(frame["label"]))
        assert labels[0] == "week of 01 May 2017" and labels[-1] == "week of 25 Dec 2017"
        # the longest label fits whole (Vega cuts labels past 180 px by default: "week of
        # 28 Dec 2…"); about 7 px a character at the axis's size
        assert x["axis"]["labelLimit"] >= 7 * max(len(t) for t in labels)
        assert len(labels) == 35  # every week, empty ones as zero
        assert (frame["events"] == 0).any()
        # one point per place and week
        assert len(frame) == 35 * frame["place"].nunique()


def test_a_bar_chart_draws_the_rows_with_events_and_keeps_every_period(shipped):
    """The Events chart's rows (timeline.bar_rows): no row of zero for a type absent from
    a period, one for a period with no event at all (its place on the axis), the same
    sums per bar; the columns a chart by label uses."""
    from geo.timeline import bar_rows, timeline

    first, last = date(2017, 3, 1), date(2017, 8, 31)
    shown = _overlapping(shipped, first, last)
    big = shown[shown["fatalities_best"] >= 20]  # days with none of them, and of some types
    series = timeline(big, "day", first, last, sorted(shipped["event_type"].unique()))
    got = bar_rows(series)
    assert list(dict.fromkeys(got["label"])) == list(dict.fromkeys(series["label"]))
    assert "period" not in got and "period_end" not in got
    empty = set(series.groupby("label").filter(lambda g: g["events"].sum() == 0)["label"])
    assert empty  # days with no such event
    zero = got[got["events"] == 0]
    assert sorted(zero["label"]) == sorted(empty)  # once each
    assert len(got) - len(zero) == int((series["events"] > 0).sum()) < len(series) // 2
    for column in ("events", "fatalities"):
        pd.testing.assert_series_equal(
            got[got["events"] > 0].groupby(["label", "event_type"])[column].sum(),
            series[series["events"] > 0].groupby(["label", "event_type"])[column].sum(),
        )
        pd.testing.assert_series_equal(
            got.groupby("label")[column].sum(), series.groupby("label")[column].sum()
        )
