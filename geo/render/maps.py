"""The maps: the Map page's and the reports' (:func:`build_map`), upload previews and
version diffs (:func:`shapes_map`) and the drawing map (:func:`draw_map`). Leaflet and the
browser code come from the app (:mod:`geo.assets`) and the basemap is drawn from the OCHA
outline, so every map works with no network at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd
from markupsafe import Markup

from geo.aggregate import MAX_ZOOM
from geo.render.elements import (
    AdminLayer,
    Config,
    EventGroup,
    EventLayer,
    EventViewScript,
    LayerControl,
    Legend,
    LiveEventLayer,
    OfflineDraw,
    OfflineMap,
    OutlineLayer,
    PlaceLayer,
    ShapeLayer,
    ShareView,
    ZoneLayer,
)
from geo.render.payloads import (
    Shapes,
    admin_payload,
    event_payload,
    js_literal,
    legend_payload,
    outline_payload,
    place_payload,
    shapes_legend,
    shapes_payload,
    zone_payload,
)

#: Where the map opens: all of Syria.
SYRIA_BOUNDS = [[32.3, 35.6], [37.35, 42.4]]

#: Layer names as shown in the layer control (fixed text; the control renders HTML).
LAYER_ZONES = "De-escalation zones (approximate)"
LAYER_PLACES = "Places"
LAYER_EVENTS = "Events"
LAYER_ADMIN = "Governorates (OCHA)"
LAYER_OUTLINE = "Offline basemap (no tiles)"
LAYER_OSM = "OpenStreetMap tiles (online)"


@dataclass
class MapLayers:
    """Everything the map page draws."""

    zones: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    events: pd.DataFrame | None
    admin0: gpd.GeoDataFrame
    admin1: gpd.GeoDataFrame
    event_attribution: dict[str, str]
    place_attribution: str


#: The base map's payloads (outline, governorates, zones, places, legend) as script-safe
#: JSON, by the caller's key (see :func:`build_map`): a few recent choices.
_BASE_CACHE: OrderedDict[object, dict[str, Markup]] = OrderedDict()
_BASE_CACHE_SIZE = 8
_BASE_LOCK = threading.Lock()  # the app's sessions run in threads


def _base_payloads(layers: MapLayers, types: list[str], live_events: bool, key) -> dict:
    def make() -> dict[str, Markup]:
        return {
            "outline": js_literal(outline_payload(layers.admin0)),
            "admin": js_literal(admin_payload(layers.admin1)),
            "zones": js_literal(zone_payload(layers.zones)),
            "places": js_literal(place_payload(layers.places, layers.place_attribution)),
            "legend": js_literal(legend_payload(layers.zones, types, live_events)),
        }

    if key is None:
        return make()
    key = (key, tuple(types), live_events)
    with _BASE_LOCK:
        found = _BASE_CACHE.get(key)
        if found is not None:
            _BASE_CACHE.move_to_end(key)
            return found
    found = make()
    with _BASE_LOCK:
        _BASE_CACHE[key] = found
        while len(_BASE_CACHE) > _BASE_CACHE_SIZE:
            _BASE_CACHE.popitem(last=False)
    return found


def build_map(
    layers: MapLayers,
    online_tiles: bool = False,
    all_types: list[str] | None = None,
    focus=None,
    share_view: bool = False,
    live_events: bool = False,
    cache_key=None,
    areas: Sequence[Shapes] = (),
) -> folium.Map:
    """Build the folium map: offline basemap, governorates, zones, places, events, legend.
    ``focus`` (a lon/lat geometry) is what the map opens on (default: all of Syria).
    ``share_view`` keeps the view in the page's address (see :class:`ShareView`).
    ``live_events``: the event layer starts empty and is filled per view by
    :class:`EventViewScript` (the Map page); otherwise ``layers.events`` are all drawn.
    ``cache_key``: what determines the zones, places and governorates given (say the
    store's revision and the zones chosen); with one, their payloads are made once per key
    and reused, so a rerun that changes only the events does not remake them. ``areas``:
    shapes a report is about (the Zone report's ring), drawn under the events (a click on an
    event still opens it), each a layer of its own."""
    # One colour per type, given over the store's full list (and any type only here).
    types = list(all_types) if all_types is not None else []
    if layers.events is not None:
        types += sorted(set(layers.events["event_type"].astype(str)) - set(types))
    base = _base_payloads(layers, types, live_events, cache_key)
    m = _base_map(base["outline"], prefer_canvas=True)
    if focus is not None and not focus.is_empty:
        x0, y0, x1, y1 = focus.bounds
        m.fit_bounds([[y0, x0], [y1, x1]])
    if online_tiles:
        folium.TileLayer(
            "OpenStreetMap", name=LAYER_OSM, overlay=False, show=False, max_zoom=MAX_ZOOM
        ).add_to(m)
    for shapes in areas:  # first: under the events
        ShapeLayer(shapes.name, shapes_payload(shapes)).add_to(m)
    overlays = {
        "admin": AdminLayer(LAYER_ADMIN, base["admin"]).add_to(m),
        "zones": ZoneLayer(LAYER_ZONES, base["zones"]).add_to(m),
        "events": (
            LiveEventLayer(LAYER_EVENTS, {"loading": "Loading this event's details..."})
            if live_events
            else EventLayer(
                LAYER_EVENTS,
                event_payload(layers.events, layers.event_attribution, types),
            )
        ).add_to(m),
        "places": PlaceLayer(LAYER_PLACES, base["places"]).add_to(m),
    }
    LayerControl(collapsed=False).add_to(m)
    Legend(base["legend"]).add_to(m)
    if share_view:
        ShareView(overlays).add_to(m)
    return m


def event_view_group(payload: dict) -> folium.FeatureGroup:
    """The feature group to hand to ``st_folium(feature_group_to_add=...)``."""
    group = EventGroup(name="event view", control=False)
    EventViewScript(payload).add_to(group)
    return group


def _base_map(outline, prefer_canvas: bool = False) -> folium.Map:
    """An offline map on all of Syria: Leaflet and the browser code from the app, the
    country outline (:func:`outline_payload`, or its JSON) as basemap."""
    m = OfflineMap(
        location=[34.9, 38.9],
        zoom_start=7,
        tiles=None,
        min_zoom=5,
        max_zoom=MAX_ZOOM,
        control_scale=True,
        prefer_canvas=prefer_canvas,
    )
    # folium gives min_zoom/max_zoom to the tile layer only, and there is none: the map's
    # own limits, so that no zoom (a link's view=..., a wheel) leaves the map blank.
    m.options.update(minZoom=5, maxZoom=MAX_ZOOM)
    m.fit_bounds(SYRIA_BOUNDS)
    Config().add_to(m)
    OutlineLayer(LAYER_OUTLINE, outline, overlay=False).add_to(m)
    return m


def shapes_map(
    admin0: gpd.GeoDataFrame,
    layers: list[Shapes],
    places: gpd.GeoDataFrame | None = None,
    place_attribution: str = "",
    legend: str = "",
    fit_zoom: int = 11,
    admin1: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """An offline map of labelled shapes (upload previews, version diffs), fitted to the
    last non-empty layer, zoomed in at most to ``fit_zoom``; with ``places`` labelled as on
    the main map, the governorates ``admin1`` as there, and with a ``legend`` titled so
    giving each layer's colour."""
    m = _base_map(outline_payload(admin0))
    if admin1 is not None and not admin1.empty:
        AdminLayer(LAYER_ADMIN, js_literal(admin_payload(admin1))).add_to(m)
    if places is not None and not places.empty:
        PlaceLayer(LAYER_PLACES, js_literal(place_payload(places, place_attribution))).add_to(m)
    last = max(
        (
            i
            for i, s in enumerate(layers)
            if any(g is not None and not g.is_empty for _, g in s.items)
        ),
        default=-1,
    )
    for i, shapes in enumerate(layers):
        ShapeLayer(shapes.name, shapes_payload(shapes, fit=i == last, fit_zoom=fit_zoom)).add_to(m)
    LayerControl(collapsed=False).add_to(m)
    if legend:
        Legend(js_literal(shapes_legend(legend, layers))).add_to(m)
    return m


def draw_map(
    admin0: gpd.GeoDataFrame,
    context: list[Shapes],
    editable=None,
    places: gpd.GeoDataFrame | None = None,
    place_attribution: str = "",
) -> folium.Map:
    """An offline map with the drawing tools. ``editable`` (a lon/lat (multi)polygon) is
    put in the drawing layer so its vertices can be moved; ``context`` is shown around,
    and ``places`` with the main map's labels (English and Arabic, placed as you zoom)."""
    m = _base_map(outline_payload(admin0))
    for shapes in context:
        ShapeLayer(shapes.name, shapes_payload(shapes)).add_to(m)
    if places is not None and not places.empty:
        PlaceLayer(LAYER_PLACES, js_literal(place_payload(places, place_attribution))).add_to(m)
    group = folium.FeatureGroup(name="Drawing", control=False)
    if editable is not None and not editable.is_empty:
        for part in getattr(editable, "geoms", [editable]):
            rings = [part.exterior, *part.interiors]
            folium.Polygon(
                [[(round(y, 5), round(x, 5)) for x, y in r.coords] for r in rings],
                color="#c0392b",
                weight=2,
                fill=True,
                fill_opacity=0.2,
            ).add_to(group)
        m.fit_bounds(
            [[editable.bounds[1], editable.bounds[0]], [editable.bounds[3], editable.bounds[2]]]
        )
    group.add_to(m)
    OfflineDraw(
        feature_group=group,
        show_geometry_on_click=False,
        draw_options={
            "polyline": False,
            "circle": False,
            "marker": False,
            "circlemarker": False,
            "rectangle": {"showArea": False},
            "polygon": {"allowIntersection": False, "showArea": False},
        },
        edit_options={"edit": True, "remove": True},
    ).add_to(m)
    return m
