"""The event index read a batch at a time (``EventIndex.read``) is the index built from the
whole frame at once, and its load holds the compact columns and a batch, never the joined
frame (measured in a subprocess: the peak of the process, ``ru_maxrss``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.eventindex import EventIndex
from geo.store import tables as T

ARRAYS = (
    "fid", "lat", "lon", "start", "end", "fatalities", "type_code", "dataset_code",
    "precision_code", "actor1_code", "actor2_code",
)  # fmt: skip
DICTIONARIES = ("types", "datasets", "precisions", "actors")


def assert_same_index(a: EventIndex, b: EventIndex) -> None:
    """Equal columns (values and types) and equal dictionaries, in the same order."""
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        assert np.array_equal(x, y, equal_nan=name == "fatalities"), name
    for name in DICTIONARIES:
        assert getattr(a, name) == getattr(b, name), name


@pytest.fixture(scope="module")
def shipped(session_store_path):
    from geo.store.gpkg import GeoPackageStore

    return GeoPackageStore.open(session_store_path)


def test_an_index_read_in_batches_equals_the_one_built_from_the_whole_frame(shipped, monkeypatch):
    from geo.store import gpkg

    whole = EventIndex.from_frame(shipped.event_columns())
    monkeypatch.setattr(gpkg, "INDEX_BATCH", 997)
    batches = list(shipped.event_column_batches())
    assert len(batches) == -(-len(whole) // 997) > 10
    assert_same_index(EventIndex.read(shipped), whole)
    # the batches joined are the frame the store gives, and that frame's index is the same
    assert_same_index(EventIndex.from_frame(T.concat_columns(batches)), whole)
    assert_same_index(EventIndex.from_frame(shipped.event_columns()), whole)


def test_only_the_events_after_a_fid_are_read_in_batches(shipped, monkeypatch):
    from geo.store import gpkg

    monkeypatch.setattr(gpkg, "INDEX_BATCH", 1000)
    cut = int(shipped.event_columns()["fid"].iloc[12_345])
    assert_same_index(
        EventIndex.read(shipped, after=cut),
        EventIndex.from_frame(shipped.event_columns(after=cut)),
    )
    empty = EventIndex.read(shipped, after=10**12)
    assert len(empty) == 0 and empty.fid.dtype == np.int64


def test_batches_out_of_fid_order_give_the_index_in_fid_order(shipped):
    frame = shipped.event_columns()
    parts = [frame.iloc[i : i + 3000].reset_index(drop=True) for i in range(0, len(frame), 3000)]
    shuffled = [parts[i] for i in np.random.default_rng(7).permutation(len(parts))]
    joined = T.concat_columns(shuffled)
    expected = EventIndex.from_frame(joined.sort_values("fid", kind="stable"))
    got = EventIndex.from_frames(iter(shuffled))
    assert (np.diff(got.fid) > 0).all()
    assert_same_index(got, expected)


def test_a_text_column_of_plain_objects_in_some_batches_indexes_the_same(shipped):
    """A batch whose text is all missing comes as objects, not categoricals, from Arrow:
    its codes join the others' all the same."""
    frame = shipped.event_columns()
    parts = [frame.iloc[i : i + 5000].reset_index(drop=True) for i in range(0, len(frame), 5000)]
    parts[1] = parts[1].assign(actor2=pd.Series([None] * len(parts[1]), dtype=object))
    joined = T.concat_columns(parts)
    a, b = EventIndex.from_frames(iter(parts)), EventIndex.from_frame(joined)
    for name in ("fid", "lat", "start", "fatalities"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True)
    text = lambda ix, col: np.array([*ix.actors, None], dtype=object)[getattr(ix, col)]  # noqa: E731
    assert (text(a, "actor2_code") == text(b, "actor2_code")).all()
    assert (text(a, "actor1_code") == text(b, "actor1_code")).all()
    assert list(a.actors) == sorted(a.actors)  # the table's actor order holds


@pytest.mark.parametrize("hint", [0, 2500, 10**6], ids=["none", "too few", "too many"])
def test_the_columns_grow_or_are_trimmed_when_the_count_given_is_wrong(shipped, hint):
    frame = shipped.event_columns()
    parts = [frame.iloc[i : i + 2000].reset_index(drop=True) for i in range(0, len(frame), 2000)]
    got = EventIndex.from_frames(iter(parts), size_hint=hint)
    assert_same_index(got, EventIndex.from_frame(frame))
    assert got.fid.base is None or len(got.fid.base) == len(got)  # no unused room kept
