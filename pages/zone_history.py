"""One zone's versions: the list, the difference between any two, and rollback."""

from __future__ import annotations

from datetime import date

import streamlit as st
from streamlit_folium import st_folium

from geo import zones as zone_rules
from geo.errors import ZoneWatchError
from geo.render import Shapes, shapes_map
from views._common import KEY_SAVED, load_or_stop, plain, store_or_stop
from views.shell import page_setup

page_setup("Zone history")

store = store_or_stop()
revision, data = load_or_stop(store)
versions = data["zone_versions"]

st.title("Zone history")
st.markdown(
    "Every boundary a zone has had, with the date it is valid from, who added it and from "
    "which file. Compare any two versions on the map; roll back by adding a new version "
    "equal to an old one. Nothing is ever deleted or overwritten."
)
if saved := st.session_state.pop(KEY_SAVED, None):
    st.success(saved)
if versions.empty:
    st.info("The store holds no zones yet.")
    st.stop()

names = {r.zone_id: (r.name_en or r.name_ar) for r in zone_rules.last_extent(versions).itertuples()}
zone_id = st.selectbox(
    "Zone", list(names), format_func=lambda z: f"{names[z]} ({z})", key="history_zone"
)
table = zone_rules.history(versions, zone_id)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "valid_from": st.column_config.DateColumn("valid from", format="YYYY-MM-DD"),
        "sha256": st.column_config.TextColumn("SHA-256"),
    },
)

numbers = table["version"].tolist()
st.subheader("Compare two versions")
c1, c2 = st.columns(2)
a = c1.selectbox("From version", numbers, index=max(len(numbers) - 2, 0), key=f"diff_a_{zone_id}")
b = c2.selectbox("To version", numbers, index=len(numbers) - 1, key=f"diff_b_{zone_id}")
rows = versions[versions["zone_id"] == zone_id].set_index("version")
old, new = rows.loc[a].geometry, rows.loc[b].geometry
d = zone_rules.diff(old, new)
m1, m2, m3 = st.columns(3)
m1.metric(f"Area, version {a}", f"{d.old_km2:,.1f} km²")
m2.metric(f"Area, version {b}", f"{d.new_km2:,.1f} km²", f"{d.new_km2 - d.old_km2:+,.1f} km²")
m3.metric("Added / removed", f"+{d.added_km2:,.1f} / -{d.removed_km2:,.1f} km²")
st_folium(
    shapes_map(
        data["admin0"],
        [
            Shapes(f"Version {a}", [(f"version {a}", old)], "#34495e", dash=True, fill=0.08),
            Shapes(f"Version {b}", [(f"version {b}", new)], "#2980b9", fill=0.12, weight=3),
            Shapes("Area added", [(f"+{d.added_km2:,.1f} km²", d.added)], "#27ae60", fill=0.5),
            Shapes(
                "Area removed", [(f"-{d.removed_km2:,.1f} km²", d.removed)], "#c0392b", fill=0.5
            ),
        ],
    ),
    key=f"diff_{zone_id}_{a}_{b}",
    height=460,
    use_container_width=True,
    returned_objects=[],
)

st.subheader("Roll back")
with st.form("rollback"):
    r1, r2 = st.columns(2)
    version = r1.selectbox("Make this version current again", numbers)
    valid_from = r2.date_input(
        "Valid from", value=date.today(), min_value=date(2011, 1, 1), max_value=date(2100, 1, 1)
    )
    author = r1.text_input("Author", max_chars=200)
    note = r2.text_input("Note", max_chars=2000)
    if st.form_submit_button("Add a version equal to it"):
        row = zone_rules.rollback(
            versions,
            zone_id,
            int(version),
            valid_from=valid_from,
            author=author.strip(),
            note=note.strip(),
        )
        try:
            (number,) = store.add_zone_version(row, who=author.strip() or "app user")
        except ZoneWatchError as exc:
            st.error(f"Nothing was saved: {plain(exc)}")
        else:
            st.session_state[KEY_SAVED] = plain(
                f"{zone_id}: version {number} added, equal to version {version}."
            )
            st.rerun()
