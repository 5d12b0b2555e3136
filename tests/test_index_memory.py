"""The event index read a batch at a time (``EventIndex.read``) is the index built from the
whole frame at once, and its load holds the compact columns and a batch, never the joined
frame (measured in a subprocess: the peak of the process, ``ru_maxrss``)."""

from __future__ import annotations

import subprocess
import sys

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


#: Indexes N events given in batches of B (synthetic, as the GeoPackage's reader gives
#: them), then prints how far the process's peak rose (MB), the index's size (MB), events.
MEASURE = """
import resource, sys
import numpy as np, pandas as pd
from geo.eventindex import EventIndex
from geo.store.tables import concat_columns

N, B = int(sys.argv[2]), int(sys.argv[3])
TYPES = [f"type {i}" for i in range(12)]
ACTORS = [f"actor {i:05d}" for i in range(5000)]

def batch(k):
    rng = np.random.default_rng(k)
    n = min(B, N - k * B)
    fid = np.arange(k * B + 1, k * B + n + 1)
    day = rng.integers(16000, 19000, n)
    def cat(values, m):
        return pd.Categorical.from_codes(rng.integers(-1, len(values), n), categories=values[:])
    return pd.DataFrame({
        "fid": fid, "latitude": rng.uniform(32, 37, n), "longitude": rng.uniform(35, 42, n),
        "date_start": pd.to_datetime(day, unit="D"), "date_end": pd.to_datetime(day + 3, unit="D"),
        "event_type": cat(TYPES, n), "dataset": cat(["ucdp", "acled"], n),
        "fatalities_best": rng.integers(0, 9, n).astype(float),
        "location_precision": cat(["exact", "admin1"], n),
        "actor1": cat(ACTORS, n), "actor2": cat(ACTORS, n),
    })

class Fake:
    def event_column_batches(self, after=None):
        for k in range(-(-N // B)):
            yield batch(k)
    def event_columns(self, after=None):
        return concat_columns(list(self.event_column_batches()))
    def event_fid_range(self):
        return N, N

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
before = peak()
store = Fake()
if sys.argv[1] == "read":
    index = EventIndex.read(store)
else:  # the way before: the joined frame, then its index
    index = EventIndex.from_frame(store.event_columns())
print((peak() - before) / 1e6, index.nbytes / 1e6, len(index))
"""


def _peak_rise(how: str, n: int, batch: int) -> tuple[float, float]:
    from conftest import ROOT

    out = subprocess.run(
        [sys.executable, "-c", MEASURE, how, str(n), str(batch)],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    rise, size, count = out.stdout.split()
    assert int(count) == n
    return float(rise), float(size)


def test_reading_four_million_events_holds_the_index_and_a_batch_not_the_joined_frame():
    """Four million events in batches of 200,000: the index takes 196 MB. Read a batch at a
    time, the peak rises by the index and a batch's work (measured: 242 MB); built from
    the joined frame (the way before), by the frame as well (488 MB). The bound, the index
    plus 100 MB, holds the first and not the second whatever the number of events."""
    rise, size = _peak_rise("read", 4_000_000, 200_000)
    assert size == pytest.approx(196, abs=1)
    assert rise < size + 100


@pytest.mark.parametrize("swap", [None, 0, 998, 999, 1000, -2], ids=str)
def test_fid_order_is_found_a_block_at_a_time(shipped, monkeypatch, swap):
    from dataclasses import replace

    from geo import eventindex

    monkeypatch.setattr(eventindex, "BLOCK", 1000)
    index = EventIndex.read(shipped)
    fid = index.fid.copy()
    if swap is not None:  # two neighbours swapped, at a block's edge or inside one
        fid[[swap, swap + 1]] = fid[[swap + 1, swap]]
    assert replace(index, fid=fid).in_fid_order is (swap is None)
    assert replace(index, fid=fid[:1]).in_fid_order and replace(index, fid=fid[:0]).in_fid_order


def test_the_tables_order_keeps_positions_as_int32(shipped):
    from geo import table as T

    index = EventIndex.read(shipped)
    order = T.sort_order(index, np.ones(len(index), dtype=bool), "date")
    assert order.dtype == np.int32 and sorted(order.tolist()) == list(range(len(index)))
