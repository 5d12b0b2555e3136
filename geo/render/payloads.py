"""What the map's layers are drawn from, as JSON-ready values: zones, places, events (a
report map's, all of them), one clicked event's details, governorates and plain shapes.

Values from data reach the browser only as JSON (through :func:`js_literal`, safe inside
a ``<script>``) and the browser code puts them on the page as text, never as HTML. Only
http(s) links are kept.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup

from geo import source_text
from geo.colors import event_type_colors, event_types_legend, zone_colors
from geo.schema import EVENT_COLUMNS, EVENT_LABELS, is_http_url
from geo.shipped import SHIPPED_AUTHOR

ZONE_FIELDS = [
    ("name_en", "Name"),
    ("name_ar", "Name (Arabic)"),
    ("status", "Status"),
    ("memorandum_date", "Memorandum signed"),
    ("in_force_from", "In force from"),
    ("valid_from", "This version valid from"),
    ("version", "Version"),
    ("boundary_precision", "Boundary precision"),
    ("method", "How it was drawn"),
    ("sources", "Sources"),
    ("author", "Added by"),
    ("note", "Note"),
]

#: What the shipped zones are (their popup says it above the fields).
SHIPPED_ZONE_NOTE = (
    "Approximate boundary reconstructed from public reporting. "
    "No official map of the zones was ever published."
)


#: Event popup rows: what happened, where, who, how many, who says so; then the details.
POPUP_ORDER = (
    "date_start",
    "date_end",
    "date_precision",
    "location",
    "location_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "fatalities_best",
    "fatalities_low",
    "fatalities_high",
    "source",
    "source_url",
    "notes",
    "admin1",
    "admin2",
    "latitude",
    "longitude",
    "dataset",
    "dataset_id",
    "dataset_version",
)


def js_literal(value: object) -> Markup:
    """JSON for a value, safe to place inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
        ("`", "\\u0060"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return Markup(text)


def event_detail(events: pd.DataFrame, fid: int, attribution: dict[str, str]) -> dict | None:
    """The popup of one event (a one-row frame in the event model), as the map's
    ``detail``: title, rows of [label, text, kind] and the position; None for no row."""
    if len(events) != 1:
        return None
    row = events.iloc[0]
    rows = []
    for col in POPUP_ORDER:
        value = row[col]
        if col == "source_url":
            value = value if is_http_url(str(value)) else ""
        elif col == "source":
            value = source_text.readable(value)  # one article a line
        rows.append([EVENT_LABELS[col], _text(value), "url" if col == "source_url" else None])
    rows.append(["Attribution", attribution.get(str(row["dataset"]), ""), None])
    return {
        "fid": int(fid),
        "title": f"{_text(row['event_type'])}, {_text(row['date_start'])}",
        "rows": rows,
        "lat": float(row["latitude"]),
        "lon": float(row["longitude"]),
    }


#: GeoJSON of geometries already converted, by content (see :func:`_geometry_json`).
_GEOJSON_CACHE: dict[tuple[str, float], tuple] = {}


def _geometry_json(geoms, tolerance: float = 0.0) -> list[dict]:
    """GeoJSON geometries (simplified by ``tolerance``, 1e-5 degree precision). The same
    geometries come back on every rerun of a page, so the result is kept per content (the
    simplification of the outline and zones was most of the map's build time: 30 of 50 ms)."""
    geoms = np.asarray(geoms, dtype=object)
    key = (
        hashlib.blake2b(b"\0".join(shapely.to_wkb(geoms)), digest_size=16).hexdigest(),
        float(tolerance),
    )
    found = _GEOJSON_CACHE.get(key)
    if found is None:
        if tolerance:
            geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
        geoms = shapely.set_precision(geoms, 1e-5)
        found = tuple(json.loads(shapely.to_geojson(g)) for g in geoms)
        if len(_GEOJSON_CACHE) >= 64:
            _GEOJSON_CACHE.clear()
        _GEOJSON_CACHE[key] = found
    return list(found)


def _text(value: object) -> str:
    """A value as popup text: dates as YYYY-MM-DD; nothing (no row) for a missing value,
    never "NaT" or "nan"."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp | date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def zone_note(row) -> str:
    """The line above a zone's popup fields: what this boundary is. The shipped zones are
    approximate reconstructions; any other version says who added it, its status, how it
    was made and its sources, as they were given when it was saved."""
    author = _text(getattr(row, "author", ""))
    if author == SHIPPED_AUTHOR:
        return SHIPPED_ZONE_NOTE
    status = _text(getattr(row, "status", "")) or "no status given"
    method = _text(getattr(row, "method", "")) or "method not given"
    sources = _text(getattr(row, "sources", "")) or "none given"
    return (
        f"Boundary added in ZoneWatch by {author or 'a user'}. Status: {status}. How it was "
        f"made: {method}. Sources: {sources}. Not a shipped boundary; ZoneWatch has not "
        "checked it."
    )


def zone_payload(zones: gpd.GeoDataFrame) -> dict:
    """The zones as JSON-ready features with their popup fields; each its own colour
    (:func:`geo.colors.zone_colors`) and a line saying what it is (:func:`zone_note`)."""
    colours = zone_colors(zones["zone_id"].astype(str))
    features = []
    for row, geom in zip(
        zones.itertuples(index=False), _geometry_json(zones.geometry.values), strict=True
    ):
        props = {f: _text(getattr(row, f, "")) for f, _ in ZONE_FIELDS}
        props["zone_id"] = _text(row.zone_id)
        props["_color"] = colours[str(row.zone_id)]
        props["_note"] = zone_note(row)
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    return {"features": features, "fields": ZONE_FIELDS, "warning": SHIPPED_ZONE_NOTE}


def place_payload(places: gpd.GeoDataFrame, attribution: str) -> dict:
    """Places as compact rows: [lat, lon, name_en, name_ar, name, population, id, label_zoom]."""
    rows = [
        [
            round(g.y, 5),
            round(g.x, 5),
            _text(r.name_en),
            _text(r.name_ar),
            _text(r.name),
            int(r.population),
            _text(r.geonameid),
            int(r.label_zoom),
        ]
        for r, g in zip(places.itertuples(index=False), places.geometry.values, strict=True)
    ]
    return {"rows": rows, "attribution": attribution}


def event_payload(events: pd.DataFrame, attribution: dict[str, str], all_types=None) -> dict:
    """Events as columns; repetitive text columns dictionary-encoded. Each type's colour
    is the legend's over ``all_types`` (the store's full list; default: the types here)."""
    cols: dict[str, object] = {}
    for col in EVENT_COLUMNS:
        if col in ("latitude", "longitude"):
            continue
        series = events[col]
        if col in ("date_start", "date_end"):
            series = series.dt.strftime("%Y-%m-%d").fillna("")
        elif col == "source_url":
            series = series.astype(str).map(lambda u: u if is_http_url(u) else "")
        elif col == "source":
            series = series.map(source_text.readable)  # one article a line
        if col.startswith("fatalities_"):
            cols[col] = [None if pd.isna(v) else int(v) for v in series]
        elif col == "event_type" or series.nunique() * 2 < len(series):
            # Repetitive text travels once, with a code per event.
            codes, uniques = pd.factorize(series, sort=False)
            cols[col] = {"codes": codes.tolist(), "dict": [str(u) for u in uniques]}
        else:
            cols[col] = series.astype(str).tolist()
    types = cols["event_type"]["dict"]  # type: ignore[index]
    known = list(all_types) if all_types is not None else []
    palette = event_type_colors(known + [t for t in types if t not in set(known)])
    colors = [palette[t] for t in types]
    fields = [(c, EVENT_LABELS[c]) for c in POPUP_ORDER]
    return {
        "n": len(events),
        "lat": events["latitude"].round(5).tolist(),
        "lon": events["longitude"].round(5).tolist(),
        "cols": cols,
        "colors": colors,
        "fields": fields,
        "attribution": attribution,
    }


@dataclass
class Shapes:
    """One layer of a preview map: labelled geometries drawn in one style."""

    name: str
    items: list  # [(label, lon/lat geometry)]
    color: str
    dash: bool = False
    fill: float = 0.2
    weight: int = 2


def report_area(name: str, items: list) -> Shapes:
    """The area a report's figures count in (the Zone report's ring, the Place report's
    discs): grey and dashed, faintly filled, for :func:`geo.render.build_map`'s ``areas``."""
    return Shapes(name, items, "#555", dash=True, fill=0.04)


def shapes_payload(shapes: Shapes, fit: bool = False, fit_zoom: int = 11) -> dict:
    """The layer's features; ``fit``: the map opens on them, zoomed in at most to
    ``fit_zoom``."""
    items = [(label, g) for label, g in shapes.items if g is not None and not g.is_empty]
    geoms = _geometry_json([g for _, g in items]) if items else []
    return {
        "fit": fit,
        "fitZoom": fit_zoom,
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "label": _text(label),
                    "color": shapes.color,
                    "dash": shapes.dash,
                    "fill": shapes.fill,
                    "weight": shapes.weight,
                },
                "geometry": geom,
            }
            for (label, _), geom in zip(items, geoms, strict=True)
        ],
    }


def outline_payload(admin0: gpd.GeoDataFrame) -> dict:
    """The country outline drawn as the offline basemap."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": g}
            for g in _geometry_json(admin0.geometry.values, tolerance=0.002)
        ],
    }


def admin_payload(admin1: gpd.GeoDataFrame) -> dict:
    """The governorates, with their names for the tooltip."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name_en": _text(r.name_en), "name_ar": _text(r.name_ar)},
                "geometry": g,
            }
            for r, g in zip(
                admin1.itertuples(index=False),
                _geometry_json(admin1.geometry.values, tolerance=0.002),
                strict=True,
            )
        ],
    }


def legend_payload(zones: gpd.GeoDataFrame, types: list[str], live_events: bool) -> dict:
    """The legend: each zone and event type with its colour, and what the shapes mean."""
    zone_colours = zone_colors(zones["zone_id"].astype(str))
    return {
        "zones": [
            [_text(r.name_en).replace(" de-escalation zone", ""), zone_colours[str(r.zone_id)]]
            for r in zones.itertuples(index=False)
        ],
        "zone_note": "Approximate; not official boundaries."
        if all(_text(a) == SHIPPED_AUTHOR for a in zones.get("author", []))
        else "Shipped zones: approximate, not official boundaries. Click a zone for what it is.",
        "events": event_types_legend(types),
        "cells": live_events,
        "event_note": "Circle size grows with fatalities (best estimate).",
        # shown only while squares are drawn (window.zw.eventView)
        "cells_note": "Squares count the events in them (darker: more); click a square to zoom in."
        if live_events
        else "",
    }


def shapes_legend(title: str, layers: list[Shapes]) -> dict:
    """A legend (the main map's, :func:`legend_payload`) giving each layer's colour under
    ``title``, with no event section."""
    return {
        "zones": [[s.name, s.color] for s in layers],
        "zones_title": title,
        "zone_note": "",
        "events": [],
        "cells": False,
        "event_note": "",
        "cells_note": "",
    }
