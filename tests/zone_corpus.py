"""Hostile and broken boundary files, each with the outcome the gate must give.

Files are made here rather than committed, so a zip bomb is not a file in the repository
and each case says in code what it is. ``expect`` is either
``{"error": text}``: the whole file is refused with a message containing ``text``; or
``{"outcomes": [...], "text": text}``: per-feature outcomes in order, and ``text`` in
one of the feature messages (or "" when nothing in particular must be said).

``CANARY`` and ``URL`` are replaced by each test with a file the test owns and the
address of a local server that records every request, so "never read, never fetched"
can be checked.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import shapely
from shapely.geometry import mapping

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "external" / "ocha_cod_ab_syr"
OCHA = Path(__file__).resolve().parents[1] / "data" / "ocha"

# A square in Idlib (lon, lat) and a bowtie near Homs.
SQUARE = [[36.5, 35.8], [36.7, 35.8], [36.7, 36.0], [36.5, 36.0], [36.5, 35.8]]


def fc(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def feature(geometry, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def poly(ring=None) -> dict:
    return {"type": "Polygon", "coordinates": [ring or SQUARE]}


def js(obj) -> bytes:
    return json.dumps(obj, allow_nan=True).encode()


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def shapefile_members(frame, stem: str = "zones", crs=None) -> dict[str, bytes]:
    """A GeoDataFrame written as a shapefile, its files as bytes by name."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{stem}.shp"
        (frame.to_crs(crs) if crs else frame).to_file(path, driver="ESRI Shapefile")
        return {p.name: p.read_bytes() for p in Path(tmp).iterdir()}


def square_frame(name="Test zone"):
    import geopandas as gpd

    return gpd.GeoDataFrame({"name": [name]}, geometry=[shapely.Polygon(SQUARE)], crs="EPSG:4326")


def zip_bomb() -> bytes:
    """A small zip that unpacks to 300 MB of zeros (over the 200 MB default), next to a
    plain .shx and .dbf so that the gate gets as far as unpacking the .shp."""
    out = io.BytesIO()
    plain = shapefile_members(square_frame("Bomb"))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zones.shx", plain["zones.shx"])
        z.writestr("zones.dbf", plain["zones.dbf"])
        with z.open("zones.shp", "w", force_zip64=True) as member:
            block = b"\x00" * (1 << 20)
            for _ in range(300):
                member.write(block)
    return out.getvalue()


def many_members() -> bytes:
    return zipped({f"part{i:05d}.txt": b"x" for i in range(5000)})


def deep_json(depth: int = 10_000) -> bytes:
    return b'{"type":"FeatureCollection","features":' + b"[" * depth + b"]" * depth + b"}"


def big_polygon(n: int = 200_000) -> dict:
    import math

    ring = [
        [38.5 + 0.5 * math.cos(2 * math.pi * i / n), 35.0 + 0.5 * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    ring.append(ring[0])
    return poly(ring)


def gpkg_two_layers() -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "two.gpkg"
        square_frame("Layer A zone").to_file(path, layer="first", driver="GPKG")
        square_frame("Layer B zone").to_file(path, layer="second", driver="GPKG")
        return path.read_bytes()


def gpkg_tampered(how: str) -> bytes:
    """A real GeoPackage, then edited with sqlite3 the way a hostile file could be."""
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.gpkg"
        square_frame("Tampered").to_file(path, layer="zones", driver="GPKG")
        con = sqlite3.connect(path)
        if how == "contents-view":  # an endless recursive query in place of gpkg_contents
            con.execute("ALTER TABLE gpkg_contents RENAME TO old_contents")
            con.execute(
                "CREATE VIEW gpkg_contents AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                "SELECT x + 1 FROM c) SELECT 'zones' AS table_name, 'features' AS data_type "
                "FROM c WHERE x < 0"
            )
        elif how == "generated-column":  # 900 MB out of a few bytes
            con.execute(
                "ALTER TABLE zones ADD COLUMN big BLOB GENERATED ALWAYS AS "
                "(zeroblob(900000000)) VIRTUAL"
            )
        con.commit()
        con.close()
        return path.read_bytes()


def prj_with_grid() -> dict[str, bytes]:
    """A shapefile whose .prj names a grid file (PROJ would open it: here, the canary)."""
    members = shapefile_members(square_frame("Grid"), crs="EPSG:3857")
    members["zones.prj"] = (
        b'PROJCS["merc",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
        b'298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
        b'PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],'
        b'PARAMETER["scale_factor",1],PARAMETER["false_easting",0],'
        b'PARAMETER["false_northing",0],UNIT["metre",1],EXTENSION["PROJ4","+proj=merc '
        b'+a=6378137 +b=6378137 +nadgrids=CANARY +units=m +no_defs"]]'
    )
    return members


def corrupt_kmz() -> bytes:
    data = bytearray(zipped({"doc.kml": (KML_HEAD + KML_POLY.format(name="K") * 20).encode()}))
    start = data.index(b"doc.kml") + len(b"doc.kml")
    data[start + 10 : start + 40] = b"\xff" * 30  # inside the deflate stream
    return bytes(data)


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", 1, 1) + b"\x08"


KML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
KML_POLY = (
    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>{name}</name>'
    "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
    "36.5,35.8,0 36.7,35.8,0 36.7,36.0,0 36.5,36.0,0 36.5,35.8,0"
    "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"
)
XXE = (
    KML_HEAD
    + '<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file://CANARY">]>\n'
    + KML_POLY.format(name="&xxe;")
)
LAUGHS = (
    KML_HEAD
    + '<!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    + '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    + KML_POLY.format(name="&d;")
)
VRT_FILE = (
    "<OGRVRTDataSource><OGRVRTLayer name='x'><SrcDataSource>CSV:CANARY</SrcDataSource>"
    "</OGRVRTLayer></OGRVRTDataSource>"
)
VRT_URL = (
    "<OGRVRTDataSource><OGRVRTLayer name='x'><SrcDataSource>/vsicurl/URL/zones.geojson"
    "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>"
)
GDALG = json.dumps({"type": "gdal_streamed_alg", "command_line": "gdal vector read URL/x.json"})

HOSTILE_NAME = "<img src=x onerror=alert(1)>"


def cases() -> list[tuple[str, str, bytes, dict]]:
    """(case id, file name, content, expected outcome)."""
    utm = shapefile_members(square_frame("UTM zone"), crs="EPSG:32637")
    plain = shapefile_members(square_frame("Plain zone"))
    no_prj_utm = {k: v for k, v in utm.items() if not k.endswith(".prj")}
    return [
        (
            "malformed-json",
            "zones.geojson",
            b'{"type": "FeatureCollection", "features": [',
            {"error": "not valid JSON"},
        ),
        (
            "json-not-geojson",
            "zones.geojson",
            js({"hello": "world"}),
            {"error": "JSON but not GeoJSON"},
        ),
        ("no-features", "zones.geojson", js(fc()), {"error": "has no features"}),
        (
            "point",
            "zones.geojson",
            js(fc(feature({"type": "Point", "coordinates": [36.6, 35.9]}, name="P"))),
            {"outcomes": ["refused"], "text": "is a Point"},
        ),
        (
            "linestring",
            "zones.geojson",
            js(fc(feature({"type": "LineString", "coordinates": SQUARE}, name="L"))),
            {"outcomes": ["refused"], "text": "is a LineString"},
        ),
        (
            "bowtie",
            "zones.geojson",
            js(
                fc(
                    feature(
                        poly(
                            [[36.5, 35.8], [36.7, 36.0], [36.7, 35.8], [36.5, 36.0], [36.5, 35.8]]
                        ),
                        name="Bowtie",
                    )
                )
            ),
            {"outcomes": ["repaired"], "text": "Self-intersection"},
        ),
        (
            "unclosed-ring",
            "zones.geojson",
            js(fc(feature(poly(SQUARE[:-1]), name="Open"))),
            {"outcomes": ["repaired"], "text": "was not closed"},
        ),
        (
            "nan",
            "zones.geojson",
            js(fc(feature(poly([[36.5, float("nan")], *SQUARE[1:]]), name="N"))),
            {"outcomes": ["refused"], "text": "not finite"},
        ),
        (
            "infinity",
            "zones.geojson",
            js(fc(feature(poly([[float("inf"), 35.8], *SQUARE[1:]]), name="I"))),
            {"outcomes": ["refused"], "text": "not finite"},
        ),
        (
            "1e999",
            "zones.geojson",
            js(fc(feature(poly(SQUARE), name="E"))).replace(b"36.5, 35.8]", b"1e999, 35.8]", 1),
            {"outcomes": ["refused"], "text": "not finite"},
        ),
        (
            "projected-no-crs",
            "zones.geojson",
            js(
                fc(
                    feature(
                        poly(
                            [
                                [4064000, 4275000],
                                [4084000, 4275000],
                                [4084000, 4300000],
                                [4064000, 4275000],
                            ]
                        ),
                        name="M",
                    )
                )
            ),
            {"error": "projected metres"},
        ),
        (
            "swapped",
            "zones.geojson",
            js(fc(feature(poly([[y, x] for x, y in SQUARE]), name="Swapped"))),
            {"outcomes": ["refused"], "text": "latitude and longitude swapped"},
        ),
        (
            "outside-syria",
            "zones.geojson",
            js(
                fc(
                    feature(
                        poly([[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]), name="Paris"
                    )
                )
            ),
            {"outcomes": ["refused"], "text": "outside Syria"},
        ),
        (
            "3d",
            "zones.geojson",
            js(fc(feature(poly([[x, y, 250.0] for x, y in SQUARE]), name="Heights"))),
            {"outcomes": ["repaired"], "text": "heights (Z) were dropped"},
        ),
        (
            "geometrycollection",
            "zones.geojson",
            js(
                fc(
                    feature(
                        {
                            "type": "GeometryCollection",
                            "geometries": [poly(), {"type": "Point", "coordinates": [36.6, 35.9]}],
                        },
                        name="GC",
                    )
                )
            ),
            {"outcomes": ["repaired"], "text": "GeometryCollection"},
        ),
        (
            "html-names",
            "zones.geojson",
            js(
                fc(
                    feature(
                        poly(),
                        name=HOSTILE_NAME,
                        note="<script>alert(1)</script>",
                        **{"<b onmouseover=alert(1)>": "${alert(1)}"},
                    )
                )
            ),
            {"outcomes": ["accepted"], "text": ""},
        ),
        (
            "template-name",
            "zones.geojson",
            js(fc(feature(poly(), name="${alert(document.domain)}"))),
            {"outcomes": ["accepted"], "text": ""},
        ),
        (
            "megabyte-property",
            "zones.geojson",
            js(fc(feature(poly(), name="Big", blob="x" * (1 << 20)))),
            {"outcomes": ["refused"], "text": "ZONEWATCH_MAX_PROPERTY_CHARS"},
        ),
        (
            "200k-vertices",
            "zones.geojson",
            js(fc(feature(big_polygon(), name="Huge"))),
            {"outcomes": ["refused"], "text": "ZONEWATCH_MAX_ZONE_VERTICES"},
        ),
        ("deep-nesting", "zones.geojson", deep_json(), {"error": "nested too deeply"}),
        ("zip-bomb", "zones.zip", zip_bomb(), {"error": "zip bomb"}),
        (
            "zip-traversal",
            "zones.zip",
            zipped({"../../etc/zones.shp": plain["zones.shp"], **{k: v for k, v in plain.items()}}),
            {"error": "points outside the archive"},
        ),
        ("zip-many-members", "zones.zip", many_members(), {"error": "ZONEWATCH_MAX_ZIP_MEMBERS"}),
        (
            "zip-nested",
            "zones.zip",
            zipped({"inner.zip": zipped(plain)}),
            {"error": "archives inside archives"},
        ),
        (
            "shp-no-dbf",
            "zones.zip",
            zipped({k: v for k, v in plain.items() if not k.endswith(".dbf")}),
            {"error": "has no .dbf"},
        ),
        (
            "shp-no-shx",
            "zones.zip",
            zipped({k: v for k, v in plain.items() if not k.endswith(".shx")}),
            {"error": "has no .shx"},
        ),
        (
            "shp-utm37n",
            "zones.zip",
            zipped({f"export/{k}": v for k, v in utm.items()}),
            {"outcomes": ["accepted"], "text": ""},
        ),
        ("shp-utm-no-prj", "zones.zip", zipped(no_prj_utm), {"error": "projected metres"}),
        ("kml-xxe", "zones.kml", XXE.encode(), {"error": "DTD or XML entities"}),
        ("kml-laughs", "zones.kml", LAUGHS.encode(), {"error": "DTD or XML entities"}),
        ("vrt-file", "zones.geojson", VRT_FILE.encode(), {"error": "OGR VRT"}),
        ("vrt-url", "zones.vrt", VRT_URL.encode(), {"error": "OGR VRT"}),
        ("gdalg", "zones.geojson", GDALG.encode(), {"error": "GDALG"}),
        ("png-as-geojson", "zones.geojson", png(), {"error": "is a PNG image"}),
        ("empty", "zones.geojson", b"", {"error": "is empty"}),
        (
            "utf16",
            "zones.geojson",
            json.dumps(fc(feature(poly(), name="Zone UTF-16"))).encode("utf-16"),
            {"outcomes": ["accepted"], "text": ""},
        ),
        (
            "arabic-names",
            "zones.geojson",
            json.dumps(fc(feature(poly(), name_ar="منطقة إدلب", name_en="Idlib test"))).encode(),
            {"outcomes": ["accepted"], "text": ""},
        ),
        (
            "duplicate-names",
            "zones.geojson",
            js(fc(feature(poly(), name="Twin"), feature(poly(), name="twin"))),
            {"outcomes": ["accepted", "refused"], "text": "same name as feature 1"},
        ),
        ("gpkg-two-layers", "zones.gpkg", gpkg_two_layers(), {"layers": ["first", "second"]}),
        (
            "kml-plain",
            "zones.kml",
            (KML_HEAD + KML_POLY.format(name="KML zone")).encode(),
            {"outcomes": ["accepted"], "text": ""},
        ),
        (
            "kml-utf16-arabic",
            "zones.kml",
            (KML_HEAD.replace("UTF-8", "UTF-16") + KML_POLY.format(name="منطقة إدلب")).encode(
                "utf-16"
            ),
            {"outcomes": ["accepted"], "text": ""},
        ),
        (
            "kmz",
            "zones.kmz",
            zipped({"doc.kml": (KML_HEAD + KML_POLY.format(name="KMZ zone")).encode()}),
            {"outcomes": ["accepted"], "text": ""},
        ),
        (
            "type-not-a-string",
            "zones.geojson",
            js({"type": ["Polygon"]}),
            {"error": "JSON but not GeoJSON"},
        ),
        (
            "integer-of-5000-digits",
            "zones.geojson",
            b'{"type":"Polygon","coordinates":[[[' + b"9" * 5000 + b",35],[36,35],[36,36],[0,0]]]}",
            {"error": "number too long"},
        ),
        (
            "integer-of-400-digits",
            "zones.geojson",
            b'{"type":"Polygon","coordinates":[[[' + b"9" * 400 + b",35],[36,35],[36,36],[0,0]]]}",
            {"outcomes": ["refused"], "text": "not finite"},
        ),
        (
            "kml-deep-multigeometry",
            "zones.kml",
            (
                KML_HEAD
                + KML_POLY.format(name="Deep")
                .replace("<Polygon>", "<MultiGeometry>" * 3000 + "<Polygon>")
                .replace("</Polygon>", "</Polygon>" + "</MultiGeometry>" * 3000)
            ).encode(),
            {"outcomes": ["refused"], "text": "nested more than 3 deep"},
        ),
        ("kmz-corrupt", "zones.kmz", corrupt_kmz(), {"error": "cannot be unpacked"}),
        (
            "gpkg-contents-view",
            "zones.gpkg",
            gpkg_tampered("contents-view"),
            {"error": "not a GeoPackage"},
        ),
        (
            "gpkg-generated-column",
            "zones.gpkg",
            gpkg_tampered("generated-column"),
            {"error": "computed (generated or hidden) columns"},
        ),
        (
            "prj-names-a-grid-file",
            "zones.zip",
            zipped(prj_with_grid()),
            {"error": "CRS definition cannot be used"},
        ),
        (
            "vertical-crs",
            "zones.geojson",
            js(
                {
                    **fc(feature(poly(), name="V")),
                    "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3855"}},
                }
            ),
            {"error": "not a 2D map coordinate system"},
        ),
        (
            "no-name",
            "zones.geojson",
            js(fc(feature(poly()))),
            {"outcomes": ["refused"], "text": "has no name"},
        ),
        (
            "zero-area",
            "zones.geojson",
            js(
                fc(
                    feature(
                        poly([[36.5, 35.8], [36.6, 35.9], [36.7, 36.0], [36.5, 35.8]]), name="Flat"
                    )
                )
            ),
            {"outcomes": ["refused"], "text": "cannot be repaired into a polygon"},
        ),
    ]


def governorate_polygons():
    """OCHA admin1 features (for an end-to-end upload of real boundaries)."""
    import geopandas as gpd

    return gpd.read_file(OCHA / "admin1.geojson") if (OCHA / "admin1.geojson").exists() else None


__all__ = ["HOSTILE_NAME", "SHARED", "cases", "mapping"]
