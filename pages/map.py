"""The map: zones, places and events, filtered by date and event type."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from geo.errors import ZoneWatchError
from geo.render import MapLayers, build_map
from pages._common import (  # noqa: I001
    ATTRIBUTION,
    KEY_DATES,
    KEY_MAP,
    KEY_ONLINE_TILES,
    KEY_TYPES,
    PLACE_ATTRIBUTION,
    filtered_events,
    layers,
    store_or_stop,
)

store = store_or_stop()
try:
    revision = store.revision()
    data = layers(revision)
except ZoneWatchError as exc:
    st.error(f"The data store could not be read: {exc}")
    st.stop()
summary = data["summary"]
if summary.count == 0:
    st.title("ZoneWatch")
    st.info("The store holds no events yet.")
    st.stop()
first, last = summary.first, summary.last
all_types = list(summary.types)

st.title("ZoneWatch")
st.caption(
    "The four de-escalation zones of the Astana memorandum (4 May 2017, in force 6 May), "
    "the towns around them and reported conflict events. Zone boundaries are approximate "
    "reconstructions from public reporting: no official map was ever published."
)

with st.sidebar:
    st.header("Filters")
    dates = st.date_input(
        "Event dates",
        value=(first, last),
        min_value=first,
        max_value=last,
        key=KEY_DATES,
        help="An event is shown when its start-to-end period overlaps these dates.",
    )
    types = st.multiselect("Event types", all_types, default=all_types, key=KEY_TYPES)
    st.header("Basemap")
    online = st.checkbox(
        "Offer online map tiles",
        value=False,
        key=KEY_ONLINE_TILES,
        help="Adds OpenStreetMap tiles to the layer control. They need internet; the "
        "built-in basemap works offline.",
    )

if isinstance(dates, (tuple, list)) and len(dates) == 2:
    start, end = dates
else:
    st.info("Pick an end date to apply the date range; showing the whole range meanwhile.")
    start, end = first, last

try:
    shown = filtered_events(revision, start, end, tuple(types))
except ZoneWatchError as exc:
    st.error(f"The events could not be read: {exc}")
    st.stop()
st.markdown(
    f"**Showing {len(shown):,} of {summary.count:,} events** ({start:%d %b %Y} to {end:%d %b %Y})"
)
if not types:
    st.warning("No event type is selected: choose at least one in the sidebar to see events.")

fmap = build_map(
    MapLayers(
        zones=data["zones"],
        places=data["places"],
        events=shown,
        admin0=data["admin0"],
        admin1=data["admin1"],
        event_attribution=ATTRIBUTION,
        place_attribution=PLACE_ATTRIBUTION,
    ),
    online_tiles=online,
    all_types=all_types,
)
# returned_objects=[]: panning and zooming never rerun the page nor re-send the events.
st_folium(fmap, key=KEY_MAP, height=640, use_container_width=True, returned_objects=[])
st.caption(
    "Events: UCDP GED Syria (CC BY 4.0) and ZoneWatch curated strikes. Places: GeoNames "
    "(CC BY 4.0). Boundaries: OCHA COD-AB (CC BY-IGO). See the Sources page."
)
