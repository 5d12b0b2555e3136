// The view in the page's address: centre and zoom ("view=lat,lon,zoom") and hidden layers
// ("hide=events,places"). Restored when the map opens, written when the user moves or
// toggles a layer; numbers and known names only. Never the online base map: a link must
// not make the browser fetch tiles before the user chooses them.
(function () {
  'use strict';
  var zw = window.zw;
  // What an address's query says: {hide: [known names], view: [lat, lon, zoom] or null}.
  zw.parseView = function (search, names) {
    var p = new URLSearchParams(search);
    var hide = (p.get('hide') || '').split(',').filter(function (k) {
      return names.indexOf(k) >= 0;
    });
    var v = (p.get('view') || '').split(',').map(Number);
    var ok = v.length === 3 && v.every(isFinite) && Math.abs(v[0]) <= 90 &&
      Math.abs(v[1]) <= 180;
    return {hide: hide, view: ok ? [v[0], v[1], Math.round(v[2])] : null};
  };
  // The query with this view written in (other parameters kept).
  zw.viewQuery = function (search, lat, lon, zoom, hidden) {
    var q = new URLSearchParams(search);
    q.set('view', [lat.toFixed(4), lon.toFixed(4), zoom].join(','));
    if (hidden.length) { q.set('hide', hidden.join(',')); } else { q.delete('hide'); }
    return q.toString();
  };
  zw.shareView = function (map, overlays) {
    var host;
    try { host = window.parent; void host.location.search; } catch (e) { return; }
    var names = Object.keys(overlays);
    var got = zw.parseView(host.location.search, names);
    got.hide.forEach(function (k) { map.removeLayer(overlays[k]); });
    if (got.view) { map.setView([got.view[0], got.view[1]], got.view[2]); }
    function write() {
      var c = map.getCenter();
      var off = names.filter(function (k) { return !map.hasLayer(overlays[k]); });
      var url = host.location.pathname + '?' +
        zw.viewQuery(host.location.search, c.lat, c.lng, map.getZoom(), off) +
        host.location.hash;
      try { host.history.replaceState(host.history.state, '', url); } catch (e) { /* sandboxed */ }
    }
    map.on('moveend overlayadd overlayremove', write);
  };
})();
