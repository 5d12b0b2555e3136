"""The chart encodings the pages share, so a period axis or a type's colour is written once.

Altair only (no data): the pages pass their frames, ``geo`` computes them.
"""

from __future__ import annotations

import altair as alt

from geo import wording
from geo.colors import event_types_legend
from geo.timeline import PAST_EVENTS, PAST_FATALITIES


def period_axis() -> alt.X:
    """One mark per period, named as a period ("May 2017", "week of 01 May 2017"), in time
    order (empty periods are there, as zero): the ``label`` column of
    :func:`geo.timeline.timeline`. Labels are slanted and kept whole (Vega cuts them
    past a short width by default: "week of 01 May 2…")."""
    return alt.X(
        "label:O",
        title=None,
        sort=None,
        axis=alt.Axis(labelAngle=-45, labelOverlap=True, labelLimit=220),
    )


def count_axis(field: str, title: str, **extra) -> alt.Y:
    """A y axis of counts (events, fatalities): whole numbers only, with thousands
    separators ("6,418"), never "0.5", nor "0.000000" when every value is 0 (Vega's ticks
    of an empty span). The scale holds at least 0 to 1, so a run of zeros lies at the foot
    of the axis, not across its middle. ``extra``: more of ``alt.Y`` (``stack``)."""
    return alt.Y(
        field,
        title=title,
        axis=alt.Axis(format=",d", tickMinStep=1),
        scale=alt.Scale(domain={"unionWith": [0, 1]}),
        **extra,
    )


def type_colour(all_types) -> alt.Color:
    """Event types in the map legend's colours (one colour per type over the store's full
    list of types, :mod:`geo.colors`)."""
    legend = event_types_legend(list(all_types))
    return alt.Color(
        "event_type:N",
        title="Event type",
        scale=alt.Scale(domain=[t for t, _ in legend], range=[c for _, c in legend]),
    )


def longer_note(count: int, freq: str, past=None) -> str:
    """The note under a timeline about events longer than its bars
    (:func:`geo.timeline.longer_than_period`); '' for none. With ``past`` (the timeline
    after :func:`geo.timeline.with_past`), it gives their fatalities and the bar they
    weigh most on."""
    if not count:
        return ""
    many = count != 1
    note = (
        f"{wording.count(count, 'event')} with a date range longer than the bar "
        f"(a {freq}) {'are' if many else 'is'} counted at {'their' if many else 'its'} "
        "start: a UCDP record dated over a whole year, say, is in its first bar."
    )
    if past is None or not len(past):
        return note
    total = int(past[PAST_FATALITIES].sum())
    held = wording.count(total, "fatality", "fatalities")
    note += f" {'They hold' if many else 'It holds'} {held}"
    per_bar = past.groupby("label", sort=False)[[PAST_EVENTS, PAST_FATALITIES]].sum()
    top = per_bar[PAST_FATALITIES].idxmax()
    n, f = int(per_bar.loc[top, PAST_EVENTS]), int(per_bar.loc[top, PAST_FATALITIES])
    if not f:
        return note + "."
    whole = int(past.loc[past["label"] == top, "fatalities"].sum())
    return note + (
        f"; most in {top}: {n:,} such {wording.plural(n, 'event')}, {f:,} of its "
        f"{wording.count(whole, 'fatality', 'fatalities')} (hover a bar for its share)."
    )


#: The tooltip of a period and type's bar.
PERIOD_TOOLTIP = [
    alt.Tooltip("label:N", title="Period"),
    "event_type:N",
    "events:Q",
    "fatalities:Q",
]
#: :data:`PERIOD_TOOLTIP` and the part of the bar made by events dated past it.
PAST_TOOLTIP = [*PERIOD_TOOLTIP, f"{PAST_EVENTS}:Q", f"{PAST_FATALITIES}:Q"]
