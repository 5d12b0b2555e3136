"""GeoJSON boundary files: the document read with the standard library, its declared CRS,
and GeoJSON geometries (also what KML is turned into) made into shapely polygons."""

from __future__ import annotations

import json
import re

import numpy as np
from pyproj import CRS
from shapely.geometry import MultiPolygon, Polygon

from geo.uploads.common import UploadError
from geo.uploads.crs import epsg
from geo.uploads.model import NOT_FINITE, Limits, Refused, ZoneFeature, too_many
from geo.wording import count

_NOT_GEOJSON = {
    "gdal_streamed_alg": (
        "a GDAL algorithm file (GDALG), which makes GDAL run a pipeline that can read other "
        "files or addresses; ZoneWatch never opens it. Upload the resulting GeoJSON instead"
    ),
    "Topology": "TopoJSON; convert it to GeoJSON (for example with mapshaper) and retry",
}
_GEOMETRY_TYPES = (
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
)


def read_geojson(text: str, name: str) -> tuple[list, CRS | None]:
    try:
        doc = json.loads(text, parse_constant=float)
    except RecursionError:
        raise UploadError(
            f"'{name}' is nested too deeply to be GeoJSON (over about 1,000 levels); it is "
            "refused. Export the boundaries again from your GIS"
        ) from None
    except json.JSONDecodeError as exc:
        raise UploadError(
            f"'{name}' is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}; "
            "export it again or check it in a JSON validator"
        ) from None
    except (ValueError, OverflowError):  # e.g. an integer of thousands of digits
        raise UploadError(
            f"'{name}' holds a number too long to read; export it again from your GIS"
        ) from None
    kind = doc.get("type") if isinstance(doc, dict) else None
    kind = kind if isinstance(kind, str) else None
    if kind in _NOT_GEOJSON:
        raise UploadError(f"'{name}' is {_NOT_GEOJSON[kind]}")
    if isinstance(doc, dict) and ("geometryType" in doc or "spatialReference" in doc):
        raise UploadError(f"'{name}' is Esri JSON, not GeoJSON; export it as GeoJSON and retry")
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise UploadError(f"'{name}': the FeatureCollection has no 'features' list")
    elif kind == "Feature":
        features = [doc]
    elif kind in _GEOMETRY_TYPES:
        features = [{"type": "Feature", "properties": {}, "geometry": doc}]
    else:
        raise UploadError(
            f"'{name}' is JSON but not GeoJSON: expected a FeatureCollection, a Feature or a "
            "geometry (a 'type' member); export the boundaries as GeoJSON"
        )
    records = []
    for item in features:
        if not isinstance(item, dict):
            records.append(({}, Refused("is not a GeoJSON Feature object")))
            continue
        props = item.get("properties")
        records.append((props if isinstance(props, dict) else {}, item.get("geometry")))
    return records, _geojson_crs(doc, name)


def _geojson_crs(doc: dict, name: str) -> CRS | None:
    crs = doc.get("crs") if isinstance(doc, dict) else None
    if not crs:
        return None
    code = ""
    if isinstance(crs, dict) and isinstance(crs.get("properties"), dict):
        code = str(crs["properties"].get("name", ""))
    if re.search(r"CRS:?84$", code):
        return None
    match = re.search(r"EPSG(?::{1,2}|/0/|/)(\d{4,6})$", code)
    if not match:
        raise UploadError(
            f"'{name}' declares a CRS ZoneWatch cannot read ({code[:60]!r}); declare it as "
            "an EPSG code such as 'urn:ogc:def:crs:EPSG::32637' or export in EPSG:4326"
        )
    return epsg(int(match.group(1)), name)


def from_geojson(
    geom: dict, f: ZoneFeature, limits: Limits, depth: int = 0, budget: list | None = None
) -> MultiPolygon:
    kind = geom.get("type")
    coords = geom.get("coordinates")
    budget = budget if budget is not None else [limits.vertices]
    if kind == "Polygon":
        return MultiPolygon([_polygon(coords, f, budget, limits)])
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise Refused("has a MultiPolygon without polygons")
        return MultiPolygon([_polygon(p, f, budget, limits) for p in coords])
    if kind == "GeometryCollection" and depth < 2:
        return _collection(geom, f, limits, depth, budget)
    if kind in _GEOMETRY_TYPES:
        raise Refused(
            f"is a {kind}; a zone must be a Polygon or MultiPolygon (close the line into a "
            "polygon in your GIS)"
        )
    raise Refused(f"has a geometry of type {str(kind)[:30]!r}, which is not GeoJSON")


def _collection(
    geom: dict, f: ZoneFeature, limits: Limits, depth: int, budget: list
) -> MultiPolygon:
    """The polygonal parts of a GeometryCollection (nested at most 2 deep); the others
    are dropped, and said so."""
    parts = geom.get("geometries")
    if not isinstance(parts, list):
        raise Refused("has a GeometryCollection without a 'geometries' list")
    kept, other = [], []
    for part in parts:
        ptype = part.get("type") if isinstance(part, dict) else None
        if ptype in ("Polygon", "MultiPolygon", "GeometryCollection"):
            try:
                kept.append(from_geojson(part, f, limits, depth + 1, budget))
            except Refused:
                if ptype != "GeometryCollection":
                    raise
        else:
            other.append(str(ptype))
    if not kept:
        raise Refused("is a GeometryCollection with no polygon in it")
    if depth == 0:
        f.repaired(
            f"a GeometryCollection: kept its {count(len(kept), 'polygonal part')}, dropped "
            f"{count(len(other), 'other part')}"
            f"{' (' + ', '.join(sorted(set(other))) + ')' if other else ''}"
        )
    return MultiPolygon([p for m in kept for p in m.geoms])


def _polygon(rings, f: ZoneFeature, budget: list[int], limits: Limits) -> Polygon:
    if not isinstance(rings, list) or not rings:
        raise Refused("has a Polygon whose coordinates are not a list of rings")
    made = []
    for number, ring in enumerate(rings, start=1):
        if not isinstance(ring, list):
            raise Refused("has a Polygon whose coordinates are not a list of rings")
        budget[0] -= len(ring)
        if budget[0] < 0:
            raise Refused(too_many(limits.vertices - budget[0], limits))
        points, has_z = [], False
        for pos in ring:
            if (
                not isinstance(pos, list)
                or len(pos) < 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos)
            ):
                raise Refused(f"ring {number} has a position that is not [longitude, latitude]")
            has_z = has_z or (len(pos) > 2 and pos[2] != 0)
            try:
                points.append((float(pos[0]), float(pos[1])))
            except OverflowError:  # an integer too large for a float
                raise Refused(NOT_FINITE) from None
        array = np.asarray(points, dtype=float)
        if not np.isfinite(array).all():
            raise Refused(NOT_FINITE)
        if has_z and "heights (Z)" not in " ".join(f.messages):
            f.repaired("3D coordinates: the heights (Z) were dropped")
        if len(points) and points[0] != points[-1]:
            points.append(points[0])
            f.repaired(f"ring {number} was not closed; it was closed")
        if len(set(points)) < 3:
            raise Refused(f"ring {number} has fewer than 3 distinct points")
        made.append(points)
    return Polygon(made[0], made[1:])
