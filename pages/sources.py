"""Where every layer comes from, under which licence, and how it was derived."""

from __future__ import annotations

import re

import streamlit as st

from geo import shipped
from views.data import store_or_stop
from views.shell import page_setup

page_setup("Sources")

st.title("Sources")
store = store_or_stop()
st.caption(f"Data store: {store.description.split(' ')[0]}")
text = (shipped.data_dir() / "SOURCES.md").read_text(encoding="utf-8")
# The file's own first heading ("# Data sources") would be a second title under the page's.
st.markdown(re.sub(r"\A#[^#\n][^\n]*\n+", "", text))
