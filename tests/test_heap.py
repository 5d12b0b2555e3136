"""views.heap: the app's long-lived objects are kept out of the cycle collector's full
collections, which otherwise walk all of them at the end of every rerun (tens of ms)."""

from __future__ import annotations

import gc
import weakref
from datetime import date

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from views import heap
from views.heap import SETTLE_AT, settle


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    heap._FROZEN_AT_FULL[0] = 0
    yield
    gc.unfreeze()
    heap._FROZEN_AT_FULL[0] = 0


def test_settle_freezes_a_grown_oldest_generation_once(unfrozen):
    kept = [[i] for i in range(2 * SETTLE_AT)]  # long-lived container objects
    gc.collect()  # survivors go to the oldest generation
    assert len(gc.get_objects(generation=2)) >= 2 * SETTLE_AT
    assert settle() is True
    assert gc.get_freeze_count() >= len(kept)
    assert len(gc.get_objects(generation=2)) < SETTLE_AT
    assert settle() is False  # nothing new to freeze: no collection of everything again
    assert kept[-1] == [2 * SETTLE_AT - 1]  # frozen objects are untouched


class _Node:
    pass


def test_settle_reclaims_garbage_among_frozen_objects_once_they_have_grown(unfrozen, monkeypatch):
    node = _Node()
    node.me = node  # a reference cycle, frozen while alive
    alive = weakref.ref(node)
    gc.collect()
    gc.freeze()
    del node
    _ = [[i] for i in range(2 * SETTLE_AT)]
    gc.collect()
    assert alive() is not None  # frozen: out of the collector's reach
    heap._FROZEN_AT_FULL[0] = gc.get_freeze_count()  # as after a collection of everything
    monkeypatch.setattr(heap, "RECOLLECT_AT", 100.0)  # the frozen objects have not grown so
    assert settle() is True  # the new objects frozen, after a collection of them only
    assert alive() is not None
    _ = [[i] for i in range(2 * SETTLE_AT)]
    gc.collect()
    monkeypatch.setattr(heap, "RECOLLECT_AT", 1.0)  # they have grown past it
    assert settle() is True
    assert alive() is None  # unfrozen, collected, and only then frozen again


def test_a_map_rerun_leaves_the_collector_little_to_walk(store_env, unfrozen):
    """After the Map page's reruns, the oldest generation (what the next full collection
    walks) holds fewer than SETTLE_AT objects, not the app's whole heap."""
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    for month in (3, 4):
        at.sidebar.date_input[0].set_value((date(2017, month, 1), date(2019, 12, 31)))
        at.run()
        assert not at.exception, at.exception
        assert len(gc.get_objects(generation=2)) < SETTLE_AT
