"""One zone, in time: events and fatalities per week or month, before and after a date
over equal windows, in the zone and in a ring around it; following the shared filters."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import analysis, export
from geo.attribution import attributions
from geo.render import MapLayers, build_map
from views._common import (
    PLACE_ATTRIBUTION,
    load_or_stop,
    plain,
    select_or_stop,
    sidebar_filters,
    store_or_stop,
)

store = store_or_stop()
revision, data = load_or_stop(store)
summary, versions = data["summary"], data["zone_versions"]
st.title("Zone report")
st.markdown(
    "Did violence in a zone fall after it took effect, and did it move to the area around "
    "it? Each event counts for the zone **version in force on the day it began**. The "
    "before/after comparison keeps one area fixed: the boundary in force on the chosen "
    "date, over two equal windows."
)
if summary.count == 0 or versions.empty:
    st.info("The store needs events and zones for a zone report.")
    st.stop()
flt = sidebar_filters(data)
shown = select_or_stop(revision, flt, data["zones"])

extents = data["zones"]
names = {r.zone_id: (r.name_en or r.name_ar) for r in extents.itertuples()}
c1, c2, c3 = st.columns(3)
zone_id = c1.selectbox("Zone", list(names), format_func=lambda z: names[z], key="report_zone")
freq = c2.radio("Per", ["week", "month"], index=1, horizontal=True, key="report_freq")
coarse = c3.checkbox(
    "Leave out coarse locations",
    value=True,
    key="report_coarse",
    help="Events placed only at a governorate's centroid or coarser (UCDP where_prec 4+, "
    "ACLED geo_precision 3) cannot be told to be in a zone or not.",
)
first = versions[versions["zone_id"] == zone_id].sort_values("valid_from").iloc[0]
default_pivot = first["in_force_from"] if pd.notna(first["in_force_from"]) else first["valid_from"]
c4, c5, c6 = st.columns(3)
pivot = c4.date_input(
    "Compare around",
    value=default_pivot.date(),
    key=f"report_pivot_{zone_id}",
    help="Default: the date the zone came into force.",
)
days = c5.number_input("Window (days each side)", 7, 730, 90, step=7, key="report_days")
km = c6.number_input("Ring around the zone (km)", 1, 100, 20, key="report_km")

events = shown[~analysis.is_coarse(shown)] if coarse else shown
in_zone = analysis.in_zone(events, versions, zone_id)
series = export.timeline(in_zone, freq)
st.subheader(f"Events in the zone, per {freq}")
st.caption(
    f"{len(in_zone):,} events, {int(in_zone['fatalities_best'].fillna(0).sum()):,} fatalities "
    f"(best estimates) in {plain(names[zone_id])}, of {len(shown):,} events shown"
    + (f" ({int(analysis.is_coarse(shown).sum()):,} coarse ones left out)" if coarse else "")
)
if not series.empty:
    st.altair_chart(
        alt.Chart(series)
        .mark_bar()
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y("events:Q", title="Events"),
            color=alt.Color("event_type:N", title="Event type"),
            tooltip=["period:T", "event_type:N", "events:Q", "fatalities:Q"],
        ),
        width="stretch",
    )

row = analysis.boundary_at(versions, zone_id, pivot)
area = row.geometry
band = analysis.ring(area, km)
zone_ba = analysis.before_after(analysis.inside(events, area), pivot, int(days))
ring_ba = analysis.before_after(analysis.inside(events, band), pivot, int(days))


def _pct(v) -> str:
    return "n/a (none before)" if v is None else f"{v:+.0f}%"


st.subheader("Before and after")
b = zone_ba["before"]
a = zone_ba["after"]
st.caption(
    f"Boundary: version {int(row['version'])} (valid from {row['valid_from']:%d %b %Y}). "
    f"Before: {b['first']:%d %b %Y} to {b['last']:%d %b %Y}; after: {a['first']:%d %b %Y} to "
    f"{a['last']:%d %b %Y}."
)
table = pd.DataFrame(
    [
        {
            "area": label,
            "events before": r["before"]["events"],
            "events after": r["after"]["events"],
            "change": r["events_change"],
            "change %": _pct(r["events_change_pct"]),
            "fatalities before": r["before"]["fatalities"],
            "fatalities after": r["after"]["fatalities"],
            "fatalities change": r["fatalities_change"],
            "fatalities change %": _pct(r["fatalities_change_pct"]),
        }
        for label, r in (("in the zone", zone_ba), (f"ring of {km} km around it", ring_ba))
    ]
)
st.dataframe(table, hide_index=True, width="stretch", key="report_table")

window = analysis.around(events, pivot, int(days))
near = pd.concat([analysis.inside(window, area), analysis.inside(window, band)])
zone_frame = versions.loc[[row.name]]
st.subheader("Map")
st.caption(
    f"The zone (version {int(row['version'])}) and the {len(near):,} events in it or in "
    f"the {km} km ring during the two windows."
)
st_folium(
    build_map(
        MapLayers(
            zones=zone_frame,
            places=data["places"],
            events=near,
            admin0=data["admin0"],
            admin1=data["admin1"],
            event_attribution=attributions(summary.datasets),
            place_attribution=PLACE_ATTRIBUTION,
        ),
        all_types=list(summary.types),
        focus=band,
    ),
    key=f"report_map_{zone_id}",
    height=520,
    use_container_width=True,
    returned_objects=[],
)
