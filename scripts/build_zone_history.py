"""Build data/zones/history_2017_2020.geojson: the later versions of the zones, 2017-2020.

Version 1 of the four Astana zones stays in data/zones/astana_2017.geojson (see
scripts/build_zones.py). This file holds what came after, as dated in
../shared/ZONES-NOTES.md, section 3: the agreements that fixed each zone (versions 2), the
government offensives that shrank the Idlib zone or ended the other three, the Sochi
demilitarised zone (Sep 2018) and the M4 security corridor of the Moscow Additional Protocol
(Mar 2020).

No official map of any of these lines was published. Cuts are drawn by hand just beyond the
towns section 2 reports as taken, and the belt and corridor are buffers computed in a metric
equal-area projection; everything is clipped to the OCHA country outline. Run from the
repository root:

    uv run python scripts/build_zone_history.py
"""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pyogrio
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping, shape
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data/zones/history_2017_2020.geojson"

# Metric, equal-area projection centred on Syria: buffers and areas are computed here.
LAEA = "+proj=laea +lat_0=35 +lon_0=38.5 +datum=WGS84 +units=m +no_defs"
_TO_M = Transformer.from_crs("EPSG:4326", LAEA, always_xy=True).transform
_TO_DEG = Transformer.from_crs(LAEA, "EPSG:4326", always_xy=True).transform

DMZ_DEPTH_M = 17_500  # Sochi: "15-20 km"; the middle of the range
CORRIDOR_HALF_WIDTH_M = 6_000  # Moscow protocol: 6 km north and 6 km south of the M4
TRUMBA_OFFSET_M = 2_000  # Trumba is "2 km west of Saraqib"
# The M4's approach to the Lattakia governorate boundary, standing in for Ain al-Havr,
# which is not in the GeoNames cities500 file (about 1.8 km east of the OCHA boundary).
M4_WEST_END = (36.21, 35.78)
# Afrin district (Turkish-held since Operation Olive Branch, Mar 2018): the Idlib zone's
# northern edge faces it, not government forces, so the Sochi belt does not run along it.
OLIVE_BRANCH_BOX = box(36.40, 36.30, 36.97, 37.00)

AUTHOR = "ZoneWatch (shipped)"


def _load_build_zones():
    spec = importlib.util.spec_from_file_location("build_zones", ROOT / "scripts/build_zones.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD_ZONES = _load_build_zones()


def _places() -> dict[int, tuple[float, float]]:
    """GeoNames cities500 points as (lon, lat), keyed by geonameid."""
    with open(ROOT / "data/geonames/geonames_sy_cities500.csv", encoding="utf-8") as f:
        return {
            int(r["geonameid"]): (float(r["longitude"]), float(r["latitude"]))
            for r in csv.DictReader(f)
        }


PLACES = _places()
SARAQIB = PLACES[164816]
ARIHA = PLACES[172994]
MUHAMBAL = PLACES[166757]
JISR = PLACES[169023]

# Areas the government held after each offensive, drawn by hand in (lon, lat) past the
# zone's outer edge so that the difference leaves the zone's inside.
TAKEN_JAN_2018 = Polygon(
    [
        (36.88, 35.36),  # south of the zone's southern edge, east of Morek
        (36.965, 35.59),  # about 3.5 km west of Sinjar (35.5901, 37.0047)
        (37.005, 35.74),  # about 3.6 km west of Abu al-Duhur (35.7406, 37.0448)
        (37.04, 35.86),
        (37.07, 35.96),  # back out through the 2017 eastern edge
        (37.60, 35.96),
        (37.60, 35.20),
        (36.88, 35.20),
    ]
)
TAKEN_AUG_2019 = Polygon(
    [
        (36.20, 35.20),
        (36.20, 35.47),
        (36.50, 35.48),
        (36.62, 35.485),  # about 4.7 km north of Khan Shaykhun (35.4421, 36.6510)
        (36.75, 35.48),
        (37.20, 35.46),
        (37.20, 35.20),
    ]
)
TAKEN_MAR_2020 = Polygon(
    [
        (36.93, 36.40),  # north of the zone, east of Darat Izza
        (36.90, 36.25),  # about 4 km east of Darat Izza (36.2825, 36.8522)
        (36.88, 36.12),  # about 5 km east of Al Atarib (36.1391, 36.8250)
        (36.84, 36.00),
        (36.79, 35.87),  # about 1.5 km west of Saraqib, just east of Trumba
        (36.765, 35.83),
        (36.715, 35.76),  # 2-3 km west of the M5 between Saraqib and Maarat
        (36.675, 35.70),
        (36.645, 35.655),  # about 3 km west of Maarat al-Numan (35.6483, 36.6769)
        (36.60, 35.625),
        (36.10, 35.625),  # south of Jabal al-Zawiya, to beyond the western edge
        (36.10, 35.20),
        (37.60, 35.20),
        (37.60, 36.40),
    ]
)

STILL_APPROXIMATE = "Approximate: no official map was published."


def _to_m(geom):
    return shapely.transform(geom, _TO_M, interleaved=False)


def _to_deg(geom):
    return shapely.transform(geom, _TO_DEG, interleaved=False)


def _polygonal(geom, min_area_deg2: float = 1e-4):
    """Drop points, lines and slivers (< ~1 km²) that set operations leave behind."""
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon)]
    parts = [g for g in parts if g.area >= min_area_deg2]
    if not parts:
        raise ValueError("the geometry came out empty")
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _finish(geom, outline, simplify: float = 0.0):
    """Clip to Syria, snap to 1e-5 degrees and check the result."""
    if simplify:
        geom = geom.simplify(simplify, preserve_topology=True)
    geom = _polygonal(geom.intersection(outline))
    geom = _polygonal(shapely.set_precision(geom, 1e-5))
    geom = shapely.normalize(geom)
    assert geom.is_valid and not geom.is_empty, geom.wkt[:80]
    return geom


def area_km2(geom) -> float:
    """Area in km² in the equal-area projection."""
    return _to_m(geom).area / 1e6


def sochi_dmz(idlib_zone, outline):
    """The belt of the Idlib zone within DMZ_DEPTH_M of government-held ground.

    Government ground is Syria outside the zone, less Afrin (Turkish-held) and less a 500 m
    margin round the zone, so that border slivers left by simplification do not count as
    government ground and the belt stays off the Turkish border.
    """
    zone_m = _to_m(idlib_zone)
    near = _to_m(outline).intersection(zone_m.buffer(DMZ_DEPTH_M + 10_000))
    government = near.difference(zone_m.buffer(500)).difference(_to_m(OLIVE_BRANCH_BOX))
    belt = zone_m.intersection(government.buffer(DMZ_DEPTH_M + 500))
    return _to_deg(belt).intersection(idlib_zone)


def m4_line():
    """The M4 approximated through Trumba, Ariha, Muhambal, Jisr al-Shughur, west to Lattakia."""
    saraqib_m = _to_m(Point(SARAQIB))
    trumba = _to_deg(Point(saraqib_m.x - TRUMBA_OFFSET_M, saraqib_m.y))
    return LineString([(trumba.x, trumba.y), ARIHA, MUHAMBAL, JISR, M4_WEST_END])


def m4_corridor():
    """6 km either side of the M4, square-ended at Trumba and at the Lattakia approach."""
    line_m = _to_m(m4_line())
    return _to_deg(line_m.buffer(CORRIDOR_HALF_WIDTH_M, cap_style="flat", join_style="round"))


def _feature(zone_id, version, geometry, **props):
    properties = {
        "zone_id": zone_id,
        "version": version,
        "name_en": props["name_en"],
        "name_ar": props["name_ar"],
        "status": props["status"],
        "memorandum_date": props["memorandum_date"],
        "in_force_from": props["in_force_from"],
        "valid_from": props["valid_from"],
        "boundary_precision": "approximate",
        "method": props["method"],
        "sources": props["sources"],
        "author": AUTHOR,
        "note": props["note"],
    }
    return {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}


def build() -> dict:
    """Return the later versions and the new zones as a GeoJSON FeatureCollection."""
    country = pyogrio.read_dataframe(ROOT / "data/ocha/syr_admin0.shp")
    outline = unary_union(country.geometry.values)
    shipped = json.loads((ROOT / "data/zones/astana_2017.geojson").read_text("utf-8"))
    v1 = {f["properties"]["zone_id"]: shape(f["geometry"]) for f in shipped["features"]}
    names = {z: {k: BUILD_ZONES.ZONES[z][k] for k in ("name_en", "name_ar")} for z in v1}

    idlib_v3 = _finish(_polygonal(v1["idlib"].difference(TAKEN_JAN_2018)), outline)
    idlib_v4 = _finish(_polygonal(idlib_v3.difference(TAKEN_AUG_2019)), outline)
    idlib_v5 = _finish(_polygonal(idlib_v4.difference(TAKEN_MAR_2020)), outline)
    dmz_v1 = _finish(sochi_dmz(idlib_v3, outline), outline, simplify=0.0005)
    dmz_v1 = _finish(dmz_v1.intersection(idlib_v3), outline)
    dmz_v2 = _finish(dmz_v1.intersection(idlib_v4), outline)
    corridor = _finish(m4_corridor(), outline, simplify=0.0002)

    same = "Same geometry as version {v}: {why} " + STILL_APPROXIMATE
    dmz_names = {
        "name_en": "Sochi demilitarised zone (Idlib)",
        "name_ar": "المنطقة المنزوعة السلاح في إدلب (مذكرة سوتشي)",
    }
    corridor_names = {
        "name_en": "M4 security corridor (Moscow Additional Protocol)",
        "name_ar": "الممر الآمن على طريق M4 (البروتوكول الإضافي في موسكو)",
    }
    astana_6 = {"memorandum_date": "2017-09-15", "in_force_from": "2017-09-15"}
    sochi = {"memorandum_date": "2018-09-17", "in_force_from": "2018-09-17"}
    sochi_dmz_dates = {"memorandum_date": "2018-09-17", "in_force_from": "2018-10-15"}
    moscow = {"memorandum_date": "2020-03-05", "in_force_from": "2020-03-06"}

    features = [
        _feature(
            "south",
            2,
            v1["south"],
            **names["south"],
            status="in force",
            memorandum_date="2017-07-07",
            in_force_from="2017-07-09",
            valid_from="2017-07-09",
            method=same.format(
                v=1,
                why=(
                    "the US-Russia-Jordan ceasefire covered the rebel-held parts of Daraa and "
                    "Quneitra already drawn; Sweida is named but was government-held, so the zone "
                    "is not extended into it."
                ),
            ),
            sources="AFP, 8 Jul 2017; UPI, 9 Jul 2017; RT, Jul 2017 (Russian military police "
            "posts, 21-22 Jul); Globe Post, 11 Nov 2017 (Amman Memorandum of Principles)",
            note="The US-Russia-Jordan ceasefire in the south-west took effect at 12:00 on "
            "9 July 2017.",
        ),
        _feature(
            "eastern_ghouta",
            2,
            v1["eastern_ghouta"],
            **names["eastern_ghouta"],
            status="agreed",
            memorandum_date="2017-07-22",
            in_force_from="2017-07-22",
            valid_from="2017-07-22",
            method=same.format(
                v=1,
                why=(
                    "the Cairo agreement fixed the zone's borders but they were not published, "
                    "and version 1 already follows the enclave's reported towns."
                ),
            ),
            sources="Russian Defence Ministry via Global Times, 22 Jul 2017; Sputnik Arabic, "
            "18 Aug 2017 (Faylaq al-Rahman joins)",
            note="The Eastern Ghouta agreement signed in Cairo fixed the borders of the zone.",
        ),
        _feature(
            "northern_homs",
            2,
            v1["northern_homs"],
            **names["northern_homs"],
            status="agreed",
            memorandum_date="2017-07-31",
            in_force_from="2017-08-03",
            valid_from="2017-08-03",
            method=same.format(
                v=1,
                why=(
                    "the zone agreed in Cairo (84 settlements) was not mapped publicly, and "
                    "version 1 already follows Rastan, Talbiseh and Houla."
                ),
            ),
            sources="TASS, 3 Aug 2017; Konashenkov, 3 Aug 2017",
            note="The northern Homs zone agreed in Cairo on 31 July took effect: 84 "
            "settlements, more than 147,000 people, 2 checkpoints and 3 posts.",
        ),
        _feature(
            "idlib",
            2,
            v1["idlib"],
            **names["idlib"],
            status="agreed",
            **astana_6,
            valid_from="2017-09-15",
            method=same.format(
                v=1, why=("Astana-6 agreed the Idlib boundaries, but no map was published.")
            ),
            sources="TRT World, 15 Sep 2017; Trend, 2 Sep 2017; Daily Sabah, Oct 2017 "
            "(Turkish posts); Reuters, 15 Feb 2018",
            note="At Astana-6 the guarantors agreed the Idlib zone's boundaries.",
        ),
        _feature(
            "idlib",
            3,
            idlib_v3,
            **names["idlib"],
            status="agreed",
            **astana_6,
            valid_from="2018-01-21",
            method="Version 2 less the ground east of a hand-drawn line 3-4 km west of "
            "Sinjar and Abu al-Duhur, rejoining the 2017 edge to the north and south; clipped "
            "to the OCHA outline. " + STILL_APPROXIMATE,
            sources="Asharq al-Awsat, Jan 2018 (Sinjar); AFP, Jan 2018 (Abu al-Duhur airbase)",
            note="The government took Abu al-Duhur airbase on 20-21 January 2018, after "
            "Sinjar in early January, shrinking the zone's eastern edge.",
        ),
        _feature(
            "eastern_ghouta",
            3,
            v1["eastern_ghouta"],
            **names["eastern_ghouta"],
            status="ended",
            memorandum_date="2017-07-22",
            in_force_from="2017-07-22",
            valid_from="2018-04-14",
            method="Last geometry (version 2) kept to show where the zone was when it ended. "
            + STILL_APPROXIMATE,
            sources="ISW, Mar 2018; Xinhua, Mar 2018; Rudaw, Apr 2018",
            note="The zone ended with the government offensive, after the Douma deal and the "
            "flag raised in Douma on 12 April 2018.",
        ),
        _feature(
            "northern_homs",
            3,
            v1["northern_homs"],
            **names["northern_homs"],
            status="ended",
            memorandum_date="2017-07-31",
            in_force_from="2017-08-03",
            valid_from="2018-05-16",
            method="Last geometry (version 2) kept to show where the zone was when it ended. "
            + STILL_APPROXIMATE,
            sources="Xinhua, 16 May 2018",
            note="The zone ended with the surrender and evacuation of northern Homs, "
            "completed on 16 May 2018 (more than 27,000 people left).",
        ),
        _feature(
            "south",
            3,
            v1["south"],
            **names["south"],
            status="ended",
            memorandum_date="2017-07-07",
            in_force_from="2017-07-09",
            valid_from="2018-07-31",
            method="Last geometry (version 2) kept to show where the zone was when it ended. "
            + STILL_APPROXIMATE,
            sources="Xinhua, Jun-Jul 2018 (Busra al-Harir, 26 Jun; Nasib, 6 Jul)",
            note="The zone ended with the southern offensive when the ISIS Yarmouk pocket was "
            "taken on 31 July 2018.",
        ),
        _feature(
            "sochi_dmz",
            1,
            dmz_v1,
            **dmz_names,
            status="agreed",
            **sochi_dmz_dates,
            valid_from="2018-09-17",
            method="The part of Idlib version 3 within 17.5 km (middle of the agreed 15-20 km) "
            "of government-held ground, buffered in an equal-area projection (LAEA 35N 38.5E); "
            "the Turkish border and Turkish-held Afrin do not count as a contact line. "
            + STILL_APPROXIMATE,
            sources="Daily Sabah, 17 Sep 2018",
            note="The Sochi memorandum created a 15-20 km demilitarised zone, heavy weapons "
            "out by 10 October and radicals by 15 October 2018.",
        ),
        _feature(
            "idlib",
            4,
            idlib_v4,
            **names["idlib"],
            status="agreed",
            **sochi,
            valid_from="2019-08-23",
            method="Version 3 less the southern pocket, cut along a hand-drawn line about "
            "3-5 km north of Khan Shaykhun from the western to the eastern edge; clipped to "
            "the OCHA outline. " + STILL_APPROXIMATE,
            sources="Novaya Gazeta, Jun 2019; SOHR/AFP, 21 Aug 2019 (Khan Shaykhun); AFP, "
            "23 Aug 2019 (Kafr Zita, Latamneh, Morek)",
            note="After Khan Shaykhun fell on 21 August 2019, Kafr Zita, Latamneh and Morek "
            "were taken on 22-23 August, ending the southern pocket.",
        ),
        _feature(
            "sochi_dmz",
            2,
            dmz_v2,
            **dmz_names,
            status="agreed",
            **sochi_dmz_dates,
            valid_from="2019-08-23",
            method="Version 1 clipped to Idlib version 4; the belt was not redrawn along the "
            "new line. " + STILL_APPROXIMATE,
            sources="Daily Sabah, 17 Sep 2018; AFP, Aug 2019",
            note="The part of the demilitarised zone in the southern pocket was lost with "
            "Khan Shaykhun, Kafr Zita, Latamneh and Morek on 21-23 August 2019.",
        ),
        _feature(
            "idlib",
            5,
            idlib_v5,
            **names["idlib"],
            status="in force",
            **moscow,
            valid_from="2020-03-06",
            method="Version 4 less everything east of a hand-drawn line 1.5-3 km west of the "
            "M5 (Maarat al-Numan, Saraqib, towards Aleppo, east of Al Atarib and Darat Izza) "
            "and south of about 35.625N, just south of Jabal al-Zawiya; clipped to the OCHA "
            "outline. " + STILL_APPROXIMATE,
            sources="The National, Jan 2020 (Maarat al-Numan, 28 Jan); Daily Sabah, Feb 2020 "
            "(Saraqib); PA-X 2273 (Moscow Additional Protocol, 5 Mar 2020)",
            note="The Moscow Additional Protocol ceasefire took effect at 00:01 on 6 March "
            "2020 with the government holding the whole M5.",
        ),
        _feature(
            "sochi_dmz",
            3,
            dmz_v2,
            **dmz_names,
            status="ended",
            **sochi_dmz_dates,
            valid_from="2020-03-06",
            method="Last geometry (version 2) kept to show where the zone was when it ended. "
            + STILL_APPROXIMATE,
            sources="PA-X 2273 (Moscow Additional Protocol, 5 Mar 2020)",
            note="The demilitarised zone was superseded by the Moscow Additional Protocol's "
            "ceasefire and M4 corridor on 6 March 2020.",
        ),
        _feature(
            "m4_corridor",
            1,
            corridor,
            **corridor_names,
            status="in force",
            **moscow,
            valid_from="2020-03-06",
            method="A 6 km buffer either side of the M4, computed in an equal-area projection "
            "(LAEA 35N 38.5E) round a polyline from Trumba (2 km west of Saraqib) through "
            "Ariha, Muhambal and Jisr al-Shughur to the M4's approach to the Lattakia boundary "
            "at 35.78N 36.21E, standing in for Ain al-Havr, which is not in GeoNames. "
            + STILL_APPROXIMATE,
            sources="PA-X 2273 (Moscow Additional Protocol, 5 Mar 2020); GeoNames cities500",
            note="The Moscow Additional Protocol set a security corridor 6 km north and 6 km "
            "south of the M4, with joint patrols from Trumba to Ain al-Havr from 15 March.",
        ),
    ]
    return {"type": "FeatureCollection", "features": features}


def main() -> None:
    collection = BUILD_ZONES._rounded(build())
    OUT.write_text(json.dumps(collection, ensure_ascii=False, indent=1) + "\n", "utf-8")
    for f in collection["features"]:
        p = f["properties"]
        km2 = area_km2(shape(f["geometry"]))
        print(f"{p['zone_id']:15} v{p['version']} {p['valid_from']} {p['status']:9} {km2:8.0f} km²")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
