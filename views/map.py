"""The map: zones, places and events, filtered by the shared filters."""

from __future__ import annotations

from datetime import date

import streamlit as st

from geo import zones as zone_rules
from geo.aggregate import View, point_limit
from geo.attribution import attributions
from geo.errors import ZoneWatchError
from geo.render import (
    SYRIA_BOUNDS,
    build_map,
    clicked_event,
    event_detail,
    event_types_legend,
    event_view_group,
)
from geo.wording import count
from views.data import (
    current_revision,
    event_types,
    layers,
    layers_version,
    map_events,
    map_layers,
    selected_count,
    showing_line,
)
from views.filters import fragment_filter, fragment_ready, in_fragment_run, page_filter
from views.heap import settle
from views.livemap import live_folium
from views.page import page_start
from views.sharing import URL, YES_NO, drop_unknown
from views.state import (
    FRAGMENT_MAP,
    KEY_MAP,
    KEY_MAP_VIEW,
    KEY_ONLINE_TILES,
    KEY_ZONES_AS_OF,
    KEY_ZONES_FOLLOW,
    KEY_ZONES_PENDING,
)
from views.text import plain

#: What the map shows before it reports its own view: all of Syria.
START_VIEW = View(SYRIA_BOUNDS[0][1], SYRIA_BOUNDS[0][0], SYRIA_BOUNDS[1][1], SYRIA_BOUNDS[1][0], 7)

store, revision, data = page_start(
    "ZoneWatch",
    "The four de-escalation zones of the Astana memorandum (4 May 2017, in force 6 May), "
    "the towns around them and reported conflict events. Zone boundaries are approximate "
    "reconstructions from public reporting: no official map was ever published.",
    small=True,
)
summary = data["summary"]
#: the zones, places and boundaries drawn by this whole run (they change with the layers
#: version: every write but an events import)
layers_key = layers_version(revision)
if summary.count == 0:
    st.info("The store holds no events yet: import some on the Import page.")
    st.stop()

#: What the Map's own choices do (their help in the sidebar).
HELP = {
    KEY_ZONES_FOLLOW: "Draw each zone as it stood on the last day of the event dates you chose, "
    "so the boundaries match the events. Untick to choose another date.",
    KEY_ZONES_AS_OF: "The map shows each zone's boundary in force on this date. The memorandum "
    "took effect on 6 May 2017; zones that had ended by this date are not drawn.",
    KEY_ONLINE_TILES: "Adds OpenStreetMap tiles to the layer control. They need internet; the "
    "built-in basemap works offline.",
}


@st.cache_resource(max_entries=64, show_spinner=False)  # quick: no spinner's timer
def _zones_as_of(version: str, as_of: date, _versions):
    """The zones in force on ``as_of`` (:func:`geo.zones.in_force`) among ``_versions``
    (every zone version at the layers version ``version``), their (zone, version) pairs
    and the caption's list of them: made once per layers version and date."""
    zones = zone_rules.in_force(_versions, as_of)
    text = plain(zone_rules.versions_line(zones))  # by name: "Idlib (v5, in force), ..."
    return (
        zones,
        tuple(zip(zones["zone_id"], zones["version"], strict=True)),
        (text or "none in force on that date"),
    )


def _extent(summary) -> tuple:
    """What the rest of the page shows of the event summary: the filters' types, datasets
    and date bounds."""
    return summary.types, summary.datasets, summary.first, summary.last


def _now() -> tuple[str, dict] | None:
    """The revision and layers a rerun of the map's part alone draws with: the page's
    while the store is as its last whole run saw it. After a write elsewhere that leaves
    the rest of the page as it is (an events import that brings no new event type,
    dataset, first or last date: the filters and the zones stay), the store's new ones, so
    the new events show on this change without the navigation and the filters running and
    being sent again. None when the whole page must run (its filters or zones follow)."""
    now = current_revision(store)
    if now == revision:
        return revision, data
    fresh = layers(now)
    if layers_version(now) == layers_key and _extent(fresh["summary"]) == _extent(summary):
        return now, fresh
    return None


def _choice(label: str, key: str, default: bool) -> bool:
    """A yes/no choice in the sidebar, kept in the page's address."""
    return st.checkbox(label, value=default, key=key, bind=URL, help=HELP[key])


flt = page_filter()
drop_unknown({KEY_ZONES_FOLLOW: YES_NO, KEY_ONLINE_TILES: YES_NO})
if (pending := st.session_state.pop(KEY_ZONES_PENDING, None)) is not None:
    # a zone was just saved: show the zones as of its date, in the widgets and the address
    st.session_state[KEY_ZONES_FOLLOW] = False
    st.session_state[KEY_ZONES_AS_OF] = pending
    st.query_params[KEY_ZONES_FOLLOW] = "false"
    st.query_params[KEY_ZONES_AS_OF] = pending.isoformat()
with st.sidebar:
    st.header("Zones")
    if not _choice("Zones as of the end of the event dates", KEY_ZONES_FOLLOW, True):
        st.date_input(
            "Zones as of",
            value=flt.end,  # the default: a date set by code or picked is then kept in the link
            min_value=date(2011, 1, 1),
            max_value=date(2100, 1, 1),
            key=KEY_ZONES_AS_OF,
            bind=URL,
            help=HELP[KEY_ZONES_AS_OF],
        )
    st.header("Basemap")
    _choice("Offer online map tiles", KEY_ONLINE_TILES, False)


@st.fragment(key=FRAGMENT_MAP)
def map_body() -> None:
    """All of the page that the shared filters change: the count, the map and its notes.
    A filter change reruns this alone (views.filters.shared_filters): the navigation and
    the filters are neither run nor sent again, so the map redraws sooner. So do the map's
    own reports (its view, a click). When the store has changed since the page's last
    whole run (a write by another tab or app process), the new data show on the next
    change, as on every other page: in this part alone when the rest of the page stays as
    it is (:func:`_now`), else the whole page runs again."""
    mine = (KEY_ZONES_FOLLOW, KEY_ONLINE_TILES)  # and the zones' date, when it is drawn
    mine += () if st.session_state.get(KEY_ZONES_FOLLOW, True) else (KEY_ZONES_AS_OF,)
    now = _now() if in_fragment_run() else (revision, data)
    if in_fragment_run() and (now is None or not fragment_ready(*mine)):
        # (never in a whole run: asking for another could go on for ever)
        st.rerun()  # the whole page: its filters, sidebar and data follow the new revision
    rev, layers_now = now  # (the names the whole run gave stay the page's)
    summ = layers_now["summary"]
    flt = fragment_filter(layers_now, rev)
    state = st.session_state
    as_of = flt.end if state[KEY_ZONES_FOLLOW] else state[KEY_ZONES_AS_OF]
    online = state[KEY_ONLINE_TILES]
    reported = st.session_state.get(KEY_MAP_VIEW) or {}  # the view the map last reported
    likely = View.from_bounds(reported.get("bounds"), reported.get("zoom")) or START_VIEW
    # in SQL on PostGIS, in one scan with the grid's cells around the likely view
    selected = selected_count(rev, flt, layers_now["zone_versions"], likely)
    st.markdown(showing_line(rev, flt, layers_now["zone_versions"], selected, summ.count))
    if not flt.types:
        st.warning("No event type is selected: choose at least one in the sidebar to see events.")

    # The map reports the last event clicked and, when there are too many events to send them
    # all, its view (bounds and zoom); the page answers with what to draw there, and with that
    # one event's details. The map itself is not sent again unless the zones, the basemap
    # choice or this mode change. (streamlit-folium fixes what a map reports when the map is
    # made, so each mode is its own map, under its own key; the view survives the switch
    # through the page's address.)
    crowded = selected > point_limit()
    map_key = KEY_MAP_VIEW if crowded else KEY_MAP
    state = st.session_state.get(map_key) or {}
    view = (
        View.from_bounds(state.get("bounds"), state.get("zoom")) if crowded else None
    ) or START_VIEW
    legend = dict(event_types_legend(list(summ.types)))
    colors = tuple(legend.get(t, "#7f7f7f") for t in event_types(rev))  # by type code
    shown = map_events(rev, flt, layers_now["zone_versions"], view, colors)
    payload = dict(shown.payload)
    fid = clicked_event(state.get("last_object_clicked_tooltip"))  # see geo.render.contract
    if fid is not None:
        try:
            payload["detail"] = event_detail(
                store.event_by_fid(fid), fid, attributions(summ.datasets)
            ) or {"fid": fid, "missing": "This event is no longer in the store."}
        except ZoneWatchError as exc:
            payload["detail"] = {"fid": fid, "missing": f"Its details could not be read: {exc}"}

    # the zones, places and boundaries change with the layers version (``layers_key``: the
    # fragment goes on alone only while it is the page's), not with an import
    zones_then, zones_key, zones_caption = _zones_as_of(
        layers_key, as_of, layers_now["zone_versions"]
    )
    live_folium(
        # the map (zones, places, governorates, basemap) is made and turned into script once
        # per layers version, zones shown, event types and basemap choice; a rerun sends
        # only the events
        lambda: build_map(
            map_layers(layers_now, zones_then),
            online_tiles=online,
            all_types=list(summ.types),
            share_view=True,
            live_events=True,
            cache_key=(layers_key, zones_key),
        ),
        cache_key=(layers_key, zones_key, online, tuple(summ.types)),
        feature_group=event_view_group(payload),
        key=map_key,
        height=640,
        # The view matters only when the events are too many to send all at once; otherwise
        # panning and zooming never rerun the page. (Not the click count: it would rerun the
        # page as soon as the map loads, its first value differing from streamlit-folium's.)
        returned_objects=["last_object_clicked_tooltip"] + (["bounds", "zoom"] if crowded else []),
    )
    if shown.mode == "cells":
        st.caption(
            f"In view: {count(shown.in_view, 'event')} "
            f"({count(shown.fatalities_in_view, 'fatality', 'fatalities')}) in "
            f"{count(shown.cells_in_view, 'square')} of about {shown.cell_km:,.0f} km, counted "
            "inside the map's edges (a square on an edge also holds events just beyond them). "
            "Zoom in or narrow the filters to see each event "
            f"(up to {point_limit():,} are drawn one by one)."
        )
    elif payload["region"] is not None:
        st.caption(
            f"In view: {count(shown.in_view, 'event')} "
            f"({count(shown.fatalities_in_view, 'fatality', 'fatalities')}), each "
            "drawn as a circle; click one for its details."
        )
    else:
        st.caption(
            "Every selected event is on the map, each drawn as a circle; click one for its details."
        )
    st.caption(f"Zones as of {as_of:%d %b %Y}: {zones_caption}")
    st.caption(
        "Press ▶ on the map to play the events drawn over time. Sources and licences: see the "
        "Sources page."
    )
    settle()  # the long-lived objects out of the collector's way (views/heap.py)


map_body()
