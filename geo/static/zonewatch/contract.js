// The tooltip/click contract with the Map page (geo/render/contract.py is the other side):
// an event marker's tooltip is its id and first day, in the format Python gives in
// zw.config.tooltip; streamlit-folium returns the tooltip of the marker clicked, and the
// page reads the id back from it (numbers only: Leaflet sets a text tooltip as HTML).
(function () {
  'use strict';
  var zw = window.zw;
  zw.eventTooltip = function (fid, day) {
    var t = zw.config.tooltip;
    return t.prefix + String(fid) + t.sep + zw.dateOf(day);
  };
})();
