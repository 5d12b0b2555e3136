"""EXPLAIN ANALYZE of the queries that would move the pages' work into PostGIS (the plan in
docs/postgis-sql.md), on a real store.

    uv run --locked python bench/pg_explain.py --csv /tmp/zw-bench-csv/ucdp_1000000.csv
    uv run --locked python bench/pg_explain.py --url postgresql+psycopg://...   # a store

With ``--csv`` it starts a throw-away PostgreSQL + PostGIS server (``tests/pg_server.py``),
makes a store (filled from ``data/``) and imports the file with ``zonewatch
import-events``; with ``--url`` it reads the store there (and, with ``--indexes``, adds the
indexes the plan proposes: only on a copy you can throw away). Each query runs once to warm
the cache, then under ``EXPLAIN (ANALYZE, BUFFERS)``; the plans are printed as Markdown
(``--out`` also writes them to a file). Prefix it with ``nice -n 10`` on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

#: The filter, in SQL: the one definition of geo.filters / geo.eventindex (an event's
#: start-to-end period overlaps the dates; types and datasets matched case-blind by the
#: app, which knows the stored spellings (the event summary), so here by equality).
FILTER = "e.date_start <= %(end)s AND e.date_end >= %(start)s AND e.event_type = ANY(%(types)s)"

#: The versions of each zone with the day each stopped being the one in force (the next
#: version's valid_from; a tie goes to the newest version, whose interval is the one that
#: is not empty): the zone rule of geo.filters.zone_hits.
ZONES_IN_FORCE = """
WITH z AS (
  SELECT zone_id, version, status, geom, valid_from,
         LEAD(valid_from) OVER (PARTITION BY zone_id ORDER BY valid_from, version) AS valid_to
  FROM zone_versions)
"""

COLUMNS = (
    "e.fid, e.date_start, e.date_end, e.event_type, e.actor1, e.actor2, e.fatalities_best, "
    "e.location, e.dataset, e.dataset_id"
)

QUERIES = {
    "count (the Events page's total, the map's 'Showing N of M')": (
        f"SELECT count(*) FROM events e WHERE {FILTER}"
    ),
    "grid counts, all of Syria at zoom 7 (cells of 0.352°)": (
        "SELECT floor((e.longitude + 180) / %(size7)s)::int AS ix,"
        " floor((e.latitude + 90) / %(size7)s)::int AS iy,"
        " count(*), sum(coalesce(e.fatalities_best, 0)), avg(e.latitude), avg(e.longitude)"
        f" FROM events e WHERE {FILTER}"
        " AND e.geom && ST_MakeEnvelope(32.3, 31.3, 44.9, 38.3, 4326) GROUP BY 1, 2"
    ),
    "grid counts, Idlib at zoom 10 (cells of 0.044°)": (
        "SELECT floor((e.longitude + 180) / %(size10)s)::int AS ix,"
        " floor((e.latitude + 90) / %(size10)s)::int AS iy,"
        " count(*), sum(coalesce(e.fatalities_best, 0)), avg(e.latitude), avg(e.longitude)"
        f" FROM events e WHERE {FILTER}"
        " AND e.geom && ST_MakeEnvelope(36.2, 35.6, 37.0, 36.1, 4326) GROUP BY 1, 2"
    ),
    "timeline per month and type (events that began within the dates)": (
        "SELECT date_trunc('month', e.date_start)::date AS period, e.event_type, count(*),"
        f" sum(e.fatalities_best) FROM events e WHERE {FILTER} AND e.date_start >= %(start)s"
        " GROUP BY 1, 2 ORDER BY 1, 2"
    ),
    "Events table, first page by date": (
        f"SELECT {COLUMNS} FROM events e WHERE {FILTER} ORDER BY e.date_start, e.fid LIMIT 100"
    ),
    "Events table, page 5,000 by date": (
        f"SELECT {COLUMNS} FROM events e WHERE {FILTER}"
        " ORDER BY e.date_start, e.fid LIMIT 100 OFFSET 499900"
    ),
    "Events table, first page by fatalities, descending (missing last)": (
        f"SELECT {COLUMNS} FROM events e WHERE {FILTER}"
        " ORDER BY e.fatalities_best DESC NULLS LAST, e.fid LIMIT 100"
    ),
    "zone report: Idlib's events per month and type, each in the version in force": (
        ZONES_IN_FORCE
        + "SELECT date_trunc('month', e.date_start)::date AS period, e.event_type, count(*),"
        " sum(e.fatalities_best) FROM events e JOIN z ON z.zone_id = 'idlib'"
        " AND z.status IS DISTINCT FROM 'ended'"
        " AND e.date_start >= z.valid_from"
        " AND (z.valid_to IS NULL OR e.date_start < z.valid_to)"
        f" AND ST_Intersects(z.geom, e.geom) WHERE {FILTER} GROUP BY 1, 2 ORDER BY 1, 2"
    ),
    "place report: events within 25 km of Raqqa (geodesic), per month": (
        "SELECT date_trunc('month', e.date_start)::date AS period, count(*),"
        " sum(e.fatalities_best) FROM events e, places p"
        " WHERE p.name_en = 'Raqqa'"
        " AND e.geom && ST_Expand(p.geom, 0.35)"  # a box that holds the 25 km disc
        " AND ST_DWithin(e.geom::geography, p.geom::geography, 25000)"
        f" AND {FILTER} GROUP BY 1 ORDER BY 1"
    ),
}

#: The indexes the plan proposes (docs/postgis-sql.md), beyond the store's own.
INDEXES = [
    "CREATE INDEX IF NOT EXISTS events_start_fid ON events (date_start, fid)",
    "CREATE INDEX IF NOT EXISTS events_fatalities_fid"
    " ON events (fatalities_best DESC NULLS LAST, fid)",
]


def params(summary) -> dict:
    from geo.aggregate import cell_degrees

    return {
        "start": summary.first,
        "end": summary.last,
        "types": list(summary.types),
        "size7": cell_degrees(7),
        "size10": cell_degrees(10),
    }


def explain(url: str, indexes: bool) -> str:
    import psycopg

    from geo.store.postgis import PostGISStore, conninfo

    store = PostGISStore.open(url, seed=False)
    p = params(store.event_summary())
    out = []
    with psycopg.connect(conninfo(url), autocommit=True) as con:
        if indexes:
            for statement in INDEXES:
                con.execute(statement)
        con.execute("ANALYZE events")  # statistics of the imported rows, as autovacuum would
        n = con.execute("SELECT count(*) FROM events").fetchone()[0]
        version = con.execute("SELECT version()").fetchone()[0].split(" on ")[0]
        postgis = con.execute("SELECT postgis_lib_version()").fetchone()[0]
        table, total = con.execute(
            "SELECT pg_size_pretty(pg_relation_size('events')),"
            " pg_size_pretty(pg_total_relation_size('events'))"
        ).fetchone()
        out.append(
            f"Store: {n:,} events (table {table}, {total} with its indexes); {version}, "
            f"PostGIS {postgis}; filter: {p['start']} to "
            f"{p['end']}, {len(p['types'])} types (the pages' default); load average "
            f"{os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n"
        )
        for title, query in QUERIES.items():
            con.execute(query, p).fetchall()  # warm the cache
            plan = con.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, p).fetchall()
            out.append(f"### {title}\n\n```sql\n{query.strip()}\n```\n\n```\n")
            out.append("\n".join(row[0] for row in plan) + "\n```\n")
            print(f"{title}: {plan[-1][0]}", flush=True)
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", type=Path, help="import this UCDP-format file into a new store")
    ap.add_argument("--url", help="explain on the store at this DATABASE_URL instead")
    ap.add_argument("--indexes", action="store_true", help="add the proposed indexes first")
    ap.add_argument("--out", type=Path, help="also write the plans (Markdown) here")
    args = ap.parse_args()
    if bool(args.csv) == bool(args.url):
        raise SystemExit("give --csv FILE or --url DATABASE_URL")
    server = None
    try:
        url = args.url
        if args.csv:
            from pg_load import cli_import

            from geo.store.postgis import PostGISStore
            from pg_server import PostGISServer

            server = PostGISServer()
            url = server.create_db("zw_explain")
            PostGISStore.open(url)
            print(f"importing {args.csv}...", flush=True)
            got = cli_import(url, args.csv)
            if got["rc"]:
                raise SystemExit(f"the import failed: {got['stderr']}")
        text = "## Before the proposed indexes\n\n" + explain(url, indexes=False)
        if args.indexes or args.csv:
            text += "\n## With the proposed indexes\n\n" + explain(url, indexes=True)
        print(text)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
