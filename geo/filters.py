"""Pure, vectorised event filters. One filter state serves the map, the counts and the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from geo.errors import InputError


@dataclass(frozen=True)
class EventFilter:
    """What the user asked for. ``None`` means "no restriction"."""

    start: date | None = None
    end: date | None = None
    types: tuple[str, ...] | None = None
    datasets: tuple[str, ...] | None = field(default=None)
    #: (min lon, min lat, max lon, max lat), WGS84
    bbox: tuple[float, float, float, float] | None = None

    def __post_init__(self):
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InputError(
                f"the end date {self.end.isoformat()} is before the start date "
                f"{self.start.isoformat()}; swap them"
            )


def parse_date(text: str, what: str = "date") -> date:
    """Parse ``YYYY-MM-DD`` or raise an :class:`InputError` that says how to write it."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise InputError(f"{what} '{text}' is not a date; write it as YYYY-MM-DD") from None


def date_overlap_mask(df: pd.DataFrame, start: date | None, end: date | None) -> np.ndarray:
    """Events whose [date_start, date_end] overlaps [start, end] (both inclusive)."""
    mask = np.ones(len(df), dtype=bool)
    if end is not None:
        mask &= (df["date_start"] <= pd.Timestamp(end)).to_numpy()
    if start is not None:
        mask &= (df["date_end"] >= pd.Timestamp(start)).to_numpy()
    return mask


def _isin_casefold(values: pd.Series, wanted: Iterable[str]) -> np.ndarray:
    wanted = {w.casefold() for w in wanted}
    return values.str.casefold().isin(wanted).to_numpy()


def event_mask(df: pd.DataFrame, flt: EventFilter) -> np.ndarray:
    """A boolean mask over ``df`` selecting the events that match ``flt``."""
    mask = date_overlap_mask(df, flt.start, flt.end)
    if flt.types is not None:
        mask &= _isin_casefold(df["event_type"], flt.types)
    if flt.datasets is not None:
        mask &= _isin_casefold(df["dataset"], flt.datasets)
    if flt.bbox is not None:
        west, south, east, north = flt.bbox
        lon, lat = df["longitude"].to_numpy(), df["latitude"].to_numpy()
        mask &= (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    return mask


def filter_events(df: pd.DataFrame, flt: EventFilter) -> pd.DataFrame:
    """The events of ``df`` that match ``flt``, in their original order."""
    return df[event_mask(df, flt)]


def check_types(requested: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    """Return ``requested`` as the known spellings, or raise naming the unknown ones."""
    by_key = {k.casefold(): k for k in known}
    out, unknown = [], []
    for t in requested:
        (out if t.casefold() in by_key else unknown).append(by_key.get(t.casefold(), t))
    if unknown:
        raise InputError(
            f"unknown event type(s) {', '.join(repr(u) for u in unknown)}; "
            f"known types: {', '.join(sorted(by_key.values()))}"
        )
    return tuple(out)
