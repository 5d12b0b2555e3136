"""The filtered events: a timeline, the table, and downloads that carry attribution.

At any scale: the count, the timeline and the table's order come from the events' compact
columns (:mod:`geo.eventindex`); only the shown page's rows are read in full from the
store, and the downloads are written from the store in chunks when asked for.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import altair as alt
import numpy as np
import streamlit as st

from geo import source_text, stream, timeline
from geo import table as T
from geo.attribution import attributions
from geo.errors import ZoneWatchError
from geo.eventindex import Selection
from geo.matching.review import merged_texts
from geo.schema import EVENT_LABELS
from geo.store import pgkeyset, pgnearest
from geo.store.pgquery import SQL_ORDERS
from geo.wording import count
from views.charts import (
    PAST_TOOLTIP,
    PERIOD_TOOLTIP,
    count_axis,
    longer_note,
    period_axis,
    type_colour,
)
from views.data import (
    count_once,
    event_index,
    event_mask,
    filter_key,
    layers,
    merged_column,
    selected_count,
    showing_line,
    sql_events,
    stop_on_error,
)
from views.filters import page_filter
from views.page import page_start
from views.sharing import URL, drop_unknown
from views.shell import page_setup
from views.state import KEY_FREQ, KEY_SORT, KEY_SORT_DESC, KEY_TABLE_PAGE

KEY_PAGE = KEY_TABLE_PAGE  # in the address, checked by views.sharing
KEY_TABLE_STATE = "table_state"  # the filter and order the page number belongs to
KEY_KEYSET = "table_keyset"  # on PostGIS: (state, page, its first and last rows' keys)
KEY_PREPARED = "prepared_downloads"  # {format: (what, path)} of downloads written ahead
#: Beyond this many rows a download is written first, with its progress shown, then
#: offered; below it, it is written when the button is clicked.
PREPARE_ROWS = 100_000
ORDERS = ("ascending", "descending")


@st.cache_resource(max_entries=8, show_spinner="Counting the timeline...")
def _timeline(revision: str, key: str, freq: str, start, end, types: tuple, _mask):
    """The timeline of the selected events over the chosen dates, what began before them
    (left out of the chart, said in the caption) and the events dated past their bar (a
    year-long record's fatalities make a spike): counted in one read of the index's
    columns, a block at a time (no frame of the selected events: 0.5 GB at ten million)."""
    return timeline.summary(Selection(event_index(revision), _mask), freq, start, end, types)


@st.cache_resource(
    show_spinner="Finding each event's nearest place (once per data version)...", max_entries=1
)
def _all_nearest(revision: str) -> T.Nearest:
    index = event_index(revision)
    places = layers(revision)["places"]
    return T.nearest_places(index.lat, index.lon, places, precision=T.precisions_of(index))


@st.cache_resource(show_spinner="Sorting...", max_entries=4)
def _order(revision: str, key: str, by: str, descending: bool, _mask) -> np.ndarray:
    nearest = _all_nearest(revision) if by == "place" else None
    return T.sort_order(event_index(revision), _mask, by, descending, nearest)


@st.cache_resource(max_entries=8, show_spinner="Counting the timeline...")
def _sql_timeline(revision: str, key: str, freq: str, start, end, types: tuple, _sql, _flt):
    """:func:`_timeline`, counted in SQL (PostGIS)."""
    return _sql.timeline(_flt, freq, start, end, types, with_past=True)


@st.cache_resource(max_entries=16, show_spinner="Reading the table's page...")
def _sql_page(
    revision: str,
    key: str,
    by: str,
    descending: bool,
    page: int,
    _sql,
    _flt,
    _n,
    _places,
    _after=None,
    _before=None,
) -> pgkeyset.Page:
    """One page of the table, put in order in SQL (PostGIS; by nearest place, from each
    event's nearest place stored once, :mod:`geo.store.pgnearest`): the rows after
    ``_after`` or before ``_before`` (the keys of the previous or the next page's
    last or first row: keyset paging, no OFFSET), else by OFFSET; the same rows either way
    (:mod:`geo.store.pgkeyset`), so they are kept by page."""
    return pgkeyset.page(
        _sql, _flt, by, descending, page, after=_after, before=_before, places=_places, total=_n
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _sql_datasets(revision: str, key: str, _sql, _flt) -> list[str]:
    return _sql.datasets_present(_flt)


page_setup("Events")

store, revision, data = page_start("Events")
summary = data["summary"]
if summary.count == 0:
    st.info("The store holds no events yet: import some on the Import page.")
    st.stop()
flt = page_filter()
# On PostGIS the figures come from SQL (counting each event once too) and no event index
# is read (the nearest place's order too); else from the index.
sql = sql_events(revision)
index, mask = (
    (event_index(revision), event_mask(revision, flt, data["zone_versions"]))
    if sql is None
    else (None, None)
)
shown = selected_count(revision, flt, data["zone_versions"])
key = filter_key(flt)  # the filters and the count-once choice: what the rows depend on
st.markdown(showing_line(revision, flt, data["zone_versions"], shown, summary.count))

drop_unknown(  # the address holds the sort's label; its short name is taken too
    {
        KEY_FREQ: ("periods", timeline.FREQS),
        KEY_SORT: ("columns to sort by", {label: by for by, label in T.SORT_COLUMNS.items()}),
        KEY_SORT_DESC: ("orders", ORDERS),
    }
)
st.subheader("Timeline")
freq = st.radio("Per", timeline.FREQS, index=1, horizontal=True, key=KEY_FREQ, bind=URL)
if sql is None:
    series, before, longer = _timeline(revision, key, freq, flt.start, flt.end, summary.types, mask)
else:
    with stop_on_error("The events could not be read"):
        series, before, longer = _sql_timeline(
            revision, key, freq, flt.start, flt.end, summary.types, sql, flt
        )
st.caption(
    f"{count(int(series['events'].sum()), 'event')}, "
    f"{count(int(series['fatalities'].sum()), 'fatality', 'fatalities')} "
    f"(best estimates). {timeline.BEFORE_RULE}"
    + (
        f" Left out here: {count(before['events'], 'event')} "
        f"({count(before['fatalities'], 'fatality', 'fatalities')}) "
        "that began earlier."
        if before["events"]
        else ""
    )
)
if not series.empty:
    tooltip = PAST_TOOLTIP if timeline.PAST_EVENTS in series else PERIOD_TOOLTIP
    # the bars drawn: no row for a type absent from a period (half the rows at 1M)
    base = alt.Chart(timeline.bar_rows(series)).encode(
        x=period_axis(), color=type_colour(summary.types), tooltip=tooltip
    )
    st.altair_chart(
        alt.vconcat(
            base.mark_bar()
            .encode(y=count_axis("events:Q", "Events", stack=True))
            .properties(height=180),
            base.mark_bar()
            .encode(y=count_axis("fatalities:Q", "Fatalities", stack=True))
            .properties(height=140),
        ),
        width="stretch",
    )
if note := longer_note(longer, freq, series if timeline.PAST_EVENTS in series else None):
    st.caption(note)

st.subheader("Table")
left, middle, right = st.columns([2, 2, 1])
by = left.selectbox(
    "Sort by", list(T.SORT_COLUMNS), format_func=T.SORT_COLUMNS.get, key=KEY_SORT, bind=URL
)
direction = middle.radio("Order", ORDERS, horizontal=True, key=KEY_SORT_DESC, bind=URL)
pages = T.page_count(shown)
state = (revision, key, by, direction)
if KEY_TABLE_STATE not in st.session_state and KEY_PAGE in st.query_params:
    # Opened from a link: its page (a number, checked by views.sharing), at most the last.
    st.session_state[KEY_TABLE_STATE] = state
    st.session_state[KEY_PAGE] = min(max(1, int(float(st.query_params[KEY_PAGE]))), pages)
if st.session_state.get(KEY_TABLE_STATE) != state:  # new rows or a new order: page 1
    st.session_state[KEY_TABLE_STATE] = state
    st.session_state[KEY_PAGE] = 1
st.session_state[KEY_PAGE] = min(max(1, int(st.session_state.get(KEY_PAGE, 1))), pages)
# (a link's page past the last shows the last)
page = min(int(right.number_input("Page", min_value=1, step=1, key=KEY_PAGE, bind=URL)), pages)
if sql is not None and (by in SQL_ORDERS or by == "place"):
    with stop_on_error("The events could not be read"):
        if by == "place":  # placed once per data version, in the store: its progress shown
            _nearest_bar = []

            def _placing(done: int, total: int) -> None:
                if not _nearest_bar:
                    _nearest_bar.append(st.progress(0.0))
                _nearest_bar[0].progress(
                    done / max(total, 1),
                    text=f"Finding each event's nearest place (once per data version): "
                    f"{done:,} of {count(total, 'event')}",
                )

            pgnearest.ensure(sql.store, data["places"], progress=_placing)
            if _nearest_bar:
                _nearest_bar[0].empty()
        # the page shown before, when it is the previous or the next one: step from it
        last = st.session_state.get(KEY_KEYSET)
        step = last[1] - page if last is not None and last[0] == state else None
        result = _sql_page(
            revision,
            key,
            by,
            direction == "descending",
            page,
            sql,
            flt,
            shown,
            data["places"],
            _after=last[3] if step == -1 else None,
            _before=last[2] if step == 1 else None,
        )
        st.session_state[KEY_KEYSET] = (state, page, result.first, result.last)
        fids = result.fids
    rows = fids
else:
    if index is None:  # an order SQL does not give: the index, read only now
        index, mask = event_index(revision), event_mask(revision, flt, data["zone_versions"])
    order = _order(revision, key, by, direction == "descending", mask)
    rows = T.page_rows(order, page)
    fids = index.fid[rows]
first = (page - 1) * T.PAGE_SIZE
st.caption(
    f"Rows {first + 1:,}-{first + len(rows):,} of {shown:,}, page {page:,} of {pages:,}. "
    "Equal values keep the order the events were stored in."
    if len(rows)
    else "No events match the filters."
)
with stop_on_error("The events could not be read"):
    events = store.events_by_fids(fids).reset_index(drop=True)
near = T.nearest_places(
    events["latitude"], events["longitude"], data["places"], precision=events["location_precision"]
)
# Counting each event once: each row names the records merged into it, in the table and
# the downloads (``merged`` follows the shown events in index order; rows are positions).
merged = merged_column(revision, flt, data["zone_versions"])
if isinstance(merged, dict):  # PostGIS: by fid, for the shown events that have some
    events["merged_records"] = merged_texts(merged, fids)
elif merged is not None:
    events["merged_records"] = merged[np.searchsorted(np.flatnonzero(mask), rows)]
frame = events.assign(
    nearest_place=T.nearest_labels(near, events["location_precision"]),
    nearest_km=near.km,
    source=events["source"].map(source_text.readable),  # one article a line; click: whole
).rename(
    columns={
        **EVENT_LABELS,
        "nearest_place": "Nearest place",
        "nearest_km": "Distance (km)",
        "merged_records": "Merged records",
    }
)
st.dataframe(
    frame,
    width="stretch",
    hide_index=True,
    # date, type, fatalities, place, dataset; the sort column in view
    column_order=T.column_order(frame.columns, T.SORT_COLUMNS[by]),
    column_config={
        **{
            c: st.column_config.Column(width=w, help=T.COLUMN_HELP.get(c))
            for c, w in T.column_widths(T.SORT_COLUMNS[by]).items()
        },
        "Distance (km)": st.column_config.NumberColumn(help=T.COLUMN_HELP["Distance (km)"]),
        # Only http(s) links are stored as links (geo.schema), so only they are clickable.
        EVENT_LABELS["source_url"]: st.column_config.LinkColumn(EVENT_LABELS["source_url"]),
        EVENT_LABELS["date_start"]: st.column_config.DateColumn(format="YYYY-MM-DD", width=95),
        EVENT_LABELS["date_end"]: st.column_config.DateColumn(format="YYYY-MM-DD"),
    },
)

if sql is None:
    present = np.bincount(index.dataset_code[mask] + 1, minlength=len(index.datasets) + 1)[1:]
    datasets = sorted(index.datasets[c] for c in np.flatnonzero(present))  # a count, no sort
else:
    with stop_on_error("The events could not be read"):
        datasets = _sql_datasets(revision, key, sql, flt)
credits = attributions(datasets)
with st.expander("Attribution of the datasets shown"):
    for dataset, text in credits.items():
        st.text(f"{dataset}: {text}")

DOWNLOADS = {
    "csv": ("CSV", "zonewatch-events.csv", "The filtered rows, with an attribution column."),
    "geojson": (
        "GeoJSON",
        "zonewatch-events.geojson",
        "The filtered rows as points, with each dataset's attribution.",
    ),
}
extra = None
if merged is not None:
    extra = stream.Extra({"merged_records": merged}, count_once().note())
    st.caption(
        "Each event counted once: the downloads have a column merged_records naming the "
        "records merged into each row, and their attribution says so."
    )


def _selected_fids() -> np.ndarray:
    """The row ids of the events shown (from SQL on PostGIS), read when a download is
    written (a failed read is a StoreError there, as the download's own reads)."""
    return index.fid[mask] if sql is None or mask is not None else sql.fids(flt)


def _extra(fids: np.ndarray) -> stream.Extra | None:
    """The downloads' extra column for the rows ``fids``: the merged records (on PostGIS
    made here from the mapping by fid, for the rows written)."""
    if extra is None or not isinstance(merged, dict):
        return extra
    return stream.Extra({"merged_records": merged_texts(merged, fids)}, extra.note)


def _written_on_click(fmt: str):
    """Called by Streamlit when the button is clicked (on another thread): the rows
    written from the store in chunks to a temporary file, handed over for download."""

    def build():
        fids = _selected_fids()
        return stream.to_temporary_file(store, fids, fmt, datasets, extra=_extra(fids))

    return build


def _prepared(fmt: str, path: Path):
    """A download written ahead: handed over once (the file is then removed); a second
    click writes it again."""

    def serve():
        try:
            handle = open(path, "rb")  # noqa: SIM115 - Streamlit reads and closes it
        except FileNotFoundError:
            fids = _selected_fids()
            return stream.to_temporary_file(store, fids, fmt, datasets, extra=_extra(fids))
        path.unlink(missing_ok=True)
        return handle

    return serve


prepared = st.session_state.setdefault(KEY_PREPARED, {})
what = (revision, key)
for fmt, (done_what, path) in list(prepared.items()):
    if done_what != what or not Path(path).exists():  # other filters, or handed over
        Path(path).unlink(missing_ok=True)
        del prepared[fmt]
columns = dict(zip(DOWNLOADS, st.columns(2), strict=True))
for fmt, (name, file_name, help_text) in DOWNLOADS.items():
    column = columns[fmt]
    if shown <= PREPARE_ROWS:
        column.download_button(
            f"Download {name}",
            _written_on_click(fmt),
            file_name=file_name,
            mime=stream.FORMATS[fmt],
            help=help_text,
            on_click="ignore",  # downloading does not rerun the page
        )
        continue
    if fmt in prepared:
        path = Path(prepared[fmt][1])
        size = path.stat().st_size / 1e6
        column.download_button(
            f"Download {name}, zipped ({size:,.0f} MB)",
            _prepared(fmt, path),
            file_name=f"{file_name}.zip",
            mime="application/zip",
            help=help_text,
            on_click="ignore",
        )
    elif column.button(
        f"Prepare {name} ({count(shown, 'row')})",
        key=f"prepare_{fmt}",
        help=help_text + " Written first, with its progress shown, then offered as a zip "
        "archive (about an eighth of the size; the server holds the file while you "
        "download it).",
    ):
        bar = column.progress(0.0, text=f"Writing {name}...")

        def progress(done: int, total: int, bar=bar, name=name) -> None:
            bar.progress(done / max(total, 1), text=f"{name}: {done:,} of {count(total, 'row')}")

        # a new private file (0600) in the system's temporary folder, removed once handed
        # over or when the filters change
        handle, name_on_disk = tempfile.mkstemp(prefix="zonewatch-", suffix=f".{fmt}.zip")
        os.close(handle)
        path = Path(name_on_disk)
        try:
            fids = _selected_fids()
            stream.write_zipped(store, fids, fmt, path, datasets, progress, extra=_extra(fids))
        except (ZoneWatchError, OSError) as exc:
            path.unlink(missing_ok=True)
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            st.error(f"The {name} download could not be written ({reason}); try again.")
            st.stop()
        prepared[fmt] = (what, str(path))
        st.rerun()
