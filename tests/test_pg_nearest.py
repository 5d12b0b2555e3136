"""The Events table ordered by nearest place in SQL on PostGIS (:mod:`geo.store.pgnearest`)
is the in-memory order (:func:`geo.table.sort_order` with :func:`geo.table.nearest_places`)
page for page, both ways, on the shipped data and with the real ACLED 2017 file imported
(skipped, saying why, when it is not here); counting each event once too. The stored
nearest places are filled once, then only for the events added, and again when the places
change."""

from __future__ import annotations

import numpy as np
import pytest
from test_pg_parity import ACLED_REAL, _import_acled
from test_pg_query import _filters

from geo import table as T
from geo.eventindex import EventIndex
from geo.matching import stored
from geo.store import pgnearest
from geo.store.pgonce import OnceEvents
from geo.store.pgquery import PgEvents

FILTERS = ("default", "2017-fatal", "actor", "zone", "raqqa-25km", "precision")


def _same_pages(store, sql, index, mask, places, flt, name) -> int:
    nearest = T.nearest_places(index.lat, index.lon, places, precision=T.precisions_of(index))
    compared = 0
    for descending in (False, True):
        order = T.sort_order(index, mask, "place", descending, nearest)
        pages = T.page_count(len(order))
        for page in sorted({1, 2, pages // 2, pages // 2 + 1, pages - 1, pages}):
            if page < 1:
                continue
            want = index.fid[T.page_rows(order, page)]
            got = pgnearest.page(sql, flt, descending, page, places)
            assert np.array_equal(got, want), (name, descending, page)
            compared += len(want)
    return compared


@pytest.fixture(scope="module")
def shipped(postgis):
    from geo.store.postgis import PostGISStore

    return PostGISStore.open(
        postgis.create_db("nearest_shipped", template="zonewatch_template"), seed=False
    )


def test_the_order_by_nearest_place_is_the_index_s(shipped):
    store = shipped
    places = store.places()
    index = EventIndex.from_frame(store.event_columns())
    versions = store.zone_versions()
    assert pgnearest.ensure(store, places) == len(index)  # every event placed, once
    assert pgnearest.ensure(store, places) == 0
    sql = PgEvents(store)
    for name, flt in _filters(store.event_summary()).items():
        if name in FILTERS:
            mask = index.mask(flt, versions)
            assert _same_pages(store, sql, index, mask, places, flt, name) or name == "precision"
    # some events have no nearest place (region, country): they come last, in fid order
    assert np.isin(T.precisions_of(index), T.NO_NEAREST).any()


def test_counting_once_orders_the_records_that_count(shipped):
    store = shipped
    stored.build(store, "tester")
    places = store.places()
    index = EventIndex.from_frame(store.event_columns())
    flt = _filters(store.event_summary())["default"]
    mask = index.mask(flt)
    kept = stored.counted_mask(store, index, mask)
    assert kept.sum() < mask.sum()
    assert _same_pages(store, OnceEvents(store), index, kept, places, flt, "once")


def test_new_events_and_changed_places_are_placed_again(postgis):
    from geo.store.postgis import PostGISStore

    if not ACLED_REAL.exists():
        pytest.skip(f"the real ACLED file is not here ({ACLED_REAL}); the shipped data is tested")
    store = PostGISStore.open(
        postgis.create_db("nearest_acled", template="zonewatch_template"), seed=False
    )
    before = store.event_summary().count
    assert pgnearest.ensure(store, store.places()) == before
    _import_acled(store)
    index = EventIndex.from_frame(store.event_columns())
    assert pgnearest.ensure(store, store.places()) == len(index) - before  # the new ones
    flt = _filters(store.event_summary())["default"]
    mask = index.mask(flt)
    assert _same_pages(store, PgEvents(store), index, mask, store.places(), flt, "acled")
    # another name for the place most events are nearest to: every event placed again
    with store._connect() as con:
        con.execute(
            "UPDATE places SET name_en = 'Zz ' || name_en WHERE fid = (SELECT min(fid) FROM places)"
        )
    places = store.places()
    assert pgnearest.ensure(store, places) == len(index)
    assert _same_pages(store, PgEvents(store), index, mask, places, flt, "renamed")


def _tables(url: str) -> set[str]:
    from geo.store.postgis import PostGISStore

    store = PostGISStore(url)
    rows = store._read(
        "SELECT n FROM unnest(%s::text[]) AS n WHERE to_regclass(n) IS NOT NULL",
        (pgnearest.NEAREST_TABLE_NAMES,),
    )
    return {r[0] for r in rows}


def test_a_new_store_and_an_older_one_get_the_tables(postgis):
    """The schema setup makes the nearest places' tables (empty), on a new store and on
    opening a store made before them; the app never creates them."""
    from geo.store.postgis import PostGISStore

    url = postgis.create_db("nearest_new")
    store = PostGISStore.open(url, seed=False)
    assert _tables(url) == set(pgnearest.NEAREST_TABLE_NAMES)
    assert store._read("SELECT count(*) FROM event_nearest") == [(0,)]
    old = postgis.create_db("nearest_older", template="zonewatch_template")
    postgis.admin("DROP TABLE event_nearest, event_nearest_state", db="nearest_older")
    assert _tables(old) == set()  # as a store made before them
    PostGISStore.open(old, seed=False)
    assert _tables(old) == set(pgnearest.NEAREST_TABLE_NAMES)


def test_an_app_user_without_create_rights_fills_them(postgis):
    """The order by nearest place filled (lazily, with its progress told) by a user that
    may read the events and write the nearest places' rows but create nothing."""
    from geo.store.postgis import PostGISStore

    db = "nearest_rights"
    postgis.create_db(db, template="zonewatch_template")
    for sql in (
        "DO $$ BEGIN CREATE ROLE zw_app LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO zw_app",
        "GRANT INSERT, DELETE, TRUNCATE ON event_nearest, event_nearest_state TO zw_app",
    ):
        postgis.admin(sql, db=db)
    url = postgis.url(db).replace("postgres@", "zw_app@")
    store = PostGISStore.open(url, seed=False)
    told = []
    n = store.event_summary().count
    assert pgnearest.ensure(store, store.places(), progress=lambda *a: told.append(a)) == n
    assert told[0] == (0, n) and told[-1] == (n, n)
    sql = PgEvents(store)
    flt = _filters(store.event_summary())["default"]
    assert len(pgnearest.page(sql, flt, False, 1, store.places())) == T.PAGE_SIZE
