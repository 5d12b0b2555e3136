"""The place report: events within a distance of chosen places, in time.

Computed once here, pure (no streamlit): the Place report page only draws what
:func:`place_report` returns. Distances are geodesic (WGS84, the shared filters' own test);
an event near two chosen places counts for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import shapely

from geo import analysis
from geo.filters import find_place
from geo.timeline import before_range

#: The places the report opens with, when the store has them.
DEFAULT_PLACES = ("Raqqa", "Palmyra (Tadmur)")


@dataclass(frozen=True)
class PlaceReport:
    """What the Place report shows.

    ``per_period``: events and fatalities (best estimates) per place and period, every
    period of the chosen dates (zeros included), all types together; columns place, period,
    label, events, fatalities. ``totals``: per place (as chosen), all the events within the
    distance and their fatalities, including those that began before the chosen dates.
    ``early``: how many of those began before ``start`` (left out of ``per_period``, see
    :data:`geo.timeline.BEFORE_RULE`), summed over the places. ``near``: the events within
    the distance of any place, each once, in the order of the events given. ``focus``: the
    discs of the distance around the places, for a map to show."""

    places: tuple[str, ...]
    km: float
    freq: str
    per_period: pd.DataFrame
    totals: pd.DataFrame
    early: int
    near: pd.DataFrame
    focus: object  # a shapely geometry


def place_report(events, places, names, km: float, freq="month", start=None, end=None, types=None):
    """The :class:`PlaceReport` of ``events`` (a frame of events) within ``km`` of each
    of ``names`` (places found by :func:`geo.filters.find_place`), per ``freq`` (``week``
    or ``month``) from ``start`` to ``end``; ``types``: every event type, so each has its
    rows (default: those present)."""
    names = list(names)
    counts = analysis.place_counts(events, places, names, km, freq, start, end, types)
    per_period = (
        counts.groupby(["place", "period", "label"], as_index=False, sort=True)[
            ["events", "fatalities"]
        ].sum()
        if not counts.empty
        else counts
    )
    near, discs = [], []
    for name in names:
        lat, lon, _ = find_place(places, name)
        near.append(analysis.near_place(events, lat, lon, km))
        discs.append(analysis.ring(shapely.Point(lon, lat), km))
    totals = pd.DataFrame(
        [
            {
                "place": name,
                "events": len(rows),
                "fatalities": int(rows["fatalities_best"].fillna(0).sum()),
            }
            for name, rows in zip(names, near, strict=True)
        ],
        columns=["place", "events", "fatalities"],
    )
    anywhere = pd.concat(near) if near else events.iloc[0:0]
    anywhere = anywhere[~anywhere.index.duplicated()].sort_index()
    return PlaceReport(
        places=tuple(names),
        km=float(km),
        freq=freq,
        per_period=per_period,
        totals=totals,
        early=sum(before_range(rows, start)["events"] for rows in near),
        near=anywhere,
        focus=shapely.union_all(discs),
    )
