"""Around places, in time: events and fatalities within R km of chosen towns (e.g. Raqqa,
Palmyra) per week or month; following the shared filters."""

from __future__ import annotations

import altair as alt
import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from geo import analysis
from geo import zones as zone_rules
from geo.attribution import attributions
from geo.filters import find_place
from geo.render import MapLayers, build_map
from views._common import (
    PLACE_ATTRIBUTION,
    URL,
    load_or_stop,
    page_filter,
    plain,
    select_or_stop,
    store_or_stop,
)
from views.shell import page_setup

page_setup("Place report")

DEFAULT_PLACES = ("Raqqa", "Palmyra (Tadmur)")

store = store_or_stop()
revision, data = load_or_stop(store)
summary, places = data["summary"], data["places"]
st.title("Place report")
st.markdown(
    "Events within a distance of each chosen place, per week or month: how violence "
    "around a town changed. Distances are geodesic (WGS84); an event near two chosen "
    "places counts for both."
)
if summary.count == 0 or places.empty:
    st.info("The store needs events and places for a place report.")
    st.stop()
flt = page_filter()
shown = select_or_stop(revision, flt, data["zones"])

names = sorted(places["name_en"].unique())
c1, c2, c3 = st.columns([3, 1, 1])
chosen = c1.multiselect(
    "Places",
    names,
    default=[n for n in DEFAULT_PLACES if n in names],
    key="places",
    bind=URL,
)
km = c2.number_input("Within (km)", 1, 200, 25, key="radius", bind=URL)
freq = c3.radio("Per", ["week", "month"], index=1, horizontal=True, key="place_per", bind=URL)
if not chosen:
    st.info("Choose one or more places.")
    st.stop()

counts = analysis.place_counts(shown, places, chosen, float(km), freq)
per_place = (
    counts.groupby(["place", "period"], as_index=False)[["events", "fatalities"]].sum()
    if not counts.empty
    else counts
)
totals = pd.DataFrame(
    [
        {
            "place": name,
            "events": int(counts.loc[counts["place"] == name, "events"].sum()),
            "fatalities": int(counts.loc[counts["place"] == name, "fatalities"].sum()),
        }
        for name in chosen
    ]
)
st.caption(
    f"Of the {len(shown):,} events shown ({flt.start:%d %b %Y} to {flt.end:%d %b %Y}), "
    f"within {km} km of each place:"
)
st.dataframe(totals, hide_index=True, key="place_totals")
if not per_place.empty:
    for what, title in (("events", "Events"), ("fatalities", "Fatalities (best estimate)")):
        st.altair_chart(
            alt.Chart(per_place)
            .mark_line(point=True)
            .encode(
                x=alt.X("period:T", title=None),
                y=alt.Y(f"{what}:Q", title=title),
                color=alt.Color("place:N", title="Place"),
                tooltip=["place:N", "period:T", "events:Q", "fatalities:Q"],
            )
            .properties(height=220),
            width="stretch",
        )
else:
    st.info("No event shown lies within that distance of these places.")

near, circles = [], []
for name in chosen:
    lat, lon, _ = find_place(places, name)
    near.append(analysis.near_place(shown, lat, lon, float(km)))
    circles.append(analysis.ring(shapely.Point(lon, lat), float(km)))
near_all = pd.concat(near)
near_all = near_all[~near_all.index.duplicated()]
st.subheader("Map")
st.caption(
    f"The {len(near_all):,} events within {km} km of " + ", ".join(plain(n) for n in chosen) + "."
)
st_folium(
    build_map(
        MapLayers(
            zones=zone_rules.in_force(data["zone_versions"], flt.end),
            places=places,
            events=near_all,
            admin0=data["admin0"],
            admin1=data["admin1"],
            event_attribution=attributions(summary.datasets),
            place_attribution=PLACE_ATTRIBUTION,
        ),
        all_types=list(summary.types),
        focus=shapely.union_all(circles),
    ),
    key="place_map",
    height=480,
    use_container_width=True,
    returned_objects=[],
)
