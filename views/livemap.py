"""The Map page's map, sent as ``streamlit_folium.st_folium`` sends it, with the map's own
script made once per base map instead of on every rerun.

``st_folium`` renders the whole folium map (every layer's template, each element's name)
on every call: about 20 ms a rerun, when a filter change only replaces the event layer's
feature group. :func:`live_folium` turns the map into the component's arguments once per
``cache_key`` (the zones, the basemap choice: what makes the map), keeps them, and on each
rerun renders only the feature group. What reaches the component is exactly what
``st_folium`` would send for the same map and feature group (tested against it), so the
browser side is unchanged. Written for streamlit-folium 0.27.4 (pinned in pyproject.toml).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

import branca
import folium
import folium.elements
import streamlit as st
import streamlit_folium as stf

#: The component's arguments of a few recent base maps, by their key.
_PARTS: OrderedDict[object, dict] = OrderedDict()
_PARTS_SIZE = 8
_LOCK = threading.Lock()  # the app's sessions run in threads


def _links(fmap: folium.Map) -> tuple[list[str], list[str]]:
    """The CSS and JavaScript links of a map's elements, as ``st_folium`` lists them."""

    def walk(fig):
        if isinstance(fig, branca.colormap.ColorMap):
            yield fig
        if isinstance(fig, folium.elements.JSCSSMixin):
            yield fig
        if hasattr(fig, "_children"):
            for child in fig._children.values():
                yield from walk(child)

    css: list[str] = []
    js: list[str] = []
    for elem in walk(fmap):
        if isinstance(elem, branca.colormap.ColorMap):
            js.insert(0, "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js")
            js.insert(0, "https://d3js.org/d3.v4.min.js")
        css.extend(href for _, href in getattr(elem, "default_css", []))
        js.extend(src for _, src in getattr(elem, "default_js", []))
    return list(dict.fromkeys(css)), list(dict.fromkeys(js))


def map_parts(fmap: folium.Map) -> dict:
    """The arguments ``st_folium`` gives its component for ``fmap`` that depend on the map
    alone (its script, header, HTML, id, links, and the bounds and zoom it opens on). The
    map is changed on the way, as ``st_folium`` changes it: use it for nothing else."""
    fmap.get_root().render()
    fmap.render()
    html = stf._get_html(fmap)
    header = stf._get_header(fmap)
    script = stf._get_map_string(fmap)
    css, js = _links(fmap)
    try:
        bounds = fmap.get_bounds()
    except AttributeError:
        bounds = [[None, None], [None, None]]
    (south, west), (north, east) = bounds
    return {
        "script": script,
        "header": header,
        "html": html,
        "id": stf.get_full_id(fmap),
        "css_links": css,
        "js_links": js,
        "bounds": {
            "_southWest": {"lat": south, "lng": west},
            "_northEast": {"lat": north, "lng": east},
        },
        "zoom": fmap.options.get("zoom"),
    }


def _cached_parts(make_map: Callable[[], folium.Map], cache_key) -> dict:
    with _LOCK:
        found = _PARTS.get(cache_key)
        if found is not None:
            _PARTS.move_to_end(cache_key)
            return found
    found = map_parts(make_map())
    with _LOCK:
        _PARTS[cache_key] = found
        while len(_PARTS) > _PARTS_SIZE:
            _PARTS.popitem(last=False)
    return found


def feature_group_script(group: folium.FeatureGroup) -> str:
    """The script ``st_folium(feature_group_to_add=group)`` sends for one feature group:
    rendered on a bare map named as ``st_folium`` names every map it sends (``map_div``)."""
    host = folium.Map(tiles=None)
    host._id = "div"  # get_full_id: "map_div", as after stf._get_map_string
    return stf._get_feature_group_string(group, map=host, idx=0)


def live_folium(
    make_map: Callable[[], folium.Map],
    cache_key,
    feature_group: folium.FeatureGroup,
    key: str,
    height: int,
    returned_objects: Iterable[str],
):
    """``st_folium(make_map(), key=key, height=height, use_container_width=True,
    returned_objects=returned_objects, feature_group_to_add=feature_group)``, with the map
    made and turned into script once per ``cache_key`` (which must name everything
    ``make_map`` depends on). Returns what ``st_folium`` returns."""
    parts = _cached_parts(make_map, cache_key)
    returned = list(returned_objects)
    defaults = {
        "last_clicked": None,
        "last_object_clicked": None,
        "last_object_clicked_count": None,
        "last_object_clicked_tooltip": None,
        "last_object_clicked_popup": None,
        "all_drawings": None,
        "last_active_drawing": None,
        "bounds": parts["bounds"],
        "zoom": parts["zoom"],
        "last_circle_radius": None,
        "last_circle_polygon": None,
        "selected_layers": None,
        "selected_tags": None,
        "last_geocoder_result": None,
    }
    hash_key = stf.generate_js_hash(parts["script"], key, False)

    def on_change() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})

    return stf._component_func(
        script=parts["script"],
        header=parts["header"],
        html=parts["html"],
        id=parts["id"],
        key=hash_key,
        height=height,
        width=None,
        returned_objects=returned,
        default={k: v for k, v in defaults.items() if k in returned},
        zoom=None,
        center=None,
        feature_group=feature_group_script(feature_group),
        return_on_hover=False,
        layer_control=None,
        pixelated=False,
        css_links=parts["css_links"],
        js_links=parts["js_links"],
        on_change=on_change,
        wrap_longitude=False,
    )
