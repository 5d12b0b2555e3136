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
from geo.export import BEFORE_RULE, before_range
from geo.filters import find_place
from geo.render import MapLayers, build_map
from views.charts import period_axis
from views.data import PLACE_ATTRIBUTION, load_or_stop, rows_for_map, shown_or_stop, store_or_stop
from views.filters import page_filter
from views.sharing import URL
from views.shell import page_setup
from views.text import plain

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
shown = shown_or_stop(revision, flt, data["zone_versions"])

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

counts = analysis.place_counts(
    shown, places, chosen, float(km), freq, start=flt.start, end=flt.end, types=summary.types
)
per_place = (
    counts.groupby(["place", "period", "label"], as_index=False, sort=True)[
        ["events", "fatalities"]
    ].sum()
    if not counts.empty
    else counts
)
near, circles = [], []
for name in chosen:
    lat, lon, _ = find_place(places, name)
    near.append(analysis.near_place(shown, lat, lon, float(km)))
    circles.append(analysis.ring(shapely.Point(lon, lat), float(km)))
totals = pd.DataFrame(
    [
        {
            "place": name,
            "events": len(rows),
            "fatalities": int(rows["fatalities_best"].fillna(0).sum()),
        }
        for name, rows in zip(chosen, near, strict=True)
    ]
)
early = sum(before_range(rows, flt.start)["events"] for rows in near)
st.caption(
    f"Of the {len(shown):,} events shown ({flt.start:%d %b %Y} to {flt.end:%d %b %Y}), "
    f"within {km} km of each place:"
)
st.dataframe(
    totals,
    hide_index=True,
    key="place_totals",
    column_config={  # 6,418 as every other count in the app
        c: st.column_config.NumberColumn(format="localized") for c in ("events", "fatalities")
    },
)
if int(totals["events"].sum()):
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
            alt.Chart(per_place)
            .mark_line(point=True)
            .encode(
                # one point per period, named as a period, in time order; zero when empty
                x=period_axis(),
                y=alt.Y(f"{what}:Q", title=title),
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
else:
    st.info("No event shown lies within that distance of these places.")

near_all = pd.concat(near)
near_all = near_all[~near_all.index.duplicated()]
drawn, near_count = rows_for_map(store, near_all.sort_index())
st.subheader("Map")
st.caption(
    f"The {near_count:,} events within {km} km of "
    + ", ".join(plain(n) for n in chosen)
    + (
        f"; the {len(drawn):,} with the most fatalities are drawn (narrow the filters to "
        "see each one)."
        if len(drawn) < near_count
        else "."
    )
)
st_folium(
    build_map(
        MapLayers(
            zones=zone_rules.in_force(data["zone_versions"], flt.end),
            places=places,
            events=drawn,
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
