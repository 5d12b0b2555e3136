// The legend (zones, event types, grid squares) and how it shares the map's corners with
// the layer control.
(function () {
  'use strict';
  var zw = window.zw, el = zw.el;
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
        box.appendChild(el('h4', data.zones_title || 'Zones'));
      }
      data.zones.forEach(function (z) {
        var row = el('div');
        var sw = el('span', null, 'zw-sw'); sw.style.background = z[1]; sw.style.opacity = 0.7;
        row.appendChild(sw); row.appendChild(document.createTextNode(z[0]));
        zoneBox.appendChild(row);
      });
      if (data.zone_note) { box.appendChild(el('div', data.zone_note, 'zw-note')); }
      // A map of shapes only (the Matches page's pair) has no event section.
      if (data.events.length) { box.appendChild(el('h4', 'Events')); }
      data.events.forEach(function (t) {
        var row = el('div');
        var sw = el('span', null, 'zw-sw zw-dot'); sw.style.background = t[1];
        row.appendChild(sw); row.appendChild(document.createTextNode(t[0]));
        box.appendChild(row);
      });
      // The squares' scale: shown only while squares are drawn (zw.showCellsLegend).
      if (data.cells) {
        var row = el('div', null, 'zw-cells');
        zw.legendRamp().forEach(function (c) {
          var sw = el('span', null, 'zw-sw'); sw.style.background = c; sw.style.marginRight = '0';
          row.appendChild(sw);
        });
        row.appendChild(document.createTextNode(' events per square'));
        box.appendChild(row);
      }
      if (data.event_note) { box.appendChild(el('div', data.event_note, 'zw-note')); }
      if (data.cells_note) { box.appendChild(el('div', data.cells_note, 'zw-note zw-cells')); }
      map.zwCells = map.zwCells || false;
      L.DomEvent.disableClickPropagation(outer);
      L.DomEvent.disableScrollPropagation(outer);
      return outer;
    };
    ctl.addTo(map);
    zw.showCellsLegend(map, map.zwCells);
    zw.furniture(map, ctl.getContainer());
    return ctl;
  };
  // Show the squares' part of the legend only while squares are drawn.
  zw.showCellsLegend = function (map, on) {
    map.zwCells = on;
    map.getContainer().querySelectorAll('.zw-legend .zw-cells').forEach(function (e) {
      e.style.display = on ? '' : 'none';
    });
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
})();
