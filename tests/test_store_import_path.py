"""The insert path an import takes, on both engines (on PostGIS: COPY into a staging table,
then one INSERT ... SELECT ... ON CONFLICT DO NOTHING in the rows' order).

Whatever the path, an import keeps every value exactly (text with tabs, newlines,
backslashes and quotes; missing numbers; floats to the last bit), stores the events in the
file's order, keeps the first of two rows with one identity, is all or nothing, and adds
nothing the second time.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests"))
from store_worker import _events  # noqa: E402

AWKWARD = [
    "tab\there",
    "line\nbreak and \r return",
    "back\\slash \\N \\. and \\x41",
    '"quoted", comma; semicolon',
    "مدينة إدلب",
    "",
    "\\",
]


def _batch(tag: str, n: int) -> pd.DataFrame:
    ev = _events(tag, n)
    ev["actor1"] = [AWKWARD[k % len(AWKWARD)] for k in range(n)]
    ev["notes"] = [AWKWARD[(k + 3) % len(AWKWARD)] + f" #{k}" for k in range(n)]
    ev["longitude"] = 36.6 + np.arange(n) * 1e-7 + 1 / 3  # every bit of the float counts
    ev["fatalities_low"] = pd.array([None if k % 2 else k for k in range(n)], dtype="Int64")
    return ev


def _mine(store, dataset: str = "worker") -> pd.DataFrame:
    """The stored events of ``dataset``, in stored (fid) order."""
    from geo.store import tables as T

    events = store.read_table(T.EVENTS)
    return events[events["dataset"] == dataset].reset_index(drop=True)


@pytest.mark.parametrize("rows", [7, 12_001])  # one batch; several COPY batches
def test_an_import_keeps_every_value_and_the_files_order(make_store, rows):
    store = make_store()
    batch = _batch("keep", rows)
    order = np.random.default_rng(3).permutation(rows)  # a file not sorted by id or date
    batch = batch.iloc[order].reset_index(drop=True)
    result = store.add_event_chunks(
        [batch.iloc[: rows // 2], batch.iloc[rows // 2 :]], expected_rows=rows
    )
    assert (result.added, result.already_present) == (rows, 0)
    got = _mine(store)
    assert got["dataset_id"].tolist() == batch["dataset_id"].tolist()  # the file's order
    for col in ("actor1", "notes", "date_start", "date_end", "event_type"):
        assert got[col].tolist() == batch[col].tolist(), col
    assert got["longitude"].tolist() == batch["longitude"].tolist()  # exactly
    assert got["fatalities_low"].isna().tolist() == batch["fatalities_low"].isna().tolist()
    assert got["fatalities_low"].dropna().tolist() == batch["fatalities_low"].dropna().tolist()
    assert (got.geometry.x.to_numpy() == got["longitude"].to_numpy()).all()
    assert (got.geometry.y.to_numpy() == got["latitude"].to_numpy()).all()


def test_the_first_of_two_rows_with_one_identity_is_kept_across_chunks(make_store):
    store = make_store()
    first = _batch("dup", 6)
    again = first.iloc[[4, 1]].copy()
    again["actor1"] = "the second one"
    new = _batch("dup-new", 2)
    result = store.add_event_chunks([first, pd.concat([again, new], ignore_index=True)])
    assert (result.added, result.already_present) == (8, 2)
    got = _mine(store)
    assert got["dataset_id"].tolist() == first["dataset_id"].tolist() + new["dataset_id"].tolist()
    assert "the second one" not in got["actor1"].tolist()
    # The same file again adds nothing and says so.
    again_result = store.add_event_chunks([first, new])
    assert (again_result.added, again_result.already_present) == (0, 8)
    assert len(_mine(store)) == 8


def test_an_import_failing_part_way_adds_nothing(make_store):
    store = make_store()
    revision, history = store.revision(), len(store.history())

    def chunks():
        yield _batch("fail-a", 500)
        raise OSError("the file went away")

    with pytest.raises(OSError):
        store.add_event_chunks(chunks())
    assert _mine(store).empty
    assert store.revision() == revision and len(store.history()) == history
    # ...and the store takes the next import as usual (no staging table left behind).
    assert store.add_event_chunks([_batch("fail-b", 5)]).added == 5
