// The map's layers other than the events: offline basemap, governorates, plain shapes
// (previews, diffs), zones and places with their labels.
(function () {
  'use strict';
  var zw = window.zw, el = zw.el;
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
  // A point of a shapes layer (a record's position) is a dot of a fixed size in pixels: a
  // circle of a fixed size in km is a speck at the zoom a map of a region opens at.
  zw.DOT_PX = 6;
  zw.shapes = function (map, data) {
    var group = L.featureGroup();
    data.features.forEach(function (f) {
      var p = f.properties;
      L.geoJSON(f, {pointToLayer: function (ft, latlng) {
        return L.circleMarker(latlng, {radius: zw.DOT_PX});
      }, style: function (ft) {
        if (ft.geometry.type === 'Point') {
          return {color: '#fff', weight: 2, fillColor: p.color, fillOpacity: 1};
        }
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
      map.fitBounds(group.getBounds(), {padding: [20, 20], maxZoom: data.fitZoom || 11});
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
    // largest town first, on the side where they cover neither another label, a control
    // of the map nor an outline; a label that fits nowhere is not shown (its dot and popup stay), except the
    // main cities' (shown from zoom 6): put where they cover the least outline, above it
    // so that they stay readable, but never cut by the map's edge.
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
      // A permanent tooltip opens as its marker is added; relabel opens the labels that
      // fit, so none opens before (opening ~300 labels one by one, each placed by reading
      // its size, took most of the map's first draw).
      m.off('add', m._openTooltip, m);
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
      // The map's controls count as labels placed already: no label goes under them.
      var mask = zw.outlineMask(map), placed = zw.controlBoxes(map);
      var origin = map.getContainer().getBoundingClientRect();
      // A label's box in the map, and how many outline pixels it covers, or pixels out of
      // the map (Infinity when it covers a label already placed).
      var size = map.getSize();
      function cost(b) {
        var box = {l: b.left - origin.left, t: b.top - origin.top,
                   r: b.right - origin.left, b: b.bottom - origin.top, n: 0};
        box.out = (box.r - box.l) * (box.b - box.t) -
          Math.max(0, Math.min(box.r, size.x) - Math.max(box.l, 0)) *
          Math.max(0, Math.min(box.b, size.y) - Math.max(box.t, 0));
        box.n = box.out;
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
            else if (box.n < Infinity && box.out < 1 && (!best || box.n < best.box.n)) {
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
        if (m.zwOn !== on) {  // (each change redraws the dot: only when it changes)
          m.zwOn = on;
          m.setStyle(on ? {opacity: 1, fillOpacity: 1} : {opacity: 0.45, fillOpacity: 0.6});
          m.setRadius(on ? 3.5 : 2);
        }
      });
      // The view the labels were last placed for: a test waits for it after moving the map.
      map.zwLabelledView = JSON.stringify([z, map.getPixelBounds()]);
    }
    zw.relabel = relabel;
    // Labels are placed once after the events that move them: when the map opens, the
    // layer's add and the moves of fitting the view come together and need one placing;
    // and not again while nothing they depend on has changed (a 'moveend' fired to report
    // the view, say): view, size, the layers shown and the boxes of the controls.
    var queued = false, placedFor = null;
    function state() {
      return JSON.stringify([map.getZoom(), map.getPixelBounds(), map.getSize(),
        map.hasLayer(group), (map.zwZoneLines || []).map(function (z) {
          return map.hasLayer(z.group);
        }), zw.controlBoxes(map)]);
    }
    function later() {
      if (queued) { return; }
      queued = true;
      setTimeout(function () {
        queued = false;
        var now = state();
        if (now !== placedFor) { relabel(); placedFor = state(); }
      }, 0);
    }
    map.on('moveend overlayadd overlayremove resize', later);
    group.on('add', later);
    return group;
  };
})();
