"""The session state the pages share: every session key named once, and keeping values
across pages.

Streamlit drops a widget's value when a page without the widget runs; :func:`keep_state`
keeps it for the next page that has the widget.
"""

from __future__ import annotations

import streamlit as st

# The shared filters (views/filters.py), one set of widgets on every page.
KEY_DATES = "dates"
KEY_TYPES = "types"
KEY_ACTOR = "actor"
KEY_MIN_FATALITIES = "min_fatalities"
KEY_DATASETS = "datasets"
KEY_PRECISIONS = "precision"
KEY_ZONES = "zones"
KEY_NEAR_PLACE = "near"
KEY_NEAR_KM = "km"
KEY_ONCE = "once"  # count each event once (the stored match links, geo.matching.stored)
KEY_ONCE_BY = "once_by"  # which record represents a group: a dataset, or the most precise
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
    KEY_ONCE,
    KEY_ONCE_BY,
)
KEY_KNOWN = "flt_known_extent"  # the types, datasets and dates the filters last saw
KEY_FILTER = "event_filter"  # the EventFilter of this run, made by page_setup for the page
KEY_COUNT_ONCE = "count_once"  # the CountOnce of this run (views/data.py), made with it
# The Map.
KEY_ONLINE_TILES = "online_tiles"
KEY_MAP = "map"
KEY_MAP_VIEW = "map_view"  # the map when it reports its view (too many events to send)
KEY_ZONES_AS_OF = "zones_as_of"  # the date the map shows the zones as of
KEY_ZONES_FOLLOW = "zones_follow"  # zones as of the end of the event dates (the default)
# The fragment (st.fragment's key) of the Map's body: what a change of the filters reruns.
FRAGMENT_MAP = "map_body"
# A date the Map is to show the zones as of, set by a save elsewhere: the Map applies it to
# its own widgets when it next runs (widgets are set by the page that draws them).
KEY_ZONES_PENDING = "zones_pending"
# The reports' own choices, in the page's address too (their links' parameters).
KEY_PLACES = "places"  # the Place report
KEY_RADIUS = "radius"
KEY_PLACE_PER = "place_per"
KEY_PLACE_COARSE = "place_coarse"
KEY_ZONE = "zone"  # the Zone report
KEY_PER = "per"
KEY_COARSE = "coarse"
KEY_PIVOT = "pivot"
KEY_WINDOW = "window"
KEY_RING = "ring"
# The Import, Events, Zones and Zone history pages.
KEY_UPLOAD = "upload"
KEY_IMPORT_FORMAT = "import_format"
KEY_IMPORT_DATASET = "import_dataset"
KEY_FREQ = "timeline_freq"  # the Events page's timeline, and its table's page number
KEY_TABLE_PAGE = "table_page"
KEY_SORT = "sort"  # the Events page's table order: the column, and which way
KEY_SORT_DESC = "sort_order"
KEY_ZONE_UPLOAD = "zone_upload"
KEY_SAVED = "zones_saved"  # the last save's summary, shown once after the rerun

#: The Map's own choices kept while other pages run. Not re-assigned on the Map itself: a
#: value set by code there is what Streamlit writes back to the page's address, over the
#: date the user has just picked.
MAP_KEYS = (KEY_ZONES_FOLLOW, KEY_ZONES_AS_OF)


def keep_state(keys) -> None:
    """Widget values are dropped when a page without the widget runs; re-assigning them
    keeps them for the next page that has the widget."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
