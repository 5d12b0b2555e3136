// tests/test_js_units.py::test_a_new_cells_payload_keeps_the_squares_drawn_already:
// draw payload a (points or squares), then b, then c, on a map of its own; after each
// squares payload, which squares were kept and the squares a fresh zw.drawCells draws.
(payloads) => {
  const {box, map, done} = eventMap();  // tests/js/event_map.js
  const shape = r => { const b = r.getBounds(), o = r.options;
    return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast(), o.color, o.weight,
            o.fillColor, o.fillOpacity, o.zwKind, o.zwCount, o.zwFatalities,
            r.getTooltip().getContent(),
            r._path ? r._path.getAttribute('fill') : null].join('|'); };
  const out = [];
  let before = new Set();
  for (const p of payloads) {
    zw.eventView(p);
    const layers = zw.live.group.getLayers();
    const step = {n: layers.length,
                  kept: layers.filter(r => before.has(r)).length,
                  paths: box.querySelectorAll('path.leaflet-interactive').length};
    if (p.mode === 'cells') {
      const fresh = L.featureGroup().addTo(map);
      zw.drawCells(fresh, zw.decodeCells(p));
      step.shapes = layers.map(shape).sort();
      step.fresh = fresh.getLayers().map(shape).sort();
      map.removeLayer(fresh);
    }
    out.push(step);
    before = new Set(layers);
  }
  done();
  return out;
}
