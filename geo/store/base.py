"""The one store interface the app and the CLI read and write through.

Engines (:mod:`geo.store.gpkg`, :mod:`geo.store.postgis`) provide a few primitives:
a write transaction, inserts that skip rows whose identity exists, and reads. The
behaviour people rely on lives here, once: versions are added and never overwritten,
an import adds only new events, every write is one transaction and leaves a history row.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import auth
from geo import zones as Z
from geo.errors import StoreBusyError, StoreError
from geo.filters import EventFilter
from geo.store import tables as T
from geo.store.matches import MatchTables
from geo.wording import count


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    added: int
    already_present: int
    import_id: str


@dataclass(frozen=True)
class EventSummary:
    """The extent of the stored events, for filter widgets and "N of M" lines."""

    count: int
    first: date | None
    last: date | None
    types: tuple[str, ...]
    datasets: tuple[str, ...]


#: How long a write waits for another writer before giving up, in seconds.
WRITE_WAIT = float(os.environ.get("ZONEWATCH_WRITE_WAIT", "60"))


#: A callback told when a write has to wait for another writer: (attempt, seconds waited).
BusyCallback = Callable[[int, float], None]


class Store(MatchTables, ABC):
    """Zones with all their versions, events with their datasets, places, boundaries,
    the matches (:class:`geo.store.matches.MatchTables`) and the history of every write
    (who, when, file name, SHA-256).
    """

    #: called while a write waits for another writer ("busy, retrying")
    on_busy: BusyCallback | None = None

    def __init__(self):
        self._local = threading.local()  # the connection of an open snapshot, per thread

    # --- primitives each engine provides ---------------------------------------------

    @abstractmethod
    def _transaction(self) -> AbstractContextManager:
        """A write transaction (one writer at a time); commits on success."""

    @abstractmethod
    def _insert(self, tx, table: T.Table, frame: pd.DataFrame, skip_existing: bool) -> int:
        """Insert the rows of ``frame``; skip (when asked) rows whose identity exists."""

    @abstractmethod
    def _count(self, tx, table: T.Table) -> int:
        """Rows in a table, read inside the transaction."""

    def is_empty(self) -> bool:
        """True for a store nothing was ever written to (no seed, import or restore)."""
        return self._read(f'SELECT COUNT(*) FROM "{T.HISTORY.name}"')[0][0] == 0

    @abstractmethod
    def _max_versions(self, tx) -> dict[str, int]:
        """The highest version of each zone, read inside the transaction."""

    @abstractmethod
    def _bump_revision(self, tx) -> None:
        """Mark the data as changed (for caches)."""

    @abstractmethod
    def read_table(self, table: T.Table) -> pd.DataFrame:
        """Every row of a table (a GeoDataFrame for spatial tables)."""

    @abstractmethod
    def events(self, flt: EventFilter | None = None) -> pd.DataFrame:
        """Events in the event model, filtered by the engine (``None``: all)."""

    @abstractmethod
    def _read_connection(self):
        """A new connection for reading (closed by the caller); its ``execute`` takes SQL
        and parameters."""

    #: what the engine's driver raises when a read fails
    _READ_ERRORS: tuple[type[BaseException], ...] = ()

    #: the statement that begins a read transaction seeing one state of the store
    _BEGIN_SNAPSHOT = "BEGIN"

    @abstractmethod
    def _read_failed(self, exc: BaseException) -> str:
        """The message of the :class:`StoreError` raised when a read fails."""

    def _read(self, sql, params: tuple = ()) -> list[tuple]:
        """Rows of a read-only SQL query (the SQL here is common to both engines), inside
        :meth:`_snapshot` when one is open on this thread."""
        pinned = getattr(self._local, "con", None)
        con = pinned or self._read_connection()
        try:
            return con.execute(sql, params).fetchall()
        except self._READ_ERRORS as exc:
            raise StoreError(self._read_failed(exc)) from None
        finally:
            if pinned is None:
                con.close()

    @contextmanager
    def _snapshot(self):
        """Within it, every read of this thread sees one consistent state of the store."""
        con = self._read_connection()
        con.execute(self._BEGIN_SNAPSHOT)
        self._local.con = con
        try:
            yield
        finally:
            self._local.con = None
            con.execute("COMMIT")
            con.close()

    def event_summary(self) -> EventSummary:
        """How many events, their date range, types and datasets, computed by the engine."""
        count, first, last = self._read(
            "SELECT COUNT(*), MIN(date_start), MAX(date_end) FROM events"
        )[0]
        types = [r[0] for r in self._read("SELECT DISTINCT event_type FROM events ORDER BY 1")]
        datasets = [r[0] for r in self._read("SELECT DISTINCT dataset FROM events ORDER BY 1")]
        return EventSummary(
            int(count),
            date.fromisoformat(str(first)[:10]) if first else None,
            date.fromisoformat(str(last)[:10]) if last else None,
            tuple(types),
            tuple(datasets),
        )

    @abstractmethod
    def revision(self) -> str:
        """A token that changes whenever the stored data change (for caching)."""

    def events_version(self, revision: str) -> str:
        """A token that changes only when events are added (imports, restores), read at
        ``revision`` (:meth:`revision`): what the in-memory event index is keyed on, so that
        a zone saved or a match decided does not make every app process read every event
        again. The events table is append-only (nothing updates or deletes a row), so its
        largest ``fid`` changes with every write that adds an event; the revision's text up
        to its last ``:`` (the engine and database, for PostGIS) keeps two stores apart."""
        ((top,),) = self._read("SELECT max(fid) FROM events")
        where = revision.rpartition(":")[0]
        return f"{where}:events:{top}"

    def layers_version(self, revision: str) -> str:
        """A token that changes with every write but an events import, read at ``revision``
        (:meth:`revision`): what the pages' zones, places and boundaries are keyed on, so
        that an import (it adds events and the history row saying so, nothing else) does
        not make every app process read them again. Every write adds one history row in
        its transaction (:meth:`_log`) and history rows are only ever added, so the largest
        ``fid`` of the rows that are not imports changes with every other write: a zone
        version, a restore, a seed, a match build or decision."""
        ((top,),) = self._read(
            f'SELECT max(fid) FROM "{T.HISTORY.name}" WHERE kind <> {self._PARAM}', ("import",)
        )
        where = revision.rpartition(":")[0]
        return f"{where}:layers:{top}"

    @property
    @abstractmethod
    def description(self) -> str:
        """A short description of the engine, with no secrets and no internal paths."""

    def _wait_turn(self, attempt: int, started: float) -> None:
        """Another writer holds the store: tell :attr:`on_busy`, or give up after
        :data:`WRITE_WAIT` seconds with a message instead of "database is locked"."""
        waited = time.monotonic() - started
        if waited >= WRITE_WAIT:
            raise StoreBusyError(
                f"the store is busy with another writer (waited {waited:.0f} s); "
                "try again in a moment"
            )
        if self.on_busy:
            self.on_busy(attempt, waited)

    # --- reads -------------------------------------------------------------------------

    #: the engine's SQL parameter placeholder
    _PARAM = "?"
    #: whether the pages' figures run in the engine's SQL (geo.store.pgquery), not in memory
    FIGURES_IN_SQL = False

    def event_columns(self, after: int | None = None) -> pd.DataFrame:
        """``fid`` and :data:`geo.store.tables.INDEX_COLUMNS` of every event, in ``fid`` order:
        what the map's in-memory index is built from (engines may read it faster). With
        ``after``, only the events whose ``fid`` is larger: those added since an index was
        read (the events table is append-only, see :meth:`events_version`)."""
        names = ("fid", *T.INDEX_COLUMNS)
        where, params = ("", ()) if after is None else (f" WHERE fid > {self._PARAM}", (after,))
        rows = self._read(f"SELECT {', '.join(names)} FROM events{where} ORDER BY fid", params)
        df = pd.DataFrame.from_records(rows, columns=list(names))
        for col in ("date_start", "date_end"):
            text = [str(v)[:10] for v in df[col]]  # ISO text (SQLite) or a date (PostGIS)
            df[col] = pd.to_datetime(pd.Series(text, dtype=object), format="%Y-%m-%d")
        return df

    def event_column_batches(self, after: int | None = None) -> Iterator[pd.DataFrame]:
        """:meth:`event_columns` in batches, one after another in ``fid`` order (at least
        one, maybe empty): what :meth:`geo.eventindex.EventIndex.read` indexes a batch at a
        time. Engines that read in batches give them as read; this one gives the whole."""
        yield self.event_columns(after)

    def event_fid_range(self) -> tuple[int, int]:
        """(how many events, the largest ``fid``; 0 when none): what
        :meth:`fids_after` pages through, read in one snapshot."""
        count, top = self._read("SELECT COUNT(*), MAX(fid) FROM events")[0]
        return int(count), int(top or 0)

    def fids_after(self, after: int, upto: int, limit: int) -> np.ndarray:
        """The next ``limit`` row ids larger than ``after`` and at most ``upto``, ascending:
        every event a page at a time, read by the primary key (no list of every id)."""
        p = self._PARAM
        rows = self._read(
            f"SELECT fid FROM events WHERE fid > {p} AND fid <= {p} ORDER BY fid LIMIT {p}",
            (int(after), int(upto), int(limit)),
        )
        return np.array([r[0] for r in rows], dtype=np.int64)

    def event_page(self, columns, after: int, limit: int) -> pd.DataFrame:
        """``fid`` and ``columns`` (of :data:`geo.store.tables.EVENTS`) of the next ``limit``
        events whose ``fid`` is larger than ``after``, in ``fid`` order, as stored (dates as
        text or dates): every event a page at a time, only the columns a reader needs."""
        unknown = [c for c in columns if c not in T.EVENTS.names]
        if unknown:
            raise ValueError(f"not columns of the events: {unknown}")
        names = ["fid", *(f'"{c}"' for c in columns)]
        p = self._PARAM
        rows = self._read(
            f"SELECT {', '.join(names)} FROM events WHERE fid > {p} ORDER BY fid LIMIT {p}",
            (int(after), int(limit)),
        )
        return pd.DataFrame.from_records(rows, columns=["fid", *columns])

    def _event_select(self) -> list[str]:
        """The event columns as the engine must select them to get the stored text."""
        return [f'"{c}"' for c in T.EVENTS.names]

    def event_by_fid(self, fid: int) -> pd.DataFrame:
        """The event stored with row id ``fid``, in the event model (no row when none)."""
        cols = ", ".join(self._event_select())
        rows = self._read(f"SELECT {cols} FROM events WHERE fid = {self._PARAM}", (int(fid),))
        return T.events_frame(T.from_rows(T.EVENTS, rows, None))

    def _fids_clause(self, fids: list[int]) -> tuple[str, tuple]:
        """A WHERE condition (and its parameters) keeping the rows whose fid is listed."""
        marks = ", ".join([self._PARAM] * len(fids))
        return f"fid IN ({marks})", tuple(fids)

    def events_by_fids(self, fids) -> pd.DataFrame:
        """The events stored with the row ids ``fids``, in the event model and in the order
        given (ids not stored are left out), indexed by fid: one query however many ids,
        so a page of the table or a chunk of an export reads only its own rows' text."""
        wanted = [int(f) for f in np.asarray(fids, dtype=np.int64).ravel()]
        if not wanted:
            frame = T.events_frame(T.from_rows(T.EVENTS, [], None))
            return frame.set_index(pd.Index([], dtype="int64", name="fid"))
        where, params = self._fids_clause(wanted)
        cols = ", ".join(["fid", *self._event_select()])
        rows = self._read(f"SELECT {cols} FROM events WHERE {where}", params)
        frame = T.events_frame(T.from_rows(T.EVENTS, [r[1:] for r in rows], None))
        frame.index = pd.Index([int(r[0]) for r in rows], dtype="int64", name="fid")
        return frame.reindex(pd.Index([f for f in wanted if f in frame.index], name="fid"))

    def zone_versions(self) -> gpd.GeoDataFrame:
        """Every stored version of every zone."""
        return T.zone_frame(self.read_table(T.ZONE_VERSIONS))

    def zones(self, as_of: date | None = None) -> gpd.GeoDataFrame:
        """Each zone's version in force on ``as_of`` (default: today); zones not started
        yet, and zones whose version in force says they ended, are left out."""
        return Z.in_force(self.zone_versions(), as_of)

    def zone_extents(self) -> gpd.GeoDataFrame:
        """Each zone's latest boundary (ended zones included): what it covered last."""
        return Z.last_extent(self.zone_versions())

    def places(self) -> gpd.GeoDataFrame:
        """Towns and cities with English and Arabic names."""
        return T.place_frame(self.read_table(T.PLACES))

    def admin(self, level: int) -> gpd.GeoDataFrame:
        """Reference boundaries: 0 = country outline, 1 = governorates."""
        if level not in (0, 1):
            raise StoreError(f"admin level must be 0 or 1, got {level}")
        return self.read_table(T.ADMIN0 if level == 0 else T.ADMIN1)

    def history(self) -> pd.DataFrame:
        """Every write: kind, when, who, file name, SHA-256 and what it did."""
        return self.read_table(T.HISTORY).sort_values("at", kind="stable").reset_index(drop=True)

    # --- writes ------------------------------------------------------------------------

    def add_zone_version(
        self,
        zone: gpd.GeoDataFrame,
        who: auth.Identity | str = "",
        file_name: str = "",
        sha256: str = "",
        action: str = auth.UPLOAD,
    ) -> list[int]:
        """Add one new version for each row of ``zone``; return the version numbers.

        The version number is decided inside the write transaction, so concurrent
        writers never collide and nothing is ever overwritten. An identity ``who`` must
        have the right to ``action`` (:func:`geo.auth.require`) and is the author.
        """
        author = auth.author_of(who, action)
        rows = zone.to_crs("EPSG:4326").copy() if zone.crs else zone.copy()
        for col in T.ZONE_EXTRA_COLUMNS:
            if col not in rows.columns:
                rows[col] = ""
        rows["source_file"] = file_name or rows["source_file"]
        rows["sha256"] = sha256 or rows["sha256"]
        rows["created_at"] = T.now_utc()
        if isinstance(who, auth.Identity) or (
            "author" not in rows.columns or (rows["author"].fillna("") == "").all()
        ):
            rows["author"] = author
        with self._transaction() as tx:
            latest = self._max_versions(tx)
            versions = []
            for zone_id in rows["zone_id"]:
                latest[zone_id] = latest.get(zone_id, 0) + 1
                versions.append(latest[zone_id])
            rows["version"] = versions
            self._insert(tx, T.ZONE_VERSIONS, rows, skip_existing=False)
            detail = ", ".join(f"{z} v{v}" for z, v in zip(rows["zone_id"], versions, strict=True))
            self._log(tx, "zone_version", author, file_name, sha256, detail)
            self._bump_revision(tx)
        return versions

    def add_events(
        self,
        events: pd.DataFrame,
        who: auth.Identity | str = "",
        file_name: str = "",
        sha256: str = "",
    ) -> ImportResult:
        """Add events (in the event model); those already stored (same dataset and
        dataset id) are skipped, so importing the same file twice adds nothing.
        """
        return self.add_event_chunks(
            [events], who=who, file_name=file_name, sha256=sha256, expected_rows=len(events)
        )

    @contextmanager
    def _bulk_insert(self, tx, table, rows: int):
        """Around the inserts of an import of about ``rows`` rows (events only, their
        point built from longitude and latitude): an engine may defer per-row index upkeep
        to the end."""
        yield

    def add_event_chunks(
        self,
        chunks,
        who: auth.Identity | str = "",
        file_name: str = "",
        sha256: str = "",
        expected_rows: int = 0,
    ) -> ImportResult:
        """Add events arriving in chunks (an import of a large file) in one transaction:
        all of its new events, or none if reading fails part way. ``expected_rows`` (the
        rows the chunks hold, when known) lets the engine choose how to keep its indexes.
        An identity ``who`` must have the right to import (:func:`geo.auth.require`)."""
        who = auth.author_of(who, auth.IMPORT)
        import_id = uuid.uuid4().hex
        total = added = 0
        with self._transaction() as tx, self._bulk_insert(tx, T.EVENTS, expected_rows):
            for chunk in chunks:
                if chunk.empty:
                    continue
                frame = gpd.GeoDataFrame(
                    chunk.assign(
                        import_id=import_id, dataset=chunk["dataset"].astype(str).str.casefold()
                    ),
                    geometry=gpd.points_from_xy(chunk["longitude"], chunk["latitude"]),
                    crs="EPSG:4326",
                )
                total += len(frame)
                added += self._insert(
                    tx, T.EVENTS, frame.drop_duplicates(["dataset", "dataset_id"]), True
                )
            self._log(
                tx,
                "import",
                who,
                file_name,
                sha256,
                f"{added} added, {total - added} already present; import {import_id}",
            )
            self._bump_revision(tx)
        return ImportResult(added, total - added, import_id)

    def _log(self, tx, kind: str, who: str, file_name: str, sha256: str, detail: str) -> None:
        entry = pd.DataFrame(
            [
                {
                    "entry_id": uuid.uuid4().hex,
                    "kind": kind,
                    "at": T.now_utc(),
                    "who": who,
                    "file_name": file_name,
                    "sha256": sha256,
                    "detail": detail,
                }
            ]
        )
        self._insert(tx, T.HISTORY, entry, skip_existing=False)

    def seed(self) -> None:
        """Fill an empty store from the shipped data in ``data/``, in one transaction."""
        from geo import shipped

        events = shipped.events()
        events["import_id"] = "shipped"
        zones = shipped.zones()
        for col in T.ZONE_EXTRA_COLUMNS:
            zones[col] = ""
        zones["created_at"] = T.now_utc()
        with self._transaction() as tx:
            if self._count(tx, T.HISTORY):
                return  # filled already (by another process, or a restore)
            self._insert(
                tx,
                T.EVENTS,
                gpd.GeoDataFrame(
                    events,
                    geometry=gpd.points_from_xy(events["longitude"], events["latitude"]),
                    crs="EPSG:4326",
                ),
                skip_existing=True,
            )
            self._insert(tx, T.ZONE_VERSIONS, zones, skip_existing=True)
            self._insert(tx, T.PLACES, shipped.places(), skip_existing=True)
            self._insert(tx, T.ADMIN0, shipped.admin(0), skip_existing=True)
            self._insert(tx, T.ADMIN1, shipped.admin(1), skip_existing=True)
            self._log(tx, "seed", "zonewatch", "data/", "", "filled from the shipped data")
            self._bump_revision(tx)

    def add_shipped_history(self) -> int:
        """Add the shipped dated zone versions (2017-2020) to a store filled before they
        were shipped, numbered after whatever versions it has; return how many were added.
        A store that has them already is left alone."""
        from geo import shipped

        history = shipped.zone_history()

        def missing_now() -> gpd.GeoDataFrame:
            have = self.zone_versions()
            if not len(have):
                return history.iloc[0:0]
            mine = have[have["author"] == shipped.SHIPPED_AUTHOR]
            known = set(zip(mine["zone_id"], mine["valid_from"], strict=True))
            keep = [
                (z, v) not in known
                for z, v in zip(history["zone_id"], history["valid_from"], strict=True)
            ]
            return history[keep].copy()

        if missing_now().empty:
            return 0
        with self._transaction() as tx:
            missing = missing_now()
            if missing.empty:
                return 0
            latest = self._max_versions(tx)
            numbers = []
            for zone_id in missing.sort_values("version")["zone_id"]:
                latest[zone_id] = latest.get(zone_id, 0) + 1
                numbers.append(latest[zone_id])
            missing = missing.sort_values("version")
            missing["version"] = numbers
            for col in T.ZONE_EXTRA_COLUMNS:
                missing[col] = ""
            missing["created_at"] = T.now_utc()
            self._insert(tx, T.ZONE_VERSIONS, missing, skip_existing=False)
            self._log(
                tx,
                "zone_version",
                "zonewatch",
                "data/zones/",
                "",
                f"added the shipped zone history: {count(len(missing), 'version')}",
            )
            self._bump_revision(tx)
        return len(missing)
