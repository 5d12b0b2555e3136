"""Build data/zones/astana_2017.geojson: the four de-escalation zones, approximately.

No map of the zones was ever published. Each ring below was drawn by hand through and
around the places that public reporting puts inside or at the edge of a zone, keeping out
the places reported as held by the other side (see ../shared/ZONES-NOTES.md, section 2,
and data/SOURCES.md). Where a zone meets an international border, the ring is drawn past
it and clipped to the OCHA country outline. Run from the repository root:

    uv run python scripts/build_zones.py
"""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
from shapely.geometry import Polygon, mapping
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parents[1]

# (lon, lat) vertices, clockwise from the north-west. Comments name the places they follow.
RINGS = {
    "idlib": [
        (36.10, 36.02),  # into Turkey west of Harim; clipped to the border
        (36.45, 36.45),
        (36.70, 36.33),  # north of Darat Izza, south of Afrin
        (36.95, 36.33),
        (37.08, 36.27),  # western countryside of Aleppo, outside Aleppo city
        (37.08, 36.12),
        (37.02, 36.00),
        (37.10, 35.88),
        (37.16, 35.76),  # beyond Abu al-Duhur (eastern edge in 2017)
        (37.12, 35.60),  # beyond Sinjar
        (37.02, 35.47),
        (36.86, 35.38),
        (36.74, 35.34),  # south of Morek (southern edge)
        (36.58, 35.34),  # south of Kafr Zita
        (36.47, 35.41),
        (36.40, 35.43),  # north of Suqaylabiyah (government-held, outside)
        (36.31, 35.52),
        (36.24, 35.64),
        (36.20, 35.71),  # east of Kinsabba (government-held, outside)
        (36.19, 35.80),  # Jabal al-Akrad, Kabani
        (36.12, 35.88),
    ],
    "northern_homs": [
        (36.46, 34.88),  # east of Al Qabw (outside)
        (36.50, 34.93),  # Houla: Kafr Laha, Taldou
        (36.60, 34.98),  # Harbinafsah
        (36.70, 35.01),
        (36.79, 34.97),  # north of Rastan, well south of Hama
        (36.80, 34.88),
        (36.77, 34.80),  # east of Talbiseh, north of Homs
        (36.69, 34.79),  # Al Ghantu
        (36.60, 34.84),
        (36.52, 34.85),
    ],
    "eastern_ghouta": [
        (36.325, 33.535),  # Jobar
        (36.350, 33.566),  # Harasta
        (36.385, 33.588),
        (36.420, 33.593),  # Douma
        (36.455, 33.575),
        (36.500, 33.530),
        (36.505, 33.495),  # An Nashabiyah, eastern sector
        (36.450, 33.485),
        (36.395, 33.497),
        (36.360, 33.503),  # north-east of Jaramana (outside)
        (36.340, 33.515),
    ],
    "south": [
        (35.86, 33.24),  # Quneitra belt north of Jaba, east of the Golan line
        (36.00, 33.22),
        (36.10, 33.10),
        (36.16, 33.03),  # south-west of As Sanamayn (outside)
        (36.21, 32.94),
        (36.21, 32.89),  # west of Izra (government-held, outside)
        (36.24, 32.83),
        (36.30, 32.85),
        (36.33, 32.95),
        (36.45, 33.10),  # Lajat
        (36.62, 33.05),
        (36.56, 32.85),
        (36.56, 32.62),
        (36.56, 32.40),  # east of Busra ash-Sham, to the Jordanian border
        (36.00, 32.30),  # into Jordan; clipped to the border
        (35.97, 32.68),
        (36.00, 32.78),  # east of the Yarmouk Basin pocket held by ISIS (excluded)
        (35.99, 32.89),
        (35.92, 32.92),
        (35.87, 32.93),
        (35.86, 33.05),  # the Golan line
        (35.81, 33.12),  # Quneitra
        (35.83, 33.20),
    ],
}

ZONES = {
    "idlib": {
        "name_en": "Idlib de-escalation zone (Idlib and parts of Latakia, Hama and Aleppo)",
        "name_ar": "منطقة خفض التصعيد في إدلب وأجزاء من اللاذقية وحماة وحلب",
        "sources": "Memorandum of 4 May 2017 (PA-X 2093); Rudskoy briefing, Syria Times, "
        "5 May 2017; Enab Baladi, May 2018; AFP, Jan 2018 and Aug 2019; Al-Masdar, Aug 2019; "
        "NOW, Mar 2016; The National, Jan 2020; Daily Sabah, Feb 2020",
    },
    "northern_homs": {
        "name_en": "Northern Homs de-escalation zone (Rastan, Talbiseh, Houla)",
        "name_ar": "منطقة خفض التصعيد في ريف حمص الشمالي",
        "sources": "Memorandum of 4 May 2017 (PA-X 2093); Rudskoy briefing, Syria Times, "
        "5 May 2017; Al Jazeera, 3 May 2018; Xinhua, 16 May 2018",
    },
    "eastern_ghouta": {
        "name_en": "Eastern Ghouta de-escalation zone",
        "name_ar": "منطقة خفض التصعيد في الغوطة الشرقية",
        "sources": "Memorandum of 4 May 2017 (PA-X 2093); Sputnik, 6 May 2017; "
        "conflict-news.com, Aug 2017; BBC, Mar 2018; Al Jazeera (Siege Watch), May 2017",
    },
    "south": {
        "name_en": "Southern de-escalation zone (Daraa and Quneitra)",
        "name_ar": "منطقة خفض التصعيد في الجنوب (درعا والقنيطرة)",
        "sources": "Memorandum of 4 May 2017 (PA-X 2093); defenceWeb, Jul 2018; Al-Masdar, "
        "18 Jul 2018; SouthFront, 13 Jul 2018; Muraselon, 30 Jun 2018; Syrian War Daily, "
        "26 Jun 2018; PanARMENIAN, 19 Jul 2018",
    },
}

METHOD = (
    "Approximate polygon drawn by hand through the towns public reporting places inside or "
    "at the edge of the zone, excluding towns reported as government-held; clipped to the "
    "OCHA COD-AB country outline. No official map of the zones was ever published."
)


def build() -> dict:
    """Return the zones as a GeoJSON FeatureCollection."""
    country = pyogrio.read_dataframe(ROOT / "data/ocha/syr_admin0.shp")
    outline = unary_union(country.geometry.values)
    features = []
    for zone_id, ring in RINGS.items():
        shape = Polygon(ring)
        assert shape.is_valid, zone_id
        clipped = shape.intersection(outline)
        clipped = clipped.simplify(0.0005, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "zone_id": zone_id,
                    **ZONES[zone_id],
                    "status": "proposed",
                    "memorandum_date": "2017-05-04",
                    "in_force_from": "2017-05-06",
                    "valid_from": "2017-05-06",
                    "boundary_precision": "approximate",
                    "method": METHOD,
                },
                "geometry": json.loads(json.dumps(mapping(clipped))),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _rounded(obj):
    if isinstance(obj, float):
        return round(obj, 5)
    if isinstance(obj, (list, tuple)):
        return [_rounded(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj


if __name__ == "__main__":
    out = ROOT / "data/zones/astana_2017.geojson"
    out.write_text(json.dumps(_rounded(build()), ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {out}")
