"""Event files people bring to import (part of the upload gate, :mod:`geo.uploads`).

Event files (:func:`read_event_file`): the format is identified from the content, never
from the file name (a binary file named ``.csv`` is refused), then read in chunks so
memory stays bounded, each row checked against the event model. Good rows are taken;
each bad row is reported with its row number and reason. Nothing here opens a path or a
URL named inside a file.

A format chosen by hand (``fmt``) is checked too: a file that lacks the columns the
format needs is refused, naming them (:func:`check_columns`).

Limits (configurable through the environment, stated in every refusal):

- ``ZONEWATCH_MAX_UPLOAD_MB`` (default 300): the size of a file that arrives over the
  web. Local files read by the command line (``size_limit=False``) have no size limit:
  CSV is streamed in chunks, so memory stays bounded whatever the size.
- ``ZONEWATCH_MAX_GEOJSON_MB`` (default 50): GeoJSON, which is read whole.
- ``ZONEWATCH_MAX_XLSX_MB`` (default 200): the uncompressed size of a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from geo import auth
from geo.hashing import sha256_of
from geo.schema import EVENT_COLUMNS, REQUIRED_VALUES, RowProblem, check_events
from geo.sources import acled, ucdp
from geo.spreadsheet import from_spreadsheet_safe
from geo.uploads.common import UploadError, env_limit
from geo.uploads.sniff import sniff
from geo.vocabulary import EVENT_FORMATS
from geo.wording import count

CHUNK_ROWS = 20_000
FORMATS = EVENT_FORMATS


@dataclass
class ImportReport:
    """What reading (and importing) one file did."""

    file_name: str
    sha256: str = ""
    format: str = ""
    dataset: str = ""
    version: str = ""
    rows_read: int = 0
    imported: int = 0
    already_present: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def summary(self) -> str:
        return (
            f"{self.file_name}: {count(self.rows_read, 'row')} read, {self.imported:,} imported, "
            f"{self.already_present:,} already present, {self.skipped:,} skipped"
        )


Progress = Callable[[float, int], None]  # (fraction of the file read, rows read)
Saving = Callable[[int, int], None]  # (good rows saved so far, good rows to save)


def upload_limit_mb() -> int:
    """The size limit of an event file, in MB (``ZONEWATCH_MAX_UPLOAD_MB``)."""
    return env_limit("ZONEWATCH_MAX_UPLOAD_MB", 300)


def geojson_limit_mb() -> int:
    """The size limit of an event GeoJSON file, read whole, in MB."""
    return env_limit("ZONEWATCH_MAX_GEOJSON_MB", 50)


def _kind(head: bytes, name: str) -> str:
    """'xlsx', 'json' or 'csv' from the first bytes (:func:`geo.uploads.sniff.sniff`);
    refuse anything else."""
    found = sniff(head, sample=len(head))
    if found.kind == "empty":
        raise UploadError(f"'{name}' is empty; choose a CSV, XLSX or GeoJSON file of events")
    if found.kind == "zip":
        return "xlsx"
    if found.utf16:
        raise UploadError(
            f"'{name}' is UTF-16 text; save it as CSV UTF-8 (in Excel: 'CSV UTF-8') and retry"
        )
    if found.kind in ("sqlite", "known", "binary"):
        raise UploadError(f"'{name}' is a binary file, not a CSV, XLSX or GeoJSON file of events")
    return "json" if found.kind == "json" else "csv"


def _decode_check(head: bytes, name: str) -> None:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            raise UploadError(
                f"'{name}' is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8 and retry"
            ) from None


def detect_format(header: list[str]) -> str:
    """'ucdp', 'acled' or 'zonewatch' from a header row, or raise naming what was expected."""
    names = [str(h).strip().lstrip("\ufeff") for h in header]
    if ucdp.matches(names):
        return "ucdp"
    if acled.matches(names):
        return "acled"
    if set(EVENT_COLUMNS) <= set(names):
        return "zonewatch"
    raise UploadError(
        "none of the known headers was found: expected a UCDP GED export (id, "
        "type_of_violence, side_a, ...), an ACLED export (event_id_cnty, event_date, ...) or "
        "the ZoneWatch event format (date_start, date_end, latitude, longitude, ...)"
    )


#: The columns without which a file is not in a format (the ZoneWatch format, chosen by
#: hand: the columns every event needs a value in; ``dataset`` may come from the import).
REQUIRED = {"ucdp": ucdp.REQUIRED, "acled": acled.REQUIRED, "zonewatch": REQUIRED_VALUES}
_LABELS = {"ucdp": "UCDP GED", "acled": "ACLED", "zonewatch": "ZoneWatch event"}


def check_columns(fmt: str, header: list[str], name: str, dataset: str | None = None) -> None:
    """Refuse a file whose header lacks a column ``fmt`` needs, naming what is missing
    (``dataset``: the dataset name given for the import, standing in for the column)."""
    names = {str(h).strip().lstrip("\ufeff") for h in header}
    given = {"dataset"} if dataset else set()
    missing = [c for c in REQUIRED[fmt] if c not in names | given]
    if not missing:
        return
    shown = [str(h) for h in header][:12]
    has = ", ".join(shown) + (", ..." if len(header) > len(shown) else "") or "none"
    raise UploadError(
        f"'{name}' is not in the {_LABELS[fmt]} format: it has no column "
        f"{', '.join(missing)} (its columns: {has}); choose the format the file is in, or "
        "let it be detected from the header"
    )


def _map(fmt: str, raw: pd.DataFrame, dataset: str | None, version: str) -> pd.DataFrame:
    if fmt == "ucdp":
        return ucdp.to_model(raw, dataset or ucdp.DATASET, version)
    if fmt == "acled":
        return acled.to_model(raw, dataset or acled.DATASET, version)
    model = raw.reindex(columns=list(EVENT_COLUMNS), fill_value="")
    model = model.apply(lambda col: col.map(from_spreadsheet_safe))  # our own CSV export
    if dataset:
        model["dataset"] = dataset
    return model


def read_event_file(
    source: BinaryIO,
    name: str,
    fmt: str | None = None,
    dataset: str | None = None,
    progress: Progress | None = None,
    report: ImportReport | None = None,
    size_limit: bool = True,
) -> Iterator[pd.DataFrame]:
    """Yield chunks of good events (event model) from an untrusted file; fill ``report``.

    ``source`` is a binary file object positioned at the start. Raises
    :class:`UploadError` when nothing can be read, or when ``fmt`` is given and the file
    lacks a column it needs; bad rows are recorded, not raised. ``size_limit``: refuse a
    file over ``ZONEWATCH_MAX_UPLOAD_MB`` (False for local files, read streamed).
    """
    report = report if report is not None else ImportReport(name)
    if fmt is not None and fmt not in FORMATS:
        raise UploadError(f"format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    size = _size(source)
    limit = upload_limit_mb()
    if size_limit and size > limit * 1024 * 1024:
        raise UploadError(
            f"'{name}' is {size / 1048576:.0f} MB, over the {limit} MB limit; split it or raise "
            "ZONEWATCH_MAX_UPLOAD_MB"
        )
    head = source.read(65536)
    source.seek(0)
    kind = _kind(head, name)
    if kind == "xlsx":
        frames = _xlsx_frames(source, name)
    elif kind == "json":
        frames = _geojson_frames(source, name)
    else:
        _decode_check(head, name)
        frames = _csv_frames(source, name, head, size, progress, check_header=fmt is None)
    try:
        yield from _checked(frames, name, fmt, dataset, report)
    except UploadError:
        raise
    except (
        ValueError,
        TypeError,
        AttributeError,
        KeyError,
        OverflowError,
        OSError,
        RecursionError,
        MemoryError,
    ) as exc:
        # A file shaped in a way no reader expected: say so, never a traceback.
        raise UploadError(
            f"'{name}' could not be read ({exc.__class__.__name__}); check that it is a "
            "UCDP, ACLED or ZoneWatch export and save it again as CSV UTF-8"
        ) from None
    finally:
        frames.close()  # the reader lets go of ``source`` now, not when collected
    if report.rows_read == 0:
        raise UploadError(f"'{name}' has a header but no rows of events")


def _checked(
    frames, name: str, fmt: str | None, dataset: str | None, report: ImportReport
) -> Iterator[pd.DataFrame]:
    first_row = 2
    for raw in frames:
        if not report.format:
            if fmt is not None:
                check_columns(fmt, list(raw.columns), name, dataset)
            report.format = fmt or detect_format(list(raw.columns))
            if report.format == "acled":
                report.version = acled.version(raw)
            elif report.format == "ucdp":
                report.version = ucdp.version(raw, name)
            family = {"ucdp": "ucdp", "acled": "acled"}.get(report.format, "")
            report.dataset = (dataset or family).casefold()
        model = _map(report.format, raw, dataset, report.version)
        good, problems = check_events(model, name, first_row)
        report.rows_read += len(raw)
        report.problems.extend(problems)
        first_row += len(raw)
        if not report.dataset and len(good):
            report.dataset = ", ".join(sorted(good["dataset"].unique()))
        yield good


def _size(source: BinaryIO) -> int:
    pos = source.tell()
    source.seek(0, io.SEEK_END)
    size = source.tell()
    source.seek(pos)
    return size


def _csv_frames(
    source: BinaryIO,
    name: str,
    head: bytes,
    size: int,
    progress: Progress | None,
    check_header: bool = True,
) -> Iterator[pd.DataFrame]:
    sample = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    first_line = sample.splitlines()[0] if sample.splitlines() else ""
    sep = max((",", ";", "\t"), key=first_line.count)
    header = next(csv.reader([first_line], delimiter=sep), [])
    if check_header:
        detect_format(header)  # refuse before reading further
    text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    try:
        reader = pd.read_csv(
            text,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            chunksize=CHUNK_ROWS,
            on_bad_lines="error",
        )
        rows = 0
        for chunk in reader:
            rows += len(chunk)
            if progress:
                progress(min(1.0, source.tell() / max(size, 1)), rows)
            yield chunk
    except UnicodeDecodeError as exc:
        raise UploadError(
            f"'{name}' is not UTF-8 text past its start ({exc.reason}); save it as CSV UTF-8"
        ) from None
    except pd.errors.ParserError as exc:
        raise UploadError(
            f"'{name}' is not a well-formed CSV ({str(exc).splitlines()[0]})"
        ) from None
    finally:
        text.detach()


def _xlsx_frames(source: BinaryIO, name: str) -> Iterator[pd.DataFrame]:
    limit = env_limit("ZONEWATCH_MAX_XLSX_MB", 200) * 1024 * 1024
    try:
        with zipfile.ZipFile(source) as zf:
            members = zf.infolist()
            if "[Content_Types].xml" not in zf.namelist():
                raise UploadError(f"'{name}' is a ZIP archive, not an XLSX spreadsheet")
            if len(members) > 2000 or sum(m.file_size for m in members) > limit:
                raise UploadError(
                    f"'{name}' unpacks to more than the {limit // 1048576} MB limit for "
                    "spreadsheets; save it as CSV UTF-8 instead"
                )
        source.seek(0)
        sheets = pd.read_excel(source, sheet_name=0, dtype=str, engine="openpyxl")
    except UploadError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on broken files
        raise UploadError(
            f"'{name}' cannot be read as an XLSX spreadsheet ({exc.__class__.__name__}); "
            "save it again from Excel or as CSV UTF-8"
        ) from None
    sheets.columns = [str(c) for c in sheets.columns]
    yield sheets.fillna("").astype(str)


def _geojson_frames(source: BinaryIO, name: str) -> Iterator[pd.DataFrame]:
    limit = geojson_limit_mb()
    if _size(source) > limit * 1024 * 1024:
        raise UploadError(
            f"'{name}' is a GeoJSON file over {limit} MB; GeoJSON is read whole, so export "
            "large collections as CSV (or raise ZONEWATCH_MAX_GEOJSON_MB)"
        )
    try:
        data = json.loads(source.read().decode("utf-8-sig"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UploadError(
            f"'{name}' is not valid JSON ({exc.__class__.__name__}); export it again as GeoJSON"
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise UploadError(f"'{name}' is JSON but not a GeoJSON FeatureCollection of events")
    rows = []
    for feature in data["features"]:
        props = feature.get("properties") if isinstance(feature, dict) else None
        geom = feature.get("geometry") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        row = {k: ("" if v is None else str(v)) for k, v in props.items()}
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        if (
            isinstance(geom, dict)
            and geom.get("type") == "Point"
            and isinstance(coords, list)
            and len(coords) >= 2
        ):
            row["longitude"], row["latitude"] = str(coords[0]), str(coords[1])
        else:
            row.setdefault("longitude", "")
            row.setdefault("latitude", "not a Point")
        rows.append(row)
    frame = pd.DataFrame(rows, dtype=str).fillna("")
    if frame.empty:
        raise UploadError(f"'{name}' holds no features")
    yield frame


def _no_constant(value: str):
    raise ValueError(f"{value} is not a number GeoJSON allows")


def import_events(
    store,
    source: BinaryIO | str | Path,
    name: str | None = None,
    fmt: str | None = None,
    dataset: str | None = None,
    who: auth.Identity | str = "",
    progress: Progress | None = None,
    saving: Saving | None = None,
    size_limit: bool = True,
) -> ImportReport:
    """Read an event file and add its good rows to ``store`` in one transaction.

    ``progress`` is told how far the reading has gone, then ``saving`` how many rows are
    in the store's transaction after each chunk (the store then finishes its indexes and
    commits). Returns the report. Nothing is added when the file cannot be read at all.
    ``size_limit`` as for :func:`read_event_file` (the command line passes False).
    An identity ``who`` without the right to import is refused before the file is read.
    """
    auth.author_of(who, auth.IMPORT)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise UploadError(f"'{path}' is not a file")
        with path.open("rb") as fh:
            return import_events(
                store, fh, name or path.name, fmt, dataset, who, progress, saving, size_limit
            )
    name = name or "upload"
    report = ImportReport(name, sha256=sha256_of(source))
    # Read and check the whole file first, spilling chunks to a temporary folder (memory
    # stays bounded), so the store's write lock is held only while the rows go in.
    with tempfile.TemporaryDirectory(prefix="zonewatch-import-") as tmp:
        parts = []
        for i, chunk in enumerate(
            read_event_file(source, name, fmt, dataset, progress, report, size_limit)
        ):
            part = Path(tmp) / f"{i:06d}.parquet"
            chunk.to_parquet(part, index=False)
            parts.append(part)
        good = report.rows_read - report.skipped

        def chunks():
            done = 0
            for part in parts:
                chunk = pd.read_parquet(part)
                yield chunk  # resumes once the store has taken it
                done += len(chunk)
                if saving:
                    saving(done, good)

        result = store.add_event_chunks(
            chunks(), who=who, file_name=name, sha256=report.sha256, expected_rows=good
        )
    report.imported, report.already_present = result.added, result.already_present
    return report
