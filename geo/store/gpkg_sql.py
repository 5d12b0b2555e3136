"""The GeoPackage engine's event filter in SQL, and a count that needs no pandas.

:func:`event_where` is the one WHERE clause the engine filters events with (dates and a
bounding box; types and datasets are matched in pandas, see
:meth:`geo.store.gpkg.GeoPackageStore.events`). :func:`count_events` runs it as
``SELECT COUNT(*)`` straight on the file with :mod:`sqlite3`, so that the command line
answers a count without loading pandas or GeoPandas. It answers only when that is the
whole answer; otherwise it returns None and the caller opens the store as usual.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from geo.filters import EventFilter

#: EventFilter fields :func:`event_where` applies; every other field must be unset.
SQL_FIELDS = ("start", "end", "bbox")


def event_where(flt: EventFilter | None) -> tuple[str, tuple]:
    """``WHERE ...`` (or ``""``) and its parameters for the dates and box of ``flt``."""
    if flt is None:
        return "", ()
    clauses, params = [], []
    if flt.end is not None:
        clauses.append("date_start <= ?")
        params.append(flt.end.isoformat())
    if flt.start is not None:
        clauses.append("date_end >= ?")
        params.append(flt.start.isoformat())
    # Types and datasets are matched in pandas (see events()): SQLite's lower() folds
    # ASCII only, and names such as "Échanges de tirs" must match in any case.
    if flt.bbox is not None:
        clauses.append("longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?")
        west, south, east, north = flt.bbox
        params.extend((west, east, south, north))
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", tuple(params)


def sql_only(flt: EventFilter) -> bool:
    """True when :func:`event_where` is the whole of ``flt`` (no pandas filter left)."""
    from dataclasses import fields

    return all(getattr(flt, f.name) is None for f in fields(flt) if f.name not in SQL_FIELDS)


def count_events(path: Path, flt: EventFilter) -> int | None:
    """Events in the GeoPackage store at ``path`` matching ``flt``, or None when the store
    must be opened the usual way first (missing, empty, another schema, unreadable) or
    when ``flt`` needs more than SQL."""
    from geo.store.version import SCHEMA_VERSION

    if not sql_only(flt) or not Path(path).is_file():
        return None
    uri = "file:" + quote(str(Path(path).resolve())) + "?mode=rw"  # never creates a file
    try:
        con = sqlite3.connect(uri, uri=True, timeout=5, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        con.execute("BEGIN")  # one read transaction: the checks and the count agree
        (version,) = con.execute(
            "SELECT value FROM zonewatch_meta WHERE key = 'schema_version'"
        ).fetchone() or (None,)
        if str(version) != str(SCHEMA_VERSION):
            return None
        if con.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 0:
            return None  # an empty store is filled when opened
        where, params = event_where(flt)
        return int(con.execute(f"SELECT COUNT(*) FROM events {where}", params).fetchone()[0])
    except (sqlite3.Error, TypeError):
        return None
    finally:
        con.close()
