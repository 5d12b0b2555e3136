"""The event index is keyed on the events' version: a write that adds no event (a zone
version, a match decision) keeps it, so no app process reads every event again; an import
changes it."""

from __future__ import annotations

import sys

from test_store import _changed_zone

from conftest import ROOT


def _events(tag: str, n: int):
    sys.path.insert(0, str(ROOT / "tests"))
    from store_worker import _events as make

    return make(tag, n)


def test_a_zone_write_keeps_the_events_version_an_import_changes_it(make_store):
    store = make_store()
    rev = store.revision()
    version = store.events_version(rev)
    store.add_zone_version(_changed_zone(store), who="ana", file_name="g.geojson", sha256="ab" * 32)
    assert store.revision() != rev
    assert store.events_version(store.revision()) == version
    store.add_events(_events("v", 3), who="ana", file_name="x.csv", sha256="cd" * 32)
    assert store.events_version(store.revision()) != version
    # a re-import that adds nothing keeps it
    now = store.events_version(store.revision())
    store.add_events(_events("v", 3), who="ana", file_name="x.csv", sha256="cd" * 32)
    assert store.events_version(store.revision()) == now


def test_two_stores_with_the_same_events_have_different_versions(make_store):
    a, b = make_store(), make_store()
    assert a.events_version(a.revision()) != b.events_version(b.revision())


def test_the_pages_index_survives_a_zone_write(make_store):
    from views import data

    store = make_store()
    data._store.clear()
    first = data.event_index(store.revision())
    store.add_zone_version(_changed_zone(store), who="ana", file_name="g.geojson", sha256="ab" * 32)
    assert data.event_index(store.revision()) is first
    store.add_events(_events("w", 2), who="ana", file_name="x.csv", sha256="cd" * 32)
    second = data.event_index(store.revision())
    assert second is not first and len(second.fid) == len(first.fid) + 2
