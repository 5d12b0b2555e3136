"""Around places, in time: events and fatalities within R km of chosen towns (e.g. Raqqa,
Palmyra) per week or month; following the shared filters. The figures are
:func:`geo.place_report.place_report`'s."""

from __future__ import annotations

import altair as alt
import streamlit as st

from geo import zones as zone_rules
from geo.place_report import DEFAULT_PLACES, place_report
from geo.render import build_map, report_area
from geo.timeline import BEFORE_RULE
from geo.wording import count
from views.charts import count_axis, longer_note, period_axis
from views.data import filter_key, map_layers, rows_for_map
from views.page import REPORT_PERIODS, coarse_box, drawn_note, report_start, static_map
from views.sharing import URL, YES_NO, drop_unknown
from views.shell import page_setup
from views.state import KEY_PLACE_COARSE, KEY_PLACE_PER, KEY_PLACES, KEY_RADIUS
from views.text import plain, span

page_setup("Place report")

INTRO = (
    "Events within a distance of each chosen place, per week or month: how violence "
    "around a town changed. Distances are geodesic (WGS84); an event near two chosen "
    "places counts for both."
)
store, data, flt, shown = report_start("Place report", INTRO, layer="places", needs="places")
summary, places = data["summary"], data["places"]

names = sorted(places["name_en"].unique())
drop_unknown(
    {
        KEY_PLACES: ("places", names),
        KEY_PLACE_PER: ("periods", REPORT_PERIODS),
        KEY_PLACE_COARSE: YES_NO,
    }
)
c1, c2, c3, c4 = st.columns([3, 1, 1, 1.5])
chosen = c1.multiselect(
    "Places",
    names,
    default=[n for n in DEFAULT_PLACES if n in names],
    key=KEY_PLACES,
    bind=URL,
)
km = c2.number_input("Within (km)", 1, 200, 25, key=KEY_RADIUS, bind=URL)
freq = c3.radio("Per", REPORT_PERIODS, index=1, horizontal=True, key=KEY_PLACE_PER, bind=URL)
coarse = coarse_box(c4, KEY_PLACE_COARSE)
if not chosen:
    st.info("Choose one or more places.")
    st.stop()

revision = store.revision()


@st.cache_resource(max_entries=8, show_spinner="Making the report...")
def _report(revision: str, key: str, chosen: tuple, km: float, freq: str, coarse: bool, _shown):
    """The report and its map's rows, made once per store revision, filter and choices
    (a rerun that changes none of them, or comes back to them, computes nothing)."""
    report = place_report(
        _shown, places, list(chosen), km, freq, flt.start, flt.end, summary.types, coarse
    )
    return report, rows_for_map(store, report.near)


report, (drawn, near_count) = _report(
    revision, filter_key(flt), tuple(chosen), float(km), freq, coarse, shown
)
st.caption(
    f"Of the {count(len(shown), 'event')} shown ({span(flt.start, flt.end)}), "
    f"within {km} km of each place"
    + (f" ({count(report.coarse_left_out, 'coarse one')} left out)" if coarse else "")
    + ":"
)
st.dataframe(
    report.totals,
    hide_index=True,
    key="place_totals",
    column_config={  # 6,418 as every other count in the app
        c: st.column_config.NumberColumn(format="localized") for c in ("events", "fatalities")
    },
)
if int(report.totals["events"].sum()):
    early = report.early
    st.caption(
        plain(
            BEFORE_RULE
            + (
                f" Here {early:,} of the events counted above began before {flt.start:%d %b %Y}."
                if early
                else ""
            )
        )
    )
    for what, title in (("events", "Events"), ("fatalities", "Fatalities (best estimate)")):
        st.altair_chart(
            alt.Chart(report.per_period)
            .mark_line(point=True)
            .encode(
                # one point per period, named as a period, in time order; zero when empty
                x=period_axis(),
                y=count_axis(f"{what}:Q", title),
                color=alt.Color("place:N", title="Place"),
                tooltip=[
                    "place:N",
                    alt.Tooltip("label:N", title="Period"),
                    "events:Q",
                    "fatalities:Q",
                ],
            )
            .properties(height=220),
            width="stretch",
        )
    if note := longer_note(report.longer, freq):
        st.caption(note)
else:
    st.info("No event shown lies within that distance of these places.")

st.subheader("Map")
st.caption(
    f"The {count(near_count, 'event')} within {km} km of "
    + ", ".join(plain(n) for n in chosen)
    + f" (the circles of {km} km, grey, dashed)"
    + drawn_note(len(drawn), near_count)
)
static_map(
    build_map(
        map_layers(data, zone_rules.in_force(data["zone_versions"], flt.end), drawn),
        all_types=list(summary.types),
        focus=report.focus,
        # the zones, places and governorates made once per store revision and end date
        cache_key=("place report", revision, flt.end),
        areas=[report_area(f"Within {km:g} km", list(report.discs))],  # what is counted
    ),
    key="place_map",
    height=480,
)
