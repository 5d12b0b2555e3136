// The tooltip/click contract with the Map page (geo/render/contract.py is the other side):
// an event marker's tooltip shows its type and first day; its id follows in a hidden span,
// in the format Python gives in zw.config.tooltip. streamlit-folium returns the text of
// the tooltip of the marker clicked (hidden part included), and the page reads the id back
// from it. Leaflet sets a text tooltip as HTML: the type (from the data) is escaped.
(function () {
  'use strict';
  var zw = window.zw;
  // Text as HTML text: its markup characters as entities (the tests check it shows as is).
  function escaped(text) {
    return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }
  zw.eventTooltip = function (fid, day, type) {
    var t = zw.config.tooltip;
    return escaped(type || t.unnamed) + t.sep + zw.dateOf(day) +
      '<span hidden>' + t.id + String(fid) + '</span>';
  };
})();
