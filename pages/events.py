"""The filtered events: a timeline, the table, and downloads that carry attribution."""

from __future__ import annotations

import io
import json

import altair as alt
import streamlit as st

from geo import analysis, export
from geo.attribution import attributions
from geo.schema import EVENT_LABELS
from views._common import KEY_FREQ, load_or_stop, page_filter, select_or_stop, store_or_stop
from views.shell import page_setup

page_setup("Events")

store = store_or_stop()
revision, data = load_or_stop(store)
summary = data["summary"]
st.title("Events")
if summary.count == 0:
    st.info("The store holds no events yet: import some on the Import page.")
    st.stop()
flt = page_filter()
shown = select_or_stop(revision, flt, data["zones"])
st.markdown(
    f"**Showing {len(shown):,} of {summary.count:,} events** "
    f"({flt.start:%d %b %Y} to {flt.end:%d %b %Y})"
)

st.subheader("Timeline")
freq = st.radio("Per", ["day", "week", "month"], index=1, horizontal=True, key=KEY_FREQ)
series = export.timeline(shown, freq)
st.caption(
    f"{int(series['events'].sum()):,} events, {int(series['fatalities'].sum()):,} fatalities "
    "(best estimates), counted in the period of their start date."
)
if not series.empty:
    base = alt.Chart(series).encode(
        x=alt.X("period:T", title=None),
        color=alt.Color("event_type:N", title="Event type"),
        tooltip=["period:T", "event_type:N", "events:Q", "fatalities:Q"],
    )
    st.altair_chart(
        alt.vconcat(
            base.mark_bar()
            .encode(y=alt.Y("events:Q", title="Events", stack=True))
            .properties(height=180),
            base.mark_bar()
            .encode(y=alt.Y("fatalities:Q", title="Fatalities", stack=True))
            .properties(height=140),
        ),
        width="stretch",
    )

st.subheader("Table")
table = shown.join(analysis.nearest_places(shown, data["places"])).rename(
    columns={**EVENT_LABELS, "nearest_place": "Nearest place", "nearest_km": "Distance (km)"}
)
st.dataframe(
    table,
    width="stretch",
    hide_index=True,
    column_config={
        # Only http(s) links are stored as links (geo.schema), so only they are clickable.
        EVENT_LABELS["source_url"]: st.column_config.LinkColumn(EVENT_LABELS["source_url"]),
        EVENT_LABELS["date_start"]: st.column_config.DateColumn(format="YYYY-MM-DD"),
        EVENT_LABELS["date_end"]: st.column_config.DateColumn(format="YYYY-MM-DD"),
    },
)

credits = attributions(shown["dataset"].unique())
with st.expander("Attribution of the datasets shown"):
    for dataset, text in credits.items():
        st.text(f"{dataset}: {text}")
csv_buffer = io.StringIO()
export.events_csv(shown, csv_buffer, credits)
left, right = st.columns(2)
left.download_button(
    "Download CSV",
    csv_buffer.getvalue().encode("utf-8"),
    file_name="zonewatch-events.csv",
    mime="text/csv",
    help="The filtered rows, with an attribution column.",
    on_click="ignore",  # downloading does not rerun the page
)
right.download_button(
    "Download GeoJSON",
    json.dumps(export.events_geojson(shown, credits), ensure_ascii=False).encode("utf-8"),
    file_name="zonewatch-events.geojson",
    mime="application/geo+json",
    help="The filtered rows as points, with each dataset's attribution.",
    on_click="ignore",
)
