// The events: one renderer (zw.drawEvents) and one click handler (zw.onEventClick) for
// both kinds of event layer:
// - zw.events: a report map, every event in the page with its details (columns);
// - zw.eventLayer + zw.eventView: the Map page, where the server sends what to draw for
//   the current view (events as typed arrays, or grid squares) and an event's details
//   only when it is clicked (see contract.js).
(function () {
  'use strict';
  var zw = window.zw, el = zw.el;

  // Events (as zw.decodePoints or zw.decodeColumns give them) as circles in group.
  // Markers carry their index, first and last day (days since 1970) and, on the Map
  // page, their id, which their tooltip also holds (zw.eventTooltip).
  zw.drawEvents = function (group, ev) {
    for (var i = 0; i < ev.n; i++) { group.addLayer(eventMarker(ev, i)); }
  };
  function eventMarker(ev, i) {
    var opts = zw.eventStyle(ev.colors[ev.type[i]], ev.fat[i]);
    opts.zwKind = 'event'; opts.zwIndex = i;
    opts.zwStart = ev.start[i]; opts.zwEnd = ev.end[i];
    if (ev.fid) { opts.zwFid = ev.fid[i]; opts.zwType = ev.types[ev.type[i]]; }
    var m = L.circleMarker([ev.lat[i], ev.lon[i]], opts);
    if (ev.fid) { m.bindTooltip(zw.eventTooltip(ev.fid[i], ev.start[i], ev.types[ev.type[i]])); }
    return m;
  }
  // Is marker m (of the same id) event i of ev, drawn as it would be drawn now: place,
  // style, days and label (the tooltip, made of the id, the first day and the type)?
  function sameEvent(m, ev, i) {
    var o = m.options, ll = m.getLatLng();
    return ll.lat === ev.lat[i] && ll.lng === ev.lon[i] && o.zwStart === ev.start[i] &&
      o.zwEnd === ev.end[i] && o.fillColor === ev.colors[ev.type[i]] &&
      o.zwType === ev.types[ev.type[i]] && o.radius === zw.eventRadius(ev.fat[i]);
  }
  // The Map page's points after a new payload (ev, with ids), keeping the markers of the
  // events drawn already (byFid: id -> marker): those no longer sent leave the group, the
  // new ones are added, and the rest stay as they are. A date change that keeps most
  // events then touches only the others, where drawing every circle again took most of
  // the change at 10,000 events. The group ends with exactly the markers zw.drawEvents
  // would draw. Returns the new byFid.
  zw.updateEvents = function (group, ev, byFid) {
    var next = new Map(), i, m;
    for (i = 0; i < ev.n; i++) { next.set(ev.fid[i], i); }
    if (next.size !== ev.n) { byFid = null; }  // an id twice: no reuse by id
    if (byFid) {
      byFid.forEach(function (mk, fid) {
        var j = next.get(fid);
        if (j === undefined || !sameEvent(mk, ev, j)) { group.removeLayer(mk); byFid.delete(fid); }
      });
    } else {
      group.clearLayers();
    }
    var kept = new Map();
    for (i = 0; i < ev.n; i++) {
      m = byFid && byFid.get(ev.fid[i]);
      if (m) { m.options.zwIndex = i; } else { m = eventMarker(ev, i); group.addLayer(m); }
      kept.set(ev.fid[i], m);
    }
    return kept;
  };
  // Grid squares (zw.decodeCells): coloured by count, a tooltip with the figures.
  zw.drawCells = function (group, c) {
    var most = mostOf(c);
    for (var i = 0; i < c.n; i++) { group.addLayer(cellSquare(c, i, most)); }
  };
  function mostOf(c) {
    var most = 1;
    for (var i = 0; i < c.n; i++) { most = Math.max(most, c.count[i]); }
    return most;
  }
  function cellLabel(c, i) {
    return zw.count(c.count[i], 'event') + ', ' +
      zw.count(c.fat[i], 'fatality', 'fatalities') + ' · click to zoom in';
  }
  function cellSquare(c, i, most) {
    var w = c.ix[i] * c.size - 180, s = c.iy[i] * c.size - 90;
    var r = L.rectangle([[s, w], [s + c.size, w + c.size]], {
      color: '#7a1f00', weight: 0.5, fillColor: zw.cellColor(c.count[i], most),
      fillOpacity: 0.5, zwKind: 'cell', zwCount: c.count[i], zwFatalities: c.fat[i]
    });
    r.bindTooltip(cellLabel(c, i));
    return r;
  }
  // The Map page's squares after a new payload (c), keeping the squares drawn already
  // (byCell: size|ix|iy -> square): those no longer sent leave the group, the new ones are
  // added, and the rest only take their new colour, figures and label. A date change on
  // the whole country keeps nearly every square, where making every square again was most
  // of the map's own script on a redraw at a million events (zw.drawCells about 10 of the
  // 14 ms of zw.eventView, in a CPU profile). The group ends with squares drawn exactly as
  // zw.drawCells draws them. byCell null: the group holds something else (points),
  // cleared first. Returns the new byCell.
  zw.updateCells = function (group, c, byCell) {
    var most = mostOf(c), next = new Map(), i, r, color, label;
    if (!byCell) { group.clearLayers(); byCell = new Map(); }
    for (i = 0; i < c.n; i++) { next.set(c.size + '|' + c.ix[i] + '|' + c.iy[i], i); }
    byCell.forEach(function (sq, k) {
      if (!next.has(k)) { group.removeLayer(sq); }
    });
    var kept = new Map();
    next.forEach(function (j, k) {
      r = byCell.get(k);
      if (!r) {
        r = cellSquare(c, j, most);
        group.addLayer(r);
      } else {
        color = zw.cellColor(c.count[j], most);
        if (r.options.fillColor !== color) { r.setStyle({fillColor: color}); }
        r.options.zwCount = c.count[j];
        r.options.zwFatalities = c.fat[j];
        label = cellLabel(c, j);
        if (r.getTooltip().getContent() !== label) { r.setTooltipContent(label); }
      }
      kept.set(k, r);
    });
    return kept;
  };
  // A click on a grid square zooms to it; a click on an event opens a popup at it, whose
  // content fill(marker, popup) sets.
  zw.onEventClick = function (map, group, fill) {
    group.on('click', function (e) {
      var m = e.layer;
      if (m.options.zwKind === 'cell') {
        map.fitBounds(m.getBounds());
      } else if (m.options.zwKind === 'event') {
        // minWidth: the card's cells may wrap anywhere, so its natural width is narrow
        var popup = L.popup({maxWidth: 360, minWidth: 320}).setLatLng(m.getLatLng());
        fill(m, popup);
        popup.openOn(map);
      }
    });
  };

  // A report map's events: all of them, with their details in the page.
  zw.events = function (map, data) {
    var group = L.featureGroup();
    zw.drawEvents(group, zw.decodeColumns(data));
    zw.onEventClick(map, group, function (m, popup) {
      var i = m.options.zwIndex;
      var rows = data.fields.map(function (f) {
        var v = f[0] === 'latitude' ? data.lat[i] : f[0] === 'longitude' ? data.lon[i]
          : zw.column(data.cols, f[0], i);
        return [f[1], v, f[0] === 'source_url' ? 'url' : null];
      });
      rows.push(['Attribution', data.attribution[zw.column(data.cols, 'dataset', i)] || '']);
      var title = zw.column(data.cols, 'event_type', i) + ', ' +
        zw.column(data.cols, 'date_start', i);
      popup.setContent(zw.card(title, rows));
    });
    zw.playback(map, group).reset();
    return group;
  };

  // The Map page's event layer: one group, kept for the life of the map.
  zw.eventLayer = function (map, data) {
    var group = L.featureGroup();
    var live = zw.live = {map: map, group: group, key: null, pending: null, popup: null,
      playback: zw.playback(map, group), loading: data.loading};
    zw.onEventClick(map, group, function (m, popup) {
      var last = live.detail;
      if (last && last.fid === m.options.zwFid) {
        popup.setContent(zw.card(last.title, last.rows));  // clicked again: known already
      } else {
        live.pending = m.options.zwFid;
        popup.setContent(zw.message(data.loading));
      }
      popup.on('remove', function () {  // closed before its details came: forget them
        if (live.popup === popup) { live.pending = null; live.popup = null; }
      });
      live.popup = popup;
    });
    return group;
  };
  // What the event layer shows for the current view; p.key changes when it differs.
  zw.eventView = function (p) {
    var live = zw.live;
    if (!live) { return; }
    if (live.key !== p.key) {
      live.key = p.key;
      live.playback.show(null);  // every marker back in the group first
      if (p.mode === 'points') {
        live.byCell = null;  // (squares drawn last: byFid is null, the group is cleared)
        live.byFid = zw.updateEvents(live.group, zw.decodePoints(p), live.byFid);
      } else {
        if (live.byFid) { live.byFid = null; live.byCell = null; }  // points: cleared first
        live.byCell = zw.updateCells(live.group, zw.decodeCells(p), live.byCell);
      }
      if (zw.showCellsLegend) { zw.showCellsLegend(live.map, p.mode !== 'points'); }
      live.playback.reset();
    }
    // Entering the per-view mode (too many events to send all): report the view now, so
    // the page draws this view rather than the one it last knew of.
    if (p.region && !live.region) {
      setTimeout(function () { live.map.fire('moveend'); }, 0);
    }
    live.region = p.region;
    var d = p.detail;
    live.detail = d && !d.missing ? d : null;
    if (d && live.pending === d.fid && live.popup && live.map.hasLayer(live.popup)) {
      live.pending = null;
      live.popup.setContent(d.missing ? zw.message(d.missing) : zw.card(d.title, d.rows));
    }
  };
})();
