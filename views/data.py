"""The data every page reads, cached: the store, its layers, the event index and the
filters' masks, and the rows a report's map draws.

Each read that can fail shows a clear message and stops the page (``*_or_stop``). The
``st.cache_resource`` functions hold one copy per process and store revision, shared by
every visitor, read-only.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from geo.aggregate import EventView, View, event_view, point_limit
from geo.analysis import REPORT_MAP_POINTS, for_map
from geo.attribution import attributions
from geo.errors import ZoneWatchError
from geo.eventindex import EventIndex
from geo.filters import EventFilter
from geo.render import MapLayers
from geo.store import Store, open_store

PLACE_ATTRIBUTION = "GeoNames (geonames.org), CC BY 4.0"


@contextmanager
def stop_on_error(what: str) -> Iterator[None]:
    """A store error in the block becomes ``what`` and the error's message on the page,
    and stops the page (no traceback)."""
    try:
        yield
    except ZoneWatchError as exc:
        st.error(f"{what}: {exc}")
        st.stop()
        raise  # unreachable; st.stop() raises


@st.cache_resource(show_spinner="Opening the store (the first start fills it from data/)...")
def _store() -> Store:
    return open_store()


def store_or_stop() -> Store:
    """The store, or a clear message and a stopped page when it cannot be opened."""
    with stop_on_error("The data store could not be opened"):
        return _store()


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


def load_or_stop(store: Store) -> tuple[str, dict]:
    """(revision, layers) of the store, or a message and a stopped page."""
    with stop_on_error("The data store could not be read"):
        revision = store.revision()
        return revision, layers(revision)


def open_or_stop() -> tuple[Store, str, dict]:
    """The store, its revision and its layers (:func:`layers`), or a message and a stopped
    page: what most pages read first."""
    store = store_or_stop()
    return (store, *load_or_stop(store))


def map_layers(data: dict, zones, events=None) -> MapLayers:
    """The layers of a map of ``zones`` and ``events`` over the store's places and
    boundaries (``data``: :func:`layers`), with their attributions."""
    return MapLayers(
        zones=zones,
        places=data["places"],
        events=events,
        admin0=data["admin0"],
        admin1=data["admin1"],
        event_attribution=attributions(data["summary"].datasets),
        place_attribution=PLACE_ATTRIBUTION,
    )


@st.cache_resource(show_spinner="Indexing the events (once per data version)...", max_entries=2)
def event_index(revision: str) -> EventIndex:
    """Every event as compact columns, held once per process per store revision. (Then the
    charts' library, altair, is imported in the background: a second of CPU the first page
    with a chart would otherwise spend before it shows.)"""
    index = EventIndex.from_frame(_store().event_columns())
    threading.Thread(target=importlib.import_module, args=("altair",), daemon=True).start()
    return index


def index_or_stop(revision: str) -> EventIndex:
    """:func:`event_index`, or a message and a stopped page."""
    with stop_on_error("The events could not be read"):
        return event_index(revision)


@st.cache_resource(max_entries=16)
def _mask(revision: str, key: str, _flt: EventFilter, _zones):
    return event_index(revision).mask(_flt, _zones)


def event_mask(revision: str, flt: EventFilter, zones):
    """Which indexed events match the filters (vectorised; cached per revision and filter)."""
    with stop_on_error("The events could not be read"):
        return _mask(revision, repr(flt), flt, zones)


@st.cache_resource(max_entries=16)
def _view(revision: str, key: str, view: View, colors: tuple, limit: int, _mask, _dates):
    return event_view(event_index(revision), _mask, view, list(colors), limit, _dates)


def map_events(revision: str, flt: EventFilter, zones, view: View, colors: tuple) -> EventView:
    """What the map draws for ``view`` (see :func:`geo.aggregate.event_view`), cached per
    revision, filter and view: a new visitor on the default view gets it ready-made."""
    mask = event_mask(revision, flt, zones)
    return _view(revision, repr(flt), view, colors, point_limit(), mask, (flt.start, flt.end))


@st.cache_resource(max_entries=1)  # the reports cache their figures: one frame is enough
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
    picked = for_map(events, limit or REPORT_MAP_POINTS)
    with stop_on_error("The events could not be read"):
        rows = store.events_by_fids(picked["fid"].to_numpy())
    return rows.reset_index(drop=True), len(events)
