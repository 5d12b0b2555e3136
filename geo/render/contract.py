"""What Python and the browser code agree on, in one place.

- The tooltip/click contract of the Map page: an event marker's tooltip shows
  ``"<type> · <YYYY-MM-DD>"`` (its type and first day) and then, in a hidden span,
  ``" #<id>"``. streamlit-folium returns the text of the tooltip of the marker clicked
  (``last_object_clicked_tooltip``, the hidden part included), and the page reads the id
  back with :func:`clicked_event`. The browser writes it with ``zw.eventTooltip``
  (geo/static/zonewatch/contract.js) from :data:`TOOLTIP`, given to it as JSON.
- :func:`browser_config`: everything the browser code reads from Python (``zw.config``):
  this contract and the map's styles (:data:`geo.colors.MAP_STYLE`).
"""

from __future__ import annotations

import re
from datetime import date

from geo.colors import MAP_STYLE

#: The parts of an event marker's tooltip: the separator of type and first day, what
#: precedes the id (hidden), and what stands for a missing type.
TOOLTIP = {"sep": " · ", "id": " #", "unnamed": "Event"}

#: An event marker's tooltip text as the map returns it when the event is clicked.
CLICKED_EVENT = re.compile(
    r"(?s).*"
    + re.escape(TOOLTIP["sep"])
    + r"\d{4}-\d{2}-\d{2}"
    + re.escape(TOOLTIP["id"])
    + r"(\d{1,15})"
)


def event_tooltip(fid: int, first_day: date, event_type: str = "") -> str:
    """The text of the tooltip the browser gives the marker of event ``fid`` (as
    zw.eventTooltip: what a person reads, then the hidden id)."""
    shown = f"{event_type or TOOLTIP['unnamed']}{TOOLTIP['sep']}{first_day:%Y-%m-%d}"
    return f"{shown}{TOOLTIP['id']}{int(fid)}"


def clicked_event(tooltip: object) -> int | None:
    """The id of the event whose tooltip the map returned; None for anything else."""
    found = CLICKED_EVENT.fullmatch(str(tooltip or ""))
    return int(found.group(1)) if found else None


def browser_config() -> dict:
    """What the browser code reads from Python (``zw.configure(...)``), as JSON."""
    return {"tooltip": TOOLTIP, "style": MAP_STYLE}
