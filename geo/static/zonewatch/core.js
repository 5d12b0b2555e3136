// ZoneWatch in the browser: the namespace window.zw and the pieces every map uses.
// Loaded after Leaflet, before the map script (geo/assets.py lists the files in order).
// Every value from data is put on the page with textContent or a text node, never as HTML.
(function () {
  'use strict';
  var zw = window.zw = window.zw || {};
  // What Python passes (geo.render.contract.browser_config): style and the tooltip contract.
  zw.config = zw.config || {};
  zw.configure = function (config) { zw.config = config; return config; };

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

  // A popup's content: a title, an optional warning, rows of [label, value, kind]; rows
  // without a value are left out; kind 'url' makes an http(s) value a link.
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
      if (r[2] === 'url' && zw.isHttp(v)) {
        var a = el('a', v);
        a.href = v; a.target = '_blank'; a.rel = 'noopener noreferrer';
        td.appendChild(a);
      } else { td.textContent = String(v); }
      tr.appendChild(td);
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  };
  // A card whose body is one line of text (loading, missing).
  zw.message = function (text) {
    var box = zw.card(null, []);
    box.appendChild(el('p', text));
    return box;
  };
  // The boxes of the map's controls (zoom, layers, legend, playback), in the map's pixels.
  zw.controlBoxes = function (map) {
    var origin = map.getContainer().getBoundingClientRect(), out = [];
    map.getContainer().querySelectorAll('.leaflet-control').forEach(function (c) {
      var b = c.getBoundingClientRect();
      if (b.right > b.left && b.bottom > b.top) {
        out.push({l: b.left - origin.left, t: b.top - origin.top,
                  r: b.right - origin.left, b: b.bottom - origin.top});
      }
    });
    return out;
  };
  // A popup is kept clear of the controls: once Leaflet has panned it into view, the map
  // pans again, by the shorter way out (down or up, left or right), when it overlaps one
  // (its close button under the layer control, say).
  var GAP = 8;
  zw.clearOfControls = function (map, popup) {
    var e = popup.getElement();
    if (!e || !map.hasLayer(popup)) { return; }
    var origin = map.getContainer().getBoundingClientRect(), b = e.getBoundingClientRect();
    var p = {l: b.left - origin.left, t: b.top - origin.top,
             r: b.right - origin.left, b: b.bottom - origin.top};
    var dx = 0, dy = 0, size = map.getSize();
    zw.controlBoxes(map).forEach(function (c) {
      if (!(p.l < c.r && c.l < p.r && p.t < c.b && c.t < p.b)) { return; }
      var top = c.t < size.y / 2, left = c.l < size.x / 2;
      var ways = [[0, top ? c.b - p.t + GAP : c.t - p.b - GAP],
                  [left ? c.r - p.l + GAP : c.l - p.r - GAP, 0]];
      var way = Math.abs(ways[0][1]) <= Math.abs(ways[1][0]) ? ways[0] : ways[1];
      if (Math.abs(way[0]) > Math.abs(dx)) { dx = way[0]; }
      if (Math.abs(way[1]) > Math.abs(dy)) { dy = way[1]; }
    });
    if (dx || dy) { map.panBy([-dx, -dy], {animate: false}); }
  };
  L.Map.addInitHook(function () {
    this.on('popupopen', function (ev) {
      var map = this, popup = ev.popup;
      // after Leaflet's own pan (animated), and again when the content is filled in later
      // (an event's details come from the server)
      function clear() { setTimeout(function () { zw.clearOfControls(map, popup); }, 400); }
      if (!popup.zwClears) { popup.zwClears = true; popup.on('contentupdate', clear); }
      clear();
    });
  });
  zw.tag = function (layer, kind) { layer.options.zwKind = kind; return layer; };
  zw.pane = function (map, name, z, clickThrough) {
    if (!map.getPane(name)) {
      var pane = map.createPane(name);
      pane.style.zIndex = z;
      if (clickThrough) { pane.style.pointerEvents = 'none'; }
    }
    return name;
  };
})();
