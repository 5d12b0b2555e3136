"""Coordinate systems of uploaded files: PROJ kept off the network
(:func:`configure_proj`, from :mod:`geo.proj`), CRSs taken only from EPSG codes (a file's
own definition never reaches PROJ), and the move to WGS 84."""

from __future__ import annotations

import re

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from geo.proj import configure_proj
from geo.uploads.common import UploadError
from geo.uploads.model import ZoneFeature

__all__ = ["configure_proj", "crs_from_wkt", "epsg", "to_wgs84"]


def epsg(code: int, name: str) -> CRS | None:
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
    return epsg(code, name)


def to_wgs84(features: list[ZoneFeature], crs: CRS | None, file_name: str) -> None:
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
