"""The PostGIS engine, for teams sharing one server among several app processes.

- Geometry columns in EPSG:4326 with GiST indexes; a date index on events.
- Filters (dates, bounding box, types, datasets) run in SQL, so large event tables are
  filtered in the database.
- The schema is created (and filled from ``data/``) on first start, under an advisory
  lock so that several processes starting at once create it once.
- Writers take a transaction-level advisory lock: one writer at a time, a bounded wait
  with "busy, retrying" callbacks, then :class:`~geo.errors.StoreBusyError`.
"""

from __future__ import annotations

import functools
import io
import threading
import time
import weakref
from contextlib import contextmanager
from urllib.parse import urlsplit

import pandas as pd
import pyarrow.csv as pa_csv
import shapely

from geo.errors import StoreError
from geo.filters import EventFilter
from geo.store import pgcells
from geo.store import tables as T
from geo.store.base import Store
from geo.store.pgnearest import NEAREST_TABLE_NAMES, NEAREST_TABLES

_LOCK_SCHEMA = 7_311_001  # advisory lock keys (arbitrary, fixed)
_LOCK_WRITE = 7_311_002

_REVISION_SQL = (
    "SELECT m.value, d.oid FROM zonewatch_meta m JOIN pg_database d"
    " ON d.datname = current_database() WHERE m.key = 'revision'"
)

#: rows converted and sent at a time by an insert (bounded memory for big frames)
_COPY_BATCH = 10_000

#: COPY's CSV as Arrow writes it: no header; text always quoted (an empty text is "", a
#: missing value an unquoted empty field, which COPY reads as NULL)
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="needed")

#: idle read connections a store keeps for its next reads (:class:`_ReadPool`)
READ_POOL_SIZE = 4

_SQL_TYPES = {T.TEXT: "text", T.INT: "bigint", T.REAL: "double precision", T.DATE: "date"}


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a pinned dependency
        raise StoreError(
            "the PostGIS engine needs psycopg; run 'uv sync' (it is in the lock file)"
        ) from exc
    return psycopg


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


@contextmanager
def _store_errors(psycopg):
    try:
        yield
    except psycopg.Error as exc:
        raise StoreError(
            f"the database could not be written ({_first_line(exc)}); nothing was saved"
        ) from None


def _ident(name: str) -> str:
    """An SQL identifier quoted by the driver (:class:`psycopg.sql.Identifier`)."""
    return _psycopg().sql.Identifier(name).as_string(None)


def _ddl(table: T.Table) -> list[str]:
    cols = [f"{_ident(c)} {_SQL_TYPES[k]}" for c, k in table.columns]
    if table.geometry:
        cols.append(f"geom geometry({table.geometry}, 4326) NOT NULL")
    cols.append(f"UNIQUE ({', '.join(map(_ident, table.identity))})")
    out = [f"CREATE TABLE {_ident(table.name)} (fid bigserial PRIMARY KEY, {', '.join(cols)})"]
    if table.geometry:
        out.append(
            f"CREATE INDEX {_ident(table.name + '_geom')} ON {_ident(table.name)} USING gist (geom)"
        )
    return out


#: The indexes and tables the pages' queries in SQL need (geo.store.pgquery,
#: geo.store.pgnearest; docs/postgis-sql.md): the Events table's first pages by date and by
#: fatalities read from the indexes; each event's nearest place kept in ``event_nearest``
#: (filled by the app, which then needs no right to create tables). Made on a new store
#: and, when missing, on opening an older one (IF NOT EXISTS: no schema version).
SQL_INDEXES = (
    'CREATE INDEX IF NOT EXISTS "events_start_fid" ON "events" (date_start, fid)',
    'CREATE INDEX IF NOT EXISTS "events_fatalities_fid"'
    ' ON "events" (fatalities_best DESC NULLS LAST, fid)',
    *NEAREST_TABLES,
)
_SQL_INDEX_NAMES = ["events_start_fid", "events_fatalities_fid", *NEAREST_TABLE_NAMES]


def _add_sql_indexes(con) -> None:
    """Make :data:`SQL_INDEXES` on a store made before them (once, under the schema lock;
    seconds at a million events)."""
    missing = con.execute(
        "SELECT count(*) FROM unnest(%s::text[]) AS i WHERE to_regclass(i) IS NULL",
        (_SQL_INDEX_NAMES,),
    ).fetchone()[0]
    if missing:
        for statement in SQL_INDEXES:
            con.execute(statement)


def schema() -> list[str]:
    """The statements that create a new store's tables and indexes."""
    return [
        "CREATE TABLE zonewatch_meta (key text PRIMARY KEY, value text NOT NULL)",
        *[stmt for table in T.TABLES for stmt in _ddl(table)],
        'CREATE INDEX "events_dates" ON "events" (date_start, date_end)',
        'CREATE INDEX "events_type" ON "events" (event_type)',
        *SQL_INDEXES,
        *pgcells.DDL,
        *pgcells.DAYS_DDL,
    ]


def migration(target: int) -> list[str]:
    """The statements bringing a PostGIS store from version ``target - 1`` to ``target``
    (it began at 2, with the unique boundaries that GeoPackage stores gained in 3; 4 adds
    the matches' tables)."""
    if target == 4:
        return [stmt for table in T.MATCH_TABLES for stmt in _ddl(table)]
    return []


def conninfo(url: str) -> str:
    """A libpq connection string from a SQLAlchemy-style ``postgresql+psycopg://`` URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise StoreError(
            "DATABASE_URL must look like postgresql+psycopg://user:password@host:port/dbname"
        )
    return "postgresql://" + rest


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(conninfo(url))
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path}"


def _open(info: str, url: str):
    """A new autocommit connection to ``info`` (``url`` names it in the error)."""
    psycopg = _psycopg()
    try:
        return psycopg.connect(info, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        reason = _first_line(exc)
        raise StoreError(
            f"cannot connect to the PostGIS server at {safe_url(url)} ({reason}); "
            "check DATABASE_URL and that the server is running"
        ) from None


class _ReadPool:
    """Idle read connections kept open for the next reads: opening one costs a new server
    process (20 ms at the median, over 100 ms at worst on a busy machine), a short query
    on an open one well under a millisecond, and a page's first run reads a dozen times.
    A connection comes back only when idle (not in a transaction, not broken)."""

    def __init__(self, connect, size: int):
        self._connect, self._size = connect, size
        self._idle: list = []
        self._lock = threading.Lock()

    def take(self) -> _Lent:
        with self._lock:
            con = self._idle.pop() if self._idle else None
        if con is None or con.closed:
            return _Lent(self._connect(), self, kept=False)
        return _Lent(con, self, kept=True)

    def new(self):
        """A new connection (for one that the server dropped while idle)."""
        return self._connect()

    def give_back(self, con) -> None:
        psycopg = _psycopg()
        if not con.closed and con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            with self._lock:
                if len(self._idle) < self._size:
                    self._idle.append(con)
                    return
        con.close()

    def clear(self) -> None:
        """Close the idle connections (the server dropped them, or the store is gone)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for con in idle:
            con.close()


class _Lent:
    """A pooled read connection: ``close()``, or the end of a ``with`` block, gives it back
    to its pool instead of closing it."""

    __slots__ = ("_con", "_pool", "_kept")

    def __init__(self, con, pool: _ReadPool, kept: bool):
        self._con, self._pool = con, pool
        self._kept = kept  # an idle one from the pool, not yet used: the server may have dropped it

    def execute(self, *args, **kwargs):
        """The connection's ``execute``; on a kept connection that the server dropped while
        it was idle (a restart, an idle timeout), the first statement runs again on a new
        one (reads only: nothing was done)."""
        if not self._kept:
            return self._con.execute(*args, **kwargs)
        self._kept = False
        try:
            return self._con.execute(*args, **kwargs)
        except _psycopg().OperationalError:
            if not self._con.closed:
                raise  # the statement failed, not the connection
            self._con = self._pool.new()
            return self._con.execute(*args, **kwargs)

    def cursor(self, *args, **kwargs):
        if self._kept:
            self.execute("SELECT 1")  # see execute
        return self._con.cursor(*args, **kwargs)

    def close(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            self._pool.give_back(con)

    def __enter__(self) -> _Lent:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class PostGISStore(Store):
    """A :class:`~geo.store.base.Store` in a PostGIS database."""

    FIGURES_IN_SQL = True  # the pages filter, count and page in SQL (geo.store.pgquery)

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self._conninfo = conninfo(url)
        self._revision_con = None  # kept open: the revision is asked on every rerun
        self._revision_lock = threading.Lock()
        # (not self._connect: the pool, kept by the finalizer below, must not keep the store)
        self._pool = _ReadPool(functools.partial(_open, self._conninfo, url), READ_POOL_SIZE)
        weakref.finalize(self, self._pool.clear)  # the idle connections go with the store

    @classmethod
    def open(cls, url: str, seed: bool = True) -> PostGISStore:
        """Connect; create the schema (filled from ``data/`` if ``seed``) or migrate it."""
        store = cls(url)
        with store._connect() as con:
            con.execute("SELECT pg_advisory_lock(%s)", (_LOCK_SCHEMA,))
            try:
                store._prepare(con, seed)
            finally:
                con.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_SCHEMA,))
        return store

    def _connect(self):
        return _open(self._conninfo, self.url)

    def _prepare(self, con, seed: bool) -> None:
        psycopg = _psycopg()
        try:
            con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error:
            raise StoreError(
                "the database has no PostGIS extension and this user cannot create it; "
                "ask its administrator to run CREATE EXTENSION postgis"
            ) from None
        exists = con.execute("SELECT to_regclass('zonewatch_meta') IS NOT NULL").fetchone()[0]
        if not exists:
            with con.transaction():
                for statement in schema():
                    con.execute(statement)
                con.execute(
                    "INSERT INTO zonewatch_meta VALUES ('schema_version', %s), ('revision', '0'),"
                    " ('created_at', %s)",
                    (str(T.SCHEMA_VERSION), T.now_utc()),
                )
            if seed:
                self.seed()
            return
        version = int(
            con.execute("SELECT value FROM zonewatch_meta WHERE key = 'schema_version'").fetchone()[
                0
            ]
        )
        if version > T.SCHEMA_VERSION:
            raise StoreError(
                f"the database was made by a newer ZoneWatch (schema {version}); "
                f"this version reads schema {T.SCHEMA_VERSION} and older"
            )
        if version < T.SCHEMA_VERSION:
            with con.transaction():
                for target in range(version + 1, T.SCHEMA_VERSION + 1):
                    for statement in migration(target):
                        con.execute(statement)
                con.execute(
                    "UPDATE zonewatch_meta SET value = %s WHERE key = 'schema_version'",
                    (str(T.SCHEMA_VERSION),),
                )
        _add_sql_indexes(con)
        pgcells.ensure(con, _LOCK_WRITE)  # a store made before the summaries
        if seed and self.is_empty():
            self.seed()  # a schema whose first fill never finished, or a failed restore
        elif seed:
            self.add_shipped_history()

    # --- primitives --------------------------------------------------------------------

    @contextmanager
    def _transaction(self):
        psycopg = _psycopg()
        con = self._connect()
        try:
            with _store_errors(psycopg), con.transaction():
                started, attempt = time.monotonic(), 0
                while not con.execute(
                    "SELECT pg_try_advisory_xact_lock(%s)", (_LOCK_WRITE,)
                ).fetchone()[0]:
                    attempt += 1
                    self._wait_turn(attempt, started)
                    time.sleep(0.1)
                yield con
        finally:
            con.close()

    def _insert(self, tx, table: T.Table, frame: pd.DataFrame, skip_existing: bool) -> int:
        """COPY the rows into a temporary staging table, then one ``INSERT ... SELECT`` (with
        ``ON CONFLICT DO NOTHING`` when existing rows are skipped) in the rows' order, so the
        row ids follow the frame; all in the caller's transaction, so a failure leaves nothing
        (the staging table goes with it). Returns the rows added, counted by the INSERT.

        The rows go as COPY's CSV, written by Arrow from the frame's columns
        (:func:`~geo.store.tables.to_arrow`): text quoted (so an empty text stays empty),
        a missing value unquoted and empty (NULL), the geometry as hex WKB, or, when every
        point is at its row's longitude and latitude (events), made from them in SQL (less
        to convert and send). An anti-join leaving out existing rows before ``ON CONFLICT``
        was tried: with the table's statistics stale during a large import, the planner
        scanned the whole table for every chunk, and the import took more server time."""
        stage = _ident(f"zonewatch_stage_{table.name}")
        names = list(map(_ident, table.names))
        typed = [f"{_ident(c)} {_SQL_TYPES[k]}" for c, k in table.columns]
        copied, target, selected = list(names), list(names), list(names)
        by_xy = T.points_at_lon_lat(table, frame)
        if by_xy:
            target.append("geom")
            selected.append(
                f"ST_SetSRID(ST_MakePoint({_ident('longitude')}, {_ident('latitude')}), 4326)"
            )
        elif table.geometry:
            typed.append("geom_hex text")
            copied.append("geom_hex")
            target.append("geom")
            selected.append("ST_GeomFromWKB(decode(geom_hex, 'hex'), 4326)")
        tx.execute(f"CREATE TEMP TABLE {stage} (seq bigserial, {', '.join(typed)}) ON COMMIT DROP")
        copy = f"COPY {stage} ({', '.join(copied)}) FROM STDIN (FORMAT csv)"
        with tx.cursor() as cur, cur.copy(copy) as cp:
            for start in range(0, len(frame), _COPY_BATCH):  # bounded memory for big frames
                part = frame.iloc[start : start + _COPY_BATCH]
                buf = io.BytesIO()
                pa_csv.write_csv(T.to_arrow(table, part, geometry=not by_xy), buf, _CSV_OPTIONS)
                cp.write(buf.getbuffer())
        tx.execute("SET LOCAL work_mem = '64MB'")  # the sort by seq, in memory
        insert = (
            f"INSERT INTO {_ident(table.name)} ({', '.join(target)}) "
            f"SELECT {', '.join(selected)} FROM {stage} ORDER BY seq"
        )
        if skip_existing:
            insert += f" ON CONFLICT ({', '.join(map(_ident, table.identity))}) DO NOTHING"
        if table.name == T.EVENTS.name:  # the summary of the events, in the same statement
            staged = getattr(tx, "_zonewatch_cells_staged", False)  # an import: see _bulk_insert
            statement, params = (pgcells.stage_events if staged else pgcells.insert_events)(insert)
            added = tx.execute(statement, params).fetchone()[0]
        else:
            added = tx.execute(insert).rowcount
        tx.execute(f"DROP TABLE {stage}")
        return added

    @contextmanager
    def _bulk_insert(self, tx, table, rows: int):
        """An import's chunks add their summary rows (:mod:`geo.store.pgcells`) to a staging
        table, added up into the summary once at the end, in the import's transaction."""
        if table.name != T.EVENTS.name:
            yield
            return
        pgcells.begin_import(tx)
        tx._zonewatch_cells_staged = True
        try:
            yield
        finally:
            tx._zonewatch_cells_staged = False
        pgcells.finish_import(tx)

    def _count(self, tx, table: T.Table) -> int:
        return tx.execute(f"SELECT COUNT(*) FROM {_ident(table.name)}").fetchone()[0]

    def _max_versions(self, tx) -> dict[str, int]:
        return dict(tx.execute("SELECT zone_id, MAX(version) FROM zone_versions GROUP BY zone_id"))

    def _bump_revision(self, tx) -> None:
        tx.execute(
            "UPDATE zonewatch_meta SET value = (value::bigint + 1)::text WHERE key = 'revision'"
        )

    # --- reads -------------------------------------------------------------------------

    def _read_connection(self):
        """A read connection from the store's pool (:class:`_ReadPool`)."""
        return self._pool.take()

    @property
    def _READ_ERRORS(self) -> tuple[type[BaseException], ...]:  # noqa: N802 - the base's name
        return (_psycopg().Error,)

    _BEGIN_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def _read_failed(self, exc: BaseException) -> str:
        return (
            f"the database could not be read ({_first_line(exc)}); "
            "check that it is a ZoneWatch database"
        )

    def read_table(self, table: T.Table) -> pd.DataFrame:
        cols = [_ident(c) + ("::text" if k == T.DATE else "") for c, k in table.columns]
        if table.geometry:
            cols.append("ST_AsBinary(geom)")
        rows = self._read(f"SELECT {', '.join(cols)} FROM {_ident(table.name)} ORDER BY fid")
        if table.geometry:
            geoms = list(shapely.from_wkb([bytes(r[-1]) for r in rows])) if rows else []
            return T.from_rows(table, [r[:-1] for r in rows], geoms)
        return T.from_rows(table, rows, None)

    _PARAM = "%s"

    def _event_select(self) -> list[str]:
        return [_ident(c) + ("::text" if k == T.DATE else "") for c, k in T.EVENTS.columns]

    def _fids_clause(self, fids: list[int]) -> tuple[str, tuple]:
        return "fid = ANY(%s)", (fids,)

    def events(self, flt: EventFilter | None = None) -> pd.DataFrame:
        clauses, params = [], []
        if flt is not None:
            if flt.end is not None:
                clauses.append("date_start <= %s")
                params.append(flt.end)
            if flt.start is not None:
                clauses.append("date_end >= %s")
                params.append(flt.start)
            for col, values in (("event_type", flt.types), ("dataset", flt.datasets)):
                if values is not None:
                    clauses.append(f"lower({col}) = ANY(%s)")
                    params.append([v.lower() for v in values])
            if flt.bbox is not None:
                clauses.append("geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)")
                params.extend(flt.bbox)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._read(
            f"SELECT {', '.join(self._event_select())} FROM events {where} ORDER BY fid",
            tuple(params),
        )
        return T.events_frame(T.from_rows(T.EVENTS, rows, None))

    def event_summary(self):
        """From the summary table (:func:`geo.store.pgcells.event_summary`): no scan."""
        return pgcells.event_summary(self)

    def revision(self) -> str:
        """The write count, with the database's own id (a database made again under the
        same name starts counting again: its caches must not be taken for the old one's).

        Every rerun of every page of every app process asks it, so it is one primary-key
        read on a connection this store keeps open for it (opening a connection costs far
        more than the query); a connection the server dropped is opened again."""
        psycopg = _psycopg()
        with self._revision_lock:
            for attempt in (1, 2):
                if self._revision_con is None or self._revision_con.closed:
                    self._revision_con = self._connect()
                    weakref.finalize(self, self._revision_con.close)  # closed with the store
                try:
                    value, db = self._revision_con.execute(_REVISION_SQL).fetchone()
                    break
                except psycopg.OperationalError:
                    self._revision_con.close()  # dropped by the server: once more, anew
                    self._revision_con = None
                    self._pool.clear()  # the idle read connections were dropped too
                    if attempt == 2:
                        raise StoreError(
                            f"the PostGIS server at {safe_url(self.url)} closed the "
                            "connection; check that it is running"
                        ) from None
                except psycopg.Error as exc:
                    raise StoreError(
                        f"the database could not be read ({_first_line(exc)}); "
                        "check that it is a ZoneWatch database"
                    ) from None
        return f"pg:{safe_url(self.url)}:{db}:{value}"

    @property
    def description(self) -> str:
        return f"PostGIS ({safe_url(self.url)})"
