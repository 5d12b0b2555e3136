"""The zone history 2017-2020: properties, version order, geometry, and the reported towns.

The expected dates, statuses and town coordinates come from ../shared/ZONES-NOTES.md
(section 2: GeoNames coordinates; section 3: the dated boundary versions), not from the build
script, so that a wrong cut or a wrong date in data/zones/history_2017_2020.geojson fails here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point, box, shape

DATA = Path(__file__).resolve().parents[1] / "data"
HISTORY = DATA / "zones/history_2017_2020.geojson"
ASTANA = DATA / "zones/astana_2017.geojson"
ADMIN0 = DATA / "ocha/syr_admin0.shp"

PROPERTIES = (
    "zone_id",
    "version",
    "name_en",
    "name_ar",
    "status",
    "memorandum_date",
    "in_force_from",
    "valid_from",
    "boundary_precision",
    "method",
    "sources",
    "author",
    "note",
)
STATUSES = {"proposed", "agreed", "in force", "ended"}
DATE_FIELDS = ("memorandum_date", "in_force_from", "valid_from")

# ZONES-NOTES section 3: (zone_id, version, valid_from, status).
EXPECTED_VERSIONS = [
    ("south", 2, "2017-07-09", "in force"),  # US-Russia-Jordan ceasefire, 12:00 on 9 Jul
    ("eastern_ghouta", 2, "2017-07-22", "agreed"),  # Cairo agreement fixes borders
    ("northern_homs", 2, "2017-08-03", "agreed"),  # agreed in Cairo 31 Jul, TASS 3 Aug
    ("idlib", 2, "2017-09-15", "agreed"),  # Astana-6
    ("idlib", 3, "2018-01-21", "agreed"),  # Abu al-Duhur airbase taken 20-21 Jan
    ("eastern_ghouta", 3, "2018-04-14", "ended"),  # offensive 18 Feb-14 Apr
    ("northern_homs", 3, "2018-05-16", "ended"),  # evacuation 2-16 May
    ("south", 3, "2018-07-31", "ended"),  # Yarmouk pocket ended 31 Jul
    ("sochi_dmz", 1, "2018-09-17", "agreed"),  # Sochi memorandum
    ("idlib", 4, "2019-08-23", "agreed"),  # Khan Shaykhun 21 Aug; Morek 22-23 Aug
    ("sochi_dmz", 2, "2019-08-23", "agreed"),
    ("idlib", 5, "2020-03-06", "in force"),  # Moscow protocol ceasefire 00:01 6 Mar
    ("sochi_dmz", 3, "2020-03-06", "ended"),
    ("m4_corridor", 1, "2020-03-06", "in force"),
]

# GeoNames points (lon, lat) from ZONES-NOTES section 2.
IDLIB = (36.6339, 35.9306)
JISR = (36.3198, 35.8142)
MAARAT = (36.6769, 35.6483)
KHAN_SHAYKHUN = (36.6510, 35.4421)
SARAQIB = (36.8059, 35.8645)
MOREK = (36.6897, 35.3762)
KAFR_ZITA = (36.6033, 35.3743)
ATARIB = (36.8250, 36.1391)
ABU_DUHUR = (37.0448, 35.7406)
SINJAR = (37.0047, 35.5901)
DARAT_IZZA = (36.8522, 36.2825)
HARIM = (36.5208, 36.2118)
SUQAYLABIYAH = (36.3936, 35.3667)
RABIA = (36.0382, 35.7866)
KINSABBA = (36.1640, 35.7441)
ALEPPO = (37.16117, 36.20124)
# GeoNames cities500, for the M4.
ARIHA = (36.60964, 35.81374)
MUHAMBAL = (36.4721, 35.78735)
SALQIN = (36.45244, 36.13865)
# The M4's approach to the Lattakia boundary, standing in for Ain al-Havr (not in GeoNames).
M4_WEST_END = (36.21, 35.78)

# (zone_id, version, town, (lon, lat), inside?)
TOWNS = [
    ("idlib", 2, "Abu al-Duhur (eastern edge in 2017)", ABU_DUHUR, True),
    ("idlib", 2, "Sinjar (eastern edge until Jan 2018)", SINJAR, True),
    ("idlib", 3, "Abu al-Duhur (airbase taken 20-21 Jan 2018)", ABU_DUHUR, False),
    ("idlib", 3, "Sinjar (fell early Jan 2018)", SINJAR, False),
    ("idlib", 3, "Khan Shaykhun (held until 21 Aug 2019)", KHAN_SHAYKHUN, True),
    ("idlib", 3, "Morek (southern edge)", MOREK, True),
    ("idlib", 3, "Kafr Zita", KAFR_ZITA, True),
    ("idlib", 3, "Saraqib", SARAQIB, True),
    ("idlib", 3, "Suqaylabiyah (government-held)", SUQAYLABIYAH, False),
    ("idlib", 3, "Kinsabba (government-held)", KINSABBA, False),
    ("idlib", 4, "Khan Shaykhun (fell 21 Aug 2019)", KHAN_SHAYKHUN, False),
    ("idlib", 4, "Morek (22-23 Aug 2019)", MOREK, False),
    ("idlib", 4, "Kafr Zita (22-23 Aug 2019)", KAFR_ZITA, False),
    ("idlib", 4, "Maarat al-Numan (held until 28 Jan 2020)", MAARAT, True),
    ("idlib", 4, "Saraqib", SARAQIB, True),
    ("idlib", 4, "Abu al-Duhur", ABU_DUHUR, False),
    ("idlib", 5, "Maarat al-Numan (fell 28 Jan 2020)", MAARAT, False),
    ("idlib", 5, "Saraqib (government ended with the whole M5)", SARAQIB, False),
    ("idlib", 5, "Khan Shaykhun", KHAN_SHAYKHUN, False),
    ("idlib", 5, "Idlib city", IDLIB, True),
    ("idlib", 5, "Jisr al-Shughur", JISR, True),
    ("idlib", 5, "Ariha", ARIHA, True),
    ("idlib", 5, "Al Atarib", ATARIB, True),
    ("idlib", 5, "Darat Izza", DARAT_IZZA, True),
    ("idlib", 5, "Harim (north, on the Turkish border)", HARIM, True),
    ("idlib", 5, "Aleppo", ALEPPO, False),
    ("idlib", 5, "Rabia (government-held)", RABIA, False),
    ("sochi_dmz", 1, "Khan Shaykhun (near the southern contact line)", KHAN_SHAYKHUN, True),
    ("sochi_dmz", 1, "Morek (Turkish post on the southern edge)", MOREK, True),
    ("sochi_dmz", 1, "Idlib city (deep inside the zone)", IDLIB, False),
    ("sochi_dmz", 1, "Harim (Turkish border, not a contact line)", HARIM, False),
    ("sochi_dmz", 1, "Salqin (Turkish border, not a contact line)", SALQIN, False),
    ("sochi_dmz", 1, "Abu al-Duhur (outside the zone by then)", ABU_DUHUR, False),
    ("sochi_dmz", 2, "Khan Shaykhun (lost 21 Aug 2019)", KHAN_SHAYKHUN, False),
    ("m4_corridor", 1, "Ariha (on the M4)", ARIHA, True),
    ("m4_corridor", 1, "Muhambal (on the M4)", MUHAMBAL, True),
    ("m4_corridor", 1, "Jisr al-Shughur (on the M4)", JISR, True),
    ("m4_corridor", 1, "Idlib city (about 13 km north of the M4)", IDLIB, False),
    ("m4_corridor", 1, "Maarat al-Numan (about 18 km south)", MAARAT, False),
]

_TO_M = Transformer.from_crs(
    "EPSG:4326", "+proj=laea +lat_0=35 +lon_0=38.5 +datum=WGS84 +units=m", always_xy=True
).transform
_TO_DEG = Transformer.from_crs(
    "+proj=laea +lat_0=35 +lon_0=38.5 +datum=WGS84 +units=m", "EPSG:4326", always_xy=True
).transform


def metric(geom):
    """The geometry in metres (Lambert azimuthal equal-area centred on Syria)."""
    return shapely.transform(geom, _TO_M, interleaved=False)


def trumba():
    """Trumba, 2 km west of Saraqib (Moscow Additional Protocol, PA-X 2273)."""
    x, y = _TO_M(*SARAQIB)
    return _TO_DEG(x - 2000, y)


@pytest.fixture(scope="module")
def raw():
    return json.loads(HISTORY.read_text("utf-8"))


@pytest.fixture(scope="module")
def history():
    return gpd.read_file(HISTORY)


@pytest.fixture(scope="module")
def astana():
    return json.loads(ASTANA.read_text("utf-8"))


@pytest.fixture(scope="module")
def geoms(raw):
    return {
        (f["properties"]["zone_id"], f["properties"]["version"]): shape(f["geometry"])
        for f in raw["features"]
    }


@pytest.fixture(scope="module")
def outline():
    return gpd.read_file(ADMIN0).geometry.union_all()


def test_feature_collection_in_wgs84(raw, history):
    assert raw["type"] == "FeatureCollection"
    assert len(raw["features"]) == len(EXPECTED_VERSIONS)
    assert history.crs is not None and history.crs.to_epsg() == 4326


def test_properties_are_complete_and_typed(raw):
    for f in raw["features"]:
        p = f["properties"]
        assert tuple(p) == PROPERTIES or set(p) == set(PROPERTIES), p.get("zone_id")
        label = f"{p['zone_id']} v{p['version']}"
        assert type(p["version"]) is int and p["version"] >= 1, label
        for key in PROPERTIES:
            if key != "version":
                assert isinstance(p[key], str) and p[key].strip(), (label, key)
        assert re.fullmatch(r"[a-z0-9_]+", p["zone_id"]), label
        assert p["status"] in STATUSES, label
        assert p["boundary_precision"] == "approximate", label
        assert p["author"] == "ZoneWatch (shipped)", label
        assert any("\u0600" <= ch <= "\u06ff" for ch in p["name_ar"]), label
        assert not any("\u0600" <= ch <= "\u06ff" for ch in p["name_en"]), label
        assert "pproximate" in p["method"], label
        # One sentence: ends with a full stop, no second sentence starting after one.
        assert p["note"].endswith(".") and not re.search(r"\.\s+[A-Z]", p["note"]), label
        for key in DATE_FIELDS:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", p[key]), (label, key)
            dt.date.fromisoformat(p[key])
        assert p["memorandum_date"] <= p["in_force_from"], label
        assert p["memorandum_date"] <= p["valid_from"], label


def test_history_properties_read_back_through_geopandas(history):
    assert set(PROPERTIES) <= set(history.columns)
    assert history["version"].dtype.kind == "i"


@pytest.mark.parametrize(("zone_id", "version", "valid_from", "status"), EXPECTED_VERSIONS)
def test_dated_versions_from_the_notes(raw, zone_id, version, valid_from, status):
    found = [
        f["properties"]
        for f in raw["features"]
        if (f["properties"]["zone_id"], f["properties"]["version"]) == (zone_id, version)
    ]
    assert len(found) == 1, f"{zone_id} v{version}: found {len(found)}"
    assert found[0]["valid_from"] == valid_from
    assert found[0]["status"] == status


def test_new_zones_have_their_agreement_dates(raw):
    by_key = {
        (f["properties"]["zone_id"], f["properties"]["version"]): f["properties"]
        for f in raw["features"]
    }
    # Sochi memorandum, 17 Sep 2018; Moscow Additional Protocol, 5 Mar 2020, from 6 Mar.
    assert by_key[("sochi_dmz", 1)]["memorandum_date"] == "2018-09-17"
    assert by_key[("m4_corridor", 1)]["memorandum_date"] == "2020-03-05"
    assert by_key[("m4_corridor", 1)]["in_force_from"] == "2020-03-06"
    assert by_key[("idlib", 5)]["in_force_from"] == "2020-03-06"


def _versions_by_zone(raw, astana):
    zones: dict[str, list[tuple[int, str, str]]] = {}
    for f in astana["features"]:
        p = f["properties"]
        zones.setdefault(p["zone_id"], []).append(
            (p.get("version", 1), p["valid_from"], p["status"])
        )
    for f in raw["features"]:
        p = f["properties"]
        zones.setdefault(p["zone_id"], []).append((p["version"], p["valid_from"], p["status"]))
    return {z: sorted(v) for z, v in zones.items()}


def test_versions_continue_from_the_astana_file(raw, astana):
    first = {f["properties"]["zone_id"] for f in astana["features"]}
    assert first == {"idlib", "northern_homs", "eastern_ghouta", "south"}
    assert all(f["properties"].get("version", 1) == 1 for f in astana["features"])
    for f in raw["features"]:
        p = f["properties"]
        if p["zone_id"] in first:
            assert p["version"] >= 2, f"{p['zone_id']} v1 belongs in astana_2017.geojson"
    for zone_id, versions in _versions_by_zone(raw, astana).items():
        numbers = [v for v, _, _ in versions]
        assert numbers == list(range(1, len(numbers) + 1)), zone_id
    assert set(_versions_by_zone(raw, astana)) == first | {"sochi_dmz", "m4_corridor"}


def test_valid_from_increases_with_version(raw, astana):
    for zone_id, versions in _versions_by_zone(raw, astana).items():
        dates = [d for _, d, _ in versions]
        assert dates == sorted(dates) and len(set(dates)) == len(dates), zone_id


def test_no_version_after_an_end(raw, astana):
    ended = set()
    for zone_id, versions in _versions_by_zone(raw, astana).items():
        statuses = [s for _, _, s in versions]
        if "ended" in statuses:
            ended.add(zone_id)
            assert statuses.index("ended") == len(statuses) - 1, zone_id
    assert ended == {"eastern_ghouta", "northern_homs", "south", "sochi_dmz"}


def test_ended_versions_keep_the_last_geometry(raw, astana, geoms):
    v1 = {f["properties"]["zone_id"]: shape(f["geometry"]) for f in astana["features"]}
    for (zone_id, version), geom in geoms.items():
        status = next(
            f["properties"]["status"]
            for f in raw["features"]
            if (f["properties"]["zone_id"], f["properties"]["version"]) == (zone_id, version)
        )
        if status != "ended":
            continue
        before = geoms.get((zone_id, version - 1)) or v1[zone_id]
        assert geom.symmetric_difference(before).area < 1e-8, f"{zone_id} v{version}"


def test_geometries_are_valid_polygons_in_syria(raw, outline):
    for f in raw["features"]:
        p = f["properties"]
        label = f"{p['zone_id']} v{p['version']}"
        geom = shape(f["geometry"])
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon"), label
        assert not geom.is_empty and geom.is_valid, label
        # Snapped to 1e-5 degrees after clipping: allow about 100 m.
        assert outline.buffer(0.001).covers(geom), label
        assert metric(geom).area > 50e6, label  # no sliver features


def test_coordinates_are_rounded(raw):
    def coords(obj):
        if isinstance(obj, (int, float)):
            yield obj
        else:
            for x in obj:
                yield from coords(x)

    for f in raw["features"]:
        values = list(coords(f["geometry"]["coordinates"]))
        assert values and all(abs(round(v, 5) - v) < 1e-9 for v in values)
        assert all(35.0 < v < 42.5 for v in values[0::2])  # lon, not swapped with lat
        assert all(32.0 < v < 37.5 for v in values[1::2])


@pytest.mark.parametrize(
    ("zone_id", "version", "town", "point", "inside"),
    TOWNS,
    ids=[f"{z}-v{v}-{t.split(' (')[0]}" for z, v, t, _, _ in TOWNS],
)
def test_towns_on_the_right_side_at_the_right_date(geoms, zone_id, version, town, point, inside):
    assert geoms[(zone_id, version)].covers(Point(point)) is inside, town


def test_idlib_only_shrinks(astana, geoms):
    v1 = next(
        shape(f["geometry"]) for f in astana["features"] if f["properties"]["zone_id"] == "idlib"
    )
    assert geoms[("idlib", 2)].symmetric_difference(v1).area < 1e-8  # Astana-6: no new map
    areas = [metric(geoms[("idlib", v)]).area for v in (2, 3, 4, 5)]
    assert areas == sorted(areas, reverse=True) and len(set(areas)) == 4
    for v in (3, 4, 5):
        assert geoms[("idlib", v - 1)].buffer(1e-4).covers(geoms[("idlib", v)]), v


def test_idlib_v5_leaves_the_whole_m5_to_the_government(geoms):
    m5 = LineString([KHAN_SHAYKHUN, MAARAT, SARAQIB, ALEPPO])
    assert metric(geoms[("idlib", 5)]).distance(metric(m5)) > 1000


def test_dmz_lies_in_the_idlib_zone_of_its_date(geoms):
    assert geoms[("idlib", 3)].buffer(1e-4).covers(geoms[("sochi_dmz", 1)])
    assert geoms[("idlib", 4)].buffer(1e-4).covers(geoms[("sochi_dmz", 2)])
    assert geoms[("sochi_dmz", 1)].buffer(1e-4).covers(geoms[("sochi_dmz", 2)])


def test_dmz_is_15_to_20_km_deep_along_the_contact_line(geoms):
    zone = metric(geoms[("idlib", 3)])
    dmz = metric(geoms[("sochi_dmz", 1)])
    # Never deeper than 20 km inside the zone.
    assert dmz.intersection(zone.buffer(-20_000)).area < 1e6
    # South of 35.75N every edge faces government ground: the first 15 km are all DMZ.
    south = metric(box(35.5, 35.0, 37.5, 35.75))
    band = zone.difference(zone.buffer(-15_000)).intersection(south)
    assert band.difference(dmz).area < 0.01 * band.area
    # ...and the belt does not reach 25 km in.
    assert dmz.intersection(zone.buffer(-25_000)).is_empty


def test_dmz_does_not_run_along_the_turkish_border(geoms, outline):
    # Syria's boundary north-west of Idlib is the Turkish border (the coast is west of 36E).
    border = metric(outline.boundary.intersection(box(36.0, 35.7, 36.8, 36.5)))
    along_zone = border.intersection(metric(geoms[("idlib", 3)]).buffer(300)).length
    along_dmz = border.intersection(metric(geoms[("sochi_dmz", 1)]).buffer(300)).length
    assert along_zone > 80_000
    # Only where the Latakia contact line meets the border: one belt's width, not the border.
    assert along_dmz < 25_000


def test_m4_corridor_follows_the_m4_from_trumba(geoms):
    corridor = metric(geoms[("m4_corridor", 1)])
    stretch = metric(LineString([trumba(), ARIHA, MUHAMBAL, JISR]))
    whole = metric(LineString([trumba(), ARIHA, MUHAMBAL, JISR, M4_WEST_END]))
    # The Trumba-Ariha-Jisr stretch lies inside with about 6 km on either side (50 m for
    # the simplification and the 1e-5 degree snapping).
    assert corridor.buffer(50).covers(stretch.buffer(5_800, cap_style="flat"))
    # No part of the corridor is more than about 6 km from the road.
    assert corridor.hausdorff_distance(whole) < 6_300
    width = corridor.area / whole.length
    assert 11_000 < width < 13_000, width
    # It starts at Trumba: Saraqib, 2 km further east, is just outside.
    saraqib = metric(Point(SARAQIB))
    assert not corridor.covers(saraqib) and corridor.distance(saraqib) < 3_000


def test_m4_corridor_lies_mostly_in_the_idlib_zone_of_its_date(geoms):
    corridor = metric(geoms[("m4_corridor", 1)])
    zone = metric(geoms[("idlib", 5)])
    assert corridor.difference(zone).area < 0.05 * corridor.area


def test_eastern_ghouta_keeps_its_reported_size(geoms):
    # About 100 km² (Al Jazeera, May 2017, citing Siege Watch).
    for version in (2, 3):
        assert 70e6 < metric(geoms[("eastern_ghouta", version)]).area < 160e6
