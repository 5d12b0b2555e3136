// A shapes layer's point at three zooms: a circle marker of the same size on the screen
// (tests/test_js_units.py).
data => {
  const div = document.createElement('div');
  div.style.cssText = 'width:600px;height:400px';
  document.body.appendChild(div);
  const map = L.map(div).setView([35, 38.6], 9);
  const group = zw.shapes(map, data);
  const dots = [], sizes = [];
  group.eachLayer(g => g.eachLayer(l => {
    const fixed = l instanceof L.CircleMarker && !(l instanceof L.Circle);
    if (l.getLatLng) { dots.push(fixed); }
  }));
  for (const z of [5, 9, 13]) {
    map.setView([35, 38.6], z, {animate: false});
    group.eachLayer(g => g.eachLayer(l => {
      if (l.getLatLng) { sizes.push(Math.round(l._path.getBBox().width)); }
    }));
}
  const area = group.getBounds().isValid();
  map.remove(); div.remove();
  return {dots, sizes, area, px: zw.DOT_PX};
}
