"""What happened in each zone, in time: events matched to the zone boundary in force on
the day each event began (not today's), and counts per zone and period.

Pure functions over frames; the pages and the CLI call them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.export import timeline

#: Location precisions too coarse to place an event in a zone: a governorate's centroid or
#: wider (UCDP ``where_prec`` 4 and above, ACLED ``geo_precision`` 3).
COARSE = frozenset({"admin1", "region", "country", "international"})


def is_coarse(events: pd.DataFrame) -> pd.Series:
    """True for events placed no better than a governorate's centroid."""
    return events["location_precision"].isin(COARSE)


def zone_membership(events: pd.DataFrame, versions) -> pd.DataFrame:
    """One row per (event, zone) where the event lies in the zone's version in force on
    the event's start date; zones that had ended (or not begun) by then do not count.

    Columns: ``event`` (the index label in ``events``), ``zone_id``, ``version``.
    A point on a boundary counts as inside.
    """
    rows = []
    starts = events["date_start"].to_numpy(dtype="datetime64[s]")
    lon = events["longitude"].to_numpy(dtype=float)
    lat = events["latitude"].to_numpy(dtype=float)
    for zone_id, zv in versions.groupby("zone_id", sort=True):
        zv = zv.sort_values(["valid_from", "version"])
        valid = zv["valid_from"].to_numpy(dtype="datetime64[s]")
        # the last version with valid_from on or before each event's start (ties: newest)
        which = np.searchsorted(valid, starts, side="right") - 1
        for i, row in enumerate(zv.itertuples(index=False)):
            if row.status == "ended":
                continue
            picked = np.flatnonzero(which == i)
            if not len(picked):
                continue
            inside = shapely.intersects_xy(row.geometry, lon[picked], lat[picked])
            for j in picked[inside]:
                rows.append((events.index[j], zone_id, int(row.version)))
    return pd.DataFrame(rows, columns=["event", "zone_id", "version"])


def zone_counts(
    events: pd.DataFrame, versions, freq: str = "month", exclude_coarse: bool = False
) -> pd.DataFrame:
    """Events and fatalities per zone, period (``week`` or ``month``, by start date) and
    event type. Columns: zone_id, period, event_type, events, fatalities."""
    if exclude_coarse:
        events = events[~is_coarse(events)]
    member = zone_membership(events, versions)
    parts = []
    for zone_id, rows in member.groupby("zone_id", sort=True):
        counted = timeline(events.loc[rows["event"]], freq)
        counted.insert(0, "zone_id", zone_id)
        parts.append(counted)
    if not parts:
        return pd.DataFrame(columns=["zone_id", "period", "event_type", "events", "fatalities"])
    return pd.concat(parts, ignore_index=True)
