"""The pages' figures in SQL on PostGIS (issue 18, docs/postgis-sql.md): the plans of the
queries the pages now send, and the app process's memory, at each size.

    nice -n 10 uv run --locked --group bench python bench/pg_sql_pages.py            # 100k, 1M
    nice -n 10 uv run --locked --group bench python bench/pg_sql_pages.py --sizes 100000

In one run it starts a throw-away PostgreSQL + PostGIS server (``tests/pg_server.py``) and,
for each size, makes a store (filled from ``data/``), imports the synthetic UCDP file of
``bench/pg_scale.py`` (cached in ``--csv-dir``) and runs ``ANALYZE events``; then

1. runs the queries of :class:`geo.store.pgquery.PgEvents` for the pages' default filter
   (and a zone, a radius, a deep page) as the pages send them, each once to warm the cache
   and once under ``EXPLAIN (ANALYZE, BUFFERS)`` (plans written with ``--plans FILE``);
2. starts one app process on that database and, with a browser, opens the Map (first map
   from navigation), changes its dates (to the redrawn map), opens the Events page and
   changes its dates (to the new table); then reads the app process's memory: its peak
   (VmHWM) and what it holds (VmRSS);
3. with ``--map``, measures the floor and the Map on a new app process as
   ``bench/pg_scale.py`` does (``bench/map_scale.py``'s first map and date change).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import map_scale  # noqa: E402
import pages_scale  # noqa: E402
import pg_load  # noqa: E402
import pg_scale  # noqa: E402


def _status(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            out[name] = int(value.split()[0]) / 1024
    return out


# --- the plans ----------------------------------------------------------------------------


def plans(url: str) -> tuple[list[dict], str]:
    """Each query the pages send (for the figures below), timed, with its plan."""
    from geo.aggregate import View
    from geo.filters import EventFilter
    from geo.store.pgquery import PgEvents
    from geo.store.postgis import PostGISStore

    store = PostGISStore.open(url, seed=False)
    summary = store.event_summary()
    every = EventFilter(start=summary.first, end=summary.last, types=summary.types)
    sql = PgEvents(store)
    _ = sql.types, sql.datasets  # the dictionaries: once per events version
    recorded: list[tuple[str, str, tuple]] = []
    what = ["?"]
    plain = sql._read

    def record(query, params=(), *rest):
        recorded.append((what[0], query, params, *rest))
        return plain(query, params, *rest)

    sql._read = record
    figures = {
        "count, default filter": lambda: sql.count(every),
        "map, Syria zoom 7 (cells)": lambda: sql.event_view(
            every, View(35.6, 32.3, 42.4, 37.35, 7), [], None, (every.start, every.end)
        ),
        "map, Idlib zoom 10": lambda: sql.event_view(
            every, View(36.2, 35.6, 37.0, 36.1, 10), [], None, (every.start, every.end)
        ),
        "timeline per week": lambda: sql.timeline(
            every, "week", every.start, every.end, summary.types
        ),
        "page 1 by date": lambda: sql.page(every, "date", False, 1),
        "page 1 by date, descending": lambda: sql.page(every, "date", True, 1),
        "page 1 by fatalities, descending": lambda: sql.page(every, "fatalities", True, 1),
        "page 1 by type": lambda: sql.page(every, "type", False, 1),
        "page 1 by actor": lambda: sql.page(every, "actor", False, 1),
        "page 50 by date": lambda: sql.page(every, "date", False, 50),
        "datasets shown": lambda: sql.datasets_present(every),
        "count, inside Idlib": lambda: sql.count(
            EventFilter(**{**every.__dict__, "zones": ("idlib",)})
        ),
        "count, 25 km of Raqqa": lambda: sql.count(
            EventFilter(**{**every.__dict__, "near": (35.9594, 39.0079, 25.0)})
        ),
        "count, May 2017, actor 'forces'": lambda: sql.count(
            EventFilter(
                start=date(2017, 5, 1), end=date(2017, 5, 31), types=summary.types, actor="forces"
            )
        ),
    }
    rows, text = [], []
    for name, run in figures.items():
        what[0] = name
        run()  # warm
        recorded.clear()
        t = time.perf_counter()
        run()
        wall = time.perf_counter() - t
        queries = list(recorded)
        for _, query, params, *rest in queries:
            plan = [r[0] for r in plain(f"EXPLAIN (ANALYZE, BUFFERS) {query}", params, *rest)]
            ms = next(
                (
                    float(m.group(1))
                    for p in plan
                    if (m := re.search(r"Execution Time: ([\d.]+)", p))
                ),
                float("nan"),
            )
            rows.append({"figure": name, "ms": ms, "top": plan[0].split("  (")[0].strip(),
                         "wall": wall})  # fmt: skip
            text.append(
                f"#### {name}\n\n```sql\n{query}\n```\n\n```\n" + "\n".join(plan) + "\n```\n"
            )
    return rows, "\n".join(text)


# --- the app's memory -----------------------------------------------------------------------


def _rows_caption(page, timeout: float = 300) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = page.get_by_text(re.compile(r"^Rows [\d,]+-[\d,]+ of")).all_text_contents()
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        if got and not running:
            return got[0]
        time.sleep(0.05)
    raise SystemExit("the Events table did not show")


def app_memory(browser, url: str, log: Path) -> dict:
    proc, app = pg_load.start_app(url, log)
    try:
        idle = _status(proc.pid)
        p = map_scale.AppPage(browser, app)
        p.key()
        first_map = time.perf_counter() - p.t0
        key = p.settle()
        changes = []
        for start, end in (("2017-01-01", "2017-06-30"), ("2018-01-01", "2018-03-31")):
            t = p.set_dates(start, end)
            key = p.wait_new_key(key)
            changes.append(time.perf_counter() - t)
            key = p.settle()
        after_map = _status(proc.pid)
        t = time.perf_counter()
        p.page.goto(f"{app}/events")
        before = _rows_caption(p.page)
        events_first = time.perf_counter() - t
        t = pages_scale._set_dates(p.page, "2017-03-01", "2017-09-30", "Events")
        while _rows_caption(p.page) == before:
            time.sleep(0.05)
        events_change = time.perf_counter() - t
        p.close()
        return {
            "idle_mb": idle["VmRSS"],
            "first_map_s": first_map,
            "map_change_s": statistics.median(changes),
            "after_map_rss_mb": after_map["VmRSS"],
            "events_first_s": events_first,
            "events_change_s": events_change,
            **{f"{k}_mb": v for k, v in _status(proc.pid).items()},
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _analyze(url: str) -> None:
    import psycopg

    from geo.store.postgis import conninfo

    with psycopg.connect(conninfo(url), autocommit=True) as con:
        con.execute("ANALYZE events")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--csv-dir", type=Path, default=Path(tempfile.gettempdir()) / "zw-bench-csv")
    ap.add_argument("--plans", type=Path, help="write the full plans to this file")
    ap.add_argument(
        "--map",
        action="store_true",
        help="also measure the floor and the Map as bench/pg_scale.py does (first map, date "
        "change, medians of 3)",
    )
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from geo.store.postgis import PostGISStore
    from pg_server import PostGISServer

    print(f"load average at start: {os.getloadavg()}", flush=True)
    server = PostGISServer()
    tmp = Path(tempfile.mkdtemp(prefix="zw-pgsql-"))
    all_plans = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=map_scale.CHROMIUM, args=map_scale.CHROMIUM_ARGS
            )
            if args.map:
                print(f"floor: {map_scale.measure_floor(browser, tmp)}", flush=True)
            for n in (int(s) for s in args.sizes.split(",")):
                url = server.create_db(f"zw_sql_{n}")
                PostGISStore.open(url)
                imp = pg_scale.timed_import(server, url, pg_scale.events_csv(n, args.csv_dir))
                print(f"\n== {n:,}: import {imp['seconds']:.0f} s", flush=True)
                _analyze(url)
                rows, text = plans(url)
                all_plans.append(f"### {n:,} events\n\n{text}")
                for r in rows:
                    print(f"{r['figure']:<40} {r['ms']:>10.1f} ms  {r['top']}", flush=True)
                print(f"app: {app_memory(browser, url, tmp / f'app_{n}.log')}", flush=True)
                if args.map:
                    got = pg_scale.measure_map(browser, url, tmp / f"map_{n}.log")
                    print(f"map: {got}", flush=True)
                print(f"load average: {os.getloadavg()}", flush=True)
            browser.close()
    finally:
        server.stop()
    if args.plans:
        args.plans.write_text("\n".join(all_plans))


if __name__ == "__main__":
    main()
