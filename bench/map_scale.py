"""Benchmark: the Map page with 10,000, 100,000 and 1,000,000 events, against the plain
approaches (one folium Marker per event; leafmap's ``add_points_from_xy``).

    make bench                      # all three sizes, writes BENCHMARKS.md
    uv run --locked --group bench python bench/map_scale.py --sizes 10000 --out /tmp/b.md

For each size it generates synthetic UCDP-format events inside Syria (real UCDP positions
with a few km of jitter, kept only when inside the OCHA outline; random dates 2016-2019),
imports them into a new GeoPackage store with ``zonewatch import-events`` (timed), and then
measures, in this run and on this machine:

- server build: the time to produce what the browser is sent (peers: build and render the
  HTML; ZoneWatch: the Python the Map page runs per rerun on a date change (its map
  fragment), as the CPU time of the thread that runs it, and within it the filter +
  aggregate + event layer for one view; and the one-off index load);
- bytes to the browser for the first map and per update (peers: the HTML, since a static
  map is rebuilt to change; ZoneWatch: the websocket frames and message fetches of the
  page, not the static JavaScript files a browser caches);
- map ready: navigation until the map is drawn in headless Chromium (median of 3); for
  ZoneWatch also from the page's load event (Streamlit's own page takes about a second
  and a half to start before any map can be drawn) and from a just-started server;
- date-filter change to updated map (peers: rebuild with the filtered events and reload;
  ZoneWatch: type new dates in the running app until the map has redrawn; median of 3);
- peak memory (peers: the building process; ZoneWatch: the app's server process, VmHWM);
- the floor (``bench/floor_app.py``, once per run): an empty Streamlit page with one
  streamlit-folium map whose feature group a date input changes, measured the same way,
  so the app's map ready and date change are also given as multiples of it.

Peers that would run past ``--cap`` seconds are stopped (or, at 1M, skipped when 100k
already took more than a tenth of the cap) and shown as such. No internet is used: Leaflet
and Leaflet.markercluster come from local packages; Leaflet.awesome-markers (leafmap's
icons) has no offline package, so its icon call is stood in for by Leaflet's default icon,
which only makes the peer lighter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from headless_chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (shared with the tests)

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
FIRST, LAST = "2016-01-01", "2019-12-31"
#: The date-filter changes measured (start, end): the start date moved, as a user would.
#: (The end date stays: the map draws the zones as of the end date, and a change of zones
#: makes a new map, which costs a second more; that is a zone change, not a filter change.)
CHANGES = [("2016-07-01", LAST), ("2017-01-01", LAST), ("2017-07-01", LAST)]
#: The date changes of the Map script's Python per rerun: nine, each a filter not seen
#: before (the start moved month by month), so no rerun finds its answer cached.
RERUN_CHANGES = [(f"2016-{month:02d}-01", LAST) for month in range(2, 11)]


#: Peak memory of the process, read in a child: VmHWM starts afresh at exec, while
#: getrusage's ru_maxrss keeps the forking parent's peak (here, the generated events).
HWM = (
    "int(next(ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')).split()[1]) / 1024"
)


# --- data ------------------------------------------------------------------------------


def generate(
    n: int, path: Path, seed: int = 6, first_id: int = 0, append: bool = False
) -> pd.DataFrame:
    """n UCDP-format events inside Syria, written to ``path`` (added to its end, without a
    header, when ``append``; ids from ``900_000_000 + first_id``); returns the frame."""
    import geopandas as gpd
    import shapely

    real = pd.read_csv(ROOT / "data/ucdp/ged_syria.csv", dtype=str, keep_default_na=False)
    outline = gpd.read_file(ROOT / "data/ocha/syr_admin0.shp").to_crs(4326).union_all()
    rng = np.random.default_rng(seed)
    parts, have = [], 0
    while have < n:
        rows = real.iloc[rng.integers(0, len(real), n)].reset_index(drop=True)
        lat = rows["latitude"].astype(float) + rng.normal(0, 0.03, len(rows))
        lon = rows["longitude"].astype(float) + rng.normal(0, 0.03, len(rows))
        inside = shapely.contains_xy(outline, lon.to_numpy(), lat.to_numpy())
        rows, lat, lon = rows[inside], lat[inside], lon[inside]
        rows = rows.assign(latitude=lat.round(6).astype(str), longitude=lon.round(6).astype(str))
        parts.append(rows)
        have += len(rows)
    df = pd.concat(parts, ignore_index=True).iloc[:n].copy()
    days = pd.Timestamp(FIRST) + pd.to_timedelta(rng.integers(0, 1461, n), unit="D")
    day = days.strftime("%Y-%m-%d")
    deaths = rng.geometric(0.35, (n, 4)) - 1
    df["id"] = (900_000_000 + first_id + np.arange(n)).astype(str)
    df["year"] = days.year.astype(str)
    df["date_start"] = day
    df["date_end"] = day
    df["source_date"] = day
    for i, col in enumerate(("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")):
        df[col] = deaths[:, i].astype(str)
    best = deaths.sum(axis=1)
    df["best"] = df["low"] = best.astype(str)
    df["high"] = (best + 2).astype(str)
    df["geom_wkt"] = "POINT (" + df["longitude"] + " " + df["latitude"] + ")"
    df.to_csv(path, index=False, mode="a" if append else "w", header=not append)
    return pd.DataFrame(
        {
            "latitude": df["latitude"].astype(float),
            "longitude": df["longitude"].astype(float),
            "date": day,
            "type": df["type_of_violence"].map(
                {"1": "State-based conflict", "2": "Non-state conflict", "3": "One-sided violence"}
            ),
            "fatalities": best,
            "where": df["where_coordinates"],
        }
    )


#: Events generated at a time by :func:`generate_large` (memory stays one block's).
BLOCK = 1_000_000


def generate_large(n: int, path: Path, seed: int = 6) -> None:
    """n events as :func:`generate` writes them, generated and written a block at a time
    (ten million at once would hold tens of GB of text); the first block is the one
    ``generate(BLOCK, path, seed)`` writes, each next block has the next seed and ids."""
    for i, first in enumerate(range(0, n, BLOCK)):
        generate(min(BLOCK, n - first), path, seed + i, first_id=first, append=i > 0)
        print(f"generated {min(n, first + BLOCK):,} of {n:,} events", flush=True)


def import_store(csv: Path, store: Path) -> dict:
    """``zonewatch import-events`` into a new store: seconds (import only) and peak MB."""
    env = {**os.environ, "ZONEWATCH_STORE": str(store), "ZONEWATCH_MAX_UPLOAD_MB": "4000"}
    env.pop("DATABASE_URL", None)
    code = (
        "import sys, time, json\n"
        "from geo.store import open_store\n"
        "from geo.cli import main\n"
        "open_store()\n"  # the first start fills the store from data/ (not timed)
        "t = time.perf_counter()\n"
        "rc = main(['import-events', '--format', 'ucdp', sys.argv[1]])\n"
        "print(json.dumps({'rc': rc, 'seconds': time.perf_counter() - t,"
        f" 'peak_mb': {HWM}}}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(csv)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- peers -----------------------------------------------------------------------------

PEER = r"""
import json, sys, time
import pandas as pd
kind, src, out, limit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
df = pd.read_parquet(src)
if limit != "-":
    df = df[df["date"] >= limit]
t = time.perf_counter()
if kind == "folium":
    import folium
    m = folium.Map(location=[35, 38.5], zoom_start=7, max_zoom=14)
    for r in df.itertuples(index=False):
        folium.Marker([r.latitude, r.longitude],
                      popup=f"{r.type}, {r.date}: {r.fatalities} killed ({r.where})").add_to(m)
else:
    import leafmap.foliumap as leafmap
    m = leafmap.Map(center=[35, 38.5], zoom=7, draw_control=False, measure_control=False,
                    fullscreen_control=False, attribution_control=True)
    m.add_points_from_xy(df, x="longitude", y="latitude", popup=["type", "date", "fatalities"])
html = m.get_root().render()
Path = __import__("pathlib").Path
Path(out).write_text(html, encoding="utf-8")
HWM = int(next(ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")).split()[1]) / 1024
print(json.dumps({"seconds": time.perf_counter() - t, "bytes": len(html.encode()),
                  "n": len(df),
                  "peak_mb": HWM}))
"""


def build_peer(kind: str, events: Path, out: Path, limit: str, cap: float) -> dict:
    try:
        res = subprocess.run(
            [sys.executable, "-c", PEER, kind, str(events), str(out), limit],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=cap,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"build > {cap:.0f} s (stopped)"}
    if res.returncode != 0:
        return {"error": "build failed: " + res.stderr.strip().splitlines()[-1][:200]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def _local_assets() -> dict[str, Path]:
    """CDN file names a folium page asks for, mapped to local copies."""
    import xstatic.pkg.leaflet as xl
    import xstatic.pkg.leaflet_markercluster as xm

    base, mc = Path(xl.BASE_DIR), Path(xm.BASE_DIR)
    return {
        "leaflet.js": base / "leaflet.js",
        "leaflet.css": base / "leaflet.css",
        "leaflet.markercluster.js": mc / "leaflet.markercluster.js",
        "MarkerCluster.css": mc / "MarkerCluster.css",
        "MarkerCluster.Default.css": mc / "MarkerCluster.Default.css",
        "marker-icon.png": base / "images/marker-icon.png",
        "marker-icon-2x.png": base / "images/marker-icon-2x.png",
        "marker-shadow.png": base / "images/marker-shadow.png",
    }


# Leaflet.awesome-markers is not packaged for offline use: its icon becomes the default one.
AWESOME_SHIM = "L.AwesomeMarkers={icon:function(){return new L.Icon.Default();}};"


def _serve_offline(page, assets: dict[str, Path]) -> None:
    def handle(route):
        url = route.request.url
        name = url.rsplit("/", 1)[-1].split("?")[0]
        if url.startswith("http://127.0.0.1"):
            route.continue_()
        elif name in assets:
            kind = (
                "text/css"
                if name.endswith(".css")
                else ("image/png" if name.endswith(".png") else "application/javascript")
            )
            route.fulfill(body=assets[name].read_bytes(), content_type=kind)
        elif "awesome-markers" in url and name.endswith(".js"):
            route.fulfill(body=AWESOME_SHIM, content_type="application/javascript")
        else:
            route.abort()  # tiles, fonts, bootstrap, jquery: no internet here

    page.route("**/*", handle)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_dir(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def peer_ready(browser, url: str, cap: float) -> float | str:
    """Seconds from navigation until a static folium page has run its scripts and painted."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 950})
    page = ctx.new_page()
    _serve_offline(page, _local_assets())
    t = time.perf_counter()
    try:
        page.goto(url, wait_until="load", timeout=cap * 1000)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(1)))")
        ok = page.evaluate(
            "() => { const k = Object.keys(window).find(k => k.startsWith('map_'));"
            " return !!(k && window[k] && window[k].getCenter); }"
        )
        took = time.perf_counter() - t
        return took if ok else "map did not start"
    except Exception as exc:  # a timeout or a crashed tab: the peer did not make it
        return f"not ready in {cap:.0f} s" if "Timeout" in str(exc) else f"failed ({exc})"[:60]
    finally:
        ctx.close()


# --- ZoneWatch -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(store: Path | str | None, script: str = "app.py") -> tuple[subprocess.Popen, str]:
    """``streamlit run`` of ``script`` on the GeoPackage ``store``, or on the PostGIS
    database whose URL ``store`` is (``postgresql+psycopg://...``)."""
    env = {**os.environ, "ZONEWATCH_STORE": str(store or "")}
    env.pop("DATABASE_URL", None)
    if str(store or "").startswith("postgresql"):
        env["DATABASE_URL"] = str(store)
        env.pop("ZONEWATCH_STORE")
    env["PYTHONPATH"] = str(ROOT)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         # a source file edited during a run would leave Streamlit's "Rerun?" prompt up,
         # which the pages' timing reads as a run that never ends
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return proc, wait_healthy(proc, port, 200, "the app did not start")


def wait_healthy(proc, port: int, tries: int, failure: str) -> str:
    """The app's address once it answers its health check (``tries`` checks 0.3 s apart);
    else ``proc`` is killed and the run ends saying ``failure``."""
    url = f"http://127.0.0.1:{port}"
    for _ in range(tries):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(failure)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class AppPage:
    """One browser page on the app, counting the bytes the page's data costs."""

    def __init__(self, browser, url: str):
        self.ctx = browser.new_context(viewport={"width": 1400, "height": 950})
        self.page = self.ctx.new_page()
        self.bytes = 0
        self.page.on("websocket", self._ws)
        self.page.on("response", self._response)
        self.t0 = time.perf_counter()
        self.page.goto(url)  # returns at the page's load event
        self.loaded = time.perf_counter()

    def _ws(self, ws):
        ws.on("framereceived", lambda payload: self._add(len(payload)))

    def _add(self, n: int) -> None:
        self.bytes += n

    def _response(self, resp):
        if "/_stcore/message" in resp.url:  # large messages Streamlit fetches by hash
            try:
                self._add(len(resp.body()))
            except Exception:
                pass

    def frame(self):
        handle = self.page.wait_for_selector(MAP_IFRAME, timeout=120_000)
        return handle.content_frame()

    def key(self, timeout: float = 120) -> str:
        """The key of what the map has drawn, once it has drawn something."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                k = self.frame().evaluate("() => window.zw && zw.live && zw.live.key")
                if k:
                    return k
            except Exception:
                pass
            time.sleep(0.02)
        raise SystemExit("the map did not draw")

    def wait_new_key(self, old: str, timeout: float = 120) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            k = self.key()
            if k != old:
                return k
            time.sleep(0.02)
        raise SystemExit("the map did not change")

    def settle(self, quiet: float = 2.0, timeout: float = 120) -> str:
        """Wait until the page has stopped running and the map's key has held for ``quiet``
        seconds (after a load, the map reports its view once, which reruns the page)."""
        deadline = time.time() + timeout
        key, since = self.key(), time.time()
        while time.time() < deadline:
            time.sleep(0.2)
            running = self.page.locator('[data-testid="stStatusWidget"]').count() > 0
            now = self.key()
            if now != key or running:
                key, since = now, time.time()
            elif time.time() - since >= quiet:
                return key
        return key

    def set_dates(self, start: str, end: str) -> float:
        """Type a date range; returns the time of the commit (blur), the change's start."""
        for which, value in (("start", start), ("end", end)):
            y, m, d = value.split("-")
            for part, text in (("year", y), ("month", m), ("day", d)):
                seg = self.page.get_by_role("spinbutton", name=f"{part}, Event dates {which} date")
                seg.click()
                self.page.keyboard.type(text)
        t = time.perf_counter()
        self.page.get_by_role("heading", name="ZoneWatch").click()
        return t

    def close(self):
        self.ctx.close()


def server_build(store: Path) -> dict:
    """In a fresh process: the index load (once per data version), then one update's work
    (filter, aggregate for the start view, event layer script), as the page does it; and
    the whole Map script's Python per rerun (:func:`script_rerun`)."""
    code = r"""
import json, resource, sys, time, datetime as dt
from geo.store.gpkg import GeoPackageStore
from geo.eventindex import EventIndex
from geo.filters import EventFilter
from geo.aggregate import View, event_view
from geo.render import MapLayers, build_map, event_view_group, event_types_legend
from geo import zones as Z
from views.livemap import feature_group_script, map_parts
s = GeoPackageStore.open(sys.argv[1], seed=False)
t = time.perf_counter(); index = EventIndex.from_frame(s.event_columns())
load = time.perf_counter() - t
ly = dict(zones=Z.in_force(s.zone_versions(), dt.date(2019, 12, 31)), places=s.places(),
          admin0=s.admin(0), admin1=s.admin(1))
summary = s.event_summary()
runs = []
for end in ("2019-06-30", "2019-05-31", "2019-04-30"):
    t = time.thread_time()  # CPU time: other work on the machine does not count
    flt = EventFilter(start=dt.date(2016, 1, 1), end=dt.date.fromisoformat(end),
                      types=summary.types)
    mask = index.mask(flt)
    colors = dict(event_types_legend(list(summary.types)))
    shown = event_view(index, mask, View(35.6, 32.3, 42.4, 37.35, 7),
                       [colors[t] for t in index.types])
    if not runs:  # as the page: the map made and turned into script once (views.livemap)
        m = build_map(MapLayers(events=None, event_attribution={}, place_attribution="GeoNames",
                                **ly), all_types=list(summary.types), share_view=True,
                      live_events=True, cache_key="bench")
        script = map_parts(m)["script"]
    group = feature_group_script(event_view_group(shown.payload))
    runs.append(time.thread_time() - t)
print(json.dumps({"load": load, "update": sorted(runs)[1], "index_mb": index.nbytes / 2**20,
                  "mode": shown.mode, "payload_bytes": len(group), "map_bytes": len(script)}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code, str(store)], cwd=ROOT, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    got = json.loads(out.stdout.strip().splitlines()[-1])
    got.update(script_rerun(store))
    return got


def script_rerun(store: Path) -> dict:
    """In a fresh process: the Map page's whole script (``app.py``, run by Streamlit's
    AppTest on ``store``), its Python per rerun when the date filter changes (which reruns
    the page's map fragment, ``views/map.py``): the CPU time of the thread that runs the
    script, median of the nine :data:`RERUN_CHANGES` (CPU time, so that other work on the
    machine counts less)."""
    code = r"""
import json, sys, time, datetime as dt
from streamlit.testing.v1 import AppTest
from streamlit.runtime.scriptrunner import script_runner as SR
cpu = []
real = SR.ScriptRunner._run_script
def timed(self, *args, **kwargs):
    t = time.thread_time()
    try:
        return real(self, *args, **kwargs)
    finally:
        cpu.append(time.thread_time() - t)
SR.ScriptRunner._run_script = timed
at = AppTest.from_file(sys.argv[1], default_timeout=900)
at.run(); at.run()  # the index read once; then a rerun with it
runs = []
for start, end in json.loads(sys.argv[2]):
    at.run()  # the whole page in AppTest's tree: the change below reruns the map's part only
    at.date_input(key="dates").set_value((dt.date.fromisoformat(start),
                                          dt.date.fromisoformat(end)))
    at.run()
    assert not at.exception, at.exception
    runs.append(cpu[-1])
print(json.dumps({"first_run": cpu[0], "rerun": sorted(runs)[len(runs) // 2]}))
"""
    env = {**os.environ, "ZONEWATCH_STORE": str(store), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "app.py"), json.dumps(RERUN_CHANGES)], cwd=ROOT,
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_floor(browser, tmp: Path) -> dict:
    """The floor (``bench/floor_app.py``): first map from navigation and date change to
    redrawn map, measured as the app's are (median of 3)."""
    folder = tmp / "floor"
    folder.mkdir(exist_ok=True)
    (folder / "floor_app.py").write_text((ROOT / "bench/floor_app.py").read_text())
    if not (folder / "static").exists():
        (folder / "static").symlink_to(ROOT / "static")
    proc, url = start_app(None, str(folder / "floor_app.py"))

    def label(p: AppPage) -> str:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                got = p.frame().evaluate(
                    "() => { const e = document.querySelector('.zw-floor');"
                    " return e ? e.textContent : ''; }"
                )
                if got:
                    return got
            except Exception:
                pass
            time.sleep(0.02)
        raise SystemExit("the floor's map did not draw")

    try:
        AppPage(browser, url).close()  # a first visit, as for the app
        ready = []
        for _ in range(3):
            p = AppPage(browser, url)
            label(p)
            ready.append(time.perf_counter() - p.t0)
            p.close()
        p = AppPage(browser, url)
        changes = []
        for start, end in CHANGES:
            old = label(p)
            time.sleep(1.0)
            t = p.set_dates(start, end)
            while label(p) == old:
                time.sleep(0.01)
            changes.append(time.perf_counter() - t)
        p.close()
        return {"ready": statistics.median(ready), "change": statistics.median(changes),
                "peak_mb": peak_rss_mb(proc.pid)}  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def measure_zonewatch(browser, store: Path) -> dict:
    proc, url = start_app(store)
    try:
        cold = AppPage(browser, url)  # the first visit after start: reads the index
        cold.key()
        cold_s = time.perf_counter() - cold.t0
        cold.close()
        ready, after_load, first_bytes = [], [], []
        for _ in range(3):
            p = AppPage(browser, url)
            p.key()
            ready.append(time.perf_counter() - p.t0)
            after_load.append(time.perf_counter() - p.loaded)
            p.settle()  # (the map reports its view once, which may redraw it)
            first_bytes.append(p.bytes)
            p.close()
        p = AppPage(browser, url)
        changes, change_bytes = [], []
        for start, end in CHANGES:
            key = p.settle()
            before = p.bytes
            t = p.set_dates(start, end)
            key = p.wait_new_key(key)
            changes.append(time.perf_counter() - t)
            p.settle()
            change_bytes.append(p.bytes - before)
        # a zoom into Idlib: only the event layer of the new view is sent
        key = p.settle()
        before = p.bytes
        t = time.perf_counter()
        every = p.frame().evaluate("() => !zw.live.region")  # all selected events are drawn
        p.frame().evaluate("() => { window.map.setView([35.8, 36.6], 10); return 1; }")
        if every:
            zoom_s = "nothing to fetch (every selected event is on the map)"
        else:
            key = p.wait_new_key(key)
            zoom_s = time.perf_counter() - t
        p.settle()
        zoom_bytes = p.bytes - before
        mode = p.frame().evaluate(
            "() => { let c = 0, e = 0; zw.live.group.eachLayer(l => l.options.zwKind === 'cell'"
            " ? c++ : e++); return c ? c + ' cells' : e + ' points'; }"
        )
        p.close()
        return {
            "cold": cold_s,
            "ready": statistics.median(ready),
            "after_load": statistics.median(after_load),
            "first_bytes": statistics.median(first_bytes),
            "change": statistics.median(changes),
            "change_bytes": max(change_bytes),
            "zoom": zoom_s,
            "zoom_bytes": zoom_bytes,
            "zoom_mode": mode,
            "peak_mb": peak_rss_mb(proc.pid),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --- report ----------------------------------------------------------------------------


def _mb(n) -> str:
    return f"{n / 1e6:,.2f} MB" if isinstance(n, (int, float)) else str(n)


def _s(x) -> str:
    return f"{x:,.2f} s" if isinstance(x, (int, float)) else str(x)


def machine() -> str:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if "model name" in ln), "?"
    )
    mem = next(ln.split()[1] for ln in open("/proc/meminfo") if ln.startswith("MemTotal"))
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(mem) / 2**20:.1f} GB RAM, "
        f"{platform.platform()}, Python {platform.python_version()}, {chromium.strip()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--cap", type=float, default=300.0, help="seconds allowed per peer step")
    ap.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    ap.add_argument("--no-peers", action="store_true", help="measure ZoneWatch and the floor only")
    ap.add_argument("--no-pages", action="store_true", help="the map only, not every page")
    ap.add_argument(
        "--generate", metavar="CSV", help="only write --sizes events (one size) to CSV, in blocks"
    )
    args = ap.parse_args()
    if args.generate:
        generate_large(int(args.sizes), Path(args.generate))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    from pages_scale import measure_pages
    from pages_scale import table as pages_table
    from playwright.sync_api import sync_playwright

    rows, notes = [], []
    pages: dict[int, dict] = {}
    started = time.time()
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="zw-bench-") as tmp, sync_playwright() as pw:
        tmp = Path(tmp)
        httpd, base = serve_dir(tmp)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        slow: dict[str, float] = {}
        floor = measure_floor(browser, tmp)
        print(f"floor: {floor}", flush=True)
        rows.append((
            "any", "floor: an empty Streamlit page with one `st_folium` map (bench/floor_app.py)",
            "", "", f"{_s(floor['ready'])} from navigation", _s(floor["change"]), "",
            f"{floor['peak_mb']:,.0f} MB",
        ))  # fmt: skip
        for n in sizes:
            print(f"\n== {n:,} events", flush=True)
            csv = tmp / f"ucdp_{n}.csv"
            events = generate(n, csv)
            parquet = tmp / f"events_{n}.parquet"
            events.to_parquet(parquet)
            store = tmp / f"store_{n}.gpkg"
            imp = import_store(csv, store)
            print(f"import: {imp}", flush=True)
            notes.append(
                f"{n:,} events: CSV {csv.stat().st_size / 1e6:,.0f} MB; `zonewatch import-events`"
                f" took {imp['seconds']:,.1f} s, peak memory {imp['peak_mb']:,.0f} MB."
            )
            for kind, label in (("folium", "folium, one Marker per event"),
                                ("leafmap", "leafmap add_points_from_xy")):  # fmt: skip
                if args.no_peers:
                    continue
                if kind in slow and slow[kind] * n / 100_000 > args.cap:
                    why = f"skipped: 100,000 took {slow[kind]:,.0f} s to build"
                    rows.append((n, label, why, "", "", "", "", ""))
                    continue
                first = build_peer(kind, parquet, tmp / f"{kind}_{n}.html", "-", args.cap)
                print(f"{kind} build: {first}", flush=True)
                if "error" in first:
                    rows.append((n, label, first["error"], "", "", "", "", ""))
                    slow[kind] = args.cap
                    continue
                if n == 100_000:
                    slow[kind] = first["seconds"]
                ready = [peer_ready(browser, f"{base}/{kind}_{n}.html", args.cap)
                         for _ in range(1 if n >= 100_000 else 3)]  # fmt: skip
                ok = [r for r in ready if isinstance(r, float)]
                ready_s = statistics.median(ok) if ok else ready[0]
                again = build_peer(kind, parquet, tmp / f"{kind}_{n}_f.html", CHANGES[0][0],
                                   args.cap)  # fmt: skip
                if "error" in again:
                    change = again["error"]
                else:
                    load = peer_ready(browser, f"{base}/{kind}_{n}_f.html", args.cap)
                    change = again["seconds"] + load if isinstance(load, float) else load
                print(f"{kind} ready {ready_s}, change {change}", flush=True)
                rows.append((n, label, _s(first["seconds"]), _mb(first["bytes"]), _s(ready_s),
                             _s(change), _mb(again.get("bytes", "")),
                             f"{first['peak_mb']:,.0f} MB"))  # fmt: skip
            build = server_build(store)
            print(f"zonewatch server: {build}", flush=True)
            zw = measure_zonewatch(browser, store)
            print(f"zonewatch app: {zw}", flush=True)
            rows.append((
                n, f"**ZoneWatch** ({build['mode']} at the start view)",
                f"{build['rerun'] * 1000:.0f} ms of Python per rerun (the Map script on a date "
                f"change; its filter, cells and event layer: {build['update'] * 1000:.0f} ms) "
                f"(+ {build['load']:.1f} s index load once)",
                _mb(zw["first_bytes"]),
                f"{_s(zw['ready'])} from navigation, **{zw['ready'] / floor['ready']:.2f}× the "
                f"floor** ({_s(zw['after_load'])} after load; server just started: "
                f"{_s(zw['cold'])})",
                f"{_s(zw['change'])}, **{zw['change'] / floor['change']:.2f}× the floor**",
                _mb(zw["change_bytes"]), f"{zw['peak_mb']:,.0f} MB",
            ))  # fmt: skip
            if n >= 100_000 and not args.no_pages:
                print("every page:", flush=True)
                pages[n] = measure_pages(browser, store)
            notes.append(
                f"{n:,} events, ZoneWatch zoom into Idlib (zoom 10): {_s(zw['zoom'])} to the "
                f"redrawn map, {_mb(zw['zoom_bytes'])} sent, {zw['zoom_mode']} drawn; "
                f"index {build['index_mb']:.0f} MB in memory."
            )
        browser.close()
        httpd.shutdown()
    header = (
        "| events | approach | server build | bytes to browser (first map) | map ready "
        "| date-filter change → map | bytes per update | peak memory |\n"
        "|---:|---|---|---:|---|---:|---:|---:|\n"
    )
    table = header + "".join(
        "| " + " | ".join(f"{c:,}" if isinstance(c, int) else str(c) for c in r) + " |\n"
        for r in rows
    )
    command = "make bench" + (
        f"  (here: `bench/map_scale.py --sizes {args.sizes} --cap {args.cap:g}`)"
        if args.sizes != "10000,100000,1000000" or args.cap != 300 else ""
    )  # fmt: skip
    text = (
        "# Benchmarks: the map and every page at 10,000, 100,000 and 1,000,000 events\n\n"
        f"Reproduce with `{command}`. Generated by `bench/map_scale.py` in one run of "
        f"{(time.time() - started) / 60:.0f} min on {time.strftime('%Y-%m-%d')}.\n\n"
        f"Machine: {machine()}. Load average (1, 5, 15 min) at the start of the run: "
        f"{', '.join(f'{v:.1f}' for v in load_start)}; at its end: "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())} (other work on the machine "
        "inflates the times; the ratios to the floor and the CPU times are steadier).\n\n"
        + table
        + "\n"
        + "".join(f"- {n}\n" for n in notes)
        + "\nWhat each column means, and how each approach is measured: see the docstring of "
        "`bench/map_scale.py`. Peers change a filter by rebuilding the page for the filtered "
        f"events and loading it again; the filter change here is the start date moved from "
        f"{FIRST} to {CHANGES[0][0]}. Peers' map ready is from navigation to the page's load "
        "event plus a frame (a static page has run its scripts by then). ZoneWatch's change "
        "is the median of three date changes "
        "typed into the running app, each timed from the commit of the date field until the "
        "map has redrawn; its bytes are the page's websocket frames and message fetches "
        "(Streamlit's own JavaScript and Leaflet are static files, cached by the browser). "
        "The stores hold the synthetic events plus the 16,575 shipped ones. The floor is "
        "the least any Streamlit page with one streamlit-folium map costs on this machine "
        "(`bench/floor_app.py`: a date input and one map whose feature group the date "
        "changes), measured in the same run and the same way; targets at 1M: the app's map "
        "ready and date change at most 1.5× the floor's, Python per update at most 50 ms.\n"
    )
    if pages:
        text += (
            "\n## Every page at scale\n\n"
            "Measured in the same run, on the same stores, by `bench/pages_scale.py` (how: "
            "its docstring). Each page opened from its address in a new browser page; the "
            "filter change is the median of three date ranges typed into the sidebar; the "
            "downloads are of every event (over 100,000 rows they are prepared with their "
            "progress shown and downloaded zipped). Targets at 1M: every page ready within "
            "3 s, a filter change within 1 s, the app's peak memory within 1.5 GB.\n\n"
            + pages_table(pages)
        )
    Path(args.out).write_text(text + kept_sections(Path(args.out)), encoding="utf-8")
    print("\n" + text)


def kept_sections(path: Path) -> str:
    """The sections of ``path`` this run does not make (written by other benches or by
    hand: memory, ten million, PostGIS, matching), kept after the ones it makes."""
    if not path.exists():
        return ""
    parts = re.split(r"(?m)^(?=## )", path.read_text(encoding="utf-8"))[1:]
    kept = [p for p in parts if not p.startswith("## Every page at scale")]
    return "".join("\n" + p.rstrip("\n") + "\n" for p in kept)


if __name__ == "__main__":
    main()
