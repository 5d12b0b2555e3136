// Playback: step through time; show the events of the 30 days up to the current day.
// Markers carry their first and last day (options.zwStart, zwEnd: days since 1970);
// reset() follows the group's markers after a redraw (no markers: no control).
(function () {
  'use strict';
  var zw = window.zw, el = zw.el;
  var WINDOW = 30;
  // Is an event of days [start, end) shown on day (null: no playback, all shown)?
  zw.playbackShows = function (start, end, day) {
    return day === null || (start <= day && end > day - WINDOW);
  };
  // The step of one tick (about 120 ticks from lo to hi) and the day after value.
  zw.playbackStep = function (lo, hi) { return Math.max(1, Math.round((hi - lo) / 120)); };
  zw.playbackNext = function (value, lo, hi) {
    return Math.min(hi, value + zw.playbackStep(lo, hi));
  };
  zw.playbackLabel = function (day) {
    return day === null ? 'All shown events'
      : 'Events of the ' + WINDOW + ' days to ' + zw.dateOf(day);
  };
  // The days a set of markers spans: [first start, last end].
  zw.playbackRange = function (markers) {
    var lo = Infinity, hi = -Infinity;
    markers.forEach(function (m) {
      lo = Math.min(lo, m.options.zwStart); hi = Math.max(hi, m.options.zwEnd);
    });
    return [lo, hi];
  };

  zw.playback = function (map, group) {
    var markers = [], shown = [], lo = 0, hi = 0;
    var ctl = L.control({position: 'topleft'}), timer = null, onMap = false;
    var box, slider, label, play;
    function show(day) {
      markers.forEach(function (m, k) {
        var on = zw.playbackShows(m.options.zwStart, m.options.zwEnd, day);
        if (shown[k] !== on) {
          shown[k] = on;
          // Out of the group, not made transparent: a hidden event cannot be hovered or
          // clicked (it comes back into the group when shown again).
          if (on) { group.addLayer(m); } else { group.removeLayer(m); }
        }
      });
      if (label) { label.textContent = zw.playbackLabel(day); }
    }
    function stop() {
      if (timer) { clearInterval(timer); timer = null; }
      if (play) { play.textContent = '▶'; }
    }
    ctl.onAdd = function () {
      box = el('div', null, 'zw-legend zw-playback');
      play = el('button', '▶'); play.type = 'button'; play.title = 'Play over time';
      var reset = el('button', '■'); reset.type = 'button'; reset.title = 'Show all';
      slider = el('input'); slider.type = 'range'; slider.min = lo; slider.max = hi;
      slider.step = 1; slider.value = lo; slider.title = 'Date';
      label = el('div', zw.playbackLabel(null));
      [play, reset, slider, label].forEach(function (x) { box.appendChild(x); });
      play.onclick = function () {
        if (timer) { stop(); return; }
        play.textContent = '❚❚';
        if (+slider.value >= hi) { slider.value = lo; }
        timer = setInterval(function () {
          var next = zw.playbackNext(+slider.value, lo, hi);
          slider.value = next; show(next);
          if (next >= hi) { stop(); }
        }, 250);
      };
      reset.onclick = function () { stop(); slider.value = lo; show(null); };
      slider.oninput = function () { stop(); show(+slider.value); };
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    function place() {
      var want = markers.length > 0 && map.hasLayer(group);
      if (want && !onMap) { ctl.addTo(map); onMap = true; }
      if (!want && onMap) { stop(); ctl.remove(); onMap = false; }
    }
    function reset() {
      stop();
      markers = []; shown = [];
      group.eachLayer(function (m) { if (m.options.zwStart !== undefined) markers.push(m); });
      var range = zw.playbackRange(markers);
      lo = range[0]; hi = range[1];
      if (slider) { slider.min = lo; slider.max = hi; slider.value = lo; }
      if (label) { label.textContent = zw.playbackLabel(null); }
      place();
    }
    group.on('add', function () { place(); });
    group.on('remove', function () { show(null); place(); });
    return {reset: reset, show: show};
  };
})();
