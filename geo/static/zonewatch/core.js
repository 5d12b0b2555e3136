// ZoneWatch in the browser: the namespace window.zw and the pieces every map uses.
// Loaded after Leaflet, before the map script (geo/assets.py lists the files in order).
// Every value from data is put on the page with textContent or a text node, never as HTML.
(function () {
  'use strict';
  var zw = window.zw = window.zw || {};
  // What Python passes (geo.render.contract.browser_config): style and the tooltip contract.
  zw.config = zw.config || {};
  zw.configure = function (config) { zw.config = config; return config; };
  // A count in words, singular or plural as the number asks ("1 event", "6,418 events"),
  // as geo/wording.py words the Python side's: every count a tooltip shows goes through it.
  zw.count = function (n, one, many) {
    return n.toLocaleString('en') + ' ' + (n === 1 ? one : (many || one + 's'));
  };

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
  // pans again by the shortest move (down, up, left or right of a control it overlaps)
  // after which it overlaps no control and stays in the map (its close button under the
  // layer control, say).
  var GAP = 8;
  function hits(a, b) { return a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b; }
  zw.clearOfControls = function (map, popup) {
    var e = popup.getElement();
    if (!e || !map.hasLayer(popup)) { return; }
    var origin = map.getContainer().getBoundingClientRect(), b = e.getBoundingClientRect();
    var p = {l: b.left - origin.left, t: b.top - origin.top,
             r: b.right - origin.left, b: b.bottom - origin.top};
    var size = map.getSize(), controls = zw.controlBoxes(map);
    var over = controls.filter(function (c) { return hits(p, c); });
    if (!over.length) { return; }
    var moves = [];
    over.forEach(function (c) {
      moves.push([0, c.b - p.t + GAP], [0, c.t - p.b - GAP],
                 [c.r - p.l + GAP, 0], [c.l - p.r - GAP, 0]);
    });
    // combined moves too (below one control and beside another)
    moves.slice().forEach(function (m1) {
      moves.slice().forEach(function (m2) {
        if (!m1[0] && !m2[1]) { moves.push([m2[0], m1[1]]); }
      });
    });
    function fits(m) {
      var q = {l: p.l + m[0], t: p.t + m[1], r: p.r + m[0], b: p.b + m[1]};
      return q.l >= 0 && q.t >= 0 && q.r <= size.x && q.b <= size.y &&
        !controls.some(function (c) { return hits(q, c); });
    }
    var best = null;
    moves.forEach(function (m) {
      if (fits(m) && (!best || Math.abs(m[0]) + Math.abs(m[1]) <
                      Math.abs(best[0]) + Math.abs(best[1]))) { best = m; }
    });
    if (best) { map.panBy([-best[0], -best[1]], {animate: false}); }
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
