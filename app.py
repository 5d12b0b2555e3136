"""ZoneWatch: page configuration and navigation; nothing else."""

from pathlib import Path

import streamlit as st

from geo.assets import install_static
from views._common import shared_filters

st.set_page_config(page_title="ZoneWatch", layout="wide")
install_static(Path(__file__).parent / "static")  # Leaflet served by the app: works offline

page = st.navigation(
    [
        st.Page("views/map.py", title="Map", default=True),
        st.Page("views/events.py", title="Events"),
        st.Page("views/zone_report.py", title="Zone report"),
        st.Page("views/place_report.py", title="Place report"),
        st.Page("views/import_events.py", title="Import events"),
        st.Page("views/zones.py", title="Zones"),
        st.Page("views/zone_history.py", title="Zone history"),
        st.Page("views/sources.py", title="Sources"),
    ]
)
# The pages that follow the shared filters; their widgets are drawn here, once for all.
shared_filters(page.title in ("Map", "Events", "Zone report", "Place report"))
page.run()
