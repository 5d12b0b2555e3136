"""Where every layer comes from, under which licence, and how it was derived."""

from __future__ import annotations

import streamlit as st

from geo import shipped
from views.data import store_or_stop
from views.shell import page_setup

page_setup("Sources")

st.title("Sources")
store = store_or_stop()
st.caption(f"Data store: {store.description.split(' ')[0]}")
st.markdown(shipped.sources_for_readers())  # names, origins, licences; no project paths
