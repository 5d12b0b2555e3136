"""The data every page reads, cached: the store, its layers, the event index and the
filters' masks (with "count each event once" applied when it is on), and the rows a
report's map draws.

Each read that can fail shows a clear message and stops the page (``*_or_stop``). The
``st.cache_resource`` functions hold one copy per process and store revision, shared by
every visitor, read-only.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from geo.aggregate import EventView, View, event_view, point_limit
from geo.analysis import COARSE, REPORT_MAP_POINTS, for_map
from geo.attribution import attributions
from geo.errors import ZoneWatchError
from geo.eventindex import EventIndex, Selection
from geo.filters import EventFilter
from geo.matching import stored
from geo.matching.review import counted_note, merged_texts
from geo.render import MapLayers
from geo.store import Store, open_store, pgcells, pgonce, pgquery
from geo.store.pgselection import SqlSelection
from geo.wording import count
from views.state import KEY_COUNT_ONCE
from views.text import span

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
def _reference(version: str) -> dict:
    """The zones, places and boundaries at ``version`` (:func:`layers_version`): read once
    per process for every write but an events import, shared, read-only."""
    store = _store()
    return {
        # each zone's latest boundary, for the zone filter; the map picks versions by date
        "zones": store.zone_extents(),
        "zone_versions": store.zone_versions(),
        "places": store.places(),
        "admin0": store.admin(0),
        "admin1": store.admin(1),
    }


@st.cache_resource(max_entries=4, show_spinner=False)
def _summary(version: str):
    """The event summary at the events version ``version`` (:func:`events_version`)."""
    return _store().event_summary()


@st.cache_resource(max_entries=4, show_spinner=False)
def layers(revision: str) -> dict:
    """The reference layers and the event summary of the store at ``revision``, shared,
    read-only. The layers are read once per :func:`layers_version` and the summary once
    per :func:`events_version`: an import (another app process's, the command line's)
    makes every process read the summary again, not the zones, places and boundaries
    (a third of a second of a busy server's CPU at each process's next rerun)."""
    return {
        "summary": _summary(events_version(revision)),
        **_reference(layers_version(revision)),
    }


@st.cache_data(max_entries=16, show_spinner=False)
def layers_version(revision: str) -> str:
    """The store's layers version at ``revision`` (:meth:`geo.store.base.Store.layers_version`):
    it changes with every write but an events import."""
    return _store().layers_version(revision)


def load_or_stop(store: Store) -> tuple[str, dict]:
    """(revision, layers) of the store, or a message and a stopped page."""
    revision = current_revision(store)
    with stop_on_error("The data store could not be read"):
        return revision, layers(revision)


def current_revision(store: Store) -> str:
    """The store's revision now (one cheap read), or a message and a stopped page."""
    with stop_on_error("The data store could not be read"):
        return store.revision()


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


@st.cache_data(max_entries=16, show_spinner=False)
def events_version(revision: str) -> str:
    """The store's events version at ``revision`` (:meth:`geo.store.base.Store.events_version`):
    it changes with an import or a restore, not with a zone saved or a match decided."""
    return _store().events_version(revision)


@st.cache_resource(show_spinner="Indexing the events (once per data version)...", max_entries=2)
def _event_index(version: str) -> EventIndex:
    """Every event as compact columns, held once per process per events version. After an
    import into the store this process has read, only the new events are read and appended
    (:meth:`EventIndex.extended`; the events table is append-only). (Then the charts'
    library, altair, is imported in the background: a second of CPU the first page with a
    chart would otherwise spend before it shows.)"""
    store, (where, _, top) = _store(), version.rpartition(":")
    with _LAST_LOCK:
        last = _LAST_INDEX.get(where)
    if last is not None and len(last) and top.isdigit() and int(top) > int(last.fid[-1]):
        index = last.extended(EventIndex.read(store, after=int(last.fid[-1])))
    else:
        index = EventIndex.read(store)  # a batch at a time: never the joined frame
    with _LAST_LOCK:
        _LAST_INDEX.clear()  # one store per process: keep only the latest index
        _LAST_INDEX[where] = index
    threading.Thread(target=importlib.import_module, args=("altair",), daemon=True).start()
    return index


#: the latest index read, by store (what :func:`_event_index` extends after an import)
_LAST_INDEX: dict[str, EventIndex] = {}
_LAST_LOCK = threading.Lock()


def event_index(revision: str) -> EventIndex:
    """Every event as compact columns, held once per process per events version (a write
    that adds no event, such as a zone or a match decision, keeps the index)."""
    return _event_index(events_version(revision))


def index_or_stop(revision: str) -> EventIndex:
    """:func:`event_index`, or a message and a stopped page."""
    with stop_on_error("The events could not be read"):
        return event_index(revision)


@dataclass(frozen=True)
class CountOnce:
    """The "count each event once" choice of this run (the shared filters): off, or on
    with the dataset whose record represents each group of matched records (``None``: the
    record with the most precise location)."""

    on: bool = False
    prefer: str | None = None

    def describe(self) -> str:
        """The choice in words, after a filter's description (empty when off)."""
        if not self.on:
            return ""
        by = f"the {self.prefer} record" if self.prefer else "the most precisely located"
        return f", each event counted once (matched records merged; {by} shown)"

    def note(self) -> str:
        """What a download says about it (empty when off)."""
        if not self.on:
            return ""
        by = f"the {self.prefer} record" if self.prefer else "the most precisely located record"
        return (
            "Each event counted once: records of different datasets matched as the same "
            f"event are one row ({by}); merged_records names the others."
        )


def count_once() -> CountOnce:
    """The count-once choice of this run (:func:`views.filters.shared_filters`)."""
    return st.session_state.get(KEY_COUNT_ONCE) or CountOnce()


def filter_key(flt: EventFilter) -> str:
    """What the events a page shows depend on besides the store revision: the filters and
    the count-once choice. The key of every cache of the filtered events."""
    once = count_once()
    return repr(flt) + (f"|once:{once.prefer or ''}" if once.on else "")


@st.cache_resource(max_entries=4, show_spinner=False)
def _has_build(revision: str) -> bool:
    return stored.has_build(_store())


def matches_built(revision: str) -> bool:
    """Has the matcher been run and its links stored (``zonewatch matches build`` or the
    Matches page)? Asked once per store revision."""
    with stop_on_error("The stored matches could not be read"):
        return _has_build(revision)


@st.cache_resource(max_entries=16, show_spinner=False)  # on every filter change: no timer
def _mask(revision: str, key: str, _flt: EventFilter, _zones):
    return event_index(revision).mask(_flt, _zones)


def filtered_mask(revision: str, flt: EventFilter, zones) -> np.ndarray:
    """Which indexed events match the filters, each record counted (vectorised; cached
    per revision and filter)."""
    with stop_on_error("The events could not be read"):
        return _mask(revision, repr(flt), flt, zones)


@st.cache_resource(max_entries=16, show_spinner="Counting each event once...")
def _counted(revision: str, key: str, prefer: str | None, _mask):
    return stored.counted_mask(_store(), event_index(revision), _mask, prefer=prefer)


def event_mask(revision: str, flt: EventFilter, zones) -> np.ndarray:
    """Which indexed events the page shows: those matching the filters and, when "count
    each event once" is on, of each group of matched records only the one that counts
    (:func:`geo.matching.stored.counted_mask`). Cached per revision, filter and choice: a
    rerun with the same filters costs nothing."""
    mask = filtered_mask(revision, flt, zones)
    once = count_once()
    if not once.on:
        return mask
    with stop_on_error("Counting each event once failed"):
        return _counted(revision, repr(flt), once.prefer, mask)


# --- PostGIS: the figures in SQL (geo.store.pgquery; docs/postgis-sql.md) -------------


@st.cache_resource(max_entries=1, show_spinner=False)
def _in_sql() -> bool:
    return pgquery.in_sql(_store())


@st.cache_resource(max_entries=2, show_spinner=False)
def _sql_events(version: str) -> pgquery.PgEvents:  # the summary for dates, types, datasets
    return pgcells.PgCellEvents(_store())


@st.cache_resource(max_entries=4, show_spinner=False)
def _sql_once(revision: str, prefer: str | None) -> pgonce.OnceEvents:
    """Counting each event once in SQL: per store revision (a match decision changes the
    links, not the events version)."""
    return pgonce.OnceEvents(_store(), prefer)


def sql_events(revision: str) -> pgquery.PgEvents | None:
    """The store's figures in SQL, when the pages take them there: on PostGIS (decided once
    per process by the store's engine), counting each event once when that is on
    (:class:`geo.store.pgonce.OnceEvents`); else None, and the pages use the in-memory
    index (:func:`event_index`, read only then)."""
    if not _in_sql():
        return None
    once = count_once()
    with stop_on_error("The events could not be read"):
        if once.on:
            return _sql_once(revision, once.prefer)
        return _sql_events(events_version(revision))


@st.cache_resource(max_entries=16, show_spinner="Counting the events...")
def _sql_count(
    revision: str, key: str, _flt: EventFilter, _view: View | None = None, _sql=None
) -> int:
    # ``key`` (filter_key) names the count-once choice, and so the engine ``_sql``
    return (_sql or sql_events(revision)).count(_flt, _view)


def selected_count(revision: str, flt: EventFilter, zones, view: View | None = None) -> int:
    """How many events the page shows (in SQL on PostGIS, else from :func:`event_mask`).
    ``view``: the Map's view, when it is likely to draw counts per cell: on PostGIS the
    count then comes from the same scan as the grid's cells around it
    (:meth:`geo.store.pgquery.PgEvents.count`)."""
    if sql_events(revision) is None:
        return int(event_mask(revision, flt, zones).sum())
    with stop_on_error("The events could not be read"):
        return _sql_count(revision, filter_key(flt), flt, view)


def event_types(revision: str) -> tuple[str, ...]:
    """The stored event types in the order the map's type codes follow."""
    sql = sql_events(revision)
    return sql.types if sql is not None else index_or_stop(revision).types


def showing_line(revision: str, flt: EventFilter, zones, shown: int, stored: int) -> str:
    """The Map's and the Events page's header: "**Showing 14,346 of 16,575 events** (dates)";
    counting each event once, "**Showing 12,057 events, each counted once, from 14,346 of
    16,575 records** (dates)": records are the datasets' rows, events what is counted."""
    dates = f" ({span(flt.start, flt.end)})"
    if not count_once().on:
        return f"**Showing {shown:,} of {count(stored, 'event')}**{dates}"
    if sql_events(revision) is not None:
        with stop_on_error("The events could not be read"):
            plain = _sql_events(events_version(revision))  # each record counted
            every = _sql_count(revision, repr(flt), flt, None, plain)
    else:
        every = filtered_mask(revision, flt, zones).sum()
    return f"**Showing {counted_note(shown, int(every), stored)}**{dates}"


@st.cache_resource(max_entries=4, show_spinner="Reading the merged records...")
def _merged(revision: str, key: str, prefer: str | None, _kept, _mask):
    return stored.merged_records(_store(), event_index(revision), _kept, _mask, prefer=prefer)


def merged_column(revision: str, flt: EventFilter, zones) -> np.ndarray | dict | None:
    """For each event the page shows (in index order), the records merged into it
    ("dataset:id; ..."; empty when none), or None when count-once is off. On PostGIS, a
    mapping by fid of the shown events that have some (:meth:`OnceEvents.merged`; no
    array over every event: :func:`geo.matching.review.merged_texts` makes the column of
    the rows shown)."""
    once = count_once()
    if not once.on:
        return None
    sql = sql_events(revision)
    if sql is not None:
        with stop_on_error("The merged records could not be read"):
            return sql.merged(flt)
    kept = event_mask(revision, flt, zones)
    mask = filtered_mask(revision, flt, zones)
    with stop_on_error("The merged records could not be read"):
        merged = _merged(revision, repr(flt), once.prefer, kept, mask)
    fids = event_index(revision).fid[kept]
    return merged_texts(merged, fids)


@st.cache_resource(max_entries=16, show_spinner=False)  # as _mask
def _view(revision: str, key: str, view: View, colors: tuple, limit: int, _mask, _dates):
    return event_view(event_index(revision), _mask, view, list(colors), limit, _dates)


@st.cache_resource(max_entries=16, show_spinner="Counting the events on the map...")
def _sql_view(revision: str, key: str, view: View, colors: tuple, limit: int, _flt):
    sql, total = sql_events(revision), _sql_count(revision, key, _flt)
    return sql.event_view(_flt, view, list(colors), limit, (_flt.start, _flt.end), total)


def map_events(revision: str, flt: EventFilter, zones, view: View, colors: tuple) -> EventView:
    """What the map draws for ``view`` (see :func:`geo.aggregate.event_view`), cached per
    revision, filter and view: a new visitor on the default view gets it ready-made.
    Counted in SQL on PostGIS (:func:`sql_events`)."""
    if sql_events(revision) is not None:
        with stop_on_error("The events could not be read"):
            return _sql_view(revision, filter_key(flt), view, colors, point_limit(), flt)
    mask = event_mask(revision, flt, zones)
    return _view(revision, filter_key(flt), view, colors, point_limit(), mask, (flt.start, flt.end))


def shown_or_stop(revision: str, flt: EventFilter, versions) -> Selection | pd.DataFrame:
    """The events the filters select (with count-once applied when it is on), as a
    :class:`geo.eventindex.Selection` of the index: what the reports count and chart, at
    any scale. Nothing is copied: a report makes the compact frame of the events near its
    zone or places alone (the frame of every event shown took half a gigabyte at ten
    million, held while cached). On PostGIS the same selection in SQL, with no event
    index (:class:`geo.store.pgselection.SqlSelection`: a report reads the events near
    its zone or places alone)."""
    if sql_events(revision) is not None:
        with stop_on_error("The events could not be read"):
            return _sql_selection(revision, filter_key(flt), flt)
    return Selection(event_index(revision), event_mask(revision, flt, versions))


@st.cache_resource(max_entries=16, show_spinner=False)  # it reads nothing until asked
def _sql_selection(revision: str, key: str, _flt: EventFilter) -> SqlSelection:
    return SqlSelection(sql_events(revision), _flt, COARSE)


def rows_for_map(store: Store, events, limit: int | None = None):
    """The stored rows, with their text for the popups, of the events a report's map draws
    one by one (:func:`geo.analysis.for_map`: at most ``limit``, default
    :data:`geo.analysis.REPORT_MAP_POINTS`), read by row id; and how many there were."""
    picked = for_map(events, limit or REPORT_MAP_POINTS)
    with stop_on_error("The events could not be read"):
        rows = store.events_by_fids(picked["fid"].to_numpy())
    return rows.reset_index(drop=True), len(events)


@st.cache_resource(max_entries=2, show_spinner="Reading the matches...")
def _matches(revision: str) -> dict:
    store = _store()
    return {
        "links": store.match_links(),
        "decisions": store.match_decisions(all_versions=True),
        "builds": store.match_builds(),
    }


def matches_or_stop(revision: str) -> dict:
    """The stored matches at ``revision`` (read once per revision): the latest build's
    ``links``, every version of the ``decisions`` and the ``builds``; or a message and a
    stopped page."""
    with stop_on_error("The stored matches could not be read"):
        return _matches(revision)


@st.cache_resource(max_entries=2, show_spinner="Counting each event once...")
def _counted_all(revision: str) -> tuple[int, int]:
    index = event_index(revision)
    every = np.ones(len(index), dtype=bool)
    return int(stored.counted_mask(_store(), index, every).sum()), len(index)


def counted_in_store(revision: str) -> tuple[int, int]:
    """(records that count when each event is counted once, records) over every event in
    the store, or a message and a stopped page."""
    with stop_on_error("Counting each event once failed"):
        return _counted_all(revision)
