"""Zone boundary uploads: the gate every boundary file passes, page and CLI alike.

The format is identified from the content against an allowlist (GeoJSON, zipped
Shapefile, GeoPackage, KML, KMZ); the file name is only used in messages. What GDAL could
be told to do by a file (open another file or an address: OGR VRT, WFS, GDALG, KML
NetworkLinks, XML entities) never happens, because GDAL only ever sees a Shapefile that
this module rebuilt from checked members. GeoJSON and KML are parsed here with the
standard library and defusedxml; GeoPackages with sqlite3 from memory.

Every feature then goes through the same checks (polygonal, finite 2D coordinates,
closed rings, repairable when invalid, inside Syria, with a name) and gets a report:
accepted, repaired (and how) or refused (and why). Nothing is saved here. Messages that
tell the user what to do name the caller's own controls (:class:`Wording`: the page's
boxes, the CLI's options); :func:`report_rows` gives the report as it is shown.

Limits (environment variables, stated in every refusal):

- ``ZONEWATCH_MAX_ZONE_UPLOAD_MB`` (default 50): the size of an uploaded file.
- ``ZONEWATCH_MAX_UNZIPPED_MB`` (200) and ``ZONEWATCH_MAX_ZIP_MEMBERS`` (1000): archives.
- ``ZONEWATCH_MAX_ZONE_VERTICES`` (100000): vertices in one zone.
- ``ZONEWATCH_MAX_PROPERTY_CHARS`` (10000): the length of one property (key or value).
- ``ZONEWATCH_MAX_ZONES_PER_UPLOAD`` (500): features in one file.
"""

from __future__ import annotations

import io
import json
import math
import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import shapely
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError
from pyproj.network import set_network_enabled
from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from geo import gpkg_format
from geo.gpkg_format import quote as _q
from geo.hashing import sha256_of
from geo.uploads.archive import SafeZip, folder_and_stem
from geo.uploads.backup import NotAGeoPackage, open_geopackage
from geo.uploads.common import UploadError, env_limit
from geo.zones import area_km2, km2

ACCEPTED_FORMATS = "GeoJSON, a zipped Shapefile, a GeoPackage, KML or KMZ"
set_network_enabled(active=False)  # PROJ never fetches grids (or anything) from the network
MAX_NAME_CHARS = 200
NO_NAME = "has no name"
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Limits:
    upload_bytes: int
    vertices: int
    property_chars: int
    features: int

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            upload_bytes=env_limit("ZONEWATCH_MAX_ZONE_UPLOAD_MB", 50) * 1024 * 1024,
            vertices=env_limit("ZONEWATCH_MAX_ZONE_VERTICES", 100_000),
            property_chars=env_limit("ZONEWATCH_MAX_PROPERTY_CHARS", 10_000),
            features=env_limit("ZONEWATCH_MAX_ZONES_PER_UPLOAD", 500),
        )

    @property
    def upload_mb(self) -> int:
        """The size limit of a boundary file, in MB (what an uploader should state)."""
        return self.upload_bytes // 1048576


@dataclass(frozen=True)
class Wording:
    """How a message tells the user to act, in the words of the interface in front of
    them: the page names its own controls, the CLI its options. Each is a phrase that
    completes 'To fix it, ...'."""

    give_name: str
    swap_xy: str


#: For a caller that does not say which interface it is: names both.
NEUTRAL = Wording(
    give_name="give it a name (on the Zones page, type one in its name box or choose the "
    "Name property; with zonewatch import-zones, give --zone NAME or --name-field FIELD)",
    swap_xy="read the file with latitude and longitude swapped (on the Zones page, tick "
    "'Swap latitude and longitude'; with zonewatch import-zones, give --swap-xy)",
)
CLI = Wording(
    give_name="give --zone NAME (a one-zone file) or --name-field FIELD (the property "
    "holding the names)",
    swap_xy="give --swap-xy to read it that way",
)


@dataclass
class ZoneFeature:
    """One feature of an uploaded file and what the gate made of it."""

    number: int  # 1-based, in file order
    properties: dict[str, str] = field(default_factory=dict)
    name: str = ""
    name_ar: str = ""
    zone_id: str = ""  # a 'zone_id' property, if the file has one
    geometry: MultiPolygon | None = None
    outcome: str = "accepted"  # accepted | repaired | refused
    messages: list[str] = field(default_factory=list)
    swap_would_help: bool = False
    area_km2: float = 0.0

    @property
    def label(self) -> str:
        return f"feature {self.number}" + (f" '{self.name[:60]}'" if self.name else "")

    def refuse(self, reason: str) -> None:
        self.outcome = "refused"
        self.geometry = None
        self.messages.append(reason)

    def repaired(self, how: str) -> None:
        if self.outcome != "refused":
            self.outcome = "repaired"
        self.messages.append(how)


@dataclass
class ZoneUpload:
    """What the gate read from one file. Nothing of it is stored yet."""

    file_name: str
    sha256: str
    format: str = ""
    layer: str = ""
    layers: list[str] = field(default_factory=list)
    crs: str = ""  # the declared CRS, if any, as 'EPSG:32637' or its name
    features: list[ZoneFeature] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_layer(self) -> bool:
        return len(self.layers) > 1 and not self.layer

    @property
    def accepted(self) -> list[ZoneFeature]:
        return [f for f in self.features if f.outcome != "refused"]

    @property
    def refused(self) -> list[ZoneFeature]:
        return [f for f in self.features if f.outcome == "refused"]

    @property
    def needs_names(self) -> list[ZoneFeature]:
        return [f for f in self.refused if not f.name and f.messages[-1].startswith(NO_NAME)]

    @property
    def swap_would_help(self) -> bool:
        return any(f.swap_would_help for f in self.features)

    def report_lines(self) -> list[str]:
        """One line per feature: 'feature 2 'Name': repaired: ...'."""
        lines = []
        for f in self.features:
            detail = "; ".join(f.messages)
            lines.append(f"{f.label}: {f.outcome}" + (f": {detail}" if detail else ""))
        return lines


NEW_ZONE = "new zone"


def report_rows(upload: ZoneUpload, targets, rename: Iterable[int] = ()) -> list[dict]:
    """The report of an upload, one row per feature, every value text as it is shown.

    ``targets`` are where the accepted features go (:func:`geo.zones.match`); a new zone
    has no added or removed area (it says 'new zone'), a refused feature no area at all.
    The details give each repair or refusal, and what saving does to a zone's name.
    """
    by_number = {t.number: t for t in targets}
    rename = set(rename)
    rows = []
    for f in upload.features:
        t = by_number.get(f.number) if f.outcome != "refused" else None
        details = list(f.messages)
        if t is not None and (note := t.name_note(f.name, f.name_ar, f.number in rename)):
            details.append(note)
        rows.append(
            {
                "feature": f.number,
                "name": f.name,
                "Arabic name": f.name_ar,
                "outcome": f.outcome,
                "area km²": km2(f.area_km2) if t is not None else "",
                "saved as": "" if t is None else f"{t.zone_id} (new)" if t.is_new else t.zone_id,
                "added km²": "" if t is None else NEW_ZONE if t.is_new else km2(t.diff.added_km2),
                "removed km²": ""
                if t is None
                else NEW_ZONE
                if t.is_new
                else km2(t.diff.removed_km2),
                "details": "; ".join(details),
            }
        )
    return rows


def check_size(size: int, file_name: str, limits: Limits) -> None:
    """Refuse a file over the upload limit (before reading it, where the size is known)."""
    if size > limits.upload_bytes:
        raise UploadError(
            f"'{file_name}' is {size / 1048576:.1f} MB, over the "
            f"{limits.upload_bytes // 1048576} MB limit for boundary files "
            "(ZONEWATCH_MAX_ZONE_UPLOAD_MB); simplify the boundaries or raise the limit"
        )


class _Refused(Exception):
    """A feature cannot be taken; the message is the reason."""


# --- entry point -------------------------------------------------------------------------


def read_zone_file(
    data: bytes,
    file_name: str,
    *,
    layer: str | None = None,
    name_field: str | None = None,
    names: dict[int, str] | None = None,
    swap_xy: bool = False,
    country=None,
    limits: Limits | None = None,
    progress: Progress | None = None,
    wording: Wording = NEUTRAL,
) -> ZoneUpload:
    """Check an uploaded boundary file and report on each feature.

    Raises :class:`UploadError` when the file as a whole cannot be read (its format,
    size, an archive's contents, coordinates that are not longitude/latitude with no CRS
    declared). Problems with single features are in each feature's report.
    ``names`` gives names to features by number (the user typed them); ``swap_xy``
    reads every position as (latitude, longitude). ``wording`` says how messages name
    the caller's controls (the page's boxes, the CLI's options).
    """
    limits = limits or Limits.from_env()
    step = progress or (lambda _f, _m: None)
    check_size(len(data), file_name, limits)
    try:
        return _read(
            data, file_name, layer, name_field, names, swap_xy, country, limits, step, wording
        )
    except UploadError:
        raise
    except (
        RecursionError,
        MemoryError,
        OverflowError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        ProjError,
        CRSError,
        sqlite3.Error,
    ) as exc:
        # A file crafted past the checks above: refuse it without showing internals.
        raise UploadError(
            f"'{file_name}' cannot be read as a boundary file ({type(exc).__name__}); "
            f"export it again as {ACCEPTED_FORMATS}"
        ) from None


def _read(data, file_name, layer, name_field, names, swap_xy, country, limits, step, wording):
    upload = ZoneUpload(file_name, sha256_of(data))
    step(0.1, "Identifying the format")
    kind = _sniff(data, file_name)
    step(0.2, f"Reading {kind}")
    if kind == "zip":
        records, crs = _read_zip(data, file_name, layer, upload)
    elif kind == "gpkg":
        records, crs = _read_gpkg(data, file_name, layer, upload)
    else:
        text = _decode(data, file_name)
        if kind == "json":
            upload.format = "GeoJSON"
            records, crs = _read_geojson(text, file_name)
        else:
            upload.format = "KML"
            records, crs = _read_kml(text, file_name, upload)
    if upload.needs_layer:
        return upload
    if not records:
        raise UploadError(f"'{file_name}' has no features; it holds no zone to upload")
    if len(records) > limits.features:
        raise UploadError(
            f"'{file_name}' has {len(records):,} features, over the limit of "
            f"{limits.features:,} (ZONEWATCH_MAX_ZONES_PER_UPLOAD); upload fewer zones at once"
        )
    upload.crs = crs.to_string() if crs is not None else ""
    step(0.4, f"Checking {len(records):,} features")
    features = [
        _build(number, props, geom, limits, name_field)
        for number, (props, geom) in enumerate(records, start=1)
    ]
    _check_name_field(name_field, records, file_name)
    for f in features:
        if names and str(names.get(f.number, "")).strip():
            f.name = " ".join(str(names[f.number]).split())[:MAX_NAME_CHARS]
    if swap_xy:
        for f in features:
            if f.geometry is not None:
                f.geometry = shapely.transform(f.geometry, lambda xy: xy[:, ::-1])
        upload.warnings.append("latitude and longitude were swapped, as asked")
    _to_wgs84(features, crs, file_name)
    outline = country if country is not None else _syria()
    for i, f in enumerate(features):
        if f.geometry is not None:
            _check_geometry(f, outline, swapped=swap_xy, wording=wording)
        if f.outcome != "refused" and not (f.name or f.name_ar):
            f.refuse(f"{NO_NAME}: {wording.give_name}")
        step(0.4 + 0.5 * (i + 1) / len(features), f"Checked {i + 1} of {len(features)}")
    _refuse_duplicates(features)
    upload.features = features
    step(1.0, "Done")
    return upload


# --- format identification ---------------------------------------------------------------

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\xd0\xcf\x11\xe0": "an old Microsoft Office file",
    b"\x00\x00\x27\x0a": "a bare .shp file (upload the .shp, .shx, .dbf and .prj zipped together)",
}


def _sniff(data: bytes, name: str) -> str:
    if not data.strip():
        raise UploadError(f"'{name}' is empty; choose a boundary file: {ACCEPTED_FORMATS}")
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise UploadError(f"'{name}' is {what}, not a boundary file; upload {ACCEPTED_FORMATS}")
    text = data[:4096]
    if text.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _text_kind(data[:4096].decode("utf-16", errors="replace"), name)
    if b"\x00" in text:
        raise UploadError(
            f"'{name}' is a binary file of unknown type, not a boundary file; upload "
            f"{ACCEPTED_FORMATS}"
        )
    return _text_kind(text.decode("utf-8", errors="replace"), name)


def _text_kind(head: str, name: str) -> str:
    start = head.lstrip("\ufeff \t\r\n")
    if start[:1] in ("{", "["):
        return "json"
    if start[:1] == "<":
        return "xml"
    raise UploadError(
        f"'{name}' is text but neither GeoJSON nor KML (it starts with "
        f"{start[:20]!r}); upload {ACCEPTED_FORMATS}"
    )


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UploadError(f"'{name}' is damaged UTF-16 text; save it as UTF-8") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError(
            f"'{name}' is not UTF-8 text (byte {exc.start}); save it as UTF-8 and retry"
        ) from None


# --- GeoJSON -----------------------------------------------------------------------------

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


def _read_geojson(text: str, name: str) -> tuple[list, CRS | None]:
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
            records.append(({}, _Refused("is not a GeoJSON Feature object")))
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
    return _epsg(int(match.group(1)), name)


def _epsg(code: int, name: str) -> CRS | None:
    try:
        crs = CRS.from_epsg(code)
    except CRSError:
        raise UploadError(
            f"'{name}' declares EPSG:{code}, which is not a known coordinate system; "
            "export in EPSG:4326 (WGS 84) and retry"
        ) from None
    if not (crs.is_geographic or crs.is_projected) or len(crs.axis_info) != 2:
        raise UploadError(
            f"'{name}' declares EPSG:{code} ({crs.name[:60]}), which is not a 2D map "
            "coordinate system; export in EPSG:4326 (WGS 84) and retry"
        )
    return None if crs.equals(CRS.from_epsg(4326), ignore_axis_order=True) else crs


# --- KML and KMZ -------------------------------------------------------------------------


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


def _read_kml(text: str, name: str, upload: ZoneUpload) -> tuple[list, CRS | None]:
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
    records = []
    for mark in (e for e in root.iter() if _local(e.tag) == "Placemark"):
        props: dict[str, str] = {}
        geometry: object = None
        for child in mark:
            tag = _local(child.tag)
            if tag in ("name", "description") and child.text:
                props[tag] = child.text.strip()
            elif tag == "ExtendedData":
                for item in child.iter():
                    key = item.get("name")
                    if _local(item.tag) == "Data" and key:
                        value = next((v for v in item if _local(v.tag) == "value"), None)
                        props[key] = (value.text or "").strip() if value is not None else ""
                    elif _local(item.tag) == "SimpleData" and key:
                        props[key] = (item.text or "").strip()
            elif geometry is None and tag in _KML_GEOMETRY:
                try:
                    geometry = _kml_geometry(child)
                except _Refused as exc:
                    geometry = exc
        records.append((props, geometry))
    return records, None


_KML_GEOMETRY = ("Polygon", "MultiGeometry", "Point", "LineString", "LinearRing", "Track")


def _kml_coords(element) -> list[list[float]]:
    node = next((e for e in element.iter() if _local(e.tag) == "coordinates"), None)
    if node is None or not node.text:
        raise _Refused("has a KML geometry without coordinates")
    out = []
    for token in node.text.split():
        try:
            out.append([float(v) for v in token.split(",")])
        except ValueError:
            raise _Refused(f"has KML coordinates that are not numbers ({token[:30]!r})") from None
    return out


def _kml_geometry(element, depth: int = 0) -> dict:
    if depth > 3:
        raise _Refused("has KML MultiGeometry nested more than 3 deep")
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


# --- zip archives: zipped Shapefiles and KMZ ----------------------------------------------


def _read_zip(data: bytes, name: str, layer: str | None, upload: ZoneUpload):
    archive = SafeZip(data, name)
    members = archive.names()
    by_ext: dict[str, list[str]] = {}
    for m in members:
        by_ext.setdefault(folder_and_stem(m)[2], []).append(m)
    if ".shp" not in by_ext:
        kml = sorted(by_ext.get(".kml", []), key=lambda m: (m.count("/"), m != "doc.kml"))
        if not kml:
            raise UploadError(
                f"'{name}' is a zip archive with no shapefile (.shp) or KML (.kml) in it; zip "
                "the .shp, .shx, .dbf and .prj of one layer together, or upload a KMZ"
            )
        upload.format = "KMZ"
        return _read_kml(_decode(archive.read(kml[0]), name), name, upload)
    upload.format = "Shapefile (zip)"
    shapes = {"/".join(filter(None, folder_and_stem(m)[:2])): m for m in by_ext[".shp"]}
    chosen = _choose_layer(upload, shapes, layer, name)
    if chosen is None:
        return [], None
    shp = shapes[chosen]
    siblings = {
        folder_and_stem(m)[2]: m
        for m in members
        if "/".join(filter(None, folder_and_stem(m)[:2])) == chosen
    }
    for ext, role in ((".shx", "index"), (".dbf", "attribute table, with the zone names")):
        if ext not in siblings:
            stem = folder_and_stem(shp)[1]
            raise UploadError(
                f"'{name}': the shapefile '{stem}' has no {ext} file (its {role}); add "
                f"{stem}{ext} to the zip next to {stem}.shp and retry"
            )
    ignored = [m for m in members if m not in siblings.values()]
    if ignored:
        shown = ", ".join(m[:60] for m in ignored[:5]) + (" ..." if len(ignored) > 5 else "")
        upload.warnings.append(f"files in the archive that were not read: {shown}")
    crs = None
    if ".prj" in siblings:
        prj = archive.read(siblings[".prj"]).decode("utf-8", errors="replace")
        crs = crs_from_wkt(prj, name)
    clean = io.BytesIO()
    with zipfile.ZipFile(clean, "w") as out:
        for ext, member in siblings.items():
            if ext in (".shp", ".shx", ".dbf", ".cpg"):  # the .prj was read above
                content = archive.read(member)
                if ext in (".shp", ".shx") and not content.startswith(b"\x00\x00\x27\x0a"):
                    raise UploadError(
                        f"'{name}': {member[:60]} is not a shapefile {ext} file; export the "
                        "layer again"
                    )
                out.writestr(f"zone{ext}", content)
    return _read_shapefile(clean.getvalue(), name), crs


def _choose_layer(upload: ZoneUpload, available, layer: str | None, name: str) -> str | None:
    """The layer to read: the one asked for, the only one, or None (the user must pick)."""
    upload.layers = sorted(available)
    if len(available) > 1 and not layer:
        return None
    chosen = layer or upload.layers[0]
    if chosen not in available:
        raise UploadError(
            f"'{name}' has no layer '{chosen[:60]}'; its layers are: {', '.join(upload.layers)}"
        )
    upload.layer = chosen
    return chosen


def _read_shapefile(data: bytes, name: str) -> list:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(data, use_arrow=False)
    except Exception:  # GDAL raises many kinds; its messages name internal paths
        raise UploadError(
            f"'{name}': the shapefile cannot be read (its .shp, .shx or .dbf is damaged or "
            "they do not belong together); export the layer again"
        ) from None
    props = frame.drop(columns="geometry").to_dict("records")
    return list(zip(props, frame.geometry.tolist(), strict=True))


# --- GeoPackage --------------------------------------------------------------------------


def _read_gpkg(data: bytes, name: str, layer: str | None, upload: ZoneUpload):
    upload.format = "GeoPackage"
    # Bounded work whatever the file holds: no value over 64 MB, no query over 20 s.
    try:
        con = open_geopackage(data, name, seconds=20, check=False)
    except NotAGeoPackage as exc:
        raise UploadError(f"{exc}; export the layer again as GeoPackage or GeoJSON") from None
    try:
        tables = {
            t: (col, srs)
            for t, col, srs in con.execute(
                "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c "
                "JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
                "JOIN sqlite_master m ON m.name = c.table_name AND m.type = 'table' "
                "WHERE c.data_type = 'features' AND upper(m.sql) NOT LIKE 'CREATE VIRTUAL%' "
                "AND typeof(c.table_name) = 'text' AND typeof(g.column_name) = 'text'"
            )
        }
        if not tables:
            raise UploadError(f"'{name}' is a GeoPackage with no feature layer (no zones in it)")
        chosen = _choose_layer(upload, tables, layer, name)
        if chosen is None:
            return [], None
        geom_col, srs_id = tables[chosen]
        if any(col[6] not in (0,) for col in con.execute(f"PRAGMA table_xinfo({_q(chosen)})")):
            raise UploadError(
                f"'{name}': the layer '{chosen[:60]}' has computed (generated or hidden) "
                "columns, which ZoneWatch does not read; export the layer again"
            )
        crs = _gpkg_crs(con, srs_id, name)
        cursor = con.execute(f"SELECT * FROM {_q(chosen)} LIMIT 100001")
        columns = [d[0] for d in cursor.description]
        records = []
        for row in cursor:
            props, geom = {}, None
            for col, value in zip(columns, row, strict=True):
                if col == geom_col:
                    geom = _gpkg_geometry(value)
                elif col != "fid":
                    props[col] = "<binary>" if isinstance(value, bytes) else value
            records.append((props, geom))
        return records, crs
    except sqlite3.Error:
        raise UploadError(
            f"'{name}' is an SQLite file but not a readable GeoPackage; export the layer "
            "again as GeoPackage or GeoJSON"
        ) from None
    finally:
        con.close()


def _gpkg_crs(con, srs_id, name: str) -> CRS | None:
    if srs_id in (0, -1, None):
        return None
    row = con.execute(
        "SELECT organization, organization_coordsys_id, definition "
        "FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
        (srs_id,),
    ).fetchone()
    if row is None:
        raise UploadError(f"'{name}': the layer names a CRS (srs_id {srs_id}) it does not define")
    org, code, definition = row
    if str(org).casefold() == "epsg" and isinstance(code, int) and 0 < code < 10**6:
        return _epsg(code, name)
    return crs_from_wkt(str(definition or ""), name)


_WKT_START = re.compile(r"(PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS|BASEGEOGCRS)\[")
# WKT that could make PROJ open a file or an address (grids, init files, PROJ strings)
_WKT_UNSAFE = re.compile(r"EXTENSION|nadgrids|geoidgrids|gridshift|\+\w+=|@", re.I)


def crs_from_wkt(text: str, name: str) -> CRS | None:
    """A CRS from WKT text in a file (a .prj, a GeoPackage), rebuilt from its EPSG code,
    so nothing in the text (a grid file named in an EXTENSION, say) reaches PROJ."""
    text = text.strip().lstrip("\ufeff")
    if not _WKT_START.match(text) or _WKT_UNSAFE.search(text) or len(text) > 20_000:
        raise UploadError(
            f"'{name}': its CRS definition cannot be used; export the layer in EPSG:4326 "
            "(WGS 84), or in a CRS with an EPSG code, and retry"
        )
    try:
        code = CRS.from_wkt(text).to_epsg(min_confidence=70)
    except CRSError:
        code = None
    if code is None:
        raise UploadError(
            f"'{name}': its CRS is not one ZoneWatch recognises (no EPSG code matches it); "
            "export the layer in EPSG:4326 (WGS 84) and retry"
        )
    return _epsg(code, name)


def _gpkg_geometry(blob):
    try:
        return gpkg_format.decode(blob)
    except gpkg_format.BlobError as exc:
        return _Refused(f"has {exc}")


# --- per-feature checks ------------------------------------------------------------------

_NAME_KEYS = ("name_en", "name", "zone_name", "zone", "title", "label")
_NAME_PATTERNS = (
    r"adm\d_en",
    r"adm\d_name",  # HDX exports: adm1_name (English), adm1_name1 (first other language)
    r"name_?en(glish)?",
    r"admin\d?name_?en",
    r"shape_?name",
)
_AR_PATTERNS = (r"name_ar", r"adm\d_ar", r"name_?ar(abic)?", r"admin\d?name_?ar", r"adm\d_name1")
_ARABIC = re.compile(r"[\u0600-\u06ff]")


def _find_key(keys: Iterable[str], exact: tuple[str, ...], patterns: tuple[str, ...]) -> str:
    folded = {k.casefold(): k for k in keys}
    for want in exact:
        if want in folded:
            return folded[want]
    for pattern in patterns:
        for low, key in folded.items():
            if re.fullmatch(pattern, low):
                return key
    return ""


def _check_name_field(name_field, records, file_name: str) -> None:
    if not name_field:
        return
    keys = {k for props, _ in records for k in props}
    if name_field not in keys:
        shown = ", ".join(sorted(str(k)[:40] for k in keys)[:20]) or "none"
        raise UploadError(
            f"'{file_name}' has no property '{name_field[:60]}'; its properties are: {shown}"
        )


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, allow_nan=True)
    return str(value)


def _build(number: int, props: dict, geom, limits: Limits, name_field: str | None):
    f = ZoneFeature(number)
    for key, value in props.items():
        key, text = str(key), _text(value)
        for what, length in (("name", len(key)), ("value", len(text))):
            if length > limits.property_chars:
                f.refuse(
                    f"a property {what} is {length:,} characters long, over the limit of "
                    f"{limits.property_chars:,} (ZONEWATCH_MAX_PROPERTY_CHARS)"
                )
                return f
        f.properties[key] = text
    en = name_field or _find_key(f.properties, _NAME_KEYS, _NAME_PATTERNS)
    ar = _find_key(f.properties, ("name_ar",), _AR_PATTERNS)
    f.name = " ".join(f.properties.get(en, "").split())
    f.name_ar = " ".join(f.properties.get(ar, "").split()) if ar != en else ""
    if f.name_ar and not _ARABIC.search(f.name_ar):
        f.name_ar = ""  # e.g. an adm1_name1 that holds another language
    if not f.name_ar and _ARABIC.search(f.name) and not re.search(r"[A-Za-z]", f.name):
        f.name_ar = f.name
    f.zone_id = f.properties.get("zone_id", "").strip()
    if len(f.name) > MAX_NAME_CHARS or len(f.name_ar) > MAX_NAME_CHARS:
        f.refuse(f"its name is longer than {MAX_NAME_CHARS} characters; shorten it")
        return f
    if isinstance(geom, _Refused):
        f.refuse(str(geom))
        return f
    try:
        f.geometry = _polygonal(geom, f, limits)
    except _Refused as exc:
        f.refuse(str(exc))
    return f


def _polygonal(geom, f: ZoneFeature, limits: Limits) -> MultiPolygon:
    """A MultiPolygon from a GeoJSON-like dict or a shapely geometry, or _Refused."""
    if geom is None:
        raise _Refused("has no geometry")
    if isinstance(geom, dict):
        return _from_geojson(geom, f, limits)
    if not isinstance(geom, shapely.Geometry):
        raise _Refused("has a geometry ZoneWatch cannot read")
    if geom.is_empty:
        raise _Refused("has an empty geometry")
    if geom.geom_type == "GeometryCollection":
        kept = [g for g in geom.geoms if isinstance(g, (Polygon, MultiPolygon))]
        if not kept:
            raise _Refused("is a GeometryCollection with no polygon in it")
        f.repaired(
            f"a GeometryCollection: kept its {len(kept)} polygonal part(s), dropped "
            f"{len(geom.geoms) - len(kept)} other part(s)"
        )
        geom = MultiPolygon([p for g in kept for p in getattr(g, "geoms", [g])])
    if not isinstance(geom, (Polygon, MultiPolygon)):
        raise _Refused(
            f"is a {geom.geom_type}; a zone must be a Polygon or MultiPolygon (close the "
            "line into a polygon in your GIS)"
        )
    count = shapely.get_num_coordinates(geom)
    if count > limits.vertices:
        raise _Refused(_too_many(count, limits))
    if shapely.has_z(geom):
        heights = shapely.get_coordinates(geom, include_z=True)[:, 2]
        geom = shapely.force_2d(geom)
        if np.nan_to_num(heights).any():
            f.repaired("3D coordinates: the heights (Z) were dropped")
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise _Refused(_NOT_FINITE)
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


_NOT_FINITE = (
    "has coordinates that are not finite numbers (NaN, Infinity or a number too large, "
    "such as 1e999); fix them in your GIS"
)


def _too_many(count: int, limits: Limits) -> str:
    return (
        f"has {count:,} vertices or more, over the limit of {limits.vertices:,} per zone "
        "(ZONEWATCH_MAX_ZONE_VERTICES); simplify it in your GIS and retry"
    )


def _from_geojson(
    geom: dict, f: ZoneFeature, limits: Limits, depth: int = 0, budget: list | None = None
) -> MultiPolygon:
    kind = geom.get("type")
    coords = geom.get("coordinates")
    budget = budget if budget is not None else [limits.vertices]
    if kind == "Polygon":
        return MultiPolygon([_polygon(coords, f, budget, limits)])
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise _Refused("has a MultiPolygon without polygons")
        return MultiPolygon([_polygon(p, f, budget, limits) for p in coords])
    if kind == "GeometryCollection" and depth < 2:
        parts = geom.get("geometries")
        if not isinstance(parts, list):
            raise _Refused("has a GeometryCollection without a 'geometries' list")
        kept, other = [], []
        for part in parts:
            ptype = part.get("type") if isinstance(part, dict) else None
            if ptype in ("Polygon", "MultiPolygon", "GeometryCollection"):
                try:
                    kept.append(_from_geojson(part, f, limits, depth + 1, budget))
                except _Refused:
                    if ptype != "GeometryCollection":
                        raise
            else:
                other.append(str(ptype))
        if not kept:
            raise _Refused("is a GeometryCollection with no polygon in it")
        if depth == 0:
            f.repaired(
                f"a GeometryCollection: kept its polygonal part(s), dropped {len(other)} "
                f"other part(s){' (' + ', '.join(sorted(set(other))) + ')' if other else ''}"
            )
        return MultiPolygon([p for m in kept for p in m.geoms])
    if kind in _GEOMETRY_TYPES:
        raise _Refused(
            f"is a {kind}; a zone must be a Polygon or MultiPolygon (close the line into a "
            "polygon in your GIS)"
        )
    raise _Refused(f"has a geometry of type {str(kind)[:30]!r}, which is not GeoJSON")


def _polygon(rings, f: ZoneFeature, budget: list[int], limits: Limits) -> Polygon:
    if not isinstance(rings, list) or not rings:
        raise _Refused("has a Polygon whose coordinates are not a list of rings")
    made = []
    for number, ring in enumerate(rings, start=1):
        if not isinstance(ring, list):
            raise _Refused("has a Polygon whose coordinates are not a list of rings")
        budget[0] -= len(ring)
        if budget[0] < 0:
            raise _Refused(_too_many(limits.vertices - budget[0], limits))
        points, has_z = [], False
        for pos in ring:
            if (
                not isinstance(pos, list)
                or len(pos) < 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos)
            ):
                raise _Refused(f"ring {number} has a position that is not [longitude, latitude]")
            has_z = has_z or (len(pos) > 2 and pos[2] != 0)
            try:
                points.append((float(pos[0]), float(pos[1])))
            except OverflowError:  # an integer too large for a float
                raise _Refused(_NOT_FINITE) from None
        array = np.asarray(points, dtype=float)
        if not np.isfinite(array).all():
            raise _Refused(_NOT_FINITE)
        if has_z and "heights (Z)" not in " ".join(f.messages):
            f.repaired("3D coordinates: the heights (Z) were dropped")
        if len(points) and points[0] != points[-1]:
            points.append(points[0])
            f.repaired(f"ring {number} was not closed; it was closed")
        if len(set(points)) < 3:
            raise _Refused(f"ring {number} has fewer than 3 distinct points")
        made.append(points)
    return Polygon(made[0], made[1:])


def _to_wgs84(features: list[ZoneFeature], crs: CRS | None, file_name: str) -> None:
    live = [f for f in features if f.geometry is not None]
    if not live:
        return
    if crs is not None:
        try:
            to_wgs84 = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        except ProjError:
            raise UploadError(
                f"'{file_name}': its CRS ({crs.to_string()[:40]}) cannot be converted to "
                "longitude and latitude; export in EPSG:4326 (WGS 84) and retry"
            ) from None
        for f in live:
            f.geometry = shapely.transform(
                f.geometry, lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1]))
            )
    coords = np.concatenate([shapely.get_coordinates(f.geometry) for f in live])
    bad = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180)
    bad |= np.abs(coords[:, 1]) > 90
    if bad.any():
        x, y = coords[bad][0]
        if crs is None:
            raise UploadError(
                f"'{file_name}': coordinates such as ({x:,.0f}, {y:,.0f}) are not longitude and "
                "latitude; these look like projected metres (for example EPSG:3857 or UTM "
                "zone 37N, EPSG:32637). Declare the CRS (a .prj next to the .shp, or export "
                "in EPSG:4326) and retry"
            )
        raise UploadError(
            f"'{file_name}': the coordinates do not fit the declared CRS "
            f"({crs.to_string()[:40]}); check the CRS in your GIS and export in EPSG:4326"
        )


@lru_cache(maxsize=1)
def _syria():
    from geo import shipped

    outline = shapely.union_all(shipped.admin(0).geometry.values)
    shapely.prepare(outline)
    return outline


def _check_geometry(f: ZoneFeature, outline, swapped: bool, wording: Wording = NEUTRAL) -> None:
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
        f.repaired(f"was invalid ({reason}); repaired into {len(parts)} polygon(s)")
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


def _refuse_duplicates(features: list[ZoneFeature]) -> None:
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
