"""ACLED exports (the 31 columns from ``event_id_cnty`` to ``timestamp``) into the event model.

Mapping: ``event_date`` (``31 December 2017`` or ISO) -> start and end date;
``time_precision`` 1/2/3 -> day/week/month; ``geo_precision`` 1/2/3 -> exact/near/region;
``fatalities`` -> best, low and high; ``source`` and ``source_scale`` -> source;
``event_id_cnty`` -> the dataset id. ACLED's terms require this attribution wherever the
data are shown or exported: :data:`ATTRIBUTION`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

DATASET = "acled"
ATTRIBUTION = (
    "Armed Conflict Location & Event Data Project (ACLED); www.acleddata.com. "
    "Used under ACLED's terms of use; not for redistribution."
)

COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
)  # fmt: skip
#: The columns without which a file is not taken as ACLED.
REQUIRED = ("event_id_cnty", "event_date", "event_type", "latitude", "longitude", "fatalities")

TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
GEO_PRECISION = {"1": "exact", "2": "near", "3": "region"}


def matches(header: list[str]) -> bool:
    """True when a header looks like an ACLED export."""
    return set(REQUIRED) <= set(header)


def _dates(text: pd.Series) -> pd.Series:
    """ACLED dates as ``YYYY-MM-DD`` (unparseable values are kept for the row check)."""
    text = text.astype(str).str.strip()
    long = pd.to_datetime(text, format="%d %B %Y", errors="coerce")
    iso = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    parsed = long.fillna(iso)
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), text)


def version(raw: pd.DataFrame) -> str:
    """The export's version: the latest ``timestamp`` of its rows, as a date."""
    stamps = pd.to_numeric(raw.get("timestamp", pd.Series(dtype=str)), errors="coerce").dropna()
    if stamps.empty:
        return "export (no timestamp)"
    try:
        latest = datetime.fromtimestamp(int(stamps.max()), UTC)
    except (OverflowError, OSError, ValueError):
        return "export (timestamp out of range)"
    return f"export of {latest:%Y-%m-%d}"


def to_model(raw: pd.DataFrame, dataset: str = DATASET, version_text: str = "") -> pd.DataFrame:
    """Map raw ACLED rows (all text) to event-model columns; the row check follows."""
    get = lambda col: raw[col] if col in raw.columns else pd.Series("", index=raw.index)  # noqa: E731
    dates = _dates(get("event_date"))
    source = get("source").astype(str)
    scale = get("source_scale").astype(str)
    actors2 = get("actor2").astype(str)
    assoc = get("assoc_actor_1").astype(str)
    notes = get("notes").astype(str)
    notes = notes.where(assoc == "", notes + " [Associated with actor 1: " + assoc + "]")
    return pd.DataFrame(
        {
            "date_start": dates,
            "date_end": dates,
            "date_precision": get("time_precision")
            .astype(str)
            .str.strip()
            .map(TIME_PRECISION)
            .fillna("day"),
            "latitude": get("latitude"),
            "longitude": get("longitude"),
            "location_precision": get("geo_precision")
            .astype(str)
            .str.strip()
            .map(GEO_PRECISION)
            .fillna(""),
            "event_type": get("event_type"),
            "sub_event_type": get("sub_event_type"),
            "actor1": get("actor1"),
            "actor2": actors2,
            "fatalities_best": get("fatalities"),
            "fatalities_low": get("fatalities"),
            "fatalities_high": get("fatalities"),
            "admin1": get("admin1"),
            "admin2": get("admin2"),
            "location": get("location"),
            "source": source.where(scale == "", source + " (" + scale + ")"),
            "source_url": "",
            "notes": notes,
            "dataset": dataset,
            "dataset_id": get("event_id_cnty"),
            "dataset_version": version_text,
        }
    )
