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


def _blocks(events):
    """The events as frames to sum over: a :class:`~geo.eventindex.Selection` a block at a
    time (:meth:`~geo.eventindex.Selection.blocks`), a frame whole."""
    from geo.eventindex import Selection

    return events.blocks() if isinstance(events, Selection) else [events]


def _empty(events) -> bool:
    return not len(events)


def before_range(events: pd.DataFrame, start) -> dict:
    """The events (and their fatalities, best estimates) that began before ``start``: those
    :func:`timeline` leaves out, for a caption to say so. ``events``: a frame, or a
    :class:`~geo.eventindex.Selection` (summed a block at a time: the same counts)."""
    if start is None or _empty(events):
        return {"events": 0, "fatalities": 0}
    n, dead = 0, 0
    for block in _blocks(events):
        early = (block["date_start"] < pd.Timestamp(start)).to_numpy()
        fatalities = pd.to_numeric(block["fatalities_best"], errors="coerce").to_numpy(float)
        n += int(early.sum())
        dead += int(np.nansum(fatalities[early]))
    return {"events": n, "fatalities": dead}


def longer_than_period(events: pd.DataFrame, freq: str, start=None, end=None, types=None) -> int:
    """How many of the events :func:`timeline` counts (start within ``start``..``end``, of
    one of ``types``) last beyond the period of their start date: a UCDP record dated
    1 January to 31 December is counted in its first week, for a caption to say so.
    ``events``: a frame, or a :class:`~geo.eventindex.Selection` (a block at a time)."""
    if _empty(events):
        return 0
    return sum(_longer(block, freq, start, end, types) for block in _blocks(events))


def _longer(events: pd.DataFrame, freq: str, start, end, types) -> int:
    return int(_longer_mask(events, freq, start, end, types).sum())


def _longer_mask(events: pd.DataFrame, freq: str, start, end, types) -> np.ndarray:
    """Which rows :func:`longer_than_period` counts."""
    if events.empty or "date_end" not in events:
        return np.zeros(len(events), dtype=bool)
    starts = events["date_start"].to_numpy().astype("datetime64[D]")
    ends = events["date_end"].to_numpy().astype("datetime64[D]")
    keep = np.ones(len(starts), dtype=bool)
    if start is not None:
        keep &= starts >= np.datetime64(pd.Timestamp(start).date(), "D")
    if end is not None:
        keep &= starts <= np.datetime64(pd.Timestamp(end).date(), "D")
    if types is not None:
        keep &= events["event_type"].astype(object).isin(list(types)).to_numpy()
    return keep & (ends > period_end(period_start(starts, freq), freq))


#: The columns :func:`with_past` adds: the part of a bar that events dated past it make.
PAST_EVENTS, PAST_FATALITIES = "events dated past the bar", "fatalities dated past the bar"


def with_past(series: pd.DataFrame, past: pd.DataFrame) -> pd.DataFrame:
    """``series`` (:func:`timeline`) with :data:`PAST_EVENTS` and :data:`PAST_FATALITIES`
    from ``past`` (:func:`longer_timeline` of the same periods and types)."""
    out = series.copy()
    out[PAST_EVENTS] = past["events"].to_numpy()
    out[PAST_FATALITIES] = past["fatalities"].to_numpy()
    return out


def longer_timeline(events, freq: str, start, end, types) -> pd.DataFrame:
    """:func:`timeline` of only the events :func:`longer_than_period` counts (those whose
    dates run past the bar of their start date), laid out as :func:`timeline` lays out the
    same ``start``, ``end`` and ``types`` (when all three are given): what part of each bar
    they make (six UCDP records dated over all of 2016 hold 16,517 of the first week's
    16,724 fatalities)."""
    parts = [block[_longer_mask(block, freq, start, end, types)] for block in _blocks(events)]
    parts = [p for p in parts if len(p)]
    frame = (
        pd.concat([p[["date_start", "event_type", "fatalities_best"]] for p in parts])
        if parts
        else pd.DataFrame({"date_start": [], "event_type": [], "fatalities_best": []})
    )
    frame["event_type"] = frame["event_type"].astype(object)
    return timeline(frame, freq, start, end, types)


def bar_rows(series: pd.DataFrame) -> pd.DataFrame:
    """The rows of a timeline (:func:`timeline`) its stacked bar chart draws: those with
    events, and the first row of each period with none, so that the period keeps its
    place on the axis as an empty bar; without ``period`` and ``period_end``, which a
    chart by ``label`` does not use. The same bars and sums from fewer rows (half of them
    at a million events: a type absent from a week drew a bar of zero), so the browser
    lays out fewer marks, each with its tooltip."""
    some = series["events"].to_numpy() > 0
    periods = series["period"]
    empty = ~periods.isin(periods[some]).to_numpy()  # a period with no event of any type
    first = ~periods.duplicated().to_numpy()
    columns = [c for c in series.columns if c not in ("period", "period_end")]
    return series.loc[some | (empty & first), columns].reset_index(drop=True)


def summary(events, freq: str, start, end, types) -> tuple[pd.DataFrame, dict, int]:
    """What the Events page shows of ``events`` over ``start``..``end`` (both given) and
    ``types``, read once: (:func:`timeline`, with :func:`with_past`'s columns when some
    events are dated past their bar; :func:`before_range`; :func:`longer_than_period`),
    each as those functions give it. A :class:`~geo.eventindex.Selection` is read from
    the index's columns a block at a time (:meth:`~geo.eventindex.Selection.columns`), no
    frame made: at a million events the four reads took about a second."""
    types = list(types)
    lo = int(np.datetime64(pd.Timestamp(start).date(), "D").astype(np.int64))
    hi = int(np.datetime64(pd.Timestamp(end).date(), "D").astype(np.int64))
    first = int(_period_number(np.array([lo]), freq)[0])
    periods = _all_periods(period_start(np.datetime64(lo, "D"), freq),
                           period_start(np.datetime64(hi, "D"), freq), freq)  # fmt: skip
    size = len(periods) * len(types)
    n_events = np.zeros(size, dtype=np.int64)
    n_fatalities = np.zeros(size, dtype=np.float64)
    past_events = np.zeros(size, dtype=np.int64)
    past_fatalities = np.zeros(size, dtype=np.float64)
    early, early_dead = 0, 0
    for starts, ends, kinds, fatalities in _columns(events, types):
        before = starts < lo
        early += int(np.count_nonzero(before))
        early_dead += int(np.nansum(fatalities[before]))
        keep = np.flatnonzero((starts >= lo) & (starts <= hi) & (kinds >= 0))
        period = _period_number(starts[keep], freq)
        slot = (period - first) * len(types) + kinds[keep]
        dead = np.nan_to_num(fatalities[keep])
        n_events += np.bincount(slot, minlength=size)
        n_fatalities += np.bincount(slot, weights=dead, minlength=size)
        if ends is not None:  # past the bar: ending in a later period than it starts
            past = _period_number(ends[keep], freq) > period
            past_events += np.bincount(slot[past], minlength=size)
            past_fatalities += np.bincount(slot[past], weights=dead[past], minlength=size)
    series = _frame(periods, types, n_events, n_fatalities, freq)
    longer = int(past_events.sum())
    if longer:
        series[PAST_EVENTS] = past_events
        series[PAST_FATALITIES] = np.rint(past_fatalities).astype("int64")
    return series, {"events": early, "fatalities": early_dead}, longer


def _period_number(days: np.ndarray, freq: str) -> np.ndarray:
    """A number for the period of each day number (days since 1970-01-01), one more for
    each later period: the day itself, the week from Monday, the month."""
    if freq == "day":
        return days.astype(np.int64)
    if freq == "week":
        return (days.astype(np.int64) + 3) // 7  # 1970-01-01 was a Thursday
    if freq == "month":
        return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    raise ValueError(f"freq must be one of {', '.join(FREQS)}, not {freq!r}")


def _columns(events, types: list):
    """(start day numbers, end day numbers or None, position in ``types`` or -1,
    fatalities as float) of ``events`` a block at a time: a
    :class:`~geo.eventindex.Selection` from the index's columns, a frame from its own
    (less the events with no start date, which no count takes)."""
    from geo.eventindex import Selection

    if isinstance(events, Selection):
        yield from events.columns(types)
        return
    if not len(events):
        return
    starts = _starts(events)
    dated = ~np.isnat(starts)
    kinds = events["event_type"]
    if isinstance(kinds.dtype, pd.CategoricalDtype):
        where = kinds.cat.set_categories(types).cat.codes.to_numpy().astype(np.int64)
    else:
        where = pd.Index(types).get_indexer(kinds.astype(object).to_numpy())
    ends = None
    if "date_end" in events:
        ends = events["date_end"].to_numpy().astype("datetime64[D]")[dated].astype(np.int64)
    fatalities = pd.to_numeric(events["fatalities_best"], errors="coerce").to_numpy(float)
    yield starts[dated].astype(np.int64), ends, where[dated], fatalities[dated]


def _frame(periods, types: list, n_events, n_fatalities, freq: str) -> pd.DataFrame:
    """:func:`timeline`'s frame of the counts per slot (period × type)."""
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
        columns=["period", "event_type", "events", "fatalities", "period_end", "label"],
    )


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
    (a million events take well under a second). ``events`` may also be a
    :class:`~geo.eventindex.Selection` of the index: counted a block of a million at a
    time, with the same result (the counts add up; fatalities are whole numbers, whose
    sums in float64 are exact in any order). ``types``: the event types to give a row
    each (default: those present, sorted); events of other types are left out.

    Columns: ``period`` (the first day), ``event_type``, ``events``, ``fatalities``,
    ``period_end`` (the last day) and ``label`` (``May 2017``, ``week of 01 May 2017``).
    """
    columns = ["period", "event_type", "events", "fatalities", "period_end", "label"]
    lo = np.datetime64(pd.Timestamp(start).date(), "D") if start is not None else None
    hi = np.datetime64(pd.Timestamp(end).date(), "D") if end is not None else None
    if types is None:
        found: set[str] = set()
        for block in _blocks(events):
            present = block["event_type"].to_numpy()[_kept(_starts(block), lo, hi)]
            found |= {str(t) for t in pd.unique(present) if pd.notna(t)}
        types = sorted(found)
    types = list(types)
    first, last = lo, hi
    if first is None or last is None:
        spans = [_span(_starts(block), lo, hi) for block in _blocks(events)]
        spans = [s for s in spans if s is not None]
        first = first if first is not None else (min(s[0] for s in spans) if spans else None)
        last = last if last is not None else (max(s[1] for s in spans) if spans else None)
    if first is None or last is None or not types:
        return pd.DataFrame({c: [] for c in columns})
    periods = _all_periods(period_start(first, freq), period_start(last, freq), freq)
    size = len(periods) * len(types)
    n_events = np.zeros(size, dtype=np.int64)
    n_fatalities = np.zeros(size, dtype=np.float64)
    for block in _blocks(events):
        counts, dead = _count(block, freq, lo, hi, types, periods)
        n_events += counts
        n_fatalities += dead
    return _frame(periods, types, n_events, n_fatalities, freq)


def _starts(events: pd.DataFrame) -> np.ndarray:
    return events["date_start"].to_numpy().astype("datetime64[D]")


def _kept(starts: np.ndarray, lo, hi) -> np.ndarray:
    keep = np.ones(len(starts), dtype=bool)
    if lo is not None:
        keep &= starts >= lo
    if hi is not None:
        keep &= starts <= hi
    return keep


def _span(starts: np.ndarray, lo, hi):
    """(first, last) start date kept, None when none is."""
    keep = _kept(starts, lo, hi)
    return (starts[keep].min(), starts[keep].max()) if keep.any() else None


def _count(events: pd.DataFrame, freq: str, lo, hi, types: list, periods: np.ndarray):
    """(events, fatalities) of ``events`` per slot (period × type, as :func:`timeline`
    lays them out)."""
    starts = _starts(events)
    keep = _kept(starts, lo, hi)
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
    return n_events, n_fatalities
