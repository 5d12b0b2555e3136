"""Pieces the pages' bodies share: the start of a page and of a report page, a map that
reports nothing back, and the note under a report's map."""

from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo.eventindex import Selection
from geo.filters import EventFilter
from geo.store import Store
from geo.timeline import FREQS
from geo.wording import plural
from views.data import open_or_stop, shown_or_stop
from views.filters import page_filter
from views.sharing import URL

#: The reports' "Per" choice: their charts' periods.
REPORT_PERIODS = list(FREQS[1:])


def coarse_box(column, key: str) -> bool:
    """The reports' "Leave out coarse locations" box (on by default), in ``column``, kept
    in the page's address under ``key``."""
    return column.checkbox(
        "Leave out coarse locations",
        value=True,
        key=key,
        bind=URL,
        help="Events placed only at a governorate's centroid or coarser (UCDP where_prec 4+, "
        "ACLED geo_precision 3) cannot be told to be in a zone or not, or near a place.",
    )


def page_start(title: str, intro: str = "", small: bool = False) -> tuple[Store, str, dict]:
    """Open the store (:func:`views.data.open_or_stop`), then draw the page's title and its
    introduction (as a caption when ``small``); the store, its revision and its layers."""
    store, revision, data = open_or_stop()
    st.title(title)
    if intro:
        (st.caption if small else st.markdown)(intro)
    return store, revision, data


def report_start(
    title: str, intro: str, layer: str, needs: str
) -> tuple[Store, dict, EventFilter, Selection]:
    """The title and introduction of a report page that needs events and the layer
    ``layer`` of :func:`views.data.layers` (named ``needs`` in the message shown, and the
    page stopped, when the store lacks them); then the store, its layers, the shared
    filters and the events they select (:func:`views.data.shown_or_stop`)."""
    store, revision, data = page_start(title, intro)
    if data["summary"].count == 0 or data[layer].empty:
        st.info(f"The store needs events and {needs} for a {title.lower()}.")
        st.stop()
    flt = page_filter()
    return store, data, flt, shown_or_stop(revision, flt, data["zone_versions"])


def static_map(fmap: folium.Map, key: str, height: int) -> None:
    """A map on the page that sends nothing back: panning or clicking never reruns it."""
    st_folium(fmap, key=key, height=height, use_container_width=True, returned_objects=[])


def drawn_note(drawn: int, total: int, narrow: str = "the filters") -> str:
    """The end of a report map's caption: whether all ``total`` events are drawn or only
    the ``drawn`` with the most fatalities (:func:`views.data.rows_for_map`)."""
    if drawn >= total:
        return "."
    which = f"the {drawn:,} with the most fatalities"
    return f"; {which} {plural(drawn, 'is', 'are')} drawn (narrow {narrow} to see each one)."
