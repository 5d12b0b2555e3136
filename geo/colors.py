"""The one place that gives colours and map styles: to event types, to zones, and the
map's event circles and grid squares (:data:`MAP_STYLE`, which the browser code reads).

Every map, legend and chart takes an event type's colour from :func:`event_type_colors`
called with the store's **full** list of types, so a type has the same colour on the Map,
the Events timeline, the Zone and Place reports and the HTML report, whatever subset of
types a view happens to show. Known types have fixed colours; any other type gets the next
unused colour of a palette, in the sorted order of the full list (then colours spread
round the hue circle, so no two types ever share one).

Zones get distinct colours the same way (:func:`zone_colors`): the four zones of the
memorandum keep theirs, any other zone takes the next unused dark colour.
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterable

#: Fixed colours of the types ZoneWatch knows (UCDP, the curated strikes, ACLED).
EVENT_TYPE_COLORS = {
    # UCDP GED type_of_violence
    "State-based conflict": "#1f77b4",
    "Non-state conflict": "#ff7f0e",
    "One-sided violence": "#9467bd",
    # the curated strikes
    "Air strike": "#d62728",
    "Missile strike": "#e377c2",
    "Shoot-down": "#17becf",
    # ACLED event types
    "Battles": "#2ca02c",
    "Explosions/Remote violence": "#8c564b",
    "Violence against civilians": "#bcbd22",
    "Protests": "#393b79",
    "Riots": "#637939",
    "Strategic developments": "#7f7f7f",
}
#: Colours for other types, in order (none of them is a fixed colour above).
EVENT_PALETTE = (
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#dbdb8d",
    "#9edae5",
    "#843c39",
    "#7b4173",
    "#e7ba52",
)

#: Fixed colours of the shipped zones.
ZONE_COLORS = {
    "idlib": "#a50026",
    "northern_homs": "#4d2a8a",
    "eastern_ghouta": "#7a3b00",
    "south": "#00574f",
    "sochi_dmz": "#b8005c",
    "m4_corridor": "#1a4f8b",
}
#: Colours for other zones, in order: dark enough for a dashed outline on the pale
#: basemap, and far from each other and from the fixed ones.
ZONE_PALETTE = (
    "#2166ac",
    "#d95f02",
    "#1b7837",
    "#762a83",
    "#b35806",
    "#01665e",
    "#c51b7d",
    "#4d4d4d",
    "#8c510a",
    "#5e3c99",
    "#e08214",
    "#35978f",
    "#9e0142",
    "#3288bd",
    "#66a61e",
    "#e7298a",
    "#a6761d",
    "#7570b3",
)


def _spread(n: int, lightness: float, saturation: float) -> list[str]:
    """``n`` colours spread round the hue circle (golden angle), as #rrggbb."""
    out = []
    for i in range(n):
        h = (0.11 + i * 0.381966) % 1.0
        r, g, b = colorsys.hls_to_rgb(h, lightness + 0.08 * (i % 3) - 0.08, saturation)
        out.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return out


def _assign(
    keys: Iterable[str], fixed: dict[str, str], palette: tuple[str, ...], light: float
) -> dict[str, str]:
    names = sorted({str(k) for k in keys})
    out = {k: fixed[k] for k in names if k in fixed}
    taken = set(out.values())
    free = [c for c in palette if c not in taken]
    others = [k for k in names if k not in out]
    if len(others) > len(free):
        extra = [c for c in _spread(len(others) * 2, light, 0.65) if c not in taken]
        free += [c for c in extra if c not in free]
    for key, colour in zip(others, free, strict=False):
        out[key] = colour
    return out


def event_type_colors(all_types: Iterable[str]) -> dict[str, str]:
    """{type: colour} for every type of ``all_types`` (pass the store's full list): fixed
    colours for known types, the palette in sorted order for the others; all distinct."""
    return _assign(all_types, EVENT_TYPE_COLORS, EVENT_PALETTE, 0.55)


def event_types_legend(types: Iterable[str]) -> list[list[str]]:
    """[[type, colour], ...] in the order given, the colours those of
    :func:`event_type_colors` over the same types (give it the store's full list)."""
    types = [str(t) for t in types]
    colours = event_type_colors(types)
    return [[t, colours[t]] for t in types]


def zone_colors(zone_ids: Iterable[str]) -> dict[str, str]:
    """{zone_id: colour}, all distinct: the shipped zones' own colours, then the palette
    in the sorted order of the other ids."""
    return _assign(zone_ids, ZONE_COLORS, ZONE_PALETTE, 0.35)


#: How the map draws events and grid squares, for the browser (``zw.config.style``, read by
#: geo/static/zonewatch/style.js): an event's radius is ``base + min(max, log2(1 +
#: fatalities))`` pixels; a grid square takes the colour of the ``ramp`` by its count on a
#: log scale, and the legend shows the ramp's colours at ``legendRamp``.
MAP_STYLE = {
    "radius": {"base": 2.5, "max": 6},
    "ramp": ["#fff5b8", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"],
    "legendRamp": [0, 2, 4, 5],
}
