"""Events and fatalities per period and event type: the timeline the Events page, the
zone and place reports and the CLI count with, and the periods it counts by."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The periods a timeline can count by.
FREQS = ("day", "week", "month")

#: What every timeline caption says about events that began before the chosen dates.
BEFORE_RULE = (
    "Each event counts in the period of its start date; events that began before the "
    "chosen dates (and overlap them) are left out of the chart."
)


def period_start(dates, freq: str) -> np.ndarray:
    """The first day of the period (``day``; ``week``, from Monday; ``month``) of each date,
    as ``datetime64[D]``."""
    days = np.asarray(dates).astype("datetime64[D]")
    if freq == "day":
        return days
    if freq == "week":
        n = days.astype(np.int64)
        return (n - (n + 3) % 7).astype("datetime64[D]")  # 1970-01-01 was a Thursday
    if freq == "month":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    raise ValueError(f"freq must be one of {', '.join(FREQS)}, not {freq!r}")


def period_end(first, freq: str) -> np.ndarray:
    """The last day of the periods starting on ``first`` (``datetime64[D]``)."""
    first = np.asarray(first).astype("datetime64[D]")
    if freq == "day":
        return first
    if freq == "week":
        return first + np.timedelta64(6, "D")
    return (first.astype("datetime64[M]") + 1).astype("datetime64[D]") - np.timedelta64(1, "D")


def period_label(first, freq: str) -> list[str]:
    """How a period is named on an axis: ``May 2017``, ``week of 01 May 2017``,
    ``01 May 2017`` (for a month, a week from Monday, a day)."""
    stamps = pd.DatetimeIndex(np.asarray(first).astype("datetime64[D]"))
    fmt = {"month": "%b %Y", "week": "week of %d %b %Y", "day": "%d %b %Y"}[freq]
    return list(stamps.strftime(fmt))


def _all_periods(first: np.datetime64, last: np.datetime64, freq: str) -> np.ndarray:
    if freq == "month":
        months = np.arange(first.astype("datetime64[M]"), last.astype("datetime64[M]") + 1)
        return months.astype("datetime64[D]")
    step = 7 if freq == "week" else 1
    return np.arange(first, last + np.timedelta64(1, "D"), np.timedelta64(step, "D"))


def before_range(events: pd.DataFrame, start) -> dict:
    """The events (and their fatalities, best estimates) that began before ``start``: those
    :func:`timeline` leaves out, for a caption to say so."""
    if start is None or events.empty:
        return {"events": 0, "fatalities": 0}
    early = (events["date_start"] < pd.Timestamp(start)).to_numpy()
    fatalities = pd.to_numeric(events["fatalities_best"], errors="coerce").to_numpy(float)
    return {"events": int(early.sum()), "fatalities": int(np.nansum(fatalities[early]))}


def longer_than_period(events: pd.DataFrame, freq: str, start=None, end=None, types=None) -> int:
    """How many of the events :func:`timeline` counts (start within ``start``..``end``, of
    one of ``types``) last beyond the period of their start date: a UCDP record dated
    1 January to 31 December is counted in its first week, for a caption to say so."""
    if events.empty or "date_end" not in events:
        return 0
    starts = events["date_start"].to_numpy().astype("datetime64[D]")
    ends = events["date_end"].to_numpy().astype("datetime64[D]")
    keep = np.ones(len(starts), dtype=bool)
    if start is not None:
        keep &= starts >= np.datetime64(pd.Timestamp(start).date(), "D")
    if end is not None:
        keep &= starts <= np.datetime64(pd.Timestamp(end).date(), "D")
    if types is not None:
        keep &= events["event_type"].astype(object).isin(list(types)).to_numpy()
    return int((keep & (ends > period_end(period_start(starts, freq), freq))).sum())


def timeline(events: pd.DataFrame, freq: str, start=None, end=None, types=None) -> pd.DataFrame:
    """Events and fatalities per period (``day``, ``week`` from Monday, or ``month``) and
    event type, for every period from the one holding ``start`` to the one holding ``end``
    (default: the first and last start date among the events), empty periods as zeros.

    An event counts in the period of its **start date**. Events that began **before
    ``start``** (they overlap the chosen dates but began earlier) are **left out**, as are
    those that begin after ``end``: a year-long event is not piled into the first bar
    (:func:`before_range` counts them, for the caption; :data:`BEFORE_RULE` words it).
    The first and last periods hold only the chosen days of their week or month.

    ``events`` needs only ``date_start``, ``event_type`` and ``fatalities_best`` (any
    dtype: text or categorical types, float or integer fatalities); the work is vectorised
    (a million events take well under a second). ``types``: the event types to give a row
    each (default: those present, sorted); events of other types are left out.

    Columns: ``period`` (the first day), ``event_type``, ``events``, ``fatalities``,
    ``period_end`` (the last day) and ``label`` (``May 2017``, ``week of 01 May 2017``).
    """
    columns = ["period", "event_type", "events", "fatalities", "period_end", "label"]
    starts = events["date_start"].to_numpy().astype("datetime64[D]")
    lo = np.datetime64(pd.Timestamp(start).date(), "D") if start is not None else None
    hi = np.datetime64(pd.Timestamp(end).date(), "D") if end is not None else None
    keep = np.ones(len(starts), dtype=bool)
    if lo is not None:
        keep &= starts >= lo
    if hi is not None:
        keep &= starts <= hi
    if types is None:
        present = events["event_type"].to_numpy()[keep]
        types = sorted({str(t) for t in pd.unique(present) if pd.notna(t)})
    types = list(types)
    first = lo if lo is not None else (starts[keep].min() if keep.any() else None)
    last = hi if hi is not None else (starts[keep].max() if keep.any() else None)
    if first is None or last is None or not types:
        return pd.DataFrame({c: [] for c in columns})
    periods = _all_periods(period_start(first, freq), period_start(last, freq), freq)
    kinds = events["event_type"]
    if isinstance(kinds.dtype, pd.CategoricalDtype):  # recoded on the categories: fast
        type_code = kinds.cat.set_categories(types).cat.codes.to_numpy()[keep]
    else:
        # -1 for a type not among ``types`` (pd.Categorical with such values is deprecated)
        type_code = pd.Index(types).get_indexer(kinds.astype(object).to_numpy()[keep])
    where = np.searchsorted(periods, period_start(starts[keep], freq))
    fatalities = pd.to_numeric(events["fatalities_best"], errors="coerce").to_numpy(float)[keep]
    counted = type_code >= 0
    slot = where[counted] * len(types) + type_code[counted]
    size = len(periods) * len(types)
    n_events = np.bincount(slot, minlength=size)
    n_fatalities = np.bincount(slot, weights=np.nan_to_num(fatalities[counted]), minlength=size)
    period_col = np.repeat(periods, len(types))
    return pd.DataFrame(
        {
            "period": period_col.astype("datetime64[s]"),
            "event_type": np.tile(np.array(types, dtype=object), len(periods)),
            "events": n_events.astype("int64"),
            "fatalities": np.rint(n_fatalities).astype("int64"),
            "period_end": period_end(period_col, freq).astype("datetime64[s]"),
            "label": np.repeat(period_label(periods, freq), len(types)),
        },
        columns=columns,
    )
