"""The Events page at scale: ready from navigation (a just-started server, then warm), two
date-filter changes, and the app's peak memory (VmHWM); stops the app past 9 GB resident.

    python bench/events_page.py SRC_DIR STORE.gpkg LABEL [cap_seconds]

SRC_DIR: a checkout of the app (e.g. `git archive main` unpacked, for "before"); STORE: a
store with many events (bench/map_scale.py shows how to generate and import them)."""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from playwright.sync_api import sync_playwright

SRC, STORE, LABEL = sys.argv[1], sys.argv[2], sys.argv[3]
CAP = float(sys.argv[4]) if len(sys.argv) > 4 else 600
RSS_CAP_KB = 9 * 1024 * 1024
PY = sys.executable
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(pid, key):
    try:
        for ln in open(f"/proc/{pid}/status"):
            if ln.startswith(key):
                return int(ln.split()[1])
    except OSError:
        return None


port = free_port()
launched = time.time()
env = {**os.environ, "ZONEWATCH_STORE": STORE}
env.pop("DATABASE_URL", None)
proc = subprocess.Popen(
    [
        PY,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
    ],
    cwd=SRC,
    env=env,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
killed = []


def watchdog():
    while proc.poll() is None:
        rss = status(proc.pid, "VmRSS") or 0
        if rss > RSS_CAP_KB:
            killed.append(
                f"stopped at VmRSS {rss / 1048576:.1f} GB (cap 9 GB), "
                f"{time.time() - launched:.0f} s after start"
            )
            proc.kill()
            return
        time.sleep(0.2)


url = f"http://127.0.0.1:{port}"
for _ in range(200):
    try:
        urllib.request.urlopen(url + "/_stcore/health", timeout=2)
        break
    except OSError:
        time.sleep(0.3)
threading.Thread(target=watchdog, daemon=True).start()
out = {"label": LABEL}


def idle(page, quiet=0.5):
    since = time.time()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(killed[0] if killed else "the app died")
        if page.locator('[data-testid="stStatusWidget"]').count():
            since = time.time()
        elif time.time() - since >= quiet:
            return time.time() - quiet
        time.sleep(0.05)


def ready(page, t0):
    """Seconds until the table and the download buttons are shown and the run ended."""
    deadline = t0 + CAP
    grid = page.locator("[data-testid=stDataFrame] [role=grid]")
    btn = page.locator("[data-testid=stDownloadButton], [data-testid=stButton]")
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(killed[0] if killed else "the app died")
        if grid.count() and btn.count() >= 2:
            return idle(page) - t0
        time.sleep(0.05)
    raise TimeoutError(f"not ready after {CAP:.0f} s")


def showing(page):
    text = page.get_by_text(re.compile(r"Showing [\d,]+ of")).inner_text(timeout=CAP * 1000)
    return int(re.search(r"Showing ([\d,]+) of", text).group(1).replace(",", ""))


try:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name in ("cold", "warm"):
            page = b.new_page(viewport={"width": 1400, "height": 950})
            t0 = time.time()
            page.goto(url + "/events")
            out[f"ready_{name}_s"] = round(ready(page, t0), 2)
            if name == "warm":
                continue
            page.close()
        total = showing(page)
        out["events"] = total
        for start, end in (("2017-01-01", "2019-12-01"), ("2018-01-01", "2019-12-01")):
            for which, value in (("start", start), ("end", end)):
                y, m, d = value.split("-")
                for part, text in (("year", y), ("month", m), ("day", d)):
                    seg = page.get_by_role("spinbutton", name=f"{part}, Event dates {which} date")
                    seg.click()
                    page.keyboard.type(text)
            before = showing(page)
            t0 = time.time()
            page.get_by_role("heading", name="Events", exact=True).click()
            deadline = t0 + CAP
            while showing(page) == before and time.time() < deadline:
                time.sleep(0.05)
            ready(page, t0)
            out.setdefault("filter_change_s", []).append(round(idle(page) - t0, 2))
            out.setdefault("filter_showing", []).append(showing(page))
        b.close()
except Exception as exc:  # noqa: BLE001
    out["error"] = str(exc)[:300]
out["peak_mb"] = round((status(proc.pid, "VmHWM") or 0) / 1024)
if killed:
    out["killed"] = killed[0]
proc.kill()
print(json.dumps(out))
