"""The event, zone and place models: one documented place for their columns.

Events
------
One row per reported event, whatever its source. Columns (all present, in this order):

================== ============ ==========================================================
column             type         meaning
================== ============ ==========================================================
date_start         date         first day of the event (``YYYY-MM-DD``)
date_end           date         last day; equal to ``date_start`` for a one-day event
date_precision     text         ``day``, ``days`` (2-6 days), ``week``, ``month``, ``year``
latitude           float        WGS84 degrees
longitude          float        WGS84 degrees
location_precision text         see :data:`LOCATION_PRECISIONS`
event_type         text         e.g. ``State-based conflict`` (UCDP) or ``Air strike``
sub_event_type     text         finer type (UCDP: the conflict's name)
actor1, actor2     text         the two sides (UCDP ``side_a`` / ``side_b``)
fatalities_best    integer      best estimate of deaths (blank when unknown)
fatalities_low     integer      low estimate
fatalities_high    integer      high estimate
admin1, admin2     text         administrative areas as the source spells them
location           text         place description from the source
source             text         who reported it (outlet, date, headline)
source_url         text         a link to the report; only http(s) links are kept
notes              text         anything else: competing accounts, caveats
dataset            text         source family: ``ucdp``, ``curated``, ...
dataset_id         text         the dataset's own id for the event
dataset_version    text         the release of the dataset
================== ============ ==========================================================

An event matches a date range when its [date_start, date_end] overlaps the range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.errors import DataFileError
from geo.vocabulary import LOCATION_PRECISIONS  # noqa: F401  (defined there, no pandas)

DATE_PRECISIONS = ("day", "days", "week", "month", "year")

DATE_COLUMNS = ("date_start", "date_end")
#: No single event has more deaths than this; a larger number is a data error.
MAX_FATALITIES = 10_000_000
FLOAT_COLUMNS = ("latitude", "longitude")
INT_COLUMNS = ("fatalities_best", "fatalities_low", "fatalities_high")

EVENT_COLUMNS = (
    "date_start",
    "date_end",
    "date_precision",
    "latitude",
    "longitude",
    "location_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "fatalities_best",
    "fatalities_low",
    "fatalities_high",
    "admin1",
    "admin2",
    "location",
    "source",
    "source_url",
    "notes",
    "dataset",
    "dataset_id",
    "dataset_version",
)

#: The columns held as text: all but the dates and the numbers.
TEXT_COLUMNS = tuple(
    c for c in EVENT_COLUMNS if c not in DATE_COLUMNS + FLOAT_COLUMNS + INT_COLUMNS
)

#: Columns that must hold a value in every row.
REQUIRED_VALUES = (
    "date_start",
    "date_end",
    "latitude",
    "longitude",
    "event_type",
    "dataset",
    "dataset_id",
)

#: Human labels, used by popups, tables and exports.
EVENT_LABELS = {
    "date_start": "Start date",
    "date_end": "End date",
    "date_precision": "Date precision",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "location_precision": "Location precision",
    "event_type": "Event type",
    "sub_event_type": "Sub-type",
    "actor1": "Actor 1",
    "actor2": "Actor 2",
    "fatalities_best": "Fatalities (best)",
    "fatalities_low": "Fatalities (low)",
    "fatalities_high": "Fatalities (high)",
    "admin1": "Admin 1",
    "admin2": "Admin 2",
    "location": "Location",
    "source": "Source",
    "source_url": "Source link",
    "notes": "Notes",
    "dataset": "Dataset",
    "dataset_id": "Dataset id",
    "dataset_version": "Dataset version",
}

#: Zone version columns (besides the geometry), as stored and exported.
ZONE_COLUMNS = (
    "zone_id",
    "version",
    "name_en",
    "name_ar",
    "status",
    "memorandum_date",
    "in_force_from",
    "valid_from",
    "boundary_precision",
    "method",
    "sources",
    "author",
    "note",
)

#: Place columns (besides the geometry).
PLACE_COLUMNS = (
    "geonameid",
    "name",
    "name_en",
    "name_ar",
    "population",
    "label_zoom",
)

_HTTP_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def is_http_url(value: object) -> bool:
    """True when ``value`` is an http or https URL (the only links made clickable)."""
    return isinstance(value, str) and bool(_HTTP_URL.match(value.strip()))


@dataclass(frozen=True)
class RowProblem:
    """Why one row of a file was not taken."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column '{self.column}': {printable(self.reason)}"


def printable(text: str) -> str:
    """Text with control characters shown as escapes (safe to print to a terminal)."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


_DATE_SHAPE = r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?"


def check_events(
    df: pd.DataFrame, file: str, first_row: int = 2
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Coerce a frame to the event model, row by row.

    Returns the good rows (in the model's columns and types) and, for every bad row, its
    file row number (``first_row`` is the row of the frame's first line: 2 for a CSV with
    one header line) and the first problem found in it. Missing columns raise
    :class:`DataFileError`: then no row can be read.
    """
    missing = [c for c in EVENT_COLUMNS if c not in df.columns]
    if missing:
        raise DataFileError(
            file,
            f"missing column(s) {', '.join(missing)}; the event model needs "
            f"{', '.join(EVENT_COLUMNS)}",
        )
    src = df.reset_index(drop=True)
    n = len(src)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    problem = np.full(n, "", dtype=object)
    problem_col = np.full(n, "", dtype=object)

    def flag(mask, column: str, reason) -> None:
        mask = np.asarray(mask, dtype=bool) & (problem == "")
        if mask.any():
            for pos in np.flatnonzero(mask):
                problem[pos] = reason(pos) if callable(reason) else reason
                problem_col[pos] = column

    def blank(col: str) -> np.ndarray:
        values = src[col]
        return (values.isna() | (values.astype(str).str.strip() == "")).to_numpy()

    for col in TEXT_COLUMNS:
        values = src[col]
        out[col] = values.where(values.notna(), "").astype(str).str.strip()
    # Dataset names are identifiers and match case-insensitively: stored in one case.
    out["dataset"] = out["dataset"].str.casefold()

    for col in REQUIRED_VALUES:
        flag(blank(col), col, "is empty; every event needs a value here")

    for col in DATE_COLUMNS:
        text = src[col].astype(str).str.strip()
        shaped = text.str.fullmatch(_DATE_SHAPE).fillna(False).astype(bool).to_numpy()
        parsed = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        bad = parsed.isna().to_numpy() | ~shaped
        flag(bad, col, lambda pos, t=text: f"'{t.iloc[pos]}' is not a date; write it as YYYY-MM-DD")
        out[col] = parsed.astype("datetime64[s]")

    for col, limit in (("latitude", 90.0), ("longitude", 180.0)):
        parsed = pd.to_numeric(src[col], errors="coerce").astype("float64")
        values = parsed.to_numpy()
        bad = ~np.isfinite(values)
        flag(bad, col, lambda pos, c=col: f"'{src[c].iloc[pos]}' is not a number of degrees")
        flag(
            np.abs(np.nan_to_num(values)) > limit,
            col,
            lambda pos, v=values, lim=limit: (
                f"{v[pos]} is outside ±{lim:g} degrees; check that "
                "latitude and longitude are WGS84 degrees and not swapped"
            ),
        )
        out[col] = parsed

    for col in INT_COLUMNS:
        raw = src[col]
        empty = blank(col)
        parsed = pd.to_numeric(raw.where(~empty, None), errors="coerce").astype("float64")
        values = parsed.to_numpy()
        bad = (
            (np.isnan(values) & ~empty)
            | (values < 0)
            | (np.nan_to_num(values) > MAX_FATALITIES)
            | (np.nan_to_num(values) % 1 != 0)
        )
        flag(
            bad,
            col,
            lambda pos, r=raw: (
                f"'{r.iloc[pos]}' is not a whole number of deaths (leave it blank if unknown)"
            ),
        )
        unknown = bad | np.isnan(values)  # whole numbers within MAX_FATALITIES otherwise
        out[col] = pd.arrays.IntegerArray(
            np.where(unknown, 0, values).astype("int64"), unknown.copy()
        )

    flag(
        (out["date_end"] < out["date_start"]).fillna(False).to_numpy(),
        "date_end",
        "ends before it starts; swap date_start and date_end",
    )
    flag(
        ~out["date_precision"].isin(DATE_PRECISIONS + ("",)).to_numpy(),
        "date_precision",
        lambda pos: (
            f"'{out['date_precision'].iloc[pos]}' is not one of {', '.join(DATE_PRECISIONS)}"
        ),
    )
    flag(
        ~out["location_precision"].isin(tuple(LOCATION_PRECISIONS) + ("",)).to_numpy(),
        "location_precision",
        lambda pos: (
            f"'{out['location_precision'].iloc[pos]}' is not one of "
            f"{', '.join(LOCATION_PRECISIONS)}"
        ),
    )
    # Only http(s) links are kept as links; anything else moves into the notes as text.
    url = out["source_url"]
    not_http = (url != "") & ~url.map(is_http_url).astype(bool)
    if not_http.any():
        out.loc[not_http, "notes"] = (
            out.loc[not_http, "notes"] + " [link not kept: " + url[not_http] + "]"
        ).str.strip()
        out.loc[not_http, "source_url"] = ""

    bad_rows = problem != ""
    problems = [
        RowProblem(int(pos) + first_row, str(problem_col[pos]), str(problem[pos]))
        for pos in np.flatnonzero(bad_rows)
    ]
    good = out.loc[~bad_rows, list(EVENT_COLUMNS)].reset_index(drop=True)
    return good, problems


def validate_events(df: pd.DataFrame, file: str, first_row: int = 2) -> pd.DataFrame:
    """Check and coerce a frame to the event model; every row must be good.

    Raises
    ------
    DataFileError
        naming the file, the column and the row of the first bad value.
    """
    good, problems = check_events(df, file, first_row)
    if problems:
        first = problems[0]
        raise DataFileError(file, first.reason, first.column, first.row)
    return good
