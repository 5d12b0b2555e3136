// Marks in every frame of the page for bench/map_trace.py: websocket messages, render
// messages, the redraw.
(() => {
  const T = window.__zwMarks = [];
  const mark = (k) => T.push([performance.timeOrigin + performance.now(), k]);
  let key = null, floor = null;
  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'streamlit:render') mark('iframe: render message'); });
  setInterval(() => {
    const k = window.zw && zw.live && zw.live.key;
    if (k && k !== key) { key = k; mark('iframe: map key changed (redrawn)'); }
    const f = document.querySelector('.zw-floor');
    if (f && f.textContent !== floor) {
      floor = f.textContent; mark('iframe: floor label changed');
    }
  }, 2);
  const WS = window.WebSocket;
  if (WS) {
    window.WebSocket = function (...a) {
      const w = new WS(...a);
      w.addEventListener('message', (e) => mark('page: websocket message ' +
        (e.data.byteLength || e.data.size || e.data.length) + ' B'));
      return w;
    };
    window.WebSocket.prototype = WS.prototype;
    Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  }
})();
