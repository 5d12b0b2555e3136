"""The map: zones, places and events, filtered by the shared filters."""

from __future__ import annotations

from datetime import date

import streamlit as st
from streamlit_folium import st_folium

from geo import zones as zone_rules
from geo.attribution import attributions
from geo.render import MapLayers, build_map
from views._common import (
    KEY_MAP,
    KEY_ONLINE_TILES,
    KEY_ZONES_AS_OF,
    KEY_ZONES_FOLLOW,
    PLACE_ATTRIBUTION,
    URL,
    load_or_stop,
    page_filter,
    plain,
    select_or_stop,
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

flt = page_filter()
with st.sidebar:
    st.header("Zones")
    follow = st.checkbox(
        "Zones as of the end of the event dates",
        value=True,
        key=KEY_ZONES_FOLLOW,
        bind=URL,
        help="Draw each zone as it stood on the last day of the event dates you chose, so "
        "the boundaries match the events. Untick to choose another date.",
    )
    if follow:
        as_of = flt.end
    else:
        st.session_state.setdefault(KEY_ZONES_AS_OF, flt.end)
        as_of = st.date_input(
            "Zones as of",
            min_value=date(2011, 1, 1),
            max_value=date(2100, 1, 1),
            key=KEY_ZONES_AS_OF,
            bind=URL,
            help="The map shows each zone's boundary in force on this date. The memorandum "
            "took effect on 6 May 2017; zones that had ended by this date are not drawn.",
        )
    st.header("Basemap")
    online = st.checkbox(
        "Offer online map tiles",
        value=False,
        key=KEY_ONLINE_TILES,
        bind=URL,
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

zones_then = zone_rules.in_force(data["zone_versions"], as_of)
fmap = build_map(
    MapLayers(
        zones=zones_then,
        places=data["places"],
        events=shown,
        admin0=data["admin0"],
        admin1=data["admin1"],
        event_attribution=attributions(summary.datasets),
        place_attribution=PLACE_ATTRIBUTION,
    ),
    online_tiles=online,
    all_types=list(summary.types),
    share_view=True,
)
# returned_objects=[]: panning and zooming never rerun the page nor re-send the events.
st_folium(fmap, key=KEY_MAP, height=640, use_container_width=True, returned_objects=[])
st.caption(
    f"Zones as of {as_of:%d %b %Y}: "
    + (
        ", ".join(plain(f"{r.zone_id} (v{r.version}, {r.status})") for r in zones_then.itertuples())
        or "none in force on that date"
    )
)
st.caption(
    "Press ▶ on the map to play the shown events over time. Sources and licences: see the "
    "Sources page."
)
