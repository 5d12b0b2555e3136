"""The Events table and downloads at scale: the order over the compact columns, pages,
nearest places through an R-tree, rows read by fid on both engines, and downloads written
in chunks that are byte for byte today's exports."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import unicodedata
from datetime import date

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, stdlib_count
from geo import analysis, export, stream
from geo import table as T
from geo.attribution import attributions
from geo.eventindex import EventIndex
from geo.filters import EventFilter, select_events


@pytest.fixture(scope="module")
def shipped(session_store_path):
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore.open(session_store_path)
    columns = store.event_columns()
    events = store.events()  # in fid order
    events.index = pd.Index(columns["fid"].to_numpy(), name="fid")
    return store, EventIndex.from_frame(columns), events


def _plain(text: str) -> str:
    """The documented text order, written again here: letters and digits without accents
    or case, then case-folded, then as written."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in letters.casefold() if c.isalnum())


def _expected(events: pd.DataFrame, by: str, descending: bool, nearest=None) -> list[int]:
    """The table's order computed with Python's stable sorts over the full rows: by fid,
    then by the value (reversed when descending: ties keep their fid order), then the
    missing values last."""
    column = {"type": "event_type", "dataset": "dataset", "actor": "actor1"}.get(by)
    records = []
    for fid, row in events.iterrows():
        if by == "date":
            missing, value = False, row["date_start"].value
        elif by == "fatalities":
            missing = pd.isna(row["fatalities_best"])
            value = 0 if missing else int(row["fatalities_best"])
        else:
            text = nearest.loc[fid, "nearest_place"] if by == "place" else row[column]
            missing = not str(text).strip()
            value = ("", "", "") if missing else (_plain(text), text.casefold(), text)
            if by == "place":
                value = (*value, nearest.loc[fid, "nearest_km"])
        records.append((fid, missing, value))
    records.sort(key=lambda r: r[0])
    records.sort(key=lambda r: r[2], reverse=descending)
    records.sort(key=lambda r: r[1])
    return [fid for fid, _, _ in records]


@pytest.mark.parametrize("by", list(T.SORT_COLUMNS))
@pytest.mark.parametrize("descending", [False, True])
def test_sort_order_matches_a_full_sort(shipped, by, descending):
    store, index, events = shipped
    flt = EventFilter(start=date(2017, 1, 1), end=date(2017, 12, 31))
    mask = index.mask(flt)
    places = store.places()
    nearest = T.nearest_places(index.lat, index.lon, places) if by == "place" else None
    got = index.fid[T.sort_order(index, mask, by, descending, nearest)]
    chosen = events.loc[index.fid[mask]]
    near = analysis.nearest_places(chosen, places) if by == "place" else None
    assert len(got) == stdlib_count("2017-01-01", "2017-12-31")
    assert got.tolist() == _expected(chosen, by, descending, near)


@pytest.mark.parametrize("by", ["date", "fatalities", "actor"])
def test_an_index_out_of_fid_order_sorts_the_same(shipped, by):
    """The fast path (a stable sort, rows already in fid order) and the general one (row
    ids as the last key) give the same order."""
    import dataclasses

    _, index, _ = shipped
    mask = index.mask(EventFilter(start=date(2016, 1, 1), end=date(2018, 12, 31)))
    perm = np.random.default_rng(5).permutation(len(index))
    shuffled = dataclasses.replace(
        index,
        **{k: v[perm] for k, v in vars(index).items() if isinstance(v, np.ndarray)},
    )
    for descending in (False, True):
        want = index.fid[T.sort_order(index, mask, by, descending)]
        got = shuffled.fid[T.sort_order(shuffled, mask[perm], by, descending)]
        assert got.tolist() == want.tolist()


def test_ties_keep_fid_order_and_pages_cut_the_order(shipped):
    _, index, _ = shipped
    mask = np.ones(len(index), dtype=bool)
    order = T.sort_order(index, mask, "type", descending=True)
    codes = index.type_code[order]
    for code in np.unique(codes):
        fids = index.fid[order][codes == code]
        assert (np.diff(fids) > 0).all()  # equal types: ascending fid, whatever the direction
    assert T.page_count(len(order)) == -(-len(order) // T.PAGE_SIZE)
    assert T.page_rows(order, 2).tolist() == order[100:200].tolist()
    last = T.page_count(len(order))
    assert T.page_rows(order, last + 50).tolist() == order[(last - 1) * 100 :].tolist()
    assert T.page_count(0) == 1 and len(T.page_rows(order[:0], 1)) == 0


def test_nearest_places_match_every_place_search(shipped):
    store, index, events = shipped
    places = store.places()
    got = T.nearest_places(index.lat, index.lon, places, chunk=5000)
    want = analysis.nearest_places(events, places)
    assert (got.name_of() == want["nearest_place"].to_numpy()).all()
    assert np.array_equal(got.km, want["nearest_km"].to_numpy())
    # anywhere on Earth (UCDP Global can be imported), not only near Syria
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(-89, 89, 3000), rng.uniform(-180, 180, 3000)
    far = analysis.nearest_places(pd.DataFrame({"latitude": lat, "longitude": lon}), places)
    assert (T.nearest_places(lat, lon, places).name_of() == far["nearest_place"]).all()


def test_events_by_fids_on_both_engines(make_store, engine):
    store = make_store()
    index = EventIndex.from_frame(store.event_columns())
    everything = store.events()
    pick = index.fid[[40, 3, 16000, 7]].tolist()
    got = store.events_by_fids(pick + [10**12])  # an id not stored is left out
    assert got.index.tolist() == pick
    want = everything.iloc[[40, 3, 16000, 7]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
    assert store.events_by_fids([]).dtypes.equals(everything.dtypes)


def _csv_today(events: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    export.events_csv(events, buffer, attributions(events["dataset"].unique()))
    return buffer.getvalue().encode("utf-8")


def _geojson_today(events: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    export.dump_json(export.events_geojson(events, attributions(events["dataset"])), buffer)
    return buffer.getvalue().encode("utf-8")


def test_downloads_are_todays_exports_byte_for_byte(shipped):
    store, index, events = shipped
    everything = store.events()
    out = io.BytesIO()
    rows = stream.write_events(store, index.fid, "csv", out, chunk=3000)
    assert rows == len(everything) and out.getvalue() == _csv_today(everything)
    out = io.BytesIO()
    stream.write_events(store, index.fid, "geojson", out, chunk=3000)
    assert out.getvalue() == _geojson_today(everything)
    assert json.loads(out.getvalue()) == json.loads(_geojson_today(everything))
    for fmt, today in (("csv", _csv_today), ("geojson", _geojson_today)):  # no rows
        out = io.BytesIO()
        stream.write_events(store, [], fmt, out)
        assert out.getvalue() == today(everything.iloc[0:0])


def test_filtered_downloads_on_both_engines(make_store, engine):
    store = make_store()
    flt = EventFilter(start=date(2017, 5, 1), end=date(2017, 6, 30), actor="syria")
    today = select_events(store, flt)
    index = EventIndex.from_frame(store.event_columns())
    fids = index.fid[index.mask(flt)]
    seen = []
    out = io.BytesIO()
    stream.write_events(
        store, fids, "csv", out, progress=lambda d, t: seen.append((d, t)), chunk=50
    )
    assert out.getvalue() == _csv_today(today)
    assert seen[-1] == (len(today), len(today)) and len(seen) == -(-len(today) // 50)
    handle = stream.to_temporary_file(store, fids, "geojson")
    assert handle.read() == _geojson_today(today)


def _zw(*args, store):
    env = {**os.environ, "ZONEWATCH_STORE": str(store)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "geo.cli", *args], capture_output=True, env=env, cwd=ROOT
    )


def test_cli_events_stream_todays_bytes_and_write_whole_files(
    shipped, session_store_path, tmp_path
):
    store, _, _ = shipped
    flt = EventFilter(start=date(2017, 5, 1), end=date(2017, 9, 30), types=("Air strike",))
    today = select_events(store, flt)
    args = ("events", "--from", "2017-05-01", "--to", "2017-09-30", "--type", "air strike")
    out = _zw(*args, "--format", "csv", store=session_store_path)
    assert out.returncode == 0 and out.stdout == _csv_today(today)
    target = tmp_path / "may.geojson"
    out = _zw(*args, "--format", "geojson", "--output", str(target), store=session_store_path)
    assert out.returncode == 0 and out.stdout == b""
    assert target.read_bytes() == _geojson_today(today)
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left
    bad = _zw(
        *args,
        "--format",
        "csv",
        "--output",
        str(tmp_path / "no" / "x.csv"),
        store=session_store_path,
    )
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr
    assert b"choose a folder that exists and that you can write to" in bad.stderr


def test_a_failed_write_leaves_the_output_as_it_was(shipped, tmp_path, monkeypatch):
    store, index, _ = shipped
    target = tmp_path / "out.csv"
    target.write_bytes(b"yesterday's file\n")
    calls = []

    def failing(fids):
        calls.append(len(fids))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return type(store).events_by_fids(store, fids)

    monkeypatch.setattr(store, "events_by_fids", failing)
    monkeypatch.setattr(stream, "CHUNK", 1000)
    with pytest.raises(OSError):
        stream.to_path_or_stdout(store, index.fid[:5000], "csv", str(target))
    assert target.read_bytes() == b"yesterday's file\n"
    assert list(tmp_path.iterdir()) == [target]


def _told(seen: list[int]):
    return lambda done, total: seen.append(done)


def test_a_zipped_download_holds_the_same_bytes(shipped, tmp_path):
    """A prepared (large) download is a zip of one member: the bytes of the plain one."""
    import zipfile

    store, index, _ = shipped
    for fmt in ("csv", "geojson"):
        plain = io.BytesIO()
        stream.write_events(store, index.fid, fmt, plain, chunk=4000)
        seen: list[int] = []
        path = tmp_path / f"all.{fmt}.zip"
        rows = stream.write_zipped(store, index.fid, fmt, path, progress=_told(seen))
        assert rows == len(index) and seen[-1] == len(index)
        with zipfile.ZipFile(path) as archive:
            assert archive.namelist() == [f"zonewatch-events.{fmt}"]
            assert archive.read(f"zonewatch-events.{fmt}") == plain.getvalue()
        # packed well (zlib level 6): Streamlit holds the archive in memory while it is
        # downloaded, so smaller is lighter (level 1 packs these events under 9 times)
        assert path.stat().st_size < len(plain.getvalue()) / 10


def test_a_download_holds_one_chunk_at_a_time(shipped):
    """Writing many chunks takes about the memory of one: each chunk's rows and text are
    freed before the next is read (Python's allocations, traced)."""
    import tracemalloc

    store, index, _ = shipped

    class Sink:
        def write(self, data: bytes) -> int:
            return len(data)

    peaks = {}
    for rows in (2000, 16_000):
        stream.write_events(store, index.fid[:rows], "csv", Sink(), chunk=2000)  # warm
        tracemalloc.start()
        try:
            stream.write_events(store, index.fid[:rows], "csv", Sink(), chunk=2000)
            peaks[rows] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peaks[16_000] < 1.3 * peaks[2000], peaks
