"""The match build reads only what the matcher needs of each event, a batch at a time, into
compact columns (``geo.matching.stored._events``): the same links as from the frame of every
event, and a read whose peak is a small part of that frame's (at a million events the frame
took 0.6 GB and the build peaked at 3 GB; now 0.85 GB)."""

from __future__ import annotations

import tracemalloc
from datetime import date

import pytest

from geo.filters import EventFilter
from geo.matching import match_events, stored
from geo.store.gpkg import GeoPackageStore


@pytest.fixture(scope="module")
def shipped(session_store_path):
    return GeoPackageStore.open(session_store_path)


def _links(events):
    links = match_events(events, with_reasons=True)
    return links.drop(columns=["a", "b"]).to_dict("list")


def test_the_compact_read_gives_the_links_of_the_whole_frame(shipped, monkeypatch):
    monkeypatch.setattr(stored, "READ_BATCH", 3000, raising=False)
    compact = stored._events(shipped, None)
    whole = shipped.events()
    assert len(compact) == len(whole) > 16_000
    assert list(compact["dataset_id"]) == list(whole["dataset_id"])  # stored order
    assert _links(compact) == _links(whole)
    # with a filter: the events it keeps, in stored order
    flt = EventFilter(start=date(2017, 5, 1), end=date(2017, 6, 30))
    kept = stored._events(shipped, flt)
    assert list(kept["dataset_id"]) == list(shipped.events(flt)["dataset_id"])


def test_the_read_for_a_build_holds_a_batch_not_every_event(shipped, monkeypatch):
    monkeypatch.setattr(stored, "READ_BATCH", 2000, raising=False)
    whole = shipped.events()
    whole_bytes = int(whole.memory_usage(deep=True).sum())
    del whole
    tracemalloc.start()
    try:
        events = stored._events(shipped, None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(events) > 16_000
    # the frame of every event's text (the read before) is never made: the peak is the
    # compact columns and one batch, a fraction of it
    assert peak < whole_bytes / 2, (peak, whole_bytes)
    assert int(events.memory_usage(deep=True).sum()) < whole_bytes / 4
