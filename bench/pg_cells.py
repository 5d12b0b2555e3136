"""The Map's date change on PostGIS with and without the summary table (``event_cells``,
:mod:`geo.store.pgcells`; docs/postgis-sql.md): each query's plan and time at one size.

    nice -n 10 uv run --locked --group bench python bench/pg_cells.py                 # 1M
    nice -n 10 uv run --locked --group bench python bench/pg_cells.py --sizes 100000 --plans FILE

In one run it starts a throw-away PostgreSQL + PostGIS server (``tests/pg_server.py``) and,
for each size, makes a store (filled from ``data/``), imports the synthetic UCDP file of
``bench/pg_scale.py`` (cached in ``--csv-dir``; the import timed, the summary kept by it),
runs ``ANALYZE`` and then, for the Map's start view (Syria at zoom 7) and a closer one
(Idlib at zoom 10):

1. times the Map's date change as the page asks it (the count with the view, then the
   map's figures), on a fresh :class:`~geo.store.pgquery.PgEvents` (every event's rows) and
   a fresh :class:`~geo.store.pgcells.PgCellEvents` (the summary), for ``--changes`` start
   dates drawn as ``bench/pg_load.py`` draws them (end: the last day), medians;
2. runs each query of one such change under ``EXPLAIN (ANALYZE, BUFFERS)`` (plans written
   with ``--plans FILE``).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import pg_load  # noqa: E402
import pg_scale  # noqa: E402

VIEWS = {
    "Syria, zoom 7": (35.6, 32.3, 42.4, 37.35, 7),
    "Idlib, zoom 10": (36.2, 35.6, 37.0, 36.1, 10),
}


def _change(sql, flt, view) -> None:
    from geo.aggregate import point_limit

    total = sql.count(flt, view)
    sql.event_view(flt, view, [], point_limit(), (flt.start, flt.end), total)


def timings(url: str, changes: int, plans: list[str]) -> list[dict]:
    from geo.aggregate import View
    from geo.filters import EventFilter
    from geo.store.pgcells import PgCellEvents
    from geo.store.pgquery import PgEvents
    from geo.store.postgis import PostGISStore

    store = PostGISStore.open(url, seed=False)
    summary = store.event_summary()
    rng = random.Random(7)
    span = (pg_load.LAST_DAY - pg_load.FIRST_DAY).days
    days = [pg_load.FIRST_DAY + timedelta(days=rng.randrange(span)) for _ in range(changes)]
    out = []
    for name, bounds in VIEWS.items():
        view = View(*bounds)
        for kind in (PgEvents, PgCellEvents):
            seconds = []
            for day in days:
                flt = EventFilter(start=day, end=summary.last, types=summary.types)
                sql = kind(store)
                _ = sql.types, sql.datasets  # the dictionaries: once per events version
                t = time.perf_counter()
                _change(sql, flt, view)
                seconds.append(time.perf_counter() - t)
            out.append(
                {
                    "view": name,
                    "path": kind.__name__,
                    "median_s": statistics.median(seconds),
                    "max_s": max(seconds),
                }  # fmt: skip
            )
            print(out[-1], flush=True)
        # the plans of one change on the summary
        flt = EventFilter(start=days[0], end=summary.last, types=summary.types)
        sql = PgCellEvents(store)
        _ = sql.types, sql.datasets
        recorded: list[tuple] = []
        plain = sql._read
        sql._read = lambda q, p=(), *m, r=recorded, f=plain: r.append((q, p, *m)) or f(q, p, *m)
        _change(sql, flt, view)
        for query, params, *more in recorded:
            plan = [r[0] for r in plain(f"EXPLAIN (ANALYZE, BUFFERS) {query}", params, *more)]
            found = [re.search(r"Execution Time: ([\d.]+)", p) for p in plan]
            ms = next((float(m.group(1)) for m in found if m), float("nan"))
            top = plan[0].split("  (")[0].strip()
            print(f"  {name}: {ms:8.1f} ms  {top}  <- {query[:90]}", flush=True)
            plans.append(
                f"#### {name}, from {days[0]}: {ms:.1f} ms\n\n```sql\n{query}\n```\n\n```\n"
                + "\n".join(plan)
                + "\n```\n"
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000000")
    ap.add_argument("--csv-dir", type=Path, default=Path(tempfile.gettempdir()) / "zw-bench-csv")
    ap.add_argument("--changes", type=int, default=5, help="date changes timed per path")
    ap.add_argument("--plans", type=Path, help="write the full plans to this file")
    args = ap.parse_args()
    import psycopg

    from geo.store.postgis import PostGISStore, conninfo
    from pg_server import PostGISServer

    print(f"load average at start: {os.getloadavg()}", flush=True)
    server = PostGISServer()
    plans: list[str] = []
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            url = server.create_db(f"zw_cells_{n}")
            PostGISStore.open(url)
            imp = pg_scale.timed_import(server, url, pg_scale.events_csv(n, args.csv_dir))
            print(f"\n== {n:,}: import {imp['seconds']:.1f} s", flush=True)
            with psycopg.connect(conninfo(url), autocommit=True) as con:
                con.execute("ANALYZE events")
                con.execute("ANALYZE event_cells")
                rows = con.execute(
                    "SELECT zoom, count(*), pg_size_pretty(sum(pg_column_size(c.*)))"
                    " FROM event_cells c GROUP BY 1 ORDER BY 1"
                ).fetchall()
                print(f"event_cells rows per level: {rows}", flush=True)
            timings(url, args.changes, plans)
            print(f"load average: {os.getloadavg()}", flush=True)
    finally:
        server.stop()
    if args.plans:
        args.plans.write_text("\n".join(plans))


if __name__ == "__main__":
    main()
