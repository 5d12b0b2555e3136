"""Folium map building: layers, styles, escaped popups, offline assets.

Values from data reach the browser only as JSON (through :func:`js_literal`, safe inside
a ``<script>``) and are put on the page with ``textContent`` / text nodes, never as HTML.
Only http(s) links become clickable. Leaflet is loaded from the app itself
(:mod:`geo.assets`) and the basemap is drawn from the OCHA outline, so the map works
with no network at all.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.map import Layer
from folium.plugins import Draw
from jinja2 import Template
from markupsafe import Markup

from geo.aggregate import MAX_ZOOM
from geo.assets import LEAFLET_CSS, LEAFLET_DRAW_CSS, LEAFLET_DRAW_JS, LEAFLET_JS
from geo.colors import (  # noqa: F401 (EVENT_TYPE_COLORS, ZONE_COLORS: re-exported)
    EVENT_TYPE_COLORS,
    ZONE_COLORS,
    event_type_colors,
    event_types_legend,
    zone_colors,
)
from geo.schema import EVENT_COLUMNS, EVENT_LABELS, is_http_url
from geo.shipped import SHIPPED_AUTHOR

#: Where the map opens: all of Syria.
SYRIA_BOUNDS = [[32.3, 35.6], [37.35, 42.4]]

#: Layer names as shown in the layer control (fixed text; the control renders HTML).
LAYER_ZONES = "De-escalation zones (approximate)"
LAYER_PLACES = "Places"
LAYER_EVENTS = "Events"
LAYER_ADMIN = "Governorates (OCHA)"
LAYER_OUTLINE = "Offline basemap (no tiles)"
LAYER_OSM = "OpenStreetMap tiles (online)"

ZONE_FIELDS = [
    ("name_en", "Name"),
    ("name_ar", "Name (Arabic)"),
    ("status", "Status"),
    ("memorandum_date", "Memorandum signed"),
    ("in_force_from", "In force from"),
    ("valid_from", "This version valid from"),
    ("version", "Version"),
    ("boundary_precision", "Boundary precision"),
    ("method", "How it was drawn"),
    ("sources", "Sources"),
    ("author", "Added by"),
    ("note", "Note"),
]

#: What the shipped zones are (their popup says it above the fields).
SHIPPED_ZONE_NOTE = (
    "Approximate boundary reconstructed from public reporting. "
    "No official map of the zones was ever published."
)


#: Event popup rows: what happened, where, who, how many, who says so; then the details.
POPUP_ORDER = (
    "date_start",
    "date_end",
    "date_precision",
    "location",
    "location_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "fatalities_best",
    "fatalities_low",
    "fatalities_high",
    "source",
    "source_url",
    "notes",
    "admin1",
    "admin2",
    "latitude",
    "longitude",
    "dataset",
    "dataset_id",
    "dataset_version",
)


def js_literal(value: object) -> Markup:
    """JSON for a value, safe to place inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
        ("`", "\\u0060"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return Markup(text)


class OfflineMap(folium.Map):
    """A folium map that loads only Leaflet, from the app's own static files."""

    default_js = [("leaflet", LEAFLET_JS)]
    default_css = [("leaflet_css", LEAFLET_CSS)]


class _DataLayer(Layer):
    """A Leaflet layer built in the browser from JSON by a ZoneWatch script."""

    _js_kind = ""
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = window.zw.{{ this._js_kind }}(
            {{ this._parent.get_name() }}, {{ this.payload }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        name: str,
        payload: object,
        overlay: bool = True,
        show: bool = True,
        control: bool = True,
    ):
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "ZoneWatchLayer"
        self.payload = js_literal(payload)


class ZoneLayer(_DataLayer):
    _js_kind = "zones"


class PlaceLayer(_DataLayer):
    _js_kind = "places"


class EventLayer(_DataLayer):
    _js_kind = "events"


class LiveEventLayer(_DataLayer):
    """The Map page's event layer: empty when built; :class:`EventViewScript` fills it."""

    _js_kind = "eventLayer"


class EventViewScript(folium.MacroElement):
    """What the event layer shows for the current view (see :mod:`geo.aggregate`), sent
    on its own through streamlit-folium's ``feature_group_to_add`` so that a pan, a zoom
    or a filter change replaces only this, never the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.zw.eventView({{ this.payload }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict):
        super().__init__()
        self._name = "ZoneWatchEventView"
        self.payload = js_literal(payload)


def event_view_group(payload: dict) -> folium.FeatureGroup:
    """The feature group to hand to ``st_folium(feature_group_to_add=...)``."""
    group = folium.FeatureGroup(name="event view", control=False)
    EventViewScript(payload).add_to(group)
    return group


def event_detail(events: pd.DataFrame, fid: int, attribution: dict[str, str]) -> dict | None:
    """The popup of one event (a one-row frame in the event model), as the map's
    ``detail``: title, rows of [label, text, kind] and the position; None for no row."""
    if len(events) != 1:
        return None
    row = events.iloc[0]
    rows = []
    for col in POPUP_ORDER:
        value = row[col]
        if col == "source_url":
            value = value if is_http_url(str(value)) else ""
        rows.append([EVENT_LABELS[col], _text(value), "url" if col == "source_url" else None])
    rows.append(["Attribution", attribution.get(str(row["dataset"]), ""), None])
    return {
        "fid": int(fid),
        "title": f"{_text(row['event_type'])}, {_text(row['date_start'])}",
        "rows": rows,
        "lat": float(row["latitude"]),
        "lon": float(row["longitude"]),
    }


class AdminLayer(_DataLayer):
    _js_kind = "admin"


class OutlineLayer(_DataLayer):
    _js_kind = "outline"


class ShapeLayer(_DataLayer):
    """Plain labelled shapes (previews and diffs): colour, dash and fill per feature."""

    _js_kind = "shapes"


class OfflineDraw(Draw):
    """folium's Draw plugin with Leaflet.draw served by the app (never a CDN)."""

    default_js = [("leaflet_draw_js", LEAFLET_DRAW_JS)]
    default_css = [("leaflet_draw_css", LEAFLET_DRAW_CSS)]


class Legend(folium.MacroElement):
    """A legend control; its entries cross into the page as JSON text."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.zw.legend({{ this._parent.get_name() }}, {{ this.payload }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict):
        super().__init__()
        self._name = "ZoneWatchLegend"
        self.payload = js_literal(payload)


class Helpers(folium.MacroElement):
    """The browser-side functions (``window.zw``) that build every layer and popup."""

    _template = Template("{% macro script(this, kwargs) %}" + "{{ this.code }}" + "{% endmacro %}")

    def __init__(self):
        super().__init__()
        self._name = "ZoneWatchHelpers"
        self.code = Markup(_HELPERS_JS)


class ShareView(folium.MacroElement):
    """Keeps the map's centre, zoom and hidden layers in the page's address and restores
    them when the map opens: a copied link shows the same map, and a filter change (which
    rebuilds the map) keeps the user's pan and zoom. ``overlays`` maps a short name used in
    the address to the layer. The base map is never taken from a link (see zw.shareView)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.zw.shareView({{ this._parent.get_name() }},
          { {%- for k, layer in this.overlays.items() %}{{ k|tojson }}: {{ layer.get_name() }},
            {%- endfor %} });
        {% endmacro %}
        """
    )

    def __init__(self, overlays: dict):
        super().__init__()
        self._name = "ZoneWatchShareView"
        self.overlays = overlays


# The browser side. Every value from data is set with textContent or a text node.
_HELPERS_JS = r"""
(function () {
  var zw = window.zw = {};
  if (!document.getElementById('zw-style')) {
    var st = document.createElement('style');
    st.id = 'zw-style';
    st.textContent = [
      '.leaflet-container{background:#dce6ec;font:12px/1.4 system-ui,sans-serif}',
      '.zw-popup{max-width:340px;max-height:340px;overflow:auto}',
      '.zw-popup h4{margin:0 0 4px;font-size:13px}',
      '.zw-popup .zw-warn{color:#8a4b00;margin:0 0 4px}',
      '.zw-popup table{border-collapse:collapse}',
      '.zw-popup th{text-align:left;vertical-align:top;padding:1px 6px 1px 0;color:#555;',
      'white-space:nowrap;font-weight:600}',
      '.zw-popup td{vertical-align:top;padding:1px 0;word-break:break-word}',
      '.zw-label{background:rgba(255,255,255,.8);border:0;box-shadow:none;padding:0 3px;',
      'font-weight:600;color:#222}',
      '.zw-label:before{display:none}',
      '.zw-legend{background:rgba(255,255,255,.92);padding:4px 8px;border-radius:4px;',
      'box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:205px;font-size:11px}',
      '.zw-legend summary{cursor:pointer;font-weight:600}',
      '.zw-legend .zw-body{overflow-y:auto;overflow-x:hidden}',
      '.zw-legend details.zw-zones summary{font-size:12px;margin:2px 0}',
      '.zw-legend h4{margin:2px 0;font-size:12px}',
      '.zw-legend .zw-sw{display:inline-block;width:12px;height:12px;margin-right:5px;',
      'vertical-align:middle;border:1px solid #555}',
      '.zw-legend .zw-dot{border-radius:50%}',
      '.zw-legend .zw-note{color:#8a4b00;font-size:11px;margin-top:4px}',
      '.zw-playback button{margin-right:4px;cursor:pointer}',
      '.zw-playback input{width:180px;vertical-align:middle}',
      '@media (max-width:600px){.zw-playback input{width:90px}.zw-legend{max-width:170px}',
      '.leaflet-control-layers-expanded{max-width:140px}}'
    ].join('');
    document.head.appendChild(st);
  }
  // Leaflet keeps no list of a map's controls: remember the layer control as it is added,
  // for zw.furniture.
  if (!L.Control.Layers.prototype.zwRemembered) {
    var layersOnAdd = L.Control.Layers.prototype.onAdd;
    L.Control.Layers.include({zwRemembered: true, onAdd: function (map) {
      map.zwLayers = this;
      return layersOnAdd.call(this, map);
    }});
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  zw.el = el;
  zw.isHttp = function (url) { return typeof url === 'string' && /^https?:\/\//i.test(url); };
  zw.card = function (title, rows, warning) {
    var box = el('div', null, 'zw-popup');
    if (title) { var h = el('h4', title); h.dir = 'auto'; box.appendChild(h); }
    if (warning) { box.appendChild(el('p', warning, 'zw-warn')); }
    var table = el('table');
    rows.forEach(function (r) {
      var v = r[1];
      if (v === null || v === undefined || v === '') { return; }
      var tr = el('tr');
      tr.appendChild(el('th', r[0]));
      var td = el('td');
      td.dir = 'auto';
      if (r[2] === 'url') {
        if (zw.isHttp(v)) {
          var a = el('a', v);
          a.href = v; a.target = '_blank'; a.rel = 'noopener noreferrer';
          td.appendChild(a);
        } else { td.textContent = String(v); }
      } else { td.textContent = String(v); }
      tr.appendChild(td);
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  };
  zw.tag = function (layer, kind) { layer.options.zwKind = kind; return layer; };

  zw.outline = function (map, data) {
    return L.geoJSON(data, {
      interactive: false,
      style: function () {
        return {color: '#6d6d6d', weight: 1.2, fillColor: '#f6f2e6', fillOpacity: 1};
      },
      onEachFeature: function (f, layer) { zw.tag(layer, 'outline'); }
    });
  };
  zw.admin = function (map, data) {
    return L.geoJSON(data, {
      style: function () {
        return {color: '#8c8c8c', weight: 1, dashArray: '2 3', fill: true, fillOpacity: 0};
      },
      onEachFeature: function (f, layer) {
        zw.tag(layer, 'admin');
        var p = f.properties;
        layer.bindTooltip(el('span', p.name_en + ' · ' + p.name_ar), {sticky: true});
      }
    });
  };
  zw.pane = function (map, name, z, clickThrough) {
    if (!map.getPane(name)) {
      var pane = map.createPane(name);
      pane.style.zIndex = z;
      if (clickThrough) { pane.style.pointerEvents = 'none'; }
    }
    return name;
  };
  zw.shapes = function (map, data) {
    var group = L.featureGroup();
    data.features.forEach(function (f) {
      var p = f.properties;
      L.geoJSON(f, {style: function () {
        return {color: p.color, weight: p.weight || 2, dashArray: p.dash ? '6 4' : null,
          fillColor: p.color, fillOpacity: p.fill};
      }, onEachFeature: function (ft, layer) {
        zw.tag(layer, 'shape');
        layer.zwLabel = p.label;
        if (p.label) { layer.bindTooltip(el('span', p.label), {sticky: true}); }
      }}).addTo(group);
    });
    group.addTo(map);
    if (data.fit && group.getLayers().length) {
      map.fitBounds(group.getBounds(), {padding: [20, 20], maxZoom: 11});
    }
    return group;
  };
  zw.zones = function (map, data) {
    // The fills share the map's one canvas with the events and places, drawn before them,
    // so a click on an event opens the event and a click elsewhere in a zone opens the zone.
    // The outlines sit above everything, with a white halo, and let every click through.
    var linePane = zw.pane(map, 'zwZoneLine', 450, true);
    var group = L.featureGroup();
    data.features.forEach(function (f) {
      var p = f.properties;
      L.geoJSON(f, {pane: linePane, interactive: false, style: function () {
        return {color: '#fff', weight: 6, opacity: 0.9, fill: false};
      }, onEachFeature: function (ft, layer) { zw.tag(layer, 'zone-outline'); }}).addTo(group);
      var line = L.geoJSON(f, {pane: linePane, interactive: false, style: function () {
        return {color: p._color, weight: 3, dashArray: '8 5', fill: false};
      }, onEachFeature: function (ft, layer) { zw.tag(layer, 'zone-outline'); }}).addTo(group);
      (map.zwZoneLines = map.zwZoneLines || []).push({group: group, line: line});
      L.geoJSON(f, {style: function () {
        return {stroke: false, fillColor: p._color, fillOpacity: 0.22};
      }, onEachFeature: function (ft, layer) {
        zw.tag(layer, 'zone');
        layer.zwZone = p;
        layer.bindTooltip(el('span', p.name_en), {sticky: true});
        layer.bindPopup(function () {
          return zw.card(p.name_en, data.fields.map(function (fl) {
            return [fl[1], p[fl[0]]];
          }), p._note || data.warning);
        }, {maxWidth: 360});
      }}).addTo(group);
    });
    return group;
  };
  // Where each zone outline is drawn in the map's view, as a mask of pixels: a label must
  // not hide an outline (null when no zone outline is shown).
  zw.outlineMask = function (map) {
    var size = map.getSize(), lines = (map.zwZoneLines || []).filter(function (z) {
      return map.hasLayer(z.group);
    });
    if (!lines.length || !size.x || !size.y) { return null; }
    var canvas = document.createElement('canvas');
    canvas.width = size.x; canvas.height = size.y;
    var ctx = canvas.getContext('2d');
    ctx.lineWidth = 6; ctx.strokeStyle = '#000'; ctx.lineJoin = 'round';
    function rings(a, out) {
      if (L.LineUtil.isFlat(a)) { out.push(a); return out; }
      a.forEach(function (x) { rings(x, out); });
      return out;
    }
    lines.forEach(function (z) {
      z.line.eachLayer(function (poly) {
        rings(poly.getLatLngs(), []).forEach(function (ring) {
          ctx.beginPath();
          ring.forEach(function (ll, i) {
            var pt = map.latLngToContainerPoint(ll);
            if (i) { ctx.lineTo(pt.x, pt.y); } else { ctx.moveTo(pt.x, pt.y); }
          });
          ctx.closePath();
          ctx.stroke();
        });
      });
    });
    return {w: size.x, h: size.y, data: ctx.getImageData(0, 0, size.x, size.y).data};
  };
  zw.places = function (map, data) {
    var group = L.featureGroup();
    var markers = [];
    // Labels sit under the zone outlines (the outlines stay visible) and are placed
    // largest town first, on the side where they cover neither another label nor an
    // outline; a label that fits nowhere is not shown (its dot and popup stay), except the
    // main cities' (shown from zoom 6): put where they cover the least outline, above it
    // so that they stay readable.
    var labelPane = zw.pane(map, 'zwLabels', 440, true);
    var SIDES = [['right', [4, 0]], ['left', [-4, 0]], ['top', [0, -4]], ['bottom', [0, 4]]];
    data.rows.forEach(function (r) {
      // r: [lat, lon, name_en, name_ar, name, population, geonameid, label_zoom]
      var m = L.circleMarker([r[0], r[1]], {radius: 3, color: '#222', weight: 1,
        fillColor: '#fff', fillOpacity: 1, zwKind: 'place'});
      var label = el('span', r[2] + (r[3] ? ' · ' + r[3] : ''));
      label.dir = 'auto';
      m.bindTooltip(label, {permanent: true, direction: 'right', offset: [4, 0],
        className: 'zw-label', interactive: false, pane: labelPane});
      m.zwLabelZoom = r[7];
      m.zwPopulation = r[5];
      m.bindPopup(function () {
        return zw.card(r[2], [['Arabic name', r[3]], ['GeoNames name', r[4]],
          ['Population', r[5] ? r[5].toLocaleString('en') : ''], ['GeoNames id', r[6]],
          ['Source', data.attribution]]);
      });
      markers.push(m);
      group.addLayer(m);
    });
    var order = markers.slice().sort(function (a, b) {
      return a.zwLabelZoom - b.zwLabelZoom || b.zwPopulation - a.zwPopulation;
    });
    function relabel() {
      if (!map.hasLayer(group)) { return; }
      var z = map.getZoom(), near = map.getBounds().pad(0.25);
      var mask = zw.outlineMask(map), placed = [];
      var origin = map.getContainer().getBoundingClientRect();
      // A label's box in the map, and how many outline pixels it covers, or pixels out of
      // the map (Infinity when it covers a label already placed).
      var size = map.getSize();
      function cost(b) {
        var box = {l: b.left - origin.left, t: b.top - origin.top,
                   r: b.right - origin.left, b: b.bottom - origin.top, n: 0};
        box.n = (box.r - box.l) * (box.b - box.t) -
          Math.max(0, Math.min(box.r, size.x) - Math.max(box.l, 0)) *
          Math.max(0, Math.min(box.b, size.y) - Math.max(box.t, 0));
        for (var k = 0; k < placed.length; k++) {
          var q = placed[k];
          if (box.l < q.r && q.l < box.r && box.t < q.b && q.t < box.b) {
            box.n = Infinity;
            return box;
          }
        }
        if (mask) {
          var x0 = Math.max(0, Math.floor(box.l)), x1 = Math.min(mask.w - 1, Math.ceil(box.r));
          var y0 = Math.max(0, Math.floor(box.t)), y1 = Math.min(mask.h - 1, Math.ceil(box.b));
          for (var y = y0; y <= y1; y++) {
            for (var x = x0; x <= x1; x++) {
              if (mask.data[(y * mask.w + x) * 4 + 3]) { box.n++; }
            }
          }
        }
        return box;
      }
      function put(t, side, m, pane) {
        if (t.options.pane !== pane) {
          if (m.isTooltipOpen()) { m.closeTooltip(); }
          t.options.pane = pane;
        }
        t.options.direction = side[0]; t.options.offset = side[1];
        if (m.isTooltipOpen()) { t.update(); } else { m.openTooltip(); }
        return cost(t.getElement().getBoundingClientRect());
      }
      order.forEach(function (m) {
        var want = z >= m.zwLabelZoom && near.contains(m.getLatLng());
        var t = m.getTooltip(), shown = false, best = null;
        if (want) {
          for (var k = 0; k < SIDES.length && !shown; k++) {
            var box = put(t, SIDES[k], m, labelPane);
            if (box.n === 0) { placed.push(box); shown = true; }
            else if (box.n < Infinity && (!best || box.n < best.box.n)) {
              best = {box: box, side: SIDES[k]};
            }
          }
          if (!shown && best && m.zwLabelZoom <= 6) {
            placed.push(put(t, best.side, m, 'tooltipPane'));
            shown = true;
          }
        }
        if (!shown && m.isTooltipOpen()) { m.closeTooltip(); }
        // Unlabelled places stay as faint dots, so the towns that are named stand out.
        var on = z >= m.zwLabelZoom;
        m.setStyle(on ? {opacity: 1, fillOpacity: 1} : {opacity: 0.45, fillOpacity: 0.6});
        m.setRadius(on ? 3.5 : 2);
      });
    }
    zw.relabel = relabel;
    map.on('moveend overlayadd overlayremove resize', function () { setTimeout(relabel, 0); });
    group.on('add', function () { setTimeout(relabel, 0); });
    return group;
  };
  zw.events = function (map, data) {
    var group = L.featureGroup();
    var fields = data.fields;
    function value(col, i) {
      var c = data.cols[col];
      if (c.dict) { return c.dict[c.codes[i]]; }
      return c[i];
    }
    for (var i = 0; i < data.n; i++) {
      var best = data.cols.fatalities_best[i];
      var t = data.cols.event_type.codes[i];
      var m = L.circleMarker([data.lat[i], data.lon[i]], {
        radius: 2.5 + Math.min(6, Math.log2(1 + (best || 0))),
        color: data.colors[t], weight: 0.6, fillColor: data.colors[t], fillOpacity: 0.4,
        zwKind: 'event', zwIndex: i,
        zwStart: Date.parse(value('date_start', i)) / 86400000,
        zwEnd: Date.parse(value('date_end', i)) / 86400000
      });
      group.addLayer(m);
    }
    group.on('click', function (e) {
      var i = e.layer.options.zwIndex;
      var rows = fields.map(function (f) {
        return [f[1], f[0] === 'latitude' ? data.lat[i] : f[0] === 'longitude' ? data.lon[i]
                : value(f[0], i), f[0] === 'source_url' ? 'url' : null];
      });
      var ds = value('dataset', i);
      rows.push(['Attribution', data.attribution[ds] || '']);
      L.popup({maxWidth: 360}).setLatLng(e.latlng)
        .setContent(zw.card(value('event_type', i) + ', ' + value('date_start', i), rows))
        .openOn(map);
    });
    zw.playback(map, group).reset();
    return group;
  };
  // Playback: step through time; show the events of the 30 days up to the current day.
  // Markers carry their first and last day (options.zwStart, zwEnd: days since 1970);
  // reset() follows the group's markers after a redraw (no markers: no control).
  zw.playback = function (map, group) {
    var DAY = 86400000, WINDOW = 30, markers = [], shown = [], lo = 0, hi = 0;
    var ctl = L.control({position: 'topleft'}), timer = null, onMap = false;
    var box, slider, label, play;
    function show(day) {
      markers.forEach(function (m, k) {
        var on = day === null || (m.options.zwStart <= day && m.options.zwEnd > day - WINDOW);
        if (shown[k] !== on) {
          shown[k] = on;
          // Out of the group, not made transparent: a hidden event cannot be hovered or
          // clicked (it comes back into the group when shown again).
          if (on) { group.addLayer(m); } else { group.removeLayer(m); }
        }
      });
      if (label) {
        label.textContent = day === null ? 'All shown events'
          : 'Events of the 30 days to ' + new Date(day * DAY).toISOString().slice(0, 10);
      }
    }
    function stop() {
      if (timer) { clearInterval(timer); timer = null; }
      if (play) { play.textContent = '▶'; }
    }
    ctl.onAdd = function () {
      box = el('div', null, 'zw-legend zw-playback');
      play = el('button', '▶'); play.type = 'button'; play.title = 'Play over time';
      var reset = el('button', '■'); reset.type = 'button'; reset.title = 'Show all';
      slider = el('input'); slider.type = 'range'; slider.min = lo; slider.max = hi;
      slider.step = 1; slider.value = lo; slider.title = 'Date';
      label = el('div', 'All shown events');
      [play, reset, slider, label].forEach(function (x) { box.appendChild(x); });
      play.onclick = function () {
        if (timer) { stop(); return; }
        play.textContent = '❚❚';
        if (+slider.value >= hi) { slider.value = lo; }
        var step = Math.max(1, Math.round((hi - lo) / 120));
        timer = setInterval(function () {
          var next = Math.min(hi, +slider.value + step);
          slider.value = next; show(next);
          if (next >= hi) { stop(); }
        }, 250);
      };
      reset.onclick = function () { stop(); slider.value = lo; show(null); };
      slider.oninput = function () { stop(); show(+slider.value); };
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    function place() {
      var want = markers.length > 0 && map.hasLayer(group);
      if (want && !onMap) { ctl.addTo(map); onMap = true; }
      if (!want && onMap) { stop(); ctl.remove(); onMap = false; }
    }
    function reset() {
      stop();
      markers = []; shown = [];
      group.eachLayer(function (m) { if (m.options.zwStart !== undefined) markers.push(m); });
      lo = Infinity; hi = -Infinity;
      markers.forEach(function (m) {
        lo = Math.min(lo, m.options.zwStart); hi = Math.max(hi, m.options.zwEnd);
      });
      if (slider) { slider.min = lo; slider.max = hi; slider.value = lo; }
      if (label) { label.textContent = 'All shown events'; }
      place();
    }
    group.on('add', function () { place(); });
    group.on('remove', function () { show(null); place(); });
    return {reset: reset};
  };
  zw.b64 = function (text, Type) {
    var bin = atob(text), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return new Type(bytes.buffer);
  };
  zw.eventRadius = function (best) { return 2.5 + Math.min(6, Math.log2(1 + (best || 0))); };
  // The Map page's event layer: one group, kept for the life of the map; the server sends
  // what to draw in it for the current view (zw.eventView), and an event's details only
  // when it is clicked.
  zw.eventLayer = function (map, data) {
    var group = L.featureGroup();
    zw.live = {map: map, group: group, key: null, pending: null, popup: null,
               playback: zw.playback(map, group), loading: data.loading};
    group.on('click', function (e) {
      var m = e.layer;
      if (m.options.zwKind === 'event') {
        var last = zw.live.detail, box;
        if (last && last.fid === m.options.zwFid) {
          box = zw.card(last.title, last.rows);  // clicked again: the page has it already
        } else {
          zw.live.pending = m.options.zwFid;
          box = zw.card(null, []);
          box.appendChild(el('p', data.loading));
        }
        var popup = L.popup({maxWidth: 360}).setLatLng(m.getLatLng()).setContent(box);
        popup.on('remove', function () {  // closed before its details came: forget them
          if (zw.live.popup === popup) { zw.live.pending = null; zw.live.popup = null; }
        });
        zw.live.popup = popup.openOn(map);
      } else if (m.options.zwKind === 'cell') {
        map.fitBounds(m.getBounds());
      }
    });
    return group;
  };
  zw.cellColor = function (count, most) {
    var ramp = ['#fff5b8', '#fed976', '#feb24c', '#fd8d3c', '#f03b20', '#bd0026'];
    var t = most > 1 ? Math.log(count) / Math.log(most) : 1;
    return ramp[Math.min(ramp.length - 1, Math.floor(t * ramp.length))];
  };
  zw.eventView = function (p) {
    var live = zw.live;
    if (!live) { return; }
    var group = live.group;
    if (live.key !== p.key) {
      live.key = p.key;
      group.clearLayers();
      var i;
      if (p.mode === 'points') {
        var fid = zw.b64(p.fid, p.fid_bytes === 8 ? Float64Array : Uint32Array);
        var lat = zw.b64(p.lat, Float32Array), lon = zw.b64(p.lon, Float32Array);
        var start = zw.b64(p.start, Int32Array), days = zw.b64(p.days, Uint16Array);
        var type = zw.b64(p.type, Uint16Array), fat = zw.b64(p.fat, Uint16Array);
        for (i = 0; i < p.n; i++) {
          var c = p.colors[type[i]];
          var m = L.circleMarker([lat[i], lon[i]], {
            radius: zw.eventRadius(fat[i]), color: c, weight: 0.6, fillColor: c,
            fillOpacity: 0.4, zwKind: 'event', zwFid: fid[i], zwStart: start[i],
            zwEnd: start[i] + days[i]
          });
          // Numbers only: Leaflet sets a text tooltip as HTML. The page reads the event's
          // id from it when the event is clicked, and sends that event's details.
          m.bindTooltip('Event ' + fid[i] + ' · ' +
            new Date(start[i] * 86400000).toISOString().slice(0, 10));
          group.addLayer(m);
        }
      } else {
        var ix = zw.b64(p.ix, Int32Array), iy = zw.b64(p.iy, Int32Array);
        var count = zw.b64(p.count, Uint32Array), cfat = zw.b64(p.fat, Uint32Array);
        var most = 1;
        for (i = 0; i < p.n; i++) { most = Math.max(most, count[i]); }
        for (i = 0; i < p.n; i++) {
          var w = ix[i] * p.size - 180, s = iy[i] * p.size - 90;
          var r = L.rectangle([[s, w], [s + p.size, w + p.size]], {
            color: '#7a1f00', weight: 0.5, fillColor: zw.cellColor(count[i], most),
            fillOpacity: 0.5, zwKind: 'cell', zwCount: count[i], zwFatalities: cfat[i]
          });
          r.bindTooltip(count[i].toLocaleString('en') + ' events, ' +
            cfat[i].toLocaleString('en') + ' fatalities · click to zoom in');
          group.addLayer(r);
        }
      }
      live.playback.reset();
    }
    // Entering the per-view mode (too many events to send all): report the view now, so
    // the page draws this view rather than the one it last knew of.
    if (p.region && !live.region) {
      setTimeout(function () { live.map.fire('moveend'); }, 0);
    }
    live.region = p.region;
    var d = p.detail;
    live.detail = d && !d.missing ? d : null;
    if (d && live.pending === d.fid && live.popup && live.map.hasLayer(live.popup)) {
      live.pending = null;
      var card;
      if (d.missing) { card = zw.card(null, []); card.appendChild(el('p', d.missing)); }
      else { card = zw.card(d.title, d.rows); }
      live.popup.setContent(card);
    }
  };
  zw.legend = function (map, data) {
    var ctl = L.control({position: 'bottomright'});
    ctl.onAdd = function () {
      var outer = el('details', null, 'zw-legend');
      outer.open = true;
      outer.appendChild(el('summary', 'Legend'));
      var box = el('div', null, 'zw-body');
      outer.appendChild(box);
      // Many zones (say the 14 governorates saved as zones): their list folds on its own.
      var zoneBox = box;
      if (data.zones.length > 6) {
        zoneBox = el('details', null, 'zw-zones');
        zoneBox.appendChild(el('summary', 'Zones (' + data.zones.length + ')'));
        box.appendChild(zoneBox);
      } else {
        box.appendChild(el('h4', 'Zones'));
      }
      data.zones.forEach(function (z) {
        var row = el('div');
        var sw = el('span', null, 'zw-sw'); sw.style.background = z[1]; sw.style.opacity = 0.7;
        row.appendChild(sw); row.appendChild(document.createTextNode(z[0]));
        zoneBox.appendChild(row);
      });
      box.appendChild(el('div', data.zone_note, 'zw-note'));
      box.appendChild(el('h4', 'Events'));
      data.events.forEach(function (t) {
        var row = el('div');
        var sw = el('span', null, 'zw-sw zw-dot'); sw.style.background = t[1];
        row.appendChild(sw); row.appendChild(document.createTextNode(t[0]));
        box.appendChild(row);
      });
      if (data.cells) {
        var row = el('div');
        ['#fff5b8', '#feb24c', '#f03b20', '#bd0026'].forEach(function (c) {
          var sw = el('span', null, 'zw-sw'); sw.style.background = c; sw.style.marginRight = '0';
          row.appendChild(sw);
        });
        row.appendChild(document.createTextNode(' events per square'));
        box.appendChild(row);
      }
      box.appendChild(el('div', data.event_note, 'zw-note'));
      L.DomEvent.disableClickPropagation(outer);
      L.DomEvent.disableScrollPropagation(outer);
      return outer;
    };
    ctl.addTo(map);
    zw.furniture(map, ctl.getContainer());
    return ctl;
  };
  // The legend (bottom right) and the layer control (top right) never overlap: the legend's
  // body is never taller than the room under the layer control (it scrolls). On a small map
  // (a phone) both start folded and opening one folds the other; on a large one the legend
  // starts folded when it would not fit whole.
  zw.furniture = function (map, legend) {
    var layers = map.zwLayers, body = legend.querySelector('.zw-body');
    var SMALL = 600;
    function small() { var s = map.getSize(); return s.x < SMALL || s.y < 420; }
    function fit() {
      var top = map.getContainer().getBoundingClientRect().top + 10;
      var lc = layers && layers.getContainer();
      if (lc && lc.parentNode) { top = lc.getBoundingClientRect().bottom + 10; }
      var room = legend.getBoundingClientRect().bottom - top;
      var chrome = legend.offsetHeight - (legend.open ? body.offsetHeight : 0);
      body.style.maxHeight = Math.max(30, Math.floor(room - chrome)) + 'px';
    }
    if (layers) {
      var expand = layers.expand, collapse = layers.collapse;
      layers.expand = function () {
        expand.call(layers);
        if (small() && legend.open) { legend.open = false; }
        fit();
        return layers;
      };
      layers.collapse = function () { collapse.call(layers); fit(); return layers; };
      map.on('click', function () { if (small()) { layers.collapse(); } });
    }
    legend.addEventListener('toggle', function () {
      if (legend.open && small() && layers) { layers.collapse(); }
      fit();
    });
    function arrange() {
      if (small()) {
        if (layers) { layers.collapse(); }
        legend.open = false;
      } else {
        if (layers) { layers.expand(); }
        legend.open = true;
        fit();
        if (body.scrollHeight > body.clientHeight + 1) { legend.open = false; }
      }
      fit();
    }
    arrange();
    var wasSmall = small();
    map.on('resize', function () {
      if (small() !== wasSmall) { wasSmall = small(); arrange(); } else { fit(); }
    });
    zw.arrange = arrange;
  };
  // The view in the page's address: centre and zoom ("view=lat,lon,zoom") and hidden layers
  // ("hide=events,places"). Restored when the map opens, written when the user moves or
  // toggles a layer; numbers and known names only. Never the online base map: a link must
  // not make the browser fetch tiles before the user chooses them.
  zw.shareView = function (map, overlays) {
    var host;
    try { host = window.parent; void host.location.search; } catch (e) { return; }
    var p = new URLSearchParams(host.location.search);
    (p.get('hide') || '').split(',').forEach(function (k) {
      if (Object.prototype.hasOwnProperty.call(overlays, k)) map.removeLayer(overlays[k]);
    });
    var v = (p.get('view') || '').split(',').map(Number);
    if (v.length === 3 && v.every(isFinite) && Math.abs(v[0]) <= 90 &&
        Math.abs(v[1]) <= 180) {
      map.setView([v[0], v[1]], Math.round(v[2]));
    }
    function write() {
      var q = new URLSearchParams(host.location.search), c = map.getCenter();
      q.set('view', [c.lat.toFixed(4), c.lng.toFixed(4), map.getZoom()].join(','));
      var off = Object.keys(overlays).filter(function (k) { return !map.hasLayer(overlays[k]); });
      if (off.length) { q.set('hide', off.join(',')); } else { q.delete('hide'); }
      var url = host.location.pathname + '?' + q.toString() + host.location.hash;
      try { host.history.replaceState(host.history.state, '', url); } catch (e) { /* sandboxed */ }
    }
    map.on('moveend overlayadd overlayremove', write);
  };
})();
"""


#: GeoJSON of geometries already converted, by content (see :func:`_geometry_json`).
_GEOJSON_CACHE: dict[tuple[str, float], tuple] = {}


def _geometry_json(geoms, tolerance: float = 0.0) -> list[dict]:
    """GeoJSON geometries (simplified by ``tolerance``, 1e-5 degree precision). The same
    geometries come back on every rerun of a page, so the result is kept per content (the
    simplification of the outline and zones was most of the map's build time: 30 of 50 ms)."""
    geoms = np.asarray(geoms, dtype=object)
    key = (
        hashlib.blake2b(b"\0".join(shapely.to_wkb(geoms)), digest_size=16).hexdigest(),
        float(tolerance),
    )
    found = _GEOJSON_CACHE.get(key)
    if found is None:
        if tolerance:
            geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
        geoms = shapely.set_precision(geoms, 1e-5)
        found = tuple(json.loads(shapely.to_geojson(g)) for g in geoms)
        if len(_GEOJSON_CACHE) >= 64:
            _GEOJSON_CACHE.clear()
        _GEOJSON_CACHE[key] = found
    return list(found)


def _text(value: object) -> str:
    """A value as popup text: dates as YYYY-MM-DD; nothing (no row) for a missing value,
    never "NaT" or "nan"."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp | date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def zone_note(row) -> str:
    """The line above a zone's popup fields: what this boundary is. The shipped zones are
    approximate reconstructions; any other version says who added it, its status, how it
    was made and its sources, as they were given when it was saved."""
    author = _text(getattr(row, "author", ""))
    if author == SHIPPED_AUTHOR:
        return SHIPPED_ZONE_NOTE
    status = _text(getattr(row, "status", "")) or "no status given"
    method = _text(getattr(row, "method", "")) or "method not given"
    sources = _text(getattr(row, "sources", "")) or "none given"
    return (
        f"Boundary added in ZoneWatch by {author or 'a user'}. Status: {status}. How it was "
        f"made: {method}. Sources: {sources}. Not a shipped boundary; ZoneWatch has not "
        "checked it."
    )


def zone_payload(zones: gpd.GeoDataFrame) -> dict:
    """The zones as JSON-ready features with their popup fields; each its own colour
    (:func:`geo.colors.zone_colors`) and a line saying what it is (:func:`zone_note`)."""
    colours = zone_colors(zones["zone_id"].astype(str))
    features = []
    for row, geom in zip(
        zones.itertuples(index=False), _geometry_json(zones.geometry.values), strict=True
    ):
        props = {f: _text(getattr(row, f, "")) for f, _ in ZONE_FIELDS}
        props["zone_id"] = _text(row.zone_id)
        props["_color"] = colours[str(row.zone_id)]
        props["_note"] = zone_note(row)
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    return {"features": features, "fields": ZONE_FIELDS, "warning": SHIPPED_ZONE_NOTE}


def place_payload(places: gpd.GeoDataFrame, attribution: str) -> dict:
    """Places as compact rows: [lat, lon, name_en, name_ar, name, population, id, label_zoom]."""
    rows = [
        [
            round(g.y, 5),
            round(g.x, 5),
            _text(r.name_en),
            _text(r.name_ar),
            _text(r.name),
            int(r.population),
            _text(r.geonameid),
            int(r.label_zoom),
        ]
        for r, g in zip(places.itertuples(index=False), places.geometry.values, strict=True)
    ]
    return {"rows": rows, "attribution": attribution}


def event_payload(events: pd.DataFrame, attribution: dict[str, str], all_types=None) -> dict:
    """Events as columns; repetitive text columns dictionary-encoded. Each type's colour
    is the legend's over ``all_types`` (the store's full list; default: the types here)."""
    cols: dict[str, object] = {}
    for col in EVENT_COLUMNS:
        if col in ("latitude", "longitude"):
            continue
        series = events[col]
        if col in ("date_start", "date_end"):
            series = series.dt.strftime("%Y-%m-%d").fillna("")
        elif col == "source_url":
            series = series.astype(str).map(lambda u: u if is_http_url(u) else "")
        if col.startswith("fatalities_"):
            cols[col] = [None if pd.isna(v) else int(v) for v in series]
        elif col == "event_type" or series.nunique() * 2 < len(series):
            # Repetitive text travels once, with a code per event.
            codes, uniques = pd.factorize(series, sort=False)
            cols[col] = {"codes": codes.tolist(), "dict": [str(u) for u in uniques]}
        else:
            cols[col] = series.astype(str).tolist()
    types = cols["event_type"]["dict"]  # type: ignore[index]
    known = list(all_types) if all_types is not None else []
    palette = event_type_colors(known + [t for t in types if t not in set(known)])
    colors = [palette[t] for t in types]
    fields = [(c, EVENT_LABELS[c]) for c in POPUP_ORDER]
    return {
        "n": len(events),
        "lat": events["latitude"].round(5).tolist(),
        "lon": events["longitude"].round(5).tolist(),
        "cols": cols,
        "colors": colors,
        "fields": fields,
        "attribution": attribution,
    }


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


def build_map(
    layers: MapLayers,
    online_tiles: bool = False,
    all_types: list[str] | None = None,
    focus=None,
    share_view: bool = False,
    live_events: bool = False,
) -> folium.Map:
    """Build the folium map: offline basemap, governorates, zones, places, events, legend.
    ``focus`` (a lon/lat geometry) is what the map opens on (default: all of Syria).
    ``share_view`` keeps the view in the page's address (see :class:`ShareView`).
    ``live_events``: the event layer starts empty and is filled per view by
    :class:`EventViewScript` (the Map page); otherwise ``layers.events`` are all drawn."""
    m = _base_map(layers.admin0, prefer_canvas=True)
    if focus is not None and not focus.is_empty:
        x0, y0, x1, y1 = focus.bounds
        m.fit_bounds([[y0, x0], [y1, x1]])
    if online_tiles:
        folium.TileLayer(
            "OpenStreetMap", name=LAYER_OSM, overlay=False, show=False, max_zoom=MAX_ZOOM
        ).add_to(m)
    admin = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name_en": _text(r.name_en), "name_ar": _text(r.name_ar)},
                "geometry": g,
            }
            for r, g in zip(
                layers.admin1.itertuples(index=False),
                _geometry_json(layers.admin1.geometry.values, tolerance=0.002),
                strict=True,
            )
        ],
    }
    # One colour per type, given over the store's full list (and any type only here).
    types = list(all_types) if all_types is not None else []
    if layers.events is not None:
        types += sorted(set(layers.events["event_type"].astype(str)) - set(types))
    overlays = {
        "admin": AdminLayer(LAYER_ADMIN, admin).add_to(m),
        "zones": ZoneLayer(LAYER_ZONES, zone_payload(layers.zones)).add_to(m),
        "events": (
            LiveEventLayer(LAYER_EVENTS, {"loading": "Loading this event's details..."})
            if live_events
            else EventLayer(
                LAYER_EVENTS,
                event_payload(layers.events, layers.event_attribution, types),
            )
        ).add_to(m),
        "places": PlaceLayer(
            LAYER_PLACES, place_payload(layers.places, layers.place_attribution)
        ).add_to(m),
    }
    folium.LayerControl(collapsed=False).add_to(m)
    zone_colours = zone_colors(layers.zones["zone_id"].astype(str))
    Legend(
        {
            "zones": [
                [
                    _text(r.name_en).replace(" de-escalation zone", ""),
                    zone_colours[str(r.zone_id)],
                ]
                for r in layers.zones.itertuples(index=False)
            ],
            "zone_note": "Approximate; not official boundaries."
            if all(_text(a) == SHIPPED_AUTHOR for a in layers.zones.get("author", []))
            else "Shipped zones: approximate, not official boundaries. Click a zone for what "
            "it is.",
            "events": event_types_legend(types),
            "cells": live_events,
            "event_note": "Circle size grows with fatalities (best estimate)."
            + (
                " When many events are in view, squares count them (darker: more); click a "
                "square to zoom in."
                if live_events
                else ""
            ),
        }
    ).add_to(m)
    if share_view:
        ShareView(overlays).add_to(m)
    return m


@dataclass
class Shapes:
    """One layer of a preview map: labelled geometries drawn in one style."""

    name: str
    items: list  # [(label, lon/lat geometry)]
    color: str
    dash: bool = False
    fill: float = 0.2
    weight: int = 2


def shapes_payload(shapes: Shapes, fit: bool = False) -> dict:
    items = [(label, g) for label, g in shapes.items if g is not None and not g.is_empty]
    geoms = _geometry_json([g for _, g in items]) if items else []
    return {
        "fit": fit,
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "label": _text(label),
                    "color": shapes.color,
                    "dash": shapes.dash,
                    "fill": shapes.fill,
                    "weight": shapes.weight,
                },
                "geometry": geom,
            }
            for (label, _), geom in zip(items, geoms, strict=True)
        ],
    }


def _base_map(admin0: gpd.GeoDataFrame, prefer_canvas: bool = False) -> folium.Map:
    """An offline map on all of Syria: Leaflet from the app, the country outline as basemap."""
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
    Helpers().add_to(m)
    outline = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": g}
            for g in _geometry_json(admin0.geometry.values, tolerance=0.002)
        ],
    }
    OutlineLayer(LAYER_OUTLINE, outline, overlay=False).add_to(m)
    return m


def shapes_map(admin0: gpd.GeoDataFrame, layers: list[Shapes]) -> folium.Map:
    """An offline map of labelled shapes (upload previews, version diffs), fitted to the
    last non-empty layer."""
    m = _base_map(admin0)
    last = max(
        (
            i
            for i, s in enumerate(layers)
            if any(g is not None and not g.is_empty for _, g in s.items)
        ),
        default=-1,
    )
    for i, shapes in enumerate(layers):
        ShapeLayer(shapes.name, shapes_payload(shapes, fit=i == last)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def draw_map(admin0: gpd.GeoDataFrame, context: list[Shapes], editable=None) -> folium.Map:
    """An offline map with the drawing tools. ``editable`` (a lon/lat (multi)polygon) is
    put in the drawing layer so its vertices can be moved; ``context`` is shown around."""
    m = _base_map(admin0)
    for shapes in context:
        ShapeLayer(shapes.name, shapes_payload(shapes)).add_to(m)
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
