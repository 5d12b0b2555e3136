"""The chart encodings the pages share, so a period axis or a type's colour is written once.

Altair only (no data): the pages pass their frames, ``geo`` computes them.
"""

from __future__ import annotations

import altair as alt

from geo.colors import event_types_legend


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


def type_colour(all_types) -> alt.Color:
    """Event types in the map legend's colours (one colour per type over the store's full
    list of types, :mod:`geo.colors`)."""
    legend = event_types_legend(list(all_types))
    return alt.Color(
        "event_type:N",
        title="Event type",
        scale=alt.Scale(domain=[t for t, _ in legend], range=[c for _, c in legend]),
    )


def longer_note(count: int, freq: str) -> str:
    """The note under a timeline about events longer than its bars
    (:func:`geo.timeline.longer_than_period`); '' for none."""
    if not count:
        return ""
    return (
        f"{count:,} event{'s' if count != 1 else ''} with a date range longer than the bar "
        f"(a {freq}) {'are' if count != 1 else 'is'} counted at {'their' if count != 1 else 'its'} "
        "start: a UCDP record dated over a whole year, say, is in its first bar."
    )


#: The tooltip of a period and type's bar.
PERIOD_TOOLTIP = [
    alt.Tooltip("label:N", title="Period"),
    "event_type:N",
    "events:Q",
    "fatalities:Q",
]
