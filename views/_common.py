"""What every page shares: session keys, the store, cached reads and the one filter state.

No GIS logic here: widgets turn into an :class:`~geo.filters.EventFilter`, and ``geo``
does the rest.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from geo.aggregate import EventView, View, event_view, point_limit
from geo.assets import static_source
from geo.errors import ZoneWatchError
from geo.eventindex import EventIndex
from geo.filters import MAX_NEAR_KM, EventFilter, find_place
from geo.schema import LOCATION_PRECISIONS
from geo.store import Store, open_store

# Session-state keys, named once. The filter keys are shared by every page.
KEY_DATES = "dates"
KEY_TYPES = "types"
KEY_ACTOR = "actor"
KEY_MIN_FATALITIES = "min_fatalities"
KEY_DATASETS = "datasets"
KEY_PRECISIONS = "precision"
KEY_ZONES = "zones"
KEY_NEAR_PLACE = "near"
KEY_NEAR_KM = "km"
FILTER_KEYS = (
    KEY_DATES,
    KEY_TYPES,
    KEY_ACTOR,
    KEY_MIN_FATALITIES,
    KEY_DATASETS,
    KEY_PRECISIONS,
    KEY_ZONES,
    KEY_NEAR_PLACE,
    KEY_NEAR_KM,
)
KEY_KNOWN = "flt_known_extent"  # the types, datasets and dates the filters last saw
KEY_ONLINE_TILES = "online_tiles"
KEY_MAP = "map"
KEY_MAP_VIEW = "map_view"  # the map when it reports its view (too many events to send)
KEY_UPLOAD = "upload"
KEY_IMPORT_FORMAT = "import_format"
KEY_IMPORT_DATASET = "import_dataset"
KEY_FREQ = "timeline_freq"
KEY_ZONES_AS_OF = "zones_as_of"  # the date the map shows the zones as of
KEY_ZONES_FOLLOW = "zones_follow"  # zones as of the end of the event dates (the default)
KEY_ZONE_UPLOAD = "zone_upload"
KEY_SAVED = "zones_saved"  # the last save's summary, shown once after the rerun

NO_PLACE = "(anywhere)"
#: Widgets bound to the URL: the view state lives in the address, so a link restores it.
URL = "query-params"
PLACE_ATTRIBUTION = "GeoNames (geonames.org), CC BY 4.0"


@st.cache_resource(show_spinner="Opening the store (the first start fills it from data/)...")
def _store() -> Store:
    return open_store()


def store_or_stop() -> Store:
    """The store, or a clear message and a stopped page when it cannot be opened."""
    try:
        return _store()
    except ZoneWatchError as exc:
        st.error(f"The data store could not be opened: {exc}")
        st.stop()
        raise  # unreachable; st.stop() raises


@st.cache_resource(show_spinner="Loading layers...", max_entries=4)
def layers(revision: str) -> dict:
    """The reference layers and the event summary of the store at ``revision``
    (read once per revision, shared, read-only)."""
    store = _store()
    return {
        "summary": store.event_summary(),
        # each zone's latest boundary, for the zone filter; the map picks versions by date
        "zones": store.zone_extents(),
        "zone_versions": store.zone_versions(),
        "places": store.places(),
        "admin0": store.admin(0),
        "admin1": store.admin(1),
    }


@st.cache_resource(show_spinner="Indexing the events (once per data version)...", max_entries=2)
def event_index(revision: str) -> EventIndex:
    """Every event as compact columns, held once per process per store revision."""
    return EventIndex.from_frame(_store().event_columns())


@st.cache_resource(max_entries=16)
def _mask(revision: str, key: str, _flt: EventFilter, _zones):
    return event_index(revision).mask(_flt, _zones)


def event_mask(revision: str, flt: EventFilter, zones):
    """Which indexed events match the filters (vectorised; cached per revision and filter)."""
    try:
        return _mask(revision, repr(flt), flt, zones)
    except ZoneWatchError as exc:
        st.error(f"The events could not be read: {exc}")
        st.stop()
        raise


@st.cache_resource(max_entries=16)
def _view(revision: str, key: str, view: View, colors: tuple, limit: int, _mask, _dates):
    return event_view(event_index(revision), _mask, view, list(colors), limit, _dates)


def map_events(revision: str, flt: EventFilter, zones, view: View, colors: tuple) -> EventView:
    """What the map draws for ``view`` (see :func:`geo.aggregate.event_view`), cached per
    revision, filter and view: a new visitor on the default view gets it ready-made."""
    mask = event_mask(revision, flt, zones)
    return _view(revision, repr(flt), view, colors, point_limit(), mask, (flt.start, flt.end))


def keep_state(keys) -> None:
    """Widget values are dropped when a page without the widget runs; re-assigning them
    keeps them for the next page that has the widget."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _keep_filter_state() -> None:
    keep_state(FILTER_KEYS)


#: The Map's own choices kept while other pages run. Not re-assigned on the Map itself: a
#: value set by code there is what Streamlit writes back to the page's address, over the
#: date the user has just picked.
MAP_KEYS = (KEY_ZONES_FOLLOW, KEY_ZONES_AS_OF)


def _follow_new_data(summary) -> None:
    """When the store gains types, datasets or dates (an import), widen a selection that
    held everything before, so new events are not hidden by yesterday's choices."""
    now = (summary.types, summary.datasets, summary.first, summary.last)
    before = st.session_state.get(KEY_KNOWN)
    st.session_state[KEY_KNOWN] = now
    if before is None or before == now:
        return
    old_types, old_datasets, old_first, old_last = before
    for key, old, new in (
        (KEY_TYPES, old_types, summary.types),
        (KEY_DATASETS, old_datasets, summary.datasets),
    ):
        if key in st.session_state:
            chosen = [v for v in st.session_state[key] if v in new]
            st.session_state[key] = chosen + [v for v in new if v not in old]
    dates = st.session_state.get(KEY_DATES)
    if isinstance(dates, (tuple, list)) and len(dates) == 2:
        start, end = dates
        start = summary.first if start == old_first else max(start, summary.first)
        end = summary.last if end == old_last else min(end, summary.last)
        st.session_state[KEY_DATES] = (
            (start, end) if start <= end else (summary.first, summary.last)
        )


KEY_FILTER = "event_filter"  # the EventFilter of this run, made by page_setup for the page


def shared_filters(with_filters: bool) -> None:
    """Called first by every page (:func:`views.shell.page_setup`). The filter widgets are
    made as the entry point's own (Streamlit's main script), so they are one set of widgets
    on every page, bound to one set of URL parameters that a change of page keeps; a page
    without filters keeps their values for the next page that has them."""
    st.session_state.pop(KEY_FILTER, None)
    if not with_filters:
        _keep_filter_state()
        return
    store = store_or_stop()
    _, data = load_or_stop(store)
    if data["summary"].count:
        # A page's own widgets belong to its page (Streamlit drops their URL parameters
        # when another page opens); these belong to the entry point, as when app.py drew
        # them. (ScriptRunContext.run_with_active_hash, Streamlit 1.67, pinned.)
        ctx = get_script_run_ctx()
        with ctx.run_with_active_hash(ctx.pages_manager.main_script_hash):
            st.session_state[KEY_FILTER] = sidebar_filters(data)


def page_filter() -> EventFilter:
    """The shared filters' EventFilter for this run (see :func:`shared_filters`)."""
    return st.session_state[KEY_FILTER]


def sidebar_filters(data: dict) -> EventFilter:
    """The filter widgets (in the sidebar, the same on every page) as one EventFilter."""
    _keep_filter_state()
    summary, zones, places = data["summary"], data["zones"], data["places"]
    _follow_new_data(summary)
    first, last = summary.first, summary.last
    with st.sidebar:
        st.header("Filters")
        dates = st.date_input(
            "Event dates",
            value=(first, last),
            min_value=first,
            max_value=last,
            key=KEY_DATES,
            bind=URL,
            help="An event is shown when its start-to-end period overlaps these dates.",
        )
        types = st.multiselect(
            "Event types", list(summary.types), default=list(summary.types), key=KEY_TYPES, bind=URL
        )
        datasets = st.multiselect(
            "Datasets",
            list(summary.datasets),
            default=list(summary.datasets),
            key=KEY_DATASETS,
            bind=URL,
        )
        with st.expander("More filters"):
            actor = st.text_input(
                "Actor contains",
                key=KEY_ACTOR,
                bind=URL,
                help="Text found in actor 1 or actor 2 (any case).",
            )
            min_fatalities = st.number_input(
                "At least this many fatalities",
                min_value=0,
                value=0,
                step=1,
                key=KEY_MIN_FATALITIES,
                bind=URL,
            )
            precisions = st.multiselect(
                "Location precision",
                list(LOCATION_PRECISIONS),
                default=list(LOCATION_PRECISIONS),
                key=KEY_PRECISIONS,
                bind=URL,
                help="Leave out coarse locations (admin1, region, country) to keep only "
                "events placed precisely.",
            )
            zone_names = dict(zip(zones["zone_id"], zones["name_en"], strict=True))
            chosen_zones = st.multiselect(
                "Inside zones",
                list(zone_names),
                format_func=zone_names.get,
                key=KEY_ZONES,
                bind=URL,
                help="An event is inside a zone when it lies in the zone's boundary in force "
                "on the day the event began (the version of that date, as on the map and in "
                "the Zone report); before a zone began or after it ended, nothing is inside.",
            )
            place_names = [NO_PLACE] + sorted(places["name_en"].unique())
            place = st.selectbox("Near a place", place_names, key=KEY_NEAR_PLACE, bind=URL)
            # No max_value: a number above it would only turn red and not be applied.
            km = st.number_input(
                "Within (km)",
                min_value=1.0,
                value=30.0,
                step=5.0,
                key=KEY_NEAR_KM,
                bind=URL,
                help=f"At most {MAX_NEAR_KM:,.0f} km (geodesic distance).",
            )
            if not km <= MAX_NEAR_KM:
                st.warning(
                    f"Within (km) can be at most {MAX_NEAR_KM:,.0f}: the distance filter uses "
                    f"{MAX_NEAR_KM:,.0f} km. Enter a smaller number to narrow it."
                )
                km = MAX_NEAR_KM
        share_link()
    if isinstance(dates, (tuple, list)) and len(dates) == 2:
        start, end = dates
    else:
        st.info("Pick an end date to apply the date range; showing the whole range meanwhile.")
        start, end = first, last
    near = None
    if place != NO_PLACE:
        lat, lon, _ = find_place(places, place)
        near = (lat, lon, float(km))
    all_precisions = len(precisions) == len(LOCATION_PRECISIONS)
    return EventFilter(
        start=start,
        end=end,
        types=tuple(types),
        datasets=None if len(datasets) == len(summary.datasets) else tuple(datasets),
        actor=actor.strip() or None,
        min_fatalities=int(min_fatalities) or None,
        precisions=None if all_precisions else tuple(precisions),
        zones=tuple(chosen_zones) or None,
        near=near,
    )


# Runs in the page itself (not an iframe): our own fixed code (geo/static/zonewatch/
# share_link.js), no data in it. The address
# holds every bound widget, the map's view and the page; the button copies it, and the
# field shows it for copying by hand where the clipboard is not allowed.
_SHARE_HTML = """
<div class="zw-share">
  <button type="button" id="zw-copy-link" style="font:inherit;font-size:14px;padding:4px 12px;
    border:1px solid rgba(49,51,63,.25);border-radius:8px;background:#fff;cursor:pointer">
    Copy link to this view</button>
  <input id="zw-link" type="text" readonly hidden aria-label="Link to this view"
    style="width:100%;margin-top:6px;font-size:12px;padding:3px">
  <div id="zw-copy-status" role="status" style="font-size:12px;color:#555"></div>
</div>
"""


def share_link() -> None:
    """The "copy link" control: the page's address holds the whole view."""
    st.subheader("Share")
    script = static_source("share_link.js")
    st.html(f"{_SHARE_HTML}<script>{script}</script>", unsafe_allow_javascript=True)


def load_or_stop(store: Store) -> tuple[str, dict]:
    """(revision, layers) of the store, or a message and a stopped page."""
    try:
        revision = store.revision()
        return revision, layers(revision)
    except ZoneWatchError as exc:
        st.error(f"The data store could not be read: {exc}")
        st.stop()
        raise


_MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>$~:"


def plain(text: object) -> str:
    """Text from data or a user, safe inside Streamlit markdown: every markdown, HTML and
    LaTeX character is escaped, so it shows as typed and never as formatting or a link."""
    return "".join("\\" + c if c in _MARKDOWN_SPECIALS else c for c in str(text))


@st.cache_resource(max_entries=2)
def _compact(revision: str, key: str, _mask):
    return event_index(revision).frame(_mask)


def shown_or_stop(revision: str, flt: EventFilter, versions):
    """The events the filters select, as a compact frame with no text
    (:meth:`geo.eventindex.EventIndex.frame`): what the reports count and chart, at any
    scale (a million events take about 40 MB). Cached per store revision and filter."""
    return _compact(revision, repr(flt), event_mask(revision, flt, versions))


def rows_for_map(store: Store, events, limit: int | None = None):
    """The stored rows, with their text for the popups, of the events a report's map draws
    one by one (:func:`geo.analysis.for_map`: at most ``limit``, default
    :data:`geo.analysis.REPORT_MAP_POINTS`), read by row id; and how many there were."""
    from geo.analysis import REPORT_MAP_POINTS, for_map

    picked = for_map(events, limit or REPORT_MAP_POINTS)
    try:
        rows = store.events_by_fids(picked["fid"].to_numpy())
    except ZoneWatchError as exc:
        st.error(f"The events could not be read: {exc}")
        st.stop()
        raise
    return rows.reset_index(drop=True), len(events)
