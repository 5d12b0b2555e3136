"""The checks every zone geometry goes through: polygonal, finite 2D coordinates, within
the vertex limit, valid or repaired, not empty, inside Syria, and one feature per name."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from geo.uploads.geojson import from_geojson
from geo.uploads.model import NEUTRAL, NOT_FINITE, Limits, Refused, Wording, ZoneFeature, too_many
from geo.wording import count
from geo.zones import area_km2


def polygonal(geom, f: ZoneFeature, limits: Limits) -> MultiPolygon:
    """A MultiPolygon from a GeoJSON-like dict or a shapely geometry, or Refused."""
    if geom is None:
        raise Refused("has no geometry")
    if isinstance(geom, dict):
        return from_geojson(geom, f, limits)
    if not isinstance(geom, shapely.Geometry):
        raise Refused("has a geometry ZoneWatch cannot read")
    if geom.is_empty:
        raise Refused("has an empty geometry")
    if geom.geom_type == "GeometryCollection":
        kept = [g for g in geom.geoms if isinstance(g, (Polygon, MultiPolygon))]
        if not kept:
            raise Refused("is a GeometryCollection with no polygon in it")
        f.repaired(
            f"a GeometryCollection: kept its {count(len(kept), 'polygonal part')}, dropped "
            f"{count(len(geom.geoms) - len(kept), 'other part')}"
        )
        geom = MultiPolygon([p for g in kept for p in getattr(g, "geoms", [g])])
    if not isinstance(geom, (Polygon, MultiPolygon)):
        raise Refused(
            f"is a {geom.geom_type}; a zone must be a Polygon or MultiPolygon (close the "
            "line into a polygon in your GIS)"
        )
    vertices = shapely.get_num_coordinates(geom)
    if vertices > limits.vertices:
        raise Refused(too_many(vertices, limits))
    if shapely.has_z(geom):
        heights = shapely.get_coordinates(geom, include_z=True)[:, 2]
        geom = shapely.force_2d(geom)
        if np.nan_to_num(heights).any():
            f.repaired("3D coordinates: the heights (Z) were dropped")
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise Refused(NOT_FINITE)
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


@lru_cache(maxsize=1)
def syria():
    from geo import shipped

    outline = shapely.union_all(shipped.admin(0).geometry.values)
    shapely.prepare(outline)
    return outline


def check_geometry(f: ZoneFeature, outline, swapped: bool, wording: Wording = NEUTRAL) -> None:
    geom = f.geometry
    if not geom.is_valid:
        reason = explain_validity(geom)
        fixed = shapely.make_valid(geom)
        parts = [
            p
            for g in getattr(fixed, "geoms", [fixed])
            for p in getattr(g, "geoms", [g])
            if isinstance(p, Polygon) and not p.is_empty
        ]
        if not parts or shapely.union_all(parts).area == 0:
            f.refuse(f"is invalid ({reason}) and cannot be repaired into a polygon")
            return
        geom = MultiPolygon(parts)
        f.repaired(f"was invalid ({reason}); repaired into {count(len(parts), 'polygon')}")
    if geom.is_empty:
        f.refuse("has an empty geometry")
        return
    if geom.area == 0:
        f.refuse("has zero area (all its points lie on a line or at one place)")
        return
    if not geom.intersects(outline):
        c = geom.centroid
        where = f"its centre is at {c.y:.2f}°N, {c.x:.2f}°E"
        flipped = shapely.transform(geom, lambda xy: xy[:, ::-1])
        if not swapped and flipped.intersects(outline):
            f.swap_would_help = True
            f.refuse(
                f"lies outside Syria ({where}); with latitude and longitude swapped it would "
                f"lie in Syria, so the file probably lists latitude first: {wording.swap_xy}, "
                "or fix the file"
            )
        else:
            f.refuse(f"lies outside Syria ({where}); a zone must be in Syria")
        return
    f.geometry = geom
    f.area_km2 = area_km2(geom)


def refuse_duplicates(features: list[ZoneFeature]) -> None:
    seen: dict[str, int] = {}
    for f in features:
        if f.outcome == "refused":
            continue
        key = (f.name or f.name_ar).casefold()
        if key in seen:
            f.refuse(
                f"has the same name as feature {seen[key]}; zone names must be unique in a "
                "file: rename one, or merge them into one MultiPolygon"
            )
        else:
            seen[key] = f.number
