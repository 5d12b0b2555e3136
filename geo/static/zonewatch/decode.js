// Payload decoding: typed arrays sent as base64 (geo.aggregate) and the columns of a
// report map's events (geo.render.payloads.event_payload, text dictionary-encoded).
(function () {
  'use strict';
  var zw = window.zw;
  var DAY = 86400000;
  zw.DAY = DAY;
  // Little-endian bytes in base64 as a typed array of Type (Float32Array, Uint16Array...).
  zw.b64 = function (text, Type) {
    var bin = atob(text), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return new Type(bytes.buffer);
  };
  // Days since 1970-01-01 of a YYYY-MM-DD text (NaN when empty), and back.
  zw.dayOf = function (text) { return Date.parse(text) / DAY; };
  zw.dateOf = function (day) { return new Date(day * DAY).toISOString().slice(0, 10); };
  // The value of column col for event i: plain list or {codes, dict}.
  zw.column = function (cols, col, i) {
    var c = cols[col];
    if (c && c.dict) { return c.dict[c.codes[i]]; }
    return c[i];
  };
  // The Map page's points (zw.eventView, mode 'points') as plain arrays.
  zw.decodePoints = function (p) {
    var start = zw.b64(p.start, Int32Array), days = zw.b64(p.days, Uint16Array);
    var end = new Array(p.n);
    for (var i = 0; i < p.n; i++) { end[i] = start[i] + days[i]; }
    return {
      n: p.n,
      fid: zw.b64(p.fid, p.fid_bytes === 8 ? Float64Array : Uint32Array),
      lat: zw.b64(p.lat, Float32Array), lon: zw.b64(p.lon, Float32Array),
      start: start, end: end,
      type: zw.b64(p.type, Uint16Array), fat: zw.b64(p.fat, Uint16Array),
      colors: p.colors, types: p.types || []
    };
  };
  // A report map's events in the same shape (no fid: their details are in the data).
  zw.decodeColumns = function (data) {
    var n = data.n, start = new Array(n), end = new Array(n), fat = new Array(n);
    for (var i = 0; i < n; i++) {
      start[i] = zw.dayOf(zw.column(data.cols, 'date_start', i));
      end[i] = zw.dayOf(zw.column(data.cols, 'date_end', i));
      fat[i] = data.cols.fatalities_best[i] || 0;
    }
    return {n: n, fid: null, lat: data.lat, lon: data.lon, start: start, end: end,
      type: data.cols.event_type.codes, fat: fat, colors: data.colors};
  };
  // The grid squares (mode 'cells').
  zw.decodeCells = function (p) {
    return {n: p.n, ix: zw.b64(p.ix, Int32Array), iy: zw.b64(p.iy, Int32Array),
      count: zw.b64(p.count, Uint32Array), fat: zw.b64(p.fat, Uint32Array), size: p.size};
  };
})();
