"""UCDP GED (Georeferenced Event Dataset) CSV, Syria release, into the event model.

Mapping (UCDP GED codebook 19.1):

- ``type_of_violence`` 1/2/3 -> event_type ``State-based conflict`` / ``Non-state conflict`` /
  ``One-sided violence``; ``conflict_name`` -> sub_event_type
- ``side_a`` / ``side_b`` -> actor1 / actor2; ``best``/``low``/``high`` -> fatalities
- ``date_prec`` 1..5 -> day, days, week, month, year
- ``where_prec`` 1..7 -> exact, near, admin2, admin1, region, country, international
- ``adm_1``/``adm_2``/``where_coordinates`` -> admin1/admin2/location
- ``source_article`` (its literal quotes removed) -> source; deaths by side -> notes
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.errors import DataFileError
from geo.schema import validate_events
from geo.sources.text_csv import read_text_csv

DATASET = "ucdp"
SYRIA_VERSION = "GED Syria 652.1601.1911"

CITATION = (
    "Sundberg, Ralph and Erik Melander (2013) Introducing the UCDP Georeferenced Event "
    "Dataset. Journal of Peace Research 50(4): 523-532; Högbladh, Stina (2019) UCDP GED "
    "Codebook version 19.1, Department of Peace and Conflict Research, Uppsala University. "
    "Licence: CC BY 4.0."
)

TYPE_OF_VIOLENCE = {1: "State-based conflict", 2: "Non-state conflict", 3: "One-sided violence"}
DATE_PREC = {1: "day", 2: "days", 3: "week", 4: "month", 5: "year"}
WHERE_PREC = {
    1: "exact",
    2: "near",
    3: "admin2",
    4: "admin1",
    5: "region",
    6: "country",
    7: "international",
}

COLUMNS = (
    "id",
    "type_of_violence",
    "conflict_name",
    "side_a",
    "side_b",
    "source_article",
    "where_prec",
    "where_coordinates",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "low",
    "best",
    "high",
)


#: The columns without which a file is not taken as UCDP GED (Syria or Global release).
REQUIRED = (
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "where_prec",
    "latitude",
    "longitude",
    "date_prec",
    "date_start",
    "date_end",
    "best",
)


def matches(header: list[str]) -> bool:
    """True when a header looks like a UCDP GED CSV (the Syria or the Global column set)."""
    return set(REQUIRED) <= set(header)


def version(raw: pd.DataFrame, file_name: str = "") -> str:
    """Which GED release the columns say this is (Global has ``relid``, Syria ``gwnob``)."""
    del file_name  # the same release imported from two files is one version
    return "GED Global" if "relid" in raw.columns else "GED Syria"


def _mapped(series: pd.Series, mapping: dict[int, str], label: str = "") -> pd.Series:
    """Codes to names; an unknown code stays visible (``"where_prec 9"``) for the row check."""
    names = pd.to_numeric(series, errors="coerce").map(mapping)
    if not label:
        return names.fillna("")
    return names.fillna(label + " " + series.astype(str))


def to_model(raw: pd.DataFrame, dataset: str = DATASET, version_text: str = "") -> pd.DataFrame:
    """Map raw GED rows (all text) to event-model columns; the row check follows."""
    get = lambda col: raw[col] if col in raw.columns else pd.Series("", index=raw.index)  # noqa: E731
    deaths = (
        "Deaths: side A "
        + get("deaths_a")
        + ", side B "
        + get("deaths_b")
        + ", civilians "
        + get("deaths_civilians")
        + ", unknown "
        + get("deaths_unknown")
    )
    has_deaths = get("deaths_a").astype(str) != ""
    return pd.DataFrame(
        {
            "date_start": get("date_start"),
            "date_end": get("date_end"),
            "date_precision": _mapped(get("date_prec"), DATE_PREC, "date_prec"),
            "latitude": get("latitude"),
            "longitude": get("longitude"),
            "location_precision": _mapped(get("where_prec"), WHERE_PREC, "where_prec"),
            "event_type": _mapped(get("type_of_violence"), TYPE_OF_VIOLENCE),
            "sub_event_type": get("conflict_name"),
            "actor1": get("side_a"),
            "actor2": get("side_b"),
            "fatalities_best": get("best"),
            "fatalities_low": get("low"),
            "fatalities_high": get("high"),
            "admin1": get("adm_1"),
            "admin2": get("adm_2"),
            "location": get("where_coordinates"),
            "source": get("source_article").astype(str).str.strip().str.strip('"'),
            "source_url": "",
            "notes": deaths.where(has_deaths, ""),
            "dataset": dataset,
            "dataset_id": get("id"),
            "dataset_version": version_text,
        }
    )


def read_ucdp_csv(path: str | Path, version: str = SYRIA_VERSION) -> pd.DataFrame:
    """Read a UCDP GED CSV and return it in the event model (dataset ``ucdp``); every row
    must be good (this is for the shipped file)."""
    file = Path(path).name
    raw = read_text_csv(path, file)
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise DataFileError(file, f"is not a UCDP GED CSV: missing column(s) {', '.join(missing)}")
    return validate_events(to_model(raw, DATASET, version), file)
