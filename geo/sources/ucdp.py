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


def _code(series: pd.Series, mapping: dict[int, str], file: str, column: str) -> pd.Series:
    codes = pd.to_numeric(series, errors="coerce")
    mapped = codes.map(mapping)
    bad = mapped.isna()
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise DataFileError(
            file,
            f"'{series.iloc[pos]}' is not a known code ({', '.join(map(str, mapping))})",
            column,
            pos + 2,
        )
    return mapped


def read_ucdp_csv(path: str | Path, version: str = SYRIA_VERSION) -> pd.DataFrame:
    """Read a UCDP GED CSV and return it in the event model (dataset ``ucdp``)."""
    file = Path(path).name
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFileError(
            file, f"cannot be read as a UTF-8 CSV ({exc.__class__.__name__})"
        ) from exc
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise DataFileError(file, f"is not a UCDP GED CSV: missing column(s) {', '.join(missing)}")

    deaths = (
        "Deaths: side A "
        + raw["deaths_a"]
        + ", side B "
        + raw["deaths_b"]
        + ", civilians "
        + raw["deaths_civilians"]
        + ", unknown "
        + raw["deaths_unknown"]
    )
    events = pd.DataFrame(
        {
            "date_start": raw["date_start"],
            "date_end": raw["date_end"],
            "date_precision": _code(raw["date_prec"], DATE_PREC, file, "date_prec"),
            "latitude": raw["latitude"],
            "longitude": raw["longitude"],
            "location_precision": _code(raw["where_prec"], WHERE_PREC, file, "where_prec"),
            "event_type": _code(
                raw["type_of_violence"], TYPE_OF_VIOLENCE, file, "type_of_violence"
            ),
            "sub_event_type": raw["conflict_name"],
            "actor1": raw["side_a"],
            "actor2": raw["side_b"],
            "fatalities_best": raw["best"],
            "fatalities_low": raw["low"],
            "fatalities_high": raw["high"],
            "admin1": raw["adm_1"],
            "admin2": raw["adm_2"],
            "location": raw["where_coordinates"],
            "source": raw["source_article"].str.strip().str.strip('"'),
            "source_url": "",
            "notes": deaths,
            "dataset": DATASET,
            "dataset_id": raw["id"],
            "dataset_version": version,
        }
    )
    return validate_events(events, file)
