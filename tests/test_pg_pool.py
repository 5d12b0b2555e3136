"""A PostGIS store's reads take their connection from a small pool of open ones
(geo.store.postgis._ReadPool): a page's first run reads a dozen times, and each new
connection costs a server process (tens of milliseconds on a busy machine)."""

from __future__ import annotations

import gc
import time
import uuid

import pytest


@pytest.fixture
def store_and_db(postgis):
    from geo.store.postgis import PostGISStore

    name = f"zw_{uuid.uuid4().hex[:12]}"
    return PostGISStore.open(postgis.create_db(name, template="zonewatch_template")), name


def _pid(store) -> int:
    return store._read("SELECT pg_backend_pid()")[0][0]


def _backends(server, db: str) -> set[int]:
    import psycopg

    with psycopg.connect(
        f"postgresql://postgres@127.0.0.1:{server.port}/{db}", autocommit=True
    ) as con:
        rows = con.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    return {r[0] for r in rows}


def test_reads_reuse_one_open_connection(store_and_db):
    store, _ = store_and_db
    first = _pid(store)
    summary = store.event_summary()  # several reads
    assert summary.count > 0
    assert _pid(store) == first, "each read opened a new connection"


def test_reads_at_once_on_several_threads_take_several_connections(store_and_db):
    from concurrent.futures import ThreadPoolExecutor

    store, _ = store_and_db
    with ThreadPoolExecutor(3) as pool:  # each holds its connection a while
        pids = set(pool.map(lambda _: store._read("SELECT pg_backend_pid(), pg_sleep(0.3)")[0][0],
                            range(3)))  # fmt: skip
    assert len(pids) == 3
    with store._snapshot():  # a read transaction: its connection comes back after it
        inside = _pid(store)
    assert _pid(store) in pids | {inside}


def test_a_write_by_another_connection_shows_on_the_next_read(store_and_db, postgis):
    store, name = store_and_db
    before = store._read("SELECT count(*) FROM places")[0][0]
    postgis.admin("DELETE FROM places WHERE fid = (SELECT min(fid) FROM places)", db=name)
    assert store._read("SELECT count(*) FROM places")[0][0] == before - 1


def test_dropped_connections_are_opened_again(store_and_db, postgis):
    store, name = store_and_db
    first = store.revision()
    _pid(store)
    for pid in _backends(postgis, name):  # a server restart drops every connection
        postgis.admin(f"SELECT pg_terminate_backend({pid})", db=name)
    assert store.revision() == first  # every rerun asks it first: it clears the pool
    assert _pid(store) > 0


def test_the_pooled_connections_go_with_the_store(postgis):
    from geo.store.postgis import PostGISStore

    name = f"zw_{uuid.uuid4().hex[:12]}"
    store = PostGISStore.open(postgis.create_db(name, template="zonewatch_template"))
    store.revision()
    _pid(store)
    assert _backends(postgis, name)
    del store
    gc.collect()
    deadline = time.monotonic() + 10
    while _backends(postgis, name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _backends(postgis, name) == set()


def test_a_kept_connection_dropped_while_idle_is_replaced_not_an_error(store_and_db, postgis):
    store, _ = store_and_db
    store.revision()
    pooled = _pid(store)
    postgis.admin(f"SELECT pg_terminate_backend({pooled})")  # an idle timeout, say
    time.sleep(0.2)
    assert _pid(store) != pooled  # read on a new connection, no error
    summary = store.event_summary()
    assert summary.count > 0
