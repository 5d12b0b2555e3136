"""The shared filters: one set of sidebar widgets on every page that follows them, turned
into one :class:`~geo.filters.EventFilter`.

No GIS logic here: the widgets' values become an EventFilter, and ``geo`` does the rest.
"""

from __future__ import annotations

from datetime import date

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from geo.filters import MAX_NEAR_KM, EventFilter, find_place
from geo.schema import LOCATION_PRECISIONS
from views.data import CountOnce, load_or_stop, matches_built, store_or_stop
from views.sharing import URL, drop_unknown, rerun_saying_again, share_link
from views.state import (
    FILTER_KEYS,
    KEY_ACTOR,
    KEY_COUNT_ONCE,
    KEY_DATASETS,
    KEY_DATES,
    KEY_FILTER,
    KEY_KNOWN,
    KEY_MIN_FATALITIES,
    KEY_NEAR_KM,
    KEY_NEAR_PLACE,
    KEY_ONCE,
    KEY_ONCE_BY,
    KEY_PRECISIONS,
    KEY_TYPES,
    KEY_ZONES,
    keep_state,
)

NO_PLACE = "(anywhere)"
MOST_PRECISE = "(most precise location)"
#: How to make the stored links "count each event once" needs (the Matches page or the CLI).
HOW_TO_BUILD = (
    "No matches are stored yet: build them on the Matches page (Build the matches) or "
    "with `zonewatch matches build`."
)


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


_KEY_ONE_DAY = "one_day_link"
#: The day of a one-day link while the date box holds it as a start with no end: the next
#: run puts the range (day, day) in it (a widget's value can be set only before it is
#: drawn); then ``False``, so that it is done once a session, never while someone picks.
_KEY_ONE_DAY_FILL = "one_day_link_fill"


def _one_day_link(first, last) -> date | None:
    """The day of a link whose dates are one day, else None. Streamlit writes the range D
    to D as one ``dates=D`` (and a link may give ``dates=D&dates=D``), and reads it back as
    a start with no end, which would show every event. Read from the address on the
    session's first run only, and kept: later, one date alone is a range being picked,
    unless it is still that day."""
    if KEY_DATES in st.session_state:
        return st.session_state.get(_KEY_ONE_DAY)
    values = set(st.query_params.get_all(KEY_DATES))
    day = None
    if len(values) == 1:
        try:
            day = date.fromisoformat(values.pop())
        except ValueError:
            day = None  # the link's check says what is wrong
    day = day if day is not None and first <= day <= last else None
    st.session_state[_KEY_ONE_DAY] = day
    return day


def _holds_only(dates, day: date) -> bool:
    """Whether the date box holds ``day`` as a start with no end."""
    return isinstance(dates, (tuple, list)) and len(dates) == 1 and dates[0] == day


def shared_filters(with_filters: bool, fragment: str | None = None) -> None:
    """Called first by every page (:func:`views.shell.page_setup`). The filter widgets are
    made as the entry point's own (Streamlit's main script), so they are one set of widgets
    on every page, bound to one set of URL parameters that a change of page keeps; a page
    without filters keeps their values for the next page that has them.

    ``fragment``: the key of the fragment (``st.fragment(key=...)``) that holds all of the
    page that depends on the filters (the Map's body). A filter change then reruns only
    that fragment, which reads the filters with :func:`fragment_filter`: the rest of the
    page (navigation, the filters themselves) is neither run nor sent again."""
    st.session_state.pop(KEY_FILTER, None)
    st.session_state.pop(KEY_COUNT_ONCE, None)
    if not with_filters:
        keep_state(FILTER_KEYS)
        return
    store = store_or_stop()
    revision, data = load_or_stop(store)
    if data["summary"].count:
        _drop_unknown(data)
        # A page's own widgets belong to its page (Streamlit drops their URL parameters
        # when another page opens); these belong to the entry point, as when app.py drew
        # them. (ScriptRunContext.run_with_active_hash, Streamlit 1.67, pinned.)
        ctx = get_script_run_ctx()
        with ctx.run_with_active_hash(ctx.pages_manager.main_script_hash):
            st.session_state[KEY_FILTER] = sidebar_filters(data, revision, fragment)


def _drop_unknown(data: dict) -> None:
    """A link's values that are none of a list's options: named, then dropped."""
    summary = data["summary"]
    drop_unknown(
        {
            KEY_TYPES: ("event types", summary.types),
            KEY_DATASETS: ("datasets", summary.datasets),
            KEY_ONCE_BY: ("choices", [MOST_PRECISE, *summary.datasets]),
            KEY_PRECISIONS: ("location precisions", list(LOCATION_PRECISIONS)),
            KEY_ZONES: ("zones", list(data["zones"]["name_en"])),  # the address names them
            KEY_NEAR_PLACE: ("places", [NO_PLACE, *data["places"]["name_en"]]),
        }
    )


def page_filter() -> EventFilter:
    """The shared filters' EventFilter for this run (see :func:`shared_filters`)."""
    return st.session_state[KEY_FILTER]


#: The filters' values a rerun of the page's fragment alone reads (:func:`fragment_filter`).
_FRAGMENT_KEYS = (
    KEY_DATES,
    KEY_TYPES,
    KEY_DATASETS,
    KEY_ACTOR,
    KEY_MIN_FATALITIES,
    KEY_PRECISIONS,
    KEY_ZONES,
    KEY_NEAR_PLACE,
    KEY_NEAR_KM,
)


def in_fragment_run() -> bool:
    """Whether this run is a fragment's alone (not the whole page's)."""
    return bool(get_script_run_ctx().fragment_ids_this_run)


def fragment_ready(*more: str) -> bool:
    """Whether a rerun of the page's fragment alone can go on: the session holds every
    filter's value (and the keys ``more``). A browser sends every widget's value with a
    change; a client that sends only some (a script speaking Streamlit's protocol) leaves
    the others unknown to a fragment, whose caller then runs the whole page instead."""
    return all(k in st.session_state for k in (*_FRAGMENT_KEYS, *more))


def fragment_filter(data: dict, revision: str) -> EventFilter:
    """The shared filters' EventFilter, and the count-once choice, read from the widgets'
    values in the session: what :func:`page_filter` gives, also in a rerun of the page's
    fragment alone (see :func:`shared_filters`), where the filters are not drawn again."""
    state = st.session_state
    once, prefer = state.get(KEY_ONCE, False), state.get(KEY_ONCE_BY, MOST_PRECISE)
    built = matches_built(revision)
    state[KEY_COUNT_ONCE] = (
        CountOnce(bool(once), None if prefer == MOST_PRECISE else prefer) if built else CountOnce()
    )
    state[KEY_FILTER] = _event_filter(
        data,
        dates=state[KEY_DATES],
        types=state[KEY_TYPES],
        datasets=state[KEY_DATASETS],
        actor=state[KEY_ACTOR],
        min_fatalities=state[KEY_MIN_FATALITIES],
        precisions=state[KEY_PRECISIONS],
        zones=state[KEY_ZONES],
        place=state[KEY_NEAR_PLACE],
        km=state[KEY_NEAR_KM],
    )
    return state[KEY_FILTER]


_KEY_NOTES = "filter_notes"  # the notes on the filters' values drawn by the last full run


def _notes(dates, km) -> tuple[str, ...]:
    """Which notes the sidebar shows under the filters for these values: the date range
    being picked, the distance past its limit."""
    notes = ()
    if not (isinstance(dates, (tuple, list)) and len(dates) == 2):
        notes += ("dates",)
    if km is not None and not km <= MAX_NEAR_KM:
        notes += ("km",)
    return notes


def _rerun(fragment: str | None):
    """The filters' ``on_change``: rerun only ``fragment`` when nothing else on the page
    shows the change (the sidebar's notes stay as they are); else the whole page, as
    without a callback."""
    if fragment is None:
        return None

    def rerun() -> None:
        state = st.session_state
        notes = _notes(state.get(KEY_DATES), state.get(KEY_NEAR_KM))
        if not notes and state.get(_KEY_NOTES) == notes:
            try:
                st.rerun(fragment)
            except StreamlitAPIException:
                return  # the page stopped before drawing its fragment: rerun it all

    return rerun


def count_once_filter(datasets, built: bool, on_change=None) -> CountOnce:
    """The "Count each event once" box and "Represent each group by" (in the sidebar);
    disabled, with how to build the matches, while none are stored."""
    on = st.checkbox(
        "Count each event once",
        key=KEY_ONCE,
        bind=URL,
        disabled=not built,
        help="Records of different datasets (UCDP, ACLED, ...) matched as the same event "
        "count once: one record represents each group. The matches are reviewed on the "
        "Matches page.",
    )
    if not built:
        st.caption(HOW_TO_BUILD)
        return CountOnce()
    options = [MOST_PRECISE, *datasets]
    if st.session_state.get(KEY_ONCE_BY, MOST_PRECISE) not in options:  # a dataset gone
        st.session_state[KEY_ONCE_BY] = MOST_PRECISE
    prefer = st.selectbox(
        "Represent each group by",
        options,
        key=KEY_ONCE_BY,
        on_change=on_change,
        bind=URL,
        disabled=not on,
        help="Which record of a group of matched records is shown and counted: by default "
        "the one with the most precise location, or the record of a dataset you choose.",
    )
    return CountOnce(bool(on), None if prefer == MOST_PRECISE else prefer)


def sidebar_filters(data: dict, revision: str, fragment: str | None = None) -> EventFilter:
    """The filter widgets (in the sidebar, the same on every page) as one EventFilter; the
    count-once choice goes to the session (:func:`views.data.count_once`). A change reruns
    ``fragment`` only, when given (:func:`shared_filters`)."""
    keep_state(FILTER_KEYS)
    changed = _rerun(fragment)
    summary, zones, places = data["summary"], data["zones"], data["places"]
    _follow_new_data(summary)
    first, last = summary.first, summary.last
    one_day = _one_day_link(first, last)
    zone_names = dict(zip(zones["zone_id"], zones["name_en"], strict=True))
    place_names = [NO_PLACE] + sorted(places["name_en"].unique())
    fill = st.session_state.get(_KEY_ONE_DAY_FILL)
    if fill:
        st.session_state[KEY_DATES] = (fill, fill)
        st.session_state[_KEY_ONE_DAY_FILL] = False
    with st.sidebar:
        st.header("Filters")
        dates = st.date_input(
            "Event dates",
            value=(first, last),
            min_value=first,
            max_value=last,
            key=KEY_DATES,
            on_change=changed,
            bind=URL,
            help="An event is shown when its start-to-end period overlaps these dates.",
        )
        types = st.multiselect(
            "Event types",
            list(summary.types),
            default=list(summary.types),
            key=KEY_TYPES,
            on_change=changed,
            bind=URL,
        )
        datasets = st.multiselect(
            "Datasets",
            list(summary.datasets),
            default=list(summary.datasets),
            key=KEY_DATASETS,
            on_change=changed,
            bind=URL,
        )
        st.session_state[KEY_COUNT_ONCE] = count_once_filter(
            summary.datasets, matches_built(revision), changed
        )
        with st.expander("More filters"):
            actor = st.text_input(
                "Actor contains",
                key=KEY_ACTOR,
                on_change=changed,
                bind=URL,
                help="Text found in actor 1 or actor 2 (any case).",
            )
            min_fatalities = st.number_input(
                "At least this many fatalities",
                0,
                None,
                0,
                1,
                key=KEY_MIN_FATALITIES,
                on_change=changed,
                bind=URL,
            )
            precisions = st.multiselect(
                "Location precision",
                list(LOCATION_PRECISIONS),
                default=list(LOCATION_PRECISIONS),
                key=KEY_PRECISIONS,
                on_change=changed,
                bind=URL,
                help="Leave out coarse locations (admin1, region, country) to keep only "
                "events placed precisely.",
            )
            chosen_zones = st.multiselect(
                "Inside zones",
                list(zone_names),
                format_func=zone_names.get,
                key=KEY_ZONES,
                on_change=changed,
                bind=URL,
                help="An event is inside a zone when it lies in the zone's boundary in force "
                "on the day the event began (the version of that date, as on the map and in "
                "the Zone report); before a zone began or after it ended, nothing is inside.",
            )
            place = st.selectbox(
                "Near a place", place_names, key=KEY_NEAR_PLACE, on_change=changed, bind=URL
            )
            # No max_value: a number above it would only turn red and not be applied.
            km = st.number_input(
                "Within (km)",
                min_value=1.0,
                value=30.0,
                step=5.0,
                key=KEY_NEAR_KM,
                on_change=changed,
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
    if one_day is not None and fill is None and _holds_only(dates, one_day):
        # The box shows "D – yyyy/mm/dd" for the link's day: show "D – D" instead.
        st.session_state[_KEY_ONE_DAY_FILL] = one_day
        rerun_saying_again()  # the link's notices too
    notes = _notes(dates, km)
    st.session_state[_KEY_NOTES] = notes
    if "dates" in notes and not _holds_only(dates, one_day):
        st.info("Pick an end date to apply the date range; showing the whole range meanwhile.")
    return _event_filter(
        data,
        dates=dates,
        types=types,
        datasets=datasets,
        actor=actor,
        min_fatalities=min_fatalities,
        precisions=precisions,
        zones=chosen_zones,
        place=place,
        km=km,
    )


def _event_filter(
    data, dates, types, datasets, actor, min_fatalities, precisions, zones, place, km
) -> EventFilter:
    """The filters' values as one EventFilter: a date range being picked as the whole
    range (a link of one day as that day), a distance past its limit as the limit."""
    summary, places = data["summary"], data["places"]
    one_day = st.session_state.get(_KEY_ONE_DAY)
    if isinstance(dates, (tuple, list)) and len(dates) == 2:
        start, end = dates
    elif _holds_only(dates, one_day):
        start = end = one_day  # a link of one day (see _one_day_link)
    else:
        start, end = summary.first, summary.last
    near = None
    if place != NO_PLACE:
        lat, lon, _ = find_place(places, place)
        near = (lat, lon, min(float(km), MAX_NEAR_KM))
    all_precisions = len(precisions) == len(LOCATION_PRECISIONS)
    return EventFilter(
        start=start,
        end=end,
        types=tuple(types),
        datasets=None if len(datasets) == len(summary.datasets) else tuple(datasets),
        actor=actor.strip() or None,
        min_fatalities=int(min_fatalities) or None,
        precisions=None if all_precisions else tuple(precisions),
        zones=tuple(zones) or None,
        near=near,
    )
