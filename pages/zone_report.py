"""One zone, in time: events and fatalities per week or month, before and after a date
over equal windows, in the zone and in a ring around it; following the shared filters."""

from __future__ import annotations

import altair as alt
import folium
import streamlit as st

from geo import analysis
from geo import zones as zone_rules
from geo.assets import inline_assets
from geo.attribution import attributions
from geo.render import build_map, report_area
from geo.report import (
    before_note,
    comparison_table,
    report_csv,
    report_html,
    timeline_totals,
    zone_report,
)
from geo.timeline import BEFORE_RULE
from geo.wording import count
from views.charts import PERIOD_TOOLTIP, count_axis, longer_note, period_axis, type_colour
from views.data import PLACE_ATTRIBUTION, count_once, filter_key, map_layers, rows_for_map
from views.page import REPORT_PERIODS, coarse_box, drawn_note, report_start, static_map
from views.sharing import URL, YES_NO, drop_unknown
from views.shell import page_setup
from views.state import KEY_COARSE, KEY_PER, KEY_PIVOT, KEY_RING, KEY_WINDOW, KEY_ZONE
from views.text import plain

page_setup("Zone report")

INTRO = (
    "Did violence in a zone fall after it took effect, and did it move to the area around "
    "it? Each event counts for the zone **version in force on the day it began**. The "
    "before/after comparison keeps one area fixed: the boundary in force on the chosen "
    "date, over two equal windows."
)
store, data, flt, shown = report_start("Zone report", INTRO, layer="zone_versions", needs="zones")
summary, versions = data["summary"], data["zone_versions"]

extents = data["zones"]
names = {r.zone_id: (r.name_en or r.name_ar) for r in extents.itertuples()}


def _new_zone() -> None:
    # another zone: compare around its own in-force date
    st.session_state[KEY_PIVOT] = analysis.in_force_date(versions, st.session_state[KEY_ZONE])


drop_unknown(
    {
        KEY_ZONE: ("zones", list(names.values())),  # the address names the zone
        KEY_PER: ("periods", REPORT_PERIODS),
        KEY_COARSE: YES_NO,
    }
)
c1, c2, c3 = st.columns(3)
zone_id = c1.selectbox(
    "Zone", list(names), format_func=lambda z: names[z], key=KEY_ZONE, bind=URL, on_change=_new_zone
)
freq = c2.radio("Per", REPORT_PERIODS, index=1, horizontal=True, key=KEY_PER, bind=URL)
coarse = coarse_box(c3, KEY_COARSE)
c4, c5, c6 = st.columns(3)
pivot = c4.date_input(
    "Compare around",
    value=analysis.in_force_date(versions, zone_id),
    key=KEY_PIVOT,
    bind=URL,
    help="Default: the date the zone came into force.",
)
days = c5.number_input("Window (days each side)", 7, 730, 90, step=7, key=KEY_WINDOW, bind=URL)
km = c6.number_input("Ring around the zone (km)", 1, 100, 20, key=KEY_RING, bind=URL)

revision = store.revision()


@st.cache_resource(max_entries=8, show_spinner="Making the report...")
def _report(revision: str, key: str, zone_id, freq, pivot, days, km, coarse, _shown):
    """The report and its map's rows, made once per store revision, filter and choices
    (a rerun that changes none of them, or comes back to them, computes nothing)."""
    report = zone_report(
        _shown,
        versions,
        zone_id,
        zone_name=names[zone_id],
        freq=freq,
        pivot=pivot,
        days=days,
        km=km,
        exclude_coarse=coarse,
        filters=flt.describe(summary.types) + count_once().describe(),
        all_types=summary.types,
        # the dates the events cover: the chosen dates, within the stored data
        start=max(flt.start, summary.first),
        end=min(flt.end, summary.last),
    )
    return report, rows_for_map(store, report.nearby)


report, (drawn, nearby) = _report(
    revision, filter_key(flt), zone_id, freq, pivot, int(days), float(km), coarse, shown
)
totals = timeline_totals(report)
st.subheader(f"Events in the zone, per {freq}")
st.caption(
    f"{count(totals['events'], 'event')}, {count(totals['fatalities'], 'fatality', 'fatalities')} "
    f"(best estimates) in {plain(names[zone_id])}, of {count(len(shown), 'event')} shown"
    + (f" ({count(report.coarse_left_out, 'coarse one')} left out)" if coarse else "")
    + ". "
    + plain(f"{BEFORE_RULE} {before_note(report)}".strip())
)
if not report.timeline.empty:
    st.altair_chart(
        alt.Chart(report.timeline)
        .mark_bar()
        .encode(
            x=period_axis(),
            y=count_axis("events:Q", "Events"),
            color=type_colour(summary.types),
            tooltip=PERIOD_TOOLTIP,
        ),
        width="stretch",
    )
    if note := longer_note(report.longer, freq):
        st.caption(note)

row = report.boundary
st.subheader("Before and after")
if report.window_note:
    st.warning(plain(report.window_note))
b = report.zone_ba["before"]
a = report.zone_ba["after"]
st.caption(
    f"Boundary: version {int(row['version'])} (valid from {row['valid_from']:%d %b %Y}). "
    + (
        f"Before: {b['first']:%d %b %Y} to {b['last']:%d %b %Y}; after: {a['first']:%d %b %Y} "
        f"to {a['last']:%d %b %Y} ({count(report.days, 'day')} each)."
        if report.days
        else "No window to compare."
    )
)
table = comparison_table(report)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    key="report_table",
    column_config={  # 23,885 as every other count in the app (it showed 23885)
        c: st.column_config.NumberColumn(format="localized")
        for c in table.columns
        if c != "area" and not c.endswith("%")
    },
)


def _map() -> folium.Map:
    return build_map(
        map_layers(data, versions.loc[[row.name]], drawn),
        all_types=list(summary.types),
        focus=report.ring,
        # the zone, places and governorates made once per store revision and zone version
        cache_key=("zone report", revision, zone_id, int(row["version"])),
        # the ring the before/after table compares, drawn
        areas=[report_area(f"Ring of {km:g} km", [(report.ring_label, report.ring)])],
    )


st.subheader("Map")
st.caption(
    f"The zone (version {int(row['version'])}), the ring of {km} km around it (grey, "
    f"dashed) and the {count(nearby, 'event')} in either during the two windows"
    + drawn_note(len(drawn), nearby, "the filters or the window")
)
static_map(_map(), key=f"report_map_{zone_id}", height=520)

st.subheader("Export")
stem = f"zonewatch-{zone_rules.slug(zone_id, set())}-{pivot:%Y%m%d}"
e1, e2 = st.columns(2)
e1.download_button(
    "Report as CSV",
    data=report_csv(report),
    file_name=f"{stem}.csv",
    mime="text/csv",
    key="report_csv",
    on_click="ignore",  # no rerun: the other button's file stays valid
    help="One table: the timeline by type, then both windows and the change, for the zone "
    "and the ring.",
)
e2.download_button(
    "Report as one HTML file (works offline)",
    # built when clicked: the map and charts, in one file that needs no network
    data=lambda: report_html(
        report,
        inline_assets(_map().get_root().render()),
        {**attributions(summary.datasets), "places": PLACE_ATTRIBUTION},
    ),
    file_name=f"{stem}.html",
    mime="text/html",
    key="report_html",
    on_click="ignore",
)
