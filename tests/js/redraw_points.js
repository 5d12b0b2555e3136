// tests/test_js_units.py::test_a_new_points_payload_redraws_only_the_events_that_changed:
// draw payload a, then b, on a map of its own; what was kept, and b drawn fresh.
([a, b]) => {
  const {box, map, done} = eventMap();  // tests/js/event_map.js
  const shape = m => { const ll = m.getLatLng(), o = m.options;
    return [o.zwFid, ll.lat, ll.lng, o.radius, o.fillColor, o.zwStart, o.zwEnd,
            m.getTooltip().getContent()].join('|'); };
  zw.eventView(a);
  const first = new Map(zw.live.group.getLayers().map(m => [m.options.zwFid, m]));
  zw.eventView(b);
  const layers = zw.live.group.getLayers();
  const fresh = L.featureGroup();
  zw.drawEvents(fresh, zw.decodePoints(b));
  const kept = layers.filter(m => first.get(m.options.zwFid) === m)
    .map(m => m.options.zwFid);
  const out = {kept: kept.sort((x, y) => x - y), n: layers.length,
          shapes: layers.map(shape).sort(),
          fresh: fresh.getLayers().map(shape).sort(),
          paths: box.querySelectorAll('path.leaflet-interactive').length};
  done();
  return out;
}
