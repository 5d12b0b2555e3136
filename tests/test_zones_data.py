"""The four shipped zones: properties, and agreement with the reported towns."""

from __future__ import annotations

import pytest
import shapely

from geo import shipped

# (lon, lat, inside?) from ../shared/ZONES-NOTES.md, section 2: R = reported, I = inferred.
TOWNS = {
    "idlib": [
        ("Idlib", 36.6339, 35.9306, True),
        ("Jisr ash-Shughur", 36.3198, 35.8142, True),
        ("Maarat an-Numan", 36.6769, 35.6483, True),
        ("Khan Shaykhun", 36.6510, 35.4421, True),
        ("Saraqib", 36.8059, 35.8645, True),
        ("Morek", 36.6897, 35.3762, True),
        ("Kafr Zita", 36.6033, 35.3743, True),
        ("Abu al-Duhur", 37.0448, 35.7406, True),
        ("Sinjar", 37.0047, 35.5901, True),
        ("Darat Izza", 36.8522, 36.2825, True),
        ("Suqaylabiyah", 36.3936, 35.3667, False),
        ("Rabia", 36.0382, 35.7866, False),
        ("Kinsabba", 36.1640, 35.7441, False),
        ("Aleppo", 37.16117, 36.20124, False),
    ],
    "northern_homs": [
        ("Rastan", 36.7324, 34.9267, True),
        ("Talbiseh", 36.7309, 34.8407, True),
        ("Kafr Laha", 36.4958, 34.8947, True),
        ("Taldou", 36.5240, 34.8763, True),
        ("Homs", 36.7256, 34.7240, False),
        ("Hama", 36.7578, 35.1318, False),
        ("Al Qabw", 36.4549, 34.8432, False),
    ],
    "eastern_ghouta": [
        ("Douma", 36.4027, 33.5718, True),
        ("Harasta", 36.3651, 33.5587, True),
        ("Irbin", 36.3663, 33.5372, True),
        ("Kafr Batna", 36.3727, 33.5117, True),
        ("An Nashabiyah", 36.4857, 33.5105, True),
        ("Jaramana", 36.3461, 33.4862, False),
        ("Damascus", 36.29128, 33.5102, False),
    ],
    "south": [
        ("Daraa", 36.1021, 32.6189, True),
        ("Nawa", 36.0391, 32.8865, True),
        ("Inkhil", 36.1283, 33.0181, True),
        ("Al Muzayrib", 36.0275, 32.7108, True),
        ("Busra ash-Sham", 36.4816, 32.5174, True),
        ("Al Hirak", 36.3058, 32.7495, True),
        ("Tasil (ISIS pocket)", 35.9697, 32.8340, False),
        ("Izra", 36.2507, 32.8671, False),
        ("As Sanamayn", 36.1832, 33.0719, False),
    ],
}


@pytest.fixture(scope="module")
def zones():
    z = shipped.zones()
    return z[z["valid_from"] == "2017-05-06"].set_index("zone_id")  # the memorandum's zones


def test_four_proposed_approximate_zones(zones):
    assert sorted(zones.index) == ["eastern_ghouta", "idlib", "northern_homs", "south"]
    for zone_id, z in zones.iterrows():
        assert z["status"] == "proposed"
        assert z["boundary_precision"] == "approximate"
        assert str(z["memorandum_date"])[:10] == "2017-05-04"
        assert str(z["in_force_from"])[:10] == "2017-05-06"
        assert z["name_en"] and z["name_ar"], zone_id
        assert any("\u0600" <= ch <= "\u06ff" for ch in z["name_ar"])
        assert "No official map" in z["method"]
        assert z["sources"]
        assert z.geometry.is_valid and z.geometry.geom_type in ("Polygon", "MultiPolygon")


@pytest.mark.parametrize(
    ("zone_id", "town", "lon", "lat", "inside"),
    [(z, *t) for z, towns in TOWNS.items() for t in towns],
)
def test_reported_towns_fall_on_the_right_side(zones, zone_id, town, lon, lat, inside):
    assert zones.loc[zone_id].geometry.covers(shapely.Point(lon, lat)) is inside


def test_zones_lie_in_syria_and_do_not_overlap(zones):
    outline = shipped.admin(0).geometry.union_all()
    for zone_id, z in zones.iterrows():
        # Border edges are simplified to 0.0005° (about 50 m) when the file is built.
        assert outline.buffer(0.001).covers(z.geometry), zone_id
    geoms = list(zones.geometry)
    for i, a in enumerate(geoms):
        for b in geoms[i + 1 :]:
            assert a.intersection(b).area == 0


def test_eastern_ghouta_is_about_the_reported_size(zones):
    # Reported: about 100 km² (Al Jazeera, May 2017, citing Siege Watch).
    area = zones.loc[["eastern_ghouta"]].to_crs("ESRI:54034").area.iloc[0] / 1e6
    assert 70 < area < 160
