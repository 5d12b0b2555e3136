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
