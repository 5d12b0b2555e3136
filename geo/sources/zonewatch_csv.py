"""The project's own event CSV: one column per field of the event model, UTF-8, header row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.schema import validate_events
from geo.sources.text_csv import read_text_csv


def read_events_csv(path: str | Path) -> pd.DataFrame:
    """Read an event CSV in the ZoneWatch format (see :mod:`geo.schema`)."""
    file = Path(path).name
    raw = read_text_csv(path, file)
    return validate_events(raw, file)
