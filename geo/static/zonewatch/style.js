// How events and grid squares look: one radius formula, one colour ramp. The numbers come
// from Python (geo.colors.MAP_STYLE, as zw.config.style: see zw.configure).
(function () {
  'use strict';
  var zw = window.zw;
  zw.style = function () { return zw.config.style; };
  // An event's circle grows with its fatalities (best estimate), on a log scale, capped.
  zw.eventRadius = function (best) {
    var r = zw.style().radius;
    return r.base + Math.min(r.max, Math.log2(1 + (best || 0)));
  };
  // A grid square's colour: its count on a log scale against the busiest square in view.
  zw.cellColor = function (count, most) {
    var ramp = zw.style().ramp;
    var t = most > 1 ? Math.log(count) / Math.log(most) : 1;
    return ramp[Math.max(0, Math.min(ramp.length - 1, Math.floor(t * ramp.length)))];
  };
  // The few colours of the ramp the legend shows.
  zw.legendRamp = function () {
    var s = zw.style();
    return s.legendRamp.map(function (k) { return s.ramp[k]; });
  };
  zw.eventStyle = function (colour, best) {
    return {radius: zw.eventRadius(best), color: colour, weight: 0.6, fillColor: colour,
      fillOpacity: 0.4};
  };
})();
