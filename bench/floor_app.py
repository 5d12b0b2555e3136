"""The floor of the map benchmark: the least a Streamlit page with one streamlit-folium
map can cost. One date input; one map (Leaflet from the app's own static files, as on the
Map page) whose feature group, one marker showing the chosen dates, changes with the
input. ``bench/map_scale.py`` runs it from a temporary folder beside a link to ``static/``
and measures it in the same run as the app (first map from navigation; date change to
redrawn map). Nothing here is ZoneWatch's own map code, so the ratio to it is fair."""

from datetime import date

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo.assets import LEAFLET_CSS, LEAFLET_JS

st.set_page_config(page_title="Floor", layout="wide")
st.title("ZoneWatch")  # the heading the benchmark clicks to commit a typed date, as on the app
with st.sidebar:
    dates = st.date_input(
        "Event dates",
        value=(date(2016, 1, 1), date(2019, 12, 31)),
        min_value=date(2011, 1, 1),
        max_value=date(2030, 12, 31),
    )
label = " to ".join(str(d) for d in dates)
fmap = folium.Map(location=[34.9, 38.9], zoom_start=7, tiles=None)
fmap.default_js = [("leaflet", LEAFLET_JS)]  # offline, as the app
fmap.default_css = [("leaflet_css", LEAFLET_CSS)]
group = folium.FeatureGroup(name="events")
folium.Marker(
    [34.9, 38.9], icon=folium.DivIcon(html=f'<div class="zw-floor">{label}</div>')
).add_to(group)
st_folium(
    fmap,
    key="floor",
    height=640,
    use_container_width=True,
    returned_objects=[],
    feature_group_to_add=group,
)
