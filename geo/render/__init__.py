"""Folium map building, in three parts:

- :mod:`geo.render.payloads`: what each layer is drawn from, as JSON-ready values;
- :mod:`geo.render.elements`: the folium elements that hand that JSON to the browser code
  (geo/static/zonewatch/*.js, served by the app: :mod:`geo.assets`);
- :mod:`geo.render.maps`: the maps themselves;

with :mod:`geo.render.contract` (what Python and the browser code agree on) and the
colours and styles in :mod:`geo.colors`.
"""

from geo.colors import EVENT_TYPE_COLORS, ZONE_COLORS, event_types_legend
from geo.render.contract import browser_config, clicked_event, event_tooltip
from geo.render.maps import (
    LAYER_ADMIN,
    LAYER_EVENTS,
    LAYER_OSM,
    LAYER_OUTLINE,
    LAYER_PLACES,
    LAYER_ZONES,
    SYRIA_BOUNDS,
    MapLayers,
    build_map,
    draw_map,
    event_view_group,
    shapes_map,
)
from geo.render.payloads import (
    POPUP_ORDER,
    SHIPPED_ZONE_NOTE,
    ZONE_FIELDS,
    Shapes,
    event_detail,
    event_payload,
    js_literal,
    place_payload,
    report_area,
    shapes_payload,
    zone_note,
    zone_payload,
)

__all__ = [
    "EVENT_TYPE_COLORS",
    "LAYER_ADMIN",
    "LAYER_EVENTS",
    "LAYER_OSM",
    "LAYER_OUTLINE",
    "LAYER_PLACES",
    "LAYER_ZONES",
    "POPUP_ORDER",
    "SHIPPED_ZONE_NOTE",
    "SYRIA_BOUNDS",
    "ZONE_COLORS",
    "ZONE_FIELDS",
    "MapLayers",
    "Shapes",
    "browser_config",
    "build_map",
    "clicked_event",
    "draw_map",
    "event_detail",
    "event_payload",
    "event_tooltip",
    "event_types_legend",
    "event_view_group",
    "js_literal",
    "place_payload",
    "shapes_map",
    "report_area",
    "shapes_payload",
    "zone_note",
    "zone_payload",
]
