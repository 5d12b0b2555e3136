"""Zone boundary uploads: the gate every boundary file passes, page and CLI alike.

This module is the entry point (:func:`read_zone_file`) and gives the gate's public names;
the work is done by one module per format and concern: :mod:`~geo.uploads.sniff` (what a
file is), :mod:`~geo.uploads.geojson`, :mod:`~geo.uploads.kml`,
:mod:`~geo.uploads.shapefile` (zipped Shapefiles and KMZ), :mod:`~geo.uploads.gpkg`,
:mod:`~geo.uploads.crs` (coordinate systems, PROJ kept off the network),
:mod:`~geo.uploads.properties` (names), :mod:`~geo.uploads.geometry` (the checks),
:mod:`~geo.uploads.model` (limits, wording, the upload as read) and
:mod:`~geo.uploads.report` (the report as shown).

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

import sqlite3
from dataclasses import dataclass

import shapely
from pyproj.exceptions import CRSError, ProjError

from geo.hashing import sha256_of
from geo.uploads.common import UploadError
from geo.uploads.crs import configure_proj, crs_from_wkt, to_wgs84
from geo.uploads.geojson import read_geojson
from geo.uploads.geometry import check_geometry, refuse_duplicates, syria
from geo.uploads.gpkg import read_gpkg
from geo.uploads.kml import read_kml
from geo.uploads.model import (
    ACCEPTED_FORMATS,
    CLI,
    MAX_NAME_CHARS,
    NEUTRAL,
    NO_NAME,
    Limits,
    Progress,
    Wording,
    ZoneFeature,
    ZoneUpload,
    check_size,
)
from geo.uploads.properties import build_feature, check_name_field
from geo.uploads.report import NEW_ZONE, report_rows
from geo.uploads.shapefile import read_zip
from geo.uploads.sniff import decode_text, sniff
from geo.wording import count

__all__ = [
    "ACCEPTED_FORMATS",
    "CLI",
    "MAX_NAME_CHARS",
    "NEUTRAL",
    "NEW_ZONE",
    "NO_NAME",
    "Limits",
    "Progress",
    "Wording",
    "ZoneFeature",
    "ZoneUpload",
    "check_size",
    "crs_from_wkt",
    "read_zone_file",
    "report_rows",
]


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
    configure_proj()  # whoever calls, PROJ stays off the network
    limits = limits or Limits.from_env()
    step = progress or (lambda _f, _m: None)
    check_size(len(data), file_name, limits)
    options = _Options(layer, name_field, names, swap_xy, country, limits, step, wording)
    try:
        return _read(data, file_name, options)
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


@dataclass(frozen=True)
class _Options:
    layer: str | None
    name_field: str | None
    names: dict[int, str] | None
    swap_xy: bool
    country: object
    limits: Limits
    step: Progress
    wording: Wording


def _read(data: bytes, file_name: str, o: _Options) -> ZoneUpload:
    upload = ZoneUpload(file_name, sha256_of(data))
    o.step(0.1, "Identifying the format")
    kind = _kind(data, file_name)
    o.step(0.2, f"Reading {kind}")
    records, crs = _records(kind, data, file_name, o.layer, upload)
    if upload.needs_layer:
        return upload
    _check_count(records, file_name, o.limits)
    upload.crs = crs.to_string() if crs is not None else ""
    o.step(0.4, f"Checking {count(len(records), 'feature')}")
    features = [
        build_feature(number, props, geom, o.limits, o.name_field)
        for number, (props, geom) in enumerate(records, start=1)
    ]
    check_name_field(o.name_field, records, file_name)
    _give_names(features, o.names)
    if o.swap_xy:
        for f in features:
            if f.geometry is not None:
                f.geometry = shapely.transform(f.geometry, lambda xy: xy[:, ::-1])
        upload.warnings.append("latitude and longitude were swapped, as asked")
    to_wgs84(features, crs, file_name)
    _check_features(features, o)
    refuse_duplicates(features)
    upload.features = features
    o.step(1.0, "Done")
    return upload


def _kind(data: bytes, name: str) -> str:
    """'zip', 'gpkg', 'json' or 'xml' (:func:`geo.uploads.sniff.sniff`); refuse the rest."""
    found = sniff(data)
    if found.kind == "empty":
        raise UploadError(f"'{name}' is empty; choose a boundary file: {ACCEPTED_FORMATS}")
    if found.kind in ("zip", "json", "xml"):
        return found.kind
    if found.kind == "sqlite":
        return "gpkg"
    if found.kind == "known":
        raise UploadError(
            f"'{name}' is {found.what}, not a boundary file; upload {ACCEPTED_FORMATS}"
        )
    if found.kind == "binary":
        raise UploadError(
            f"'{name}' is a binary file of unknown type, not a boundary file; upload "
            f"{ACCEPTED_FORMATS}"
        )
    raise UploadError(
        f"'{name}' is text but neither GeoJSON nor KML (it starts with "
        f"{found.start!r}); upload {ACCEPTED_FORMATS}"
    )


def _records(kind: str, data: bytes, file_name: str, layer, upload: ZoneUpload):
    """The (properties, geometry) of each feature, and the CRS the file declares."""
    if kind == "zip":
        return read_zip(data, file_name, layer, upload)
    if kind == "gpkg":
        return read_gpkg(data, file_name, layer, upload)
    text = decode_text(data, file_name)
    if kind == "json":
        upload.format = "GeoJSON"
        return read_geojson(text, file_name)
    upload.format = "KML"
    return read_kml(text, file_name, upload)


def _check_count(records: list, file_name: str, limits: Limits) -> None:
    if not records:
        raise UploadError(f"'{file_name}' has no features; it holds no zone to upload")
    if len(records) > limits.features:
        raise UploadError(
            f"'{file_name}' has {len(records):,} features, over the limit of "
            f"{limits.features:,} (ZONEWATCH_MAX_ZONES_PER_UPLOAD); upload fewer zones at once"
        )


def _give_names(features: list[ZoneFeature], names: dict[int, str] | None) -> None:
    """The names the user typed, by feature number, over those found in the file."""
    for f in features:
        if names and str(names.get(f.number, "")).strip():
            f.name = " ".join(str(names[f.number]).split())[:MAX_NAME_CHARS]


def _check_features(features: list[ZoneFeature], o: _Options) -> None:
    outline = o.country if o.country is not None else syria()
    for i, f in enumerate(features):
        if f.geometry is not None:
            check_geometry(f, outline, swapped=o.swap_xy, wording=o.wording)
        if f.outcome != "refused" and not (f.name or f.name_ar):
            f.refuse(f"{NO_NAME}: {o.wording.give_name}")
        o.step(0.4 + 0.5 * (i + 1) / len(features), f"Checked {i + 1} of {len(features)}")
