"""The map: zones, places and events, filtered by the shared filters."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from geo.attribution import attributions
from geo.render import MapLayers, build_map
from views._common import (
    KEY_MAP,
    KEY_ONLINE_TILES,
    PLACE_ATTRIBUTION,
    load_or_stop,
    select_or_stop,
    sidebar_filters,
    store_or_stop,
)

store = store_or_stop()
revision, data = load_or_stop(store)
summary = data["summary"]

st.title("ZoneWatch")
st.caption(
    "The four de-escalation zones of the Astana memorandum (4 May 2017, in force 6 May), "
    "the towns around them and reported conflict events. Zone boundaries are approximate "
    "reconstructions from public reporting: no official map was ever published."
)
if summary.count == 0:
    st.info("The store holds no events yet: import some on the Import page.")
    st.stop()

flt = sidebar_filters(data)
with st.sidebar:
    st.header("Basemap")
    online = st.checkbox(
        "Offer online map tiles",
        value=False,
        key=KEY_ONLINE_TILES,
        help="Adds OpenStreetMap tiles to the layer control. They need internet; the "
        "built-in basemap works offline.",
    )

shown = select_or_stop(revision, flt, data["zones"])
st.markdown(
    f"**Showing {len(shown):,} of {summary.count:,} events** "
    f"({flt.start:%d %b %Y} to {flt.end:%d %b %Y})"
)
if not flt.types:
    st.warning("No event type is selected: choose at least one in the sidebar to see events.")

fmap = build_map(
    MapLayers(
        zones=data["zones"],
        places=data["places"],
        events=shown,
        admin0=data["admin0"],
        admin1=data["admin1"],
        event_attribution=attributions(summary.datasets),
        place_attribution=PLACE_ATTRIBUTION,
    ),
    online_tiles=online,
    all_types=list(summary.types),
)
# returned_objects=[]: panning and zooming never rerun the page nor re-send the events.
st_folium(fmap, key=KEY_MAP, height=640, use_container_width=True, returned_objects=[])
st.caption(
    "Press ▶ on the map to play the shown events over time. Sources and licences: see the "
    "Sources page."
)
