"""Keyset paging of the Events table on PostGIS (issue 18): the next or the previous page
read after (or before) the shown page's last (or first) row, with no ``OFFSET``.

A page by ``OFFSET`` (:meth:`geo.store.pgquery.PgEvents.page`,
:func:`geo.store.pgnearest.page`) makes the server sort and skip every row before it: at
page 5,000 of a million events, half a million rows kept in the sort. Stepping to the
next page from the shown one needs only the rows after its last row::

    WHERE (k1, k2, fid) > (last_k1, last_k2, last_fid) ORDER BY k1, k2, fid LIMIT n

So each order is written here as keys that all ascend and are never NULL, ending with
``fid`` (a row comparison then gives the order exactly): a missing value (NULL) is a flag
first (``x IS NULL`` where NULLs come last, ``x IS NOT NULL`` where they come first, as
PostgreSQL puts them in a descending order), a descending key is negated (dates as days
since 1970, text orders as their rank, :func:`geo.table.text_rank`). The rows are those
of the ``OFFSET`` query for the same page, in every order (``tests/test_pg_keyset.py``).
Jumping to a page (not the next or the previous one) still goes by ``OFFSET``, by the
query of :mod:`geo.store.pgquery` or :mod:`geo.store.pgnearest` itself (the first pages by
date and by fatalities read from their indexes), then the keys of its first and last rows
are read by ``fid``.

Only for PostGIS. Pure: no streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geo import table as T
from geo.store import pgnearest
from geo.store.pgquery import SQL_ORDERS, TEXT_ORDERS

_EPOCH = "DATE '1970-01-01'"

#: Pages up to this one go by OFFSET even when stepped to: the keys here are expressions
#: (flags, negations) that no index serves, so a step reads the whole selection (0.3 to
#: 0.9 s at a million events, measured) where the first pages by date and by fatalities
#: come from their indexes (page 50 by date: 75 ms); deep pages by OFFSET sort the
#: selection (page 5,000: 1.1 to 2.5 s at a million, measured, against 0.3 to 0.9 s).
OFFSET_PAGES = 50


@dataclass(frozen=True)
class Page:
    """One page's row ids, and the keys of its first and last rows (``None`` when empty):
    where the previous and the next page start."""

    fids: np.ndarray
    first: tuple | None
    last: tuple | None


def _nullable(expr: str, descending: bool, nulls_last: bool = True) -> list[str]:
    """``expr`` (a number) as two ascending keys, never NULL: the missing flag, then the
    value (negated when ``descending``)."""
    flag = f"({expr} IS NULL)" if nulls_last else f"({expr} IS NOT NULL)"
    value = f"(-({expr}))" if descending else f"({expr})"
    return [flag, f"coalesce({value}, 0)"]


def order(pg, by: str, descending: bool, places=None) -> tuple[str, tuple, list[str]]:
    """The join, its parameters and the ascending keys (``fid`` last) of the Events
    table's order ``by`` (:data:`geo.store.pgquery.SQL_ORDERS` or "place", then
    ``places``: :meth:`Store.places`), the order of the ``OFFSET`` pages."""
    if by == "date":  # PostgreSQL's default: NULLs last ascending, first descending
        return "", (), [*_nullable(f"(e.date_start - {_EPOCH})", descending, not descending),
                        "e.fid"]  # fmt: skip
    if by == "fatalities":
        return "", (), [*_nullable("e.fatalities_best", descending), "e.fid"]
    if by in TEXT_ORDERS:
        join, params = pg.rank_join(by)
        return join, params, [*_nullable("r.rank", descending), "e.fid"]
    if by == "place":
        names = tuple(str(n) for n in T.place_names(places)) if len(places) else ()
        join = (
            " LEFT JOIN event_nearest n ON n.fid = e.fid LEFT JOIN unnest(%s::bigint[])"
            " WITH ORDINALITY AS r(rank, at) ON r.at = n.place + 1"
        )
        # no nearest place (km NULL): last, in fid order (its rank taken as missing)
        rank = "CASE WHEN n.km IS NOT NULL THEN r.rank END"
        keys = ["(n.km IS NULL)", _nullable(rank, descending)[1], _nullable("n.km", descending)[1]]
        return join, ([int(r) for r in T.text_rank(names)],), [*keys, "e.fid"]
    raise ValueError(f"cannot sort by {by!r} in SQL; choose one of {', '.join(SQL_ORDERS)}")


def _offset_page(pg, flt, by, descending, page, places, size, total) -> np.ndarray:
    if by == "place":
        return pgnearest.page(pg, flt, descending, page, places, size=size, total=total)
    return pg.page(flt, by, descending, page, size=size, total=total)


def page(
    pg,
    flt,
    by: str,
    descending: bool,
    page: int,
    *,
    after: tuple | None = None,
    before: tuple | None = None,
    places=None,
    size: int = T.PAGE_SIZE,
    total: int | None = None,
    offset_pages: int = OFFSET_PAGES,
) -> Page:
    """Page ``page`` (1-based, clamped) of the Events table ordered ``by`` for the events
    ``pg`` (a :class:`geo.store.pgquery.PgEvents`, counting once or not) selects with
    ``flt``: the rows after the keys ``after`` (the previous page's :attr:`Page.last`),
    or before ``before`` (the next page's :attr:`Page.first`), else (or up to page
    ``offset_pages``) by ``OFFSET``."""
    if by == "place":
        pgnearest.ensure(pg.store, places)
    w = pg.where(flt)
    total = pg.count(flt) if total is None else total
    page = min(max(1, int(page)), max(1, math.ceil(total / size)))
    if page <= offset_pages:
        after = before = None
    join, jparams, keys = order(pg, by, descending, places)
    row = f"({', '.join(keys)})"
    select = f"SELECT {', '.join(keys)} FROM events e{join} WHERE {w.sql}"
    marks = ", ".join(["%s"] * len(keys))
    if after is not None:
        sql = f"{select} AND {row} > ({marks}) ORDER BY {', '.join(keys)} LIMIT %s"
        params = (*jparams, *w.params, *after, size)
    elif before is not None:
        back = ", ".join(f"{k} DESC" for k in keys)
        sql = f"{select} AND {row} < ({marks}) ORDER BY {back} LIMIT %s"
        params = (*jparams, *w.params, *before, size)
    else:  # a jump: the OFFSET query of the page (its indexes), then its ends' keys
        fids = _offset_page(pg, flt, by, descending, page, places, size, total)
        if not len(fids):
            return Page(fids, None, None)
        ends = dict(
            (r[-1], tuple(r))
            for r in pg._read(
                f"SELECT {', '.join(keys)} FROM events e{join} WHERE e.fid = ANY(%s::bigint[])",
                (*jparams, [int(fids[0]), int(fids[-1])]),
            )
        )
        return Page(fids, ends[int(fids[0])], ends[int(fids[-1])])
    rows = pg._read(sql, params)
    if before is not None:
        rows.reverse()
    fids = np.array([r[-1] for r in rows], dtype=np.int64)
    return Page(fids, tuple(rows[0]) if rows else None, tuple(rows[-1]) if rows else None)
