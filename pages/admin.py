"""Admin (the admin role only): restore a backup from the app, and every write ever made.

Listed and opened for admins only (views/auth.py); the restore is checked again by
geo.store.backup.restore (geo.auth), whatever this page shows, and the file by the upload
gate (geo.uploads.backup) before anything is written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from geo.errors import ZoneWatchError
from geo.store.backup import restore
from views.auth import identity
from views.data import store_or_stop
from views.shell import page_setup
from views.text import plain

page_setup("Admin")

store = store_or_stop()
who = identity()
st.title("Admin")

st.subheader("Restore a backup")
st.markdown(
    "Load a backup made by `zonewatch backup` (a .gpkg file) into this store. Only what is "
    "missing is added; nothing here is overwritten, and a zone version that differs from "
    "the one stored stops the restore before anything is written."
)
backup = st.file_uploader("Backup file", type=["gpkg"], key="admin_backup")
if backup is not None and st.button("Restore", type="primary"):
    with tempfile.TemporaryDirectory() as tmp:
        # The file keeps its own name (the history records it), never a path from outside.
        path = Path(tmp) / (Path(backup.name).name or "backup.gpkg")
        path.write_bytes(backup.getvalue())
        try:
            counts = restore(store, path, who=who)  # checked there (geo.auth)
        except ZoneWatchError as exc:
            st.error(f"Nothing was restored: {plain(exc)}")
        else:
            st.success("Restored: " + ", ".join(f"{plain(k)} +{v:,}" for k, v in counts.items()))

st.subheader("Write history")
st.caption("Every write to the store, newest first: what, when, who, from which file.")
history = store.history().iloc[::-1].reset_index(drop=True)
st.dataframe(
    history[["at", "kind", "who", "file_name", "detail", "sha256"]],
    hide_index=True,
    width="stretch",
    column_config={
        "at": st.column_config.TextColumn("when (UTC)"),
        "kind": st.column_config.TextColumn("what"),
        "who": st.column_config.TextColumn("who"),
        "file_name": st.column_config.TextColumn("file"),
        "detail": st.column_config.TextColumn("detail", width="large"),
        "sha256": st.column_config.TextColumn("SHA-256"),
    },
)
