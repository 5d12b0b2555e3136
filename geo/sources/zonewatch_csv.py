"""The project's own event CSV: one column per field of the event model, UTF-8, header row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.errors import DataFileError
from geo.schema import validate_events


def read_events_csv(path: str | Path) -> pd.DataFrame:
    """Read an event CSV in the ZoneWatch format (see :mod:`geo.schema`)."""
    file = Path(path).name
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFileError(
            file, f"cannot be read as a UTF-8 CSV ({exc.__class__.__name__})"
        ) from exc
    return validate_events(raw, file)
