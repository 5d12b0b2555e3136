"""KML (and the KML inside a KMZ): parsed with defusedxml, no DTD, no entities, and no
NetworkLink ever followed; geometries are turned into GeoJSON-like dicts."""

from __future__ import annotations

import re

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from pyproj import CRS

from geo.uploads.common import UploadError
from geo.uploads.model import Refused, ZoneUpload


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


_OTHER_XML = {
    "OGRVRTDataSource": (
        "an OGR VRT file, which tells GDAL to read other files or addresses; ZoneWatch never "
        "opens it. Upload the boundary file itself"
    ),
    "WFS_Capabilities": "a WFS service description; download the layer as GeoJSON instead",
    "OGRWFSDataSource": "a WFS service description; download the layer as GeoJSON instead",
    "GDAL_WMS": "a GDAL web-service description; upload a boundary file instead",
    "html": "a web page (HTML), not a boundary file",
    "svg": "an SVG image, not a boundary file",
    "FeatureCollection": "GML; export the boundaries as GeoJSON or KML and retry",
}


def read_kml(text: str, name: str, upload: ZoneUpload) -> tuple[list, CRS | None]:
    # Parsed from text, so a declared encoding (UTF-16, say) matches what was decoded.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text.lstrip("\ufeff"), count=1)
    try:
        root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True)
    except DefusedXmlException:
        raise UploadError(
            f"'{name}' declares a DTD or XML entities (<!DOCTYPE ...>), which ZoneWatch does "
            "not process because they can read other files or expand without bound; remove "
            "the DOCTYPE and entity lines and retry"
        ) from None
    except SafeET.ParseError as exc:
        raise UploadError(f"'{name}' is not well-formed XML ({exc}); export it again") from None
    kind = _local(root.tag)
    if kind != "kml":
        what = _OTHER_XML.get(kind, f"an XML file of type '{kind[:40]}', not KML")
        raise UploadError(f"'{name}' is {what}")
    if any(_local(e.tag) == "NetworkLink" for e in root.iter()):
        upload.warnings.append(
            "the KML links to other files or addresses (NetworkLink); they were not followed"
        )
    records = [_placemark(e) for e in root.iter() if _local(e.tag) == "Placemark"]
    return records, None


def _placemark(mark) -> tuple[dict[str, str], object]:
    """A Placemark's properties (name, description, extended data) and its first
    geometry, as a GeoJSON-like dict (or the reason it cannot be one)."""
    props: dict[str, str] = {}
    geometry: object = None
    for child in mark:
        tag = _local(child.tag)
        if tag in ("name", "description") and child.text:
            props[tag] = child.text.strip()
        elif tag == "ExtendedData":
            props.update(_extended_data(child))
        elif geometry is None and tag in _KML_GEOMETRY:
            try:
                geometry = _kml_geometry(child)
            except Refused as exc:
                geometry = exc
    return props, geometry


def _extended_data(element) -> dict[str, str]:
    props = {}
    for item in element.iter():
        key = item.get("name")
        if _local(item.tag) == "Data" and key:
            value = next((v for v in item if _local(v.tag) == "value"), None)
            props[key] = (value.text or "").strip() if value is not None else ""
        elif _local(item.tag) == "SimpleData" and key:
            props[key] = (item.text or "").strip()
    return props


_KML_GEOMETRY = ("Polygon", "MultiGeometry", "Point", "LineString", "LinearRing", "Track")


def _kml_coords(element) -> list[list[float]]:
    node = next((e for e in element.iter() if _local(e.tag) == "coordinates"), None)
    if node is None or not node.text:
        raise Refused("has a KML geometry without coordinates")
    out = []
    for token in node.text.split():
        try:
            out.append([float(v) for v in token.split(",")])
        except ValueError:
            raise Refused(f"has KML coordinates that are not numbers ({token[:30]!r})") from None
    return out


def _kml_geometry(element, depth: int = 0) -> dict:
    if depth > 3:
        raise Refused("has KML MultiGeometry nested more than 3 deep")
    tag = _local(element.tag)
    if tag == "Polygon":
        rings = []
        for part in element:
            if _local(part.tag) in ("outerBoundaryIs", "innerBoundaryIs"):
                ring = _kml_coords(part)
                if _local(part.tag) == "outerBoundaryIs":
                    rings.insert(0, ring)
                else:
                    rings.append(ring)
        return {"type": "Polygon", "coordinates": rings}
    if tag == "MultiGeometry":
        parts = [_kml_geometry(e, depth + 1) for e in element if _local(e.tag) in _KML_GEOMETRY]
        return {"type": "GeometryCollection", "geometries": parts}
    kinds = {"Point": "Point", "LineString": "LineString", "LinearRing": "LineString"}
    return {"type": kinds.get(tag, "LineString"), "coordinates": []}
