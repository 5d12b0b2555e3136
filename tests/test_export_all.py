"""Every stored event exported with no index: the ids are read from the store a chunk at a
time (``geo.stream.StoredFids``), and the bytes are those of the export of every id."""

from __future__ import annotations

import io

import pytest

from geo import stream
from geo.eventindex import EventIndex


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_every_stored_event_streams_the_bytes_of_every_id_on_both_engines(make_store, fmt):
    store = make_store()
    index = EventIndex.read(store)
    summary = store.event_summary()
    want = io.BytesIO()
    rows = stream.write_events(store, index.fid, fmt, want, chunk=3000)
    seen = []
    got = io.BytesIO()
    every = stream.StoredFids.of(store)
    assert (every.total, every.top) == (len(index), int(index.fid[-1]))
    n = stream.write_events(
        store, every, fmt, got, summary.datasets, lambda d, t: seen.append((d, t)), chunk=3000
    )
    assert n == rows == len(index) > 16_000
    assert got.getvalue() == want.getvalue()
    assert len(seen) == -(-len(index) // 3000) and seen[-1] == (n, n)


def test_an_empty_store_exports_the_header_alone(make_store):
    store = make_store(seed=False)
    for fmt in ("csv", "geojson"):
        want, got = io.BytesIO(), io.BytesIO()
        stream.write_events(store, [], fmt, want, [])
        assert stream.write_events(store, stream.StoredFids.of(store), fmt, got, []) == 0
        assert got.getvalue() == want.getvalue() and got.getvalue()


def test_every_event_needs_the_datasets_named(make_store):
    store = make_store()
    with pytest.raises(ValueError, match="give the datasets"):
        stream.write_events(store, stream.StoredFids.of(store), "csv", io.BytesIO())


def test_the_cli_exports_every_event_without_building_the_index(store_env, tmp_path, monkeypatch):
    """``zonewatch events --format csv|geojson`` with no filter option reads no index (its
    memory stays one chunk's at any number of events); with one, it filters on the index."""
    from geo import cli
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore.open(store_env)
    index = EventIndex.read(store)
    want = {}
    for fmt in ("csv", "geojson"):
        out = io.BytesIO()
        stream.write_events(store, index.fid, fmt, out)
        want[fmt] = out.getvalue()

    built = []
    real = EventIndex.read.__func__

    def counted(cls, *args, **kwargs):
        built.append(args)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(EventIndex, "read", classmethod(counted))
    for fmt in ("csv", "geojson"):
        target = tmp_path / f"all.{fmt}"
        assert cli.main(["events", "--format", fmt, "--output", str(target)]) == 0
        assert target.read_bytes() == want[fmt]
    assert built == []
    target = tmp_path / "some.csv"
    args = ["events", "--from", "2017-01-01", "--format", "csv", "--output", str(target)]
    assert cli.main(args) == 0
    assert len(built) == 1 and 0 < target.read_bytes().count(b"\n") < want["csv"].count(b"\n")
