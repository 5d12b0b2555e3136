"""The place report: events within a distance of chosen places, in time.

Computed once here, pure (no streamlit): the Place report page only draws what
:func:`place_report` returns. Distances are geodesic (WGS84, the shared filters' own test);
an event near two chosen places counts for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geo import analysis
from geo.filters import find_place, near_bbox
from geo.timeline import before_range, longer_than_period, timeline

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
    :data:`geo.timeline.BEFORE_RULE`), summed over the places; ``longer``: how many of
    those counted run past the period of their start (summed likewise). ``near``: the events within
    the distance of any place, each once, in the order of the events given. ``focus``: the
    discs of the distance around the places, for a map to show; ``discs``: each place's disc,
    labelled, for a map to draw. ``exclude_coarse``: the events placed only at a
    governorate's centroid or coarser (:data:`geo.analysis.COARSE`) were left out, as the
    Zone report leaves them out: ``coarse_left_out`` of them were within the distance of a
    place."""

    places: tuple[str, ...]
    km: float
    freq: str
    per_period: pd.DataFrame
    totals: pd.DataFrame
    early: int
    near: pd.DataFrame
    focus: object  # a shapely geometry
    longer: int = 0  # as ``early``: counted events whose dates run past their period
    discs: tuple = ()  # ((label, disc), ...) in the order of ``places``
    exclude_coarse: bool = False
    coarse_left_out: int = 0


def place_report(
    events,
    places,
    names,
    km: float,
    freq="month",
    start=None,
    end=None,
    types=None,
    exclude_coarse: bool = False,
):
    """The :class:`PlaceReport` of ``events`` (a frame of events, a
    :class:`~geo.eventindex.Selection` of the index, or a
    :class:`~geo.store.pgselection.SqlSelection`: the same report) within ``km`` of each
    of ``names`` (places found by :func:`geo.filters.find_place`), per ``freq`` (``week``
    or ``month``) from ``start`` to ``end``; ``types``: every event type, so each has its
    rows (default: those present); ``exclude_coarse``: leave out the events placed only at
    a governorate's centroid or coarser (a governorate's centre is no town's)."""
    names = list(names)
    found = [find_place(places, name) for name in names]
    # Only the events within the box around each place can be within the distance: kept
    # first (a million events shown, a few thousand kept), then tested each place.
    boxes = [near_bbox(y, x, km) for y, x, _ in found]
    if not isinstance(events, pd.DataFrame):  # a selection: the frame of those events alone
        events = events.frame_in_boxes(boxes)
    else:
        lon, lat = events["longitude"].to_numpy(float), events["latitude"].to_numpy(float)
        boxed = np.zeros(len(events), dtype=bool)
        for west, south, east, north in boxes:
            boxed |= (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
        events = events[boxed]
    left_out = 0
    if exclude_coarse:
        coarse = analysis.is_coarse(events).to_numpy()
        left = events[coarse]
        left_out = len(
            set().union(*(analysis.near_place(left, y, x, km).index for y, x, _ in found))
        )
        events = events[~coarse]
    near = [analysis.near_place(events, y, x, km) for y, x, _ in found]
    # as analysis.place_counts, from the events near each place found once
    parts = []
    for rows, (_, _, label) in zip(near, found, strict=True):
        counted = timeline(rows, freq, start, end, types)
        counted.insert(0, "place", label)
        parts.append(counted)
    counts = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["place", "period", "event_type", "events", "fatalities"])
    )
    per_period = (
        counts.groupby(["place", "period", "label"], as_index=False, sort=True)[
            ["events", "fatalities"]
        ].sum()
        if not counts.empty
        else counts
    )
    discs = [analysis.ring(shapely.Point(x, y), km) for y, x, _ in found]
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
        discs=tuple(
            (f"within {km:g} km of {label}", disc)
            for (_, _, label), disc in zip(found, discs, strict=True)
        ),
        longer=sum(longer_than_period(rows, freq, start, end, types) for rows in near),
        exclude_coarse=exclude_coarse,
        coarse_left_out=left_out,
    )
