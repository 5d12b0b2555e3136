// The Map page's event layer on a map of its own, for the tests that draw payloads into
// it (tests/js/redraw_*.js). Defined once in the page by the zw fixture of
// tests/test_js_units.py: an 800 x 600 div added to the page, a Leaflet map in it on
// Syria, and zw.eventLayer on that map, which zw.eventView then draws into. done()
// removes the map, its div and the event layer's state (zw.live).
function eventMap() {
  const box = document.createElement('div');
  box.style.width = '800px'; box.style.height = '600px';
  document.body.appendChild(box);
  const map = L.map(box).setView([35, 38], 6);
  zw.eventLayer(map, {loading: '...'}).addTo(map);
  const done = () => { map.remove(); box.remove(); delete zw.live; };
  return {box, map, done};
}
