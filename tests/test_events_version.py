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


def _decoded(index) -> dict:
    """Each event's values as text and numbers, whatever the dictionaries' order."""
    import numpy as np

    def text(codes, dictionary):
        table = np.array([*dictionary, None], dtype=object)
        return table[codes].tolist()

    return {
        "fid": index.fid.tolist(),
        "lat": index.lat.tolist(),
        "lon": index.lon.tolist(),
        "start": index.start.tolist(),
        "end": index.end.tolist(),
        "fatalities": np.nan_to_num(index.fatalities, nan=-1).tolist(),
        "type": text(index.type_code, index.types),
        "dataset": text(index.dataset_code, index.datasets),
        "precision": text(index.precision_code, index.precisions),
        "actor1": text(index.actor1_code, index.actors),
        "actor2": text(index.actor2_code, index.actors),
    }


def test_an_index_extended_with_the_new_events_equals_one_read_at_once(make_store):
    from geo.eventindex import EventIndex
    from geo.filters import EventFilter

    store = make_store()
    cut = int(store.event_columns()["fid"].iloc[9000])
    old = EventIndex.from_frame(store.event_columns().query("fid <= @cut"))
    more = _events("x", 40)
    more["actor1"] = "Aardvark Brigade"  # sorts first: every older actor's code moves
    store.add_events(more, who="ana", file_name="x.csv", sha256="cd" * 32)
    new = store.event_columns(after=cut)
    assert new["fid"].min() > cut
    whole = EventIndex.from_frame(store.event_columns())
    grown = old.extended(EventIndex.from_frame(new))
    assert _decoded(grown) == _decoded(whole)
    assert grown.actors == whole.actors  # still sorted: the table's actor order holds
    assert list(grown.actors) == sorted(grown.actors)
    assert "Aardvark Brigade" in grown.actors and "Aardvark Brigade" not in old.actors
    for flt in (
        EventFilter(),
        EventFilter(types=("airstrike",)),
        EventFilter(datasets=("curated",)),
        EventFilter(actor="Russia"),
    ):
        assert (grown.mask(flt) == whole.mask(flt)).all()
    assert store.event_columns(after=int(whole.fid[-1])).empty


def test_the_pages_read_only_the_new_events_after_an_import(make_store, monkeypatch):
    from views import data

    store = make_store()
    data._store.clear()
    first = data.event_index(store.revision())
    afters = []
    real = type(store).event_column_batches  # what the index is read through

    def spy(self, after=None):
        afters.append(after)
        return real(self, after)

    monkeypatch.setattr(type(store), "event_column_batches", spy)
    store.add_events(_events("y", 5), who="ana", file_name="y.csv", sha256="ef" * 32)
    second = data.event_index(store.revision())
    assert afters == [int(first.fid[-1])]
    assert len(second) == len(first) + 5


def test_an_import_keeps_the_layers_version_a_zone_write_changes_it(make_store):
    """The zones, places and boundaries the pages read are keyed on the layers version: an
    events import (another process's, the command line's) keeps it, any other write
    changes it."""
    store = make_store()
    version = store.layers_version(store.revision())
    store.add_events(_events("l", 3), who="ana", file_name="x.csv", sha256="cd" * 32)
    assert store.layers_version(store.revision()) == version
    store.add_zone_version(_changed_zone(store), who="ana", file_name="g.geojson", sha256="ab" * 32)
    assert store.layers_version(store.revision()) != version


def test_the_pages_layers_survive_an_import_not_a_zone_write(make_store):
    """After an import every app process reads the event summary again (the "of M events"
    line), not the zones, places and boundaries; after a zone write, those too."""
    from views import data

    store = make_store()
    data._store.clear()
    first = data.layers(store.revision())
    store.add_events(_events("m", 4), who="ana", file_name="x.csv", sha256="cd" * 32)
    second = data.layers(store.revision())
    assert second["summary"].count == first["summary"].count + 4
    for name in ("zones", "zone_versions", "places", "admin0", "admin1"):
        assert second[name] is first[name], name
    store.add_zone_version(_changed_zone(store), who="ana", file_name="g.geojson", sha256="ab" * 32)
    third = data.layers(store.revision())
    assert third["zone_versions"] is not first["zone_versions"]
    assert len(third["zone_versions"]) == len(first["zone_versions"]) + 1
    assert third["summary"] is second["summary"]
