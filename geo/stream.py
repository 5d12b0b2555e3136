"""Downloads of any number of events, written in chunks read from the store by row id: the
memory used is one chunk's, however many events there are.

The bytes are those :func:`geo.export.events_csv` and :func:`geo.export.dump_json` of
:func:`geo.export.events_geojson` write for the same events in the same order (tested on
the shipped data). The order is the one given: the page and the CLI give the row ids
ascending (``fid``, the order the events were stored in), as the exports always had.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from geo import export
from geo.attribution import attributions
from geo.output import atomic_output

#: events read from the store and written at a time: about 12 MB of memory per 1,000
#: events at the peak of a chunk (20,000: +216 MB; 10,000: +124 MB, a tenth more time)
CHUNK = 10_000
FORMATS = {"csv": "text/csv", "geojson": "application/geo+json"}

#: told (rows written, rows in all) after each chunk
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Extra:
    """Columns a download adds to the event model, one value per event written (in the
    order of the fids given), and a note saying what they are."""

    columns: dict = field(default_factory=dict)
    note: str = ""

    def part(self, start: int, stop: int) -> dict:
        return {name: values[start:stop] for name, values in self.columns.items()}


def write_events(
    store,
    fids,
    fmt: str,
    out: BinaryIO,
    datasets=None,
    progress: Progress | None = None,
    chunk: int | None = None,
    extra: Extra | None = None,
) -> int:
    """Write the events stored with ``fids`` (in that order) to ``out`` as ``csv`` (with
    an attribution column) or ``geojson`` (with each dataset's attribution), UTF-8;
    return the rows written. ``fids``: row ids, or :class:`StoredFids` (every stored
    event, its ids read a chunk at a time). ``datasets``: the datasets among them (read
    from the events when not given; the page and the CLI know them from the index).
    ``extra``: more columns, one value per fid (say ``merged_records``), and a note on them
    (in the CSV's attribution column, as a ``note`` member of the GeoJSON)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose csv or geojson")
    chunk = chunk or CHUNK
    if isinstance(fids, StoredFids):
        total, chunks = fids.total, fids.chunks(chunk)
        if datasets is None:
            raise ValueError("every stored event: give the datasets (the store's summary)")
    else:
        fids = np.asarray(fids, dtype=np.int64)
        total = len(fids)
        chunks = (fids[start : start + chunk] for start in range(0, total, chunk))
        if datasets is None:
            datasets = _datasets(store, fids, chunk)
    credits = attributions(datasets)
    extra = extra or Extra()
    done = 0
    if fmt == "geojson":
        head = {"type": "FeatureCollection", "attribution": credits}
        head.update({"note": extra.note} if extra.note else {})
        text = json.dumps({**head, "features": []}, ensure_ascii=False, allow_nan=False)
        out.write(text[: -len("]}")].encode("utf-8"))  # the features follow
    elif extra.note:
        credits = {d: f"{text} {extra.note}" for d, text in credits.items()}
    start = 0
    for ids in _at_least_one(chunks):
        part = extra.part(start, start + len(ids))
        data, rows = _chunk(store, ids, fmt, credits, start, done, part)
        out.write(data)
        del data  # before the next chunk is read: memory stays one chunk's
        start += len(ids)
        done += rows
        if progress is not None:
            progress(done, total)
    if fmt == "geojson":
        out.write(b"]}\n")
    return done


@dataclass(frozen=True)
class StoredFids:
    """Every event in ``store`` when it was counted (``total`` events, ids up to ``top``),
    for :func:`write_events` to read a chunk of ids at a time (by the primary key) instead
    of being given every id: a whole export then holds one chunk, not an index of every
    event (ten million ids alone take 80 MB, the index to find them 0.5 GB)."""

    store: object
    total: int
    top: int

    @classmethod
    def of(cls, store) -> StoredFids:
        total, top = store.event_fid_range()
        return cls(store, total, top)

    def chunks(self, size: int):
        after = -1  # row ids start at 1
        while after < self.top:
            ids = self.store.fids_after(after, self.top, size)
            if not len(ids):
                return
            yield ids
            after = int(ids[-1])


def _at_least_one(chunks):
    """The chunks, or one empty chunk when there are none (the CSV header, the GeoJSON
    collection, are written all the same)."""
    empty = True
    for ids in chunks:
        empty = False
        yield ids
    if empty:
        yield np.zeros(0, dtype=np.int64)


def _chunk(store, fids: np.ndarray, fmt: str, credits, start: int, done: int, extra=None):
    """(the UTF-8 text of the events stored with ``fids``, how many there were): CSV rows
    (the header only at the top, ``start`` 0) or GeoJSON features (a separator before
    them when ``done`` features came before), with the ``extra`` columns ({name: values
    in the order of ``fids``}). The chunk's frame is freed on return."""
    events = store.events_by_fids(fids).reset_index(drop=True)
    extra = extra or {}
    for name, values in extra.items():
        events[name] = values
    if fmt == "csv":
        buffer = io.StringIO()
        export.events_csv(events, buffer, credits, tuple(extra))
        text = buffer.getvalue()
        del buffer
        if start:  # the header once, at the top
            text = text[text.index("\n") + 1 :]
    else:
        features = export.events_geojson(events, credits, tuple(extra))["features"]
        text = ", ".join(json.dumps(f, ensure_ascii=False, allow_nan=False) for f in features)
        if done and features:
            text = ", " + text
    return text.encode("utf-8"), len(events)


def _datasets(store, fids: np.ndarray, chunk: int) -> list[str]:
    found: set[str] = set()
    for start in range(0, len(fids), chunk):
        found |= set(store.events_by_fids(fids[start : start + chunk])["dataset"])
    return sorted(found)


def to_temporary_file(
    store, fids, fmt: str, datasets=None, progress=None, extra: Extra | None = None
) -> BinaryIO:
    """The download written to an anonymous temporary file (gone once closed), rewound:
    the page hands it to Streamlit, which reads it once."""
    out = tempfile.TemporaryFile(buffering=0)  # a raw file: Streamlit reads it whole
    try:
        write_events(store, fids, fmt, out, datasets, progress, extra=extra)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


#: How hard a prepared (large) download is compressed: zlib's level 6 packs the events'
#: text about 8.5-9 times (level 1: 6.4 times, so a third larger) for about a tenth more
#: time than writing the text takes. Smaller matters: Streamlit holds the archive in
#: memory while it is downloaded, about three times over at the peak (the bytes, HTTP's
#: copy and the socket's buffer).
ZIP_LEVEL = 6


def write_zipped(
    store, fids, fmt: str, path, datasets=None, progress=None, extra: Extra | None = None
) -> int:
    """The download written into a zip archive at ``path``, as one member named
    ``zonewatch-events.<fmt>`` (streamed into the archive chunk by chunk: memory stays one
    chunk's). A large download is offered zipped because Streamlit holds the file it serves
    in memory while the user downloads it: a million events take about 800 MB as CSV and
    1.3 GB as GeoJSON, and about an eighth of that zipped."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as archive:
        with archive.open(f"zonewatch-events.{fmt}", "w", force_zip64=True) as member:
            return write_events(store, fids, fmt, member, datasets, progress, extra=extra)


def to_path_or_stdout(
    store, fids, fmt: str, output: str | None, datasets=None, progress=None
) -> int:
    """All or nothing, through :func:`geo.output.atomic_output`: the events are written to
    a temporary file first, then moved to ``output`` (or copied to standard output when it
    is None or ``-``); on any failure ``output`` is left as it was and nothing is printed."""
    with atomic_output(None if output in (None, "-") else output) as text:
        return write_events(store, fids, fmt, _Utf8Sink(text), datasets, progress)


class _Utf8Sink:
    """The bytes :func:`write_events` writes, handed to a text file as the text they are."""

    def __init__(self, text):
        self.text = text

    def write(self, data: bytes) -> int:
        return self.text.write(data.decode("utf-8"))
