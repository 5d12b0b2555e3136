"""Keyset paging of the Events table on PostGIS (:mod:`geo.store.pgkeyset`): stepping
through every page, forwards after the shown page's last row and backwards before its
first row, gives the rows of the ``OFFSET`` pages (:meth:`PgEvents.page`,
:func:`geo.store.pgnearest.page`) in every order, both ways, on the shipped data (missing
values, text ranks, ties), counting each event once too."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_pg_query import _filters

from geo.matching import stored
from geo.store import pgkeyset, pgnearest
from geo.store.pgonce import OnceEvents
from geo.store.pgquery import SQL_ORDERS, PgEvents

ORDERS = (*SQL_ORDERS, "place")
#: Page sizes per filter: every event in pages of 500, a zone's in pages of 70 (pages
#: that split runs of equal keys; every page stepped through, a few seconds an order).
SIZES = {"default": 500, "zone": 70}


@pytest.fixture(scope="module")
def shipped(postgis):
    from geo.store.postgis import PostGISStore

    return PostGISStore.open(
        postgis.create_db("keyset_shipped", template="zonewatch_template"), seed=False
    )


def _offset(sql, flt, by, descending, page, places, size):
    if by == "place":
        return pgnearest.page(sql, flt, descending, page, places, size=size)
    return sql.page(flt, by, descending, page, size=size)


def _stepped(sql, flt, by, descending, places, size) -> int:
    total = sql.count(flt)
    pages = math.ceil(total / size)
    assert pages > 3
    want = [_offset(sql, flt, by, descending, p, places, size) for p in range(1, pages + 1)]
    kw = {"places": places, "size": size, "total": total, "offset_pages": 0}  # every step
    shown = pgkeyset.page(sql, flt, by, descending, 1, **kw)  # the first: by OFFSET
    assert np.array_equal(shown.fids, want[0]), (by, descending, 1)
    for p in range(2, pages + 1):  # forwards: after the last row shown
        shown = pgkeyset.page(sql, flt, by, descending, p, after=shown.last, **kw)
        assert np.array_equal(shown.fids, want[p - 1]), (by, descending, p)
    for p in range(pages - 1, 0, -1):  # backwards: before the first row shown
        shown = pgkeyset.page(sql, flt, by, descending, p, before=shown.first, **kw)
        assert np.array_equal(shown.fids, want[p - 1]), (by, descending, p, "back")
    jumped = pgkeyset.page(sql, flt, by, descending, pages // 2, **kw)  # a jump: OFFSET
    assert np.array_equal(jumped.fids, want[pages // 2 - 1])
    # up to page offset_pages, a step goes by OFFSET too (the indexes of the first pages)
    kw["offset_pages"] = pages
    shown = pgkeyset.page(sql, flt, by, descending, 2, after=jumped.last, **kw)
    assert np.array_equal(shown.fids, want[1])
    return pages


@pytest.mark.parametrize("by", ORDERS)
def test_keyset_pages_are_the_offset_pages(shipped, by):
    store, places = shipped, shipped.places()
    sql = PgEvents(store)
    filters = _filters(store.event_summary())
    for name, size in SIZES.items():
        for descending in (False, True):
            _stepped(sql, filters[name], by, descending, places, size)


def test_keyset_pages_counting_once(shipped):
    store = shipped
    stored.build(store, "tester")
    sql = OnceEvents(store)
    flt = _filters(store.event_summary())["default"]
    for by in ("fatalities", "actor", "place"):
        _stepped(sql, flt, by, True, store.places(), SIZES["default"])
