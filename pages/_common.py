"""What every page shares: session keys, the store and cached reads. No GIS logic here."""

from __future__ import annotations

import streamlit as st

from geo import shipped
from geo.errors import ZoneWatchError
from geo.store import Store, open_store

# Session-state keys, named once.
KEY_DATES = "flt_dates"
KEY_TYPES = "flt_types"
KEY_ONLINE_TILES = "online_tiles"
KEY_MAP = "map"


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
        "zones": store.zones(),
        "places": store.places(),
        "admin0": store.admin(0),
        "admin1": store.admin(1),
    }


@st.cache_resource(show_spinner="Filtering events...", max_entries=16)
def filtered_events(revision: str, start, end, types: tuple[str, ...]):
    """The events matching the filters, selected by the store's engine (in SQL)."""
    from geo.filters import EventFilter

    return _store().events(EventFilter(start=start, end=end, types=types))


ATTRIBUTION = shipped.ATTRIBUTION
PLACE_ATTRIBUTION = "GeoNames (geonames.org), CC BY 4.0"
