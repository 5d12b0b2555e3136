"""The Events table ordered by nearest place on PostGIS (issue 18), with no event index.

The order is :func:`geo.table.sort_order`'s ("place": the nearest place's name, then the
distance to it, both in the direction chosen; events with no nearest place, located only
by a governorate, a region, the country or international waters
(:data:`geo.table.NO_NEAREST`), last;
ties by ``fid``). Each event's nearest place and distance are those of
:func:`geo.table.nearest_places` (the sphere picks the place, ties to the first place; the
WGS84 geodesic distance rounded to 0.1 km), computed by that same function, so the order
is exactly the in-memory one. A KNN join in SQL (``ORDER BY p.geom <-> e.geom``) was not
taken: its planar distance in degrees picks another place than the sphere near the
midline between two places, and PostGIS's geodesic distance, rounded to 0.1 km, can
differ from pyproj's at the rounding edge; and ordering every selected event by a LATERAL
join at a million events costs a KNN search per event per page.

So the places are stored per event once, in ``event_nearest`` (``fid``, the place's
position in the store's places as :meth:`Store.places` gives them, ``km``; NULL km: no
nearest place), filled a batch of events at a time (:data:`BATCH`, the memory of one batch
only) when the order is first asked for (the page shows its progress), and only for the
events added since after an import (the events table is append-only). The tables are made
with the store's schema (:data:`NEAREST_TABLES`), so the app needs no right to create
tables. Filling them inside each import was measured and not taken: placing a million
events takes about 6 s of Python (``geo.table.nearest_places``) plus their rows' writing,
on an import of a million events that takes 54 s (kept under 60 s).

``event_nearest_state`` keeps what the rows were computed from: a digest of the places
(names shown, positions; any change of the places refills the table) and a checksum of
the events' ids, positions and precisions up to the last one filled (a restore that
replaced events refills it). A page is then one query:
the events of the filter joined to their row, ordered by the place's name rank (sent as an
array, as the text orders of :mod:`geo.store.pgquery`), the distance and ``fid``.

Only for PostGIS. Pure: no streamlit.
"""

from __future__ import annotations

import hashlib
import math
import threading

import numpy as np
import pandas as pd

from geo import table as T
from geo.errors import StoreError

#: Events read, placed and written per batch while filling ``event_nearest``.
BATCH = 100_000

#: The advisory lock of the fill (two processes never fill at once).
_LOCK = 0x5A57_4E45  # "ZWNE"

#: The tables of the nearest places, made with the store's schema (geo.store.postgis: on a
#: new store and on opening an older one), so filling them needs no right to create tables.
NEAREST_TABLES = (
    "CREATE TABLE IF NOT EXISTS event_nearest"
    " (fid bigint PRIMARY KEY, place integer NOT NULL, km double precision)",
    "CREATE TABLE IF NOT EXISTS event_nearest_state"
    " (one boolean PRIMARY KEY DEFAULT TRUE CHECK (one), places_key text NOT NULL,"
    " upto bigint NOT NULL, checksum numeric NOT NULL)",
)
NEAREST_TABLE_NAMES = ["event_nearest", "event_nearest_state"]

#: Each event's contribution to the checksum of what the rows were computed from.
_ROW_SUM = (
    "hashtext(fid::text || ':' || latitude::text || ':' || longitude::text || ':'"
    " || coalesce(location_precision, ''))::numeric"
)


def places_key(places) -> str:
    """A digest of what the nearest places depend on: each place's position, in order,
    and the name shown (:func:`geo.table.place_names`); and which precisions get none."""
    h = hashlib.blake2b(digest_size=16)
    h.update("\x00".join(T.NO_NEAREST).encode())  # a new rule refills the table
    if len(places):
        h.update(places.geometry.x.to_numpy(np.float64).tobytes())
        h.update(places.geometry.y.to_numpy(np.float64).tobytes())
        h.update("\x00".join(str(n) for n in T.place_names(places)).encode())
    return f"{len(places)}:{h.hexdigest()}"


_filled: dict[tuple[int, str], str] = {}  # (id(store), places key) -> events token
_filled_lock = threading.Lock()


def _still_placed(con, key: str) -> tuple[int, int]:
    """The last event placed and the checksum of the events placed, when the stored rows
    still hold for the places ``key`` and the events they were computed from; else 0, 0."""
    state = con.execute("SELECT places_key, upto, checksum FROM event_nearest_state").fetchone()
    if state is not None and state[0] == key:
        (now,) = con.execute(
            f"SELECT coalesce(sum({_ROW_SUM}), 0) FROM events WHERE fid <= %s", (state[1],)
        ).fetchone()
        if int(now) == int(state[2]):
            return int(state[1]), int(state[2])
    return 0, 0


def ensure(store, places, progress=None) -> int:
    """Fill ``event_nearest`` for the store's events and ``places`` (the frame the pages
    show, :meth:`Store.places`): every event's row when the places or the events filled
    changed, else the events added since. Returns the events placed now. Once per
    process per events version and places (kept here). ``progress(done, total)``, when
    given, is called before the first batch and after each one, only when there are
    events to place (the events placed so far and the events to place)."""
    key = places_key(places)
    token = store.events_version(store.revision())
    with _filled_lock:
        if _filled.get((id(store), key)) == token:
            return 0
    psycopg_error = store._READ_ERRORS
    try:
        with store._connect() as con, con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            upto, checksum = _still_placed(con, key)
            if upto == 0:
                con.execute("TRUNCATE event_nearest")
            placed, total = 0, None
            if progress is not None:
                (total,) = con.execute(
                    "SELECT count(*) FROM events WHERE fid > %s", (upto,)
                ).fetchone()
                if total:
                    progress(0, total)
            while True:
                rows = con.execute(
                    "SELECT fid, latitude, longitude, coalesce(location_precision, ''),"
                    f" {_ROW_SUM} FROM events WHERE fid > %s ORDER BY fid LIMIT %s",
                    (upto, BATCH),
                ).fetchall()
                if not rows:
                    break
                fid = np.array([r[0] for r in rows], dtype=np.int64)
                lat = np.array([r[1] for r in rows], dtype=np.float64)
                lon = np.array([r[2] for r in rows], dtype=np.float64)
                precision = np.array([r[3] for r in rows], dtype=object)
                near = T.nearest_places(lat, lon, places, precision=precision)
                with con.cursor().copy("COPY event_nearest (fid, place, km) FROM STDIN") as cp:
                    for f, p, k in zip(fid.tolist(), near.place.tolist(), near.km.tolist(),
                                       strict=True):  # fmt: skip
                        cp.write_row((f, p, None if math.isnan(k) else k))
                checksum += sum(int(r[4]) for r in rows)
                upto, placed = int(fid[-1]), placed + len(rows)
                del rows
                if total:
                    progress(min(placed, total), total)
            con.execute("DELETE FROM event_nearest_state")
            con.execute(
                "INSERT INTO event_nearest_state (places_key, upto, checksum) VALUES (%s, %s, %s)",
                (key, upto, checksum),
            )
            if placed:
                con.execute("ANALYZE event_nearest")
    except psycopg_error as exc:
        raise StoreError(store._read_failed(exc)) from None
    with _filled_lock:
        _filled[(id(store), key)] = token
    return placed


def page(
    pg,
    flt,
    descending: bool,
    page: int,
    places,
    size: int = T.PAGE_SIZE,
    total: int | None = None,
) -> np.ndarray:
    """The row ids on page ``page`` (1-based, clamped) of the Events table ordered by
    nearest place (:func:`geo.table.sort_order`, ``by="place"``) for the events ``pg`` (a
    :class:`geo.store.pgquery.PgEvents`, counting once or not) selects with ``flt``;
    ``places``: the store's places (:meth:`Store.places`)."""
    ensure(pg.store, places)
    w = pg.where(flt)
    total = pg.count(flt) if total is None else total
    page = min(max(1, int(page)), max(1, math.ceil(total / size)))
    names = tuple(str(n) for n in T.place_names(places)) if len(places) else ()
    rank = T.text_rank(names)
    way = "DESC" if descending else "ASC"
    rows = pg._read(
        "SELECT e.fid FROM events e LEFT JOIN event_nearest n ON n.fid = e.fid"
        " LEFT JOIN unnest(%s::bigint[]) WITH ORDINALITY AS r(rank, at) ON r.at = n.place + 1"
        f" WHERE {w.sql}"
        f" ORDER BY (n.km IS NULL), CASE WHEN n.km IS NOT NULL THEN r.rank END {way},"
        f" n.km {way}, e.fid LIMIT %s OFFSET %s",
        ([int(r) for r in rank], *w.params, size, (page - 1) * size),
    )
    return np.array([r[0] for r in rows], dtype=np.int64)


def nearest_of(store, fids) -> pd.DataFrame:
    """The stored (place, km) of the events ``fids`` (for the tests)."""
    rows = store._read(
        "SELECT fid, place, km FROM event_nearest WHERE fid = ANY(%s::bigint[]) ORDER BY fid",
        ([int(f) for f in fids],),
    )
    return pd.DataFrame(rows, columns=["fid", "place", "km"])
