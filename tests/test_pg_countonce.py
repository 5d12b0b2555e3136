""" "Count each event once" in SQL on PostGIS (:mod:`geo.store.pgonce`) selects what the
in-memory path (:func:`geo.matching.stored.counted_mask`, :func:`merged_records` over the
event index) selects: the count, the row ids, the map, the timeline, the table's pages, the
reports' frame and the merged records, for each preference, on the shipped data and with
the real ACLED 2017 file imported (skipped, saying why, when it is not here), with match
decisions (an accepted link the build does not keep, a rejected one it keeps)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_pg_parity import ACLED_REAL, VIEWS, _import_acled
from test_pg_query import _filters

from geo import table as T
from geo import timeline
from geo.aggregate import event_view
from geo.eventindex import EventIndex
from geo.matching import stored
from geo.store.pgonce import OnceEvents
from geo.store.pgquery import SQL_ORDERS

FILTERS = ("default", "2017-fatal", "dataset", "actor", "zone", "raqqa-25km", "together")


class Once:
    def __init__(self, store):
        self.store = store
        self.summary = store.event_summary()
        self.versions = store.zone_versions()
        self.index = EventIndex.from_frame(store.event_columns())
        self.filters = {k: f for k, f in _filters(self.summary).items() if k in FILTERS}
        self.masks = {k: self.index.mask(f, self.versions) for k, f in self.filters.items()}
        self.prefers = (None, *self.summary.datasets)

    def kept(self, name: str, prefer) -> np.ndarray:
        return stored.counted_mask(self.store, self.index, self.masks[name], prefer=prefer)


def _decide(store) -> None:
    """Reject a link the build keeps and accept one it leaves out (when there is one)."""
    links = stored.all_links(store)
    index = EventIndex.from_frame(store.event_columns())
    table = stored.link_table(store, index, np.ones(len(index), dtype=bool))
    kept, left = table[table["kept"]], table[~table["kept"]]
    store.add_match_decision(kept["link_key"].iloc[0], "reject", "tester")
    if len(left):
        store.add_match_decision(left["link_key"].iloc[0], "accept", "tester")
    assert len(links)


@pytest.fixture(scope="module", params=["shipped", "acled"])
def once(request, postgis) -> Once:
    from geo.store.postgis import PostGISStore

    if request.param == "acled" and not ACLED_REAL.exists():
        pytest.skip(f"the real ACLED file is not here ({ACLED_REAL}); the shipped data is tested")
    store = PostGISStore.open(
        postgis.create_db(f"once_{request.param}", template="zonewatch_template"), seed=False
    )
    if request.param == "acled":
        _import_acled(store)
    stored.build(store, "tester")
    _decide(store)
    return Once(store)


def test_the_same_records_count_and_the_same_are_merged(once):
    dropped_some = 0
    for prefer in once.prefers:
        sql = OnceEvents(once.store, prefer)
        for name, flt in once.filters.items():
            kept, mask = once.kept(name, prefer), once.masks[name]
            assert sql.count(flt) == int(kept.sum()), (name, prefer)
            assert np.array_equal(sql.fids(flt), once.index.fid[kept]), (name, prefer)
            assert np.array_equal(sql.dropped(flt), once.index.fid[mask & ~kept])
            want = stored.merged_records(once.store, once.index, kept, mask, prefer=prefer)
            assert sql.merged(flt) == want, (name, prefer)
            dropped_some += int((mask & ~kept).sum())
    assert dropped_some > 0  # the choice left records out: the test compares something


def test_the_map_timeline_table_and_frame_are_the_index_s(once):
    colors = [f"#{k:06x}" for k in range(len(once.index.types))]
    types = list(once.summary.types)
    for prefer in (None, once.summary.datasets[-1]):
        sql = OnceEvents(once.store, prefer)
        for name in ("default", "zone", "actor"):
            flt, kept = once.filters[name], once.kept(name, prefer)
            dates = (flt.start, flt.end)
            for view in VIEWS.values():
                for limit in (1000, 10**6):
                    want = event_view(once.index, kept, view, colors, limit, dates)
                    assert sql.event_view(flt, view, colors, limit, dates) == want, name
            frame = once.index.frame(kept)
            for freq in ("week", "month"):
                series, before, longer = sql.timeline(flt, freq, flt.start, flt.end, types)
                pd.testing.assert_frame_equal(
                    series, timeline.timeline(frame, freq, flt.start, flt.end, types)
                )
                assert before == timeline.before_range(frame, flt.start)
                assert longer == timeline.longer_than_period(frame, freq, flt.start, flt.end, types)
            for by in SQL_ORDERS:
                order = T.sort_order(once.index, kept, by, True)
                pages = T.page_count(len(order))
                for page in sorted({1, pages // 2 + 1, pages}):
                    want = once.index.fid[T.page_rows(order, page)]
                    assert np.array_equal(sql.page(flt, by, True, page), want), (name, by)
            pd.testing.assert_frame_equal(sql.frame(flt), frame, obj=name)
            assert sql.datasets_present(flt) == sorted(
                once.index.datasets[c] for c in np.unique(once.index.dataset_code[kept])
            )


def test_a_store_without_links_counts_every_record(postgis):
    from geo.store.postgis import PostGISStore

    store = PostGISStore.open(postgis.create_db("once_none", "zonewatch_template"), seed=False)
    summary = store.event_summary()
    flt = _filters(summary)["default"]
    sql = OnceEvents(store)
    assert sql.count(flt) == summary.count and sql.merged(flt) == {}


def test_the_downloads_merged_records_column_is_the_index_s(once):
    """What the Events page's downloads write on PostGIS (``merged_texts`` of the mapping
    by fid over the rows written) is the in-memory column."""
    from geo.matching.review import merged_texts

    sql = OnceEvents(once.store)
    for name, flt in once.filters.items():
        kept, mask = once.kept(name, None), once.masks[name]
        want = merged_texts(
            stored.merged_records(once.store, once.index, kept, mask), once.index.fid[kept]
        )
        got = merged_texts(sql.merged(flt), sql.fids(flt))
        assert got.tolist() == want.tolist(), name
