"""One zone's versions: the list, the difference between any two, and rollback."""

from __future__ import annotations

from datetime import date

import streamlit as st

from geo import auth
from geo import zones as zone_rules
from geo.errors import ZoneWatchError
from geo.render import Shapes, shapes_map
from geo.zones import km2
from views.auth import identity
from views.data import PLACE_ATTRIBUTION
from views.page import page_start, static_map
from views.shell import page_setup
from views.state import KEY_SAVED
from views.text import plain

page_setup("Zone history")

KEY_COMPARE = "history_compare"  # (zone, from, to) to compare after a rollback


store, _, data = page_start(
    "Zone history",
    "Every boundary a zone has had, with the date it is valid from, who added it and from "
    "which file. Compare any two versions on the map; roll back by adding a new version "
    "equal to an old one. Nothing is ever deleted or overwritten.",
)
versions = data["zone_versions"]
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
# Two tables, so every column fits the page's width (a long cell ends in "…"; a click on it
# shows it whole): what each version is, then where it came from.
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_order=[
        "version",
        "valid_from",
        "status",
        "name",
        "area_km2",
        "added_km2",
        "removed_km2",
        "author",
    ],
    column_config={
        "version": st.column_config.NumberColumn("version", width=60),
        "valid_from": st.column_config.DateColumn("valid from", format="YYYY-MM-DD", width=90),
        "status": st.column_config.TextColumn("status", width=80),
        "name": st.column_config.TextColumn("name", width=220),
        "area_km2": st.column_config.NumberColumn("area (km²)", format="%.1f", width=85),
        "added_km2": st.column_config.NumberColumn("added (km²)", format="%.1f", width=90),
        "removed_km2": st.column_config.NumberColumn("removed (km²)", format="%.1f", width=105),
        "author": st.column_config.TextColumn("author", width=150),
    },
)
# a table, not a grid: each version's note is read whole, wrapped within the page's width
st.table(
    table[["version", "note", "source_file", "created_at", "sha256"]].rename(
        columns={"source_file": "source file", "created_at": "saved at", "sha256": "SHA-256"}
    ),
    hide_index=True,
)

numbers = table["version"].tolist()
st.subheader("Compare two versions")
if len(numbers) < 2:
    st.info(f"{plain(names[zone_id])} has only one version: there is nothing to compare.")
# After a rollback: the version it replaced against the new one (set before the boxes are
# drawn, as a widget's value cannot change once it is on the page).
# By default the last two versions. (Defaults go through the session state, not index=:
# a widget given both warns on the page.) "To" offers every version but "From": a version
# is never compared with itself.
key_a, key_b = f"diff_a_{zone_id}", f"diff_b_{zone_id}"
pending = st.session_state.pop(KEY_COMPARE, None)
if pending and pending[0] == zone_id and {pending[1], pending[2]} <= set(numbers):
    st.session_state[key_a], st.session_state[key_b] = pending[1:]
if len(numbers) >= 2:
    if st.session_state.get(key_a) not in numbers:
        st.session_state[key_a] = numbers[-2]
    c1, c2 = st.columns(2)
    a = c1.selectbox("From version", numbers, key=key_a)
    others = [n for n in numbers if n != a]
    if st.session_state.get(key_b) not in others:
        st.session_state[key_b] = others[-1]
    b = c2.selectbox("To version", others, key=key_b)
    rows = versions[versions["zone_id"] == zone_id].set_index("version")
    old, new = rows.loc[a].geometry, rows.loc[b].geometry
    d = zone_rules.diff(old, new)
    # One figure per metric, two per row, so no value is cut on a narrow column.
    m1, m2 = st.columns(2)
    change = km2(d.new_km2 - d.old_km2, "+" if d.new_km2 >= d.old_km2 else "-")
    m1.metric(f"Area, version {a}", f"{km2(d.old_km2)} km²")
    m2.metric(
        f"Area, version {b}",
        f"{km2(d.new_km2)} km²",
        f"{change} km²" if change != "0.0" else None,  # no arrow for no change
    )
    m3, m4 = st.columns(2)
    m3.metric(f"Added in version {b}", f"{km2(d.added_km2, '+')} km²")
    m4.metric(f"Removed in version {b}", f"{km2(d.removed_km2, '-')} km²")
    static_map(
        shapes_map(
            data["admin0"],
            [
                Shapes(f"Version {a}", [(f"version {a}", old)], "#34495e", dash=True, fill=0.08),
                Shapes(f"Version {b}", [(f"version {b}", new)], "#2980b9", fill=0.12, weight=3),
                Shapes(
                    "Area added", [(f"{km2(d.added_km2, '+')} km²", d.added)], "#27ae60", fill=0.5
                ),
                Shapes(
                    "Area removed",
                    [(f"{km2(d.removed_km2, '-')} km²", d.removed)],
                    "#c0392b",
                    fill=0.5,
                ),
            ],
            places=data["places"],  # the towns and governorates, as on the other maps
            place_attribution=PLACE_ATTRIBUTION,
            legend=f"Versions {a} and {b}",
            admin1=data["admin1"],
        ),
        key=f"diff_{zone_id}_{a}_{b}",
        height=460,
    )

who = identity()
if not who.may(auth.ROLLBACK):  # only editors roll back (the store checks it again)
    st.stop()
st.subheader("Roll back")
with st.form("rollback"):
    r1, r2 = st.columns(2)
    version = r1.selectbox("Make this version current again", numbers)
    valid_from = r2.date_input(
        "Valid from", value=date.today(), min_value=date(2011, 1, 1), max_value=date(2100, 1, 1)
    )
    r1.caption(f"Saved as added by **{plain(who.author)}**")
    note = r2.text_input("Note", max_chars=2000)
    if st.form_submit_button("Add a version equal to it"):
        replaced = zone_rules.latest(versions, zone_id)
        row = zone_rules.rollback(
            versions,
            zone_id,
            int(version),
            valid_from=valid_from,
            author=who.author,
            note=note.strip(),
        )
        try:
            (number,) = store.add_zone_version(row, who=who, action=auth.ROLLBACK)
        except ZoneWatchError as exc:
            st.error(f"Nothing was saved: {plain(exc)}")
        else:
            st.session_state[KEY_SAVED] = plain(
                f"{zone_id}: version {number} added, equal to version {version}. Compared "
                f"below with version {replaced}, the latest before it."
            )
            st.session_state[KEY_COMPARE] = (zone_id, replaced, int(number))
            st.rerun()
