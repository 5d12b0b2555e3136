"""Write data/events/curated_strikes.csv: reported strikes of May-June 2017.

Each row is one reported strike from public reporting gathered in ZONES-NOTES.md
(section 5), in the ZoneWatch event format. No report names the exact spot of the
Raqqa-Palmyra convoy strikes, so those are placed on the route and marked
``approximate``. Kept as a script so the derivation of every coordinate is visible.

    uv run python scripts/curated_strikes.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from geo.schema import EVENT_COLUMNS  # noqa: E402

VERSION = "2026-11 (ZoneWatch curated)"

RAQQA = (35.95283, 39.00788)  # GeoNames 172955
TADMUR = (34.5624, 38.28402)  # GeoNames 163808
# Al-Tanf is not in the GeoNames file; this is the garrison's widely reported position.
AL_TANF = (33.50, 38.65)


def midpoint(a, b, t=0.5):
    return (round(a[0] + (b[0] - a[0]) * t, 4), round(a[1] + (b[1] - a[1]) * t, 4))


ROWS = [
    {
        "dataset_id": "2017-05-25-raqqa-palmyra-convoy",
        "date_start": "2017-05-25",
        "date_end": "2017-05-25",
        "date_precision": "day",
        "point": midpoint(RAQQA, TADMUR),
        "location_precision": "approximate",
        "event_type": "Air strike",
        "sub_event_type": "Strike on a convoy",
        "actor1": "Russian Aerospace Forces",
        "actor2": "Islamic State (ISIS)",
        "fatalities_best": "120",
        "fatalities_low": "120",
        "fatalities_high": "",
        "admin1": "",
        "admin2": "",
        "location": "Southern corridor between Raqqa and Palmyra (placed midway; "
        "no report names the spot)",
        "source": "Russian Defence Ministry, announced Saturday 27 May 2017 and dated by it to "
        "25 May; reported by Interfax (27 May 2017) and Asharq Al-Awsat",
        "source_url": "https://www.interfax.ru/amp/564105",
        "notes": "A convoy of 39 armed pick-ups leaving Raqqa towards Palmyra. Two accounts: "
        "Asharq Al-Awsat reported 39 trucks and some 120 fighters destroyed; Interfax quoted "
        "32 of the 39 trucks destroyed and more than 120 fighters killed.",
    },
    {
        "dataset_id": "2017-05-28-raqqa-leaders-meeting",
        "date_start": "2017-05-28",
        "date_end": "2017-05-28",
        "date_precision": "day",
        "point": (35.935, 39.010),
        "location_precision": "approximate",
        "event_type": "Air strike",
        "sub_event_type": "Strike on a leadership meeting",
        "actor1": "Russian Aerospace Forces",
        "actor2": "Islamic State (ISIS)",
        "fatalities_best": "",
        "fatalities_low": "",
        "fatalities_high": "",
        "admin1": "",
        "admin2": "",
        "location": "Southern outskirts of Raqqa",
        "source": "Russian Defence Ministry, announced 16 June 2017 (AP via TIME, 16 Jun 2017)",
        "source_url": "",
        "notes": "Strike on a meeting of ISIS leaders. The ministry claimed Abu Bakr "
        "al-Baghdadi may have been killed; this was not verified.",
    },
    {
        "dataset_id": "2017-05-29-raqqa-southward-convoys",
        "date_start": "2017-05-29",
        "date_end": "2017-05-30",
        "date_precision": "days",
        "point": midpoint(RAQQA, TADMUR, 0.2),
        "location_precision": "approximate",
        "event_type": "Air strike",
        "sub_event_type": "Strike on a convoy",
        "actor1": "Russian Aerospace Forces",
        "actor2": "Islamic State (ISIS)",
        "fatalities_best": "80",
        "fatalities_low": "80",
        "fatalities_high": "",
        "admin1": "",
        "admin2": "",
        "location": "South of Raqqa, on the road towards Palmyra (no place named)",
        "source": "RT, 1 June 2017; TASS",
        "source_url": "",
        "notes": "Three convoys leaving Raqqa southward, night of 29-30 May: more than 80 "
        "fighters, 36 cars, 8 fuel trucks and 17 armed pick-ups (RT). TASS dates it to the "
        "night of 31 May-1 June.",
    },
    {
        "dataset_id": "2017-05-30-palmyra-kalibr",
        "date_start": "2017-05-30",
        "date_end": "2017-05-31",
        "date_precision": "days",
        "point": (34.56, 38.45),
        "location_precision": "approximate",
        "event_type": "Missile strike",
        "sub_event_type": "Cruise missiles (Kalibr)",
        "actor1": "Russian Navy",
        "actor2": "Islamic State (ISIS)",
        "fatalities_best": "",
        "fatalities_low": "",
        "fatalities_high": "",
        "admin1": "",
        "admin2": "",
        "location": "East of Palmyra (no place named)",
        "source": "TASS, 31 May 2017",
        "source_url": "",
        "notes": "4 Kalibr missiles on ISIS targets east of Palmyra, where fighters from "
        "Raqqa had moved.",
    },
    {
        "dataset_id": "2017-06-23-aqirbat-kalibr",
        "date_start": "2017-06-23",
        "date_end": "2017-06-23",
        "date_precision": "day",
        "point": (35.0431, 37.4644),
        "location_precision": "near",
        "event_type": "Missile strike",
        "sub_event_type": "Cruise missiles (Kalibr)",
        "actor1": "Russian Navy",
        "actor2": "Islamic State (ISIS)",
        "fatalities_best": "",
        "fatalities_low": "",
        "fatalities_high": "",
        "admin1": "Hama",
        "admin2": "",
        "location": "Near Aqirbat (‘Uqayribāt, GeoNames 162803)",
        "source": "AFP via The Straits Times, 23 June 2017",
        "source_url": "",
        "notes": "6 Kalibr missiles on ISIS command posts and depots.",
    },
    {
        "dataset_id": "2017-05-18-al-tanf",
        "date_start": "2017-05-18",
        "date_end": "2017-05-18",
        "date_precision": "day",
        "point": (33.68, 38.44),
        "location_precision": "approximate",
        "event_type": "Air strike",
        "sub_event_type": "Strike in the al-Tanf de-confliction zone",
        "actor1": "US-led coalition",
        "actor2": "Pro-government forces",
        "fatalities_best": "",
        "fatalities_low": "",
        "fatalities_high": "",
        "admin1": "Homs",
        "admin2": "",
        "location": "About 27-29 km north-west of the al-Tanf base",
        "source": "Reuters via Orient News; Grasswire (18 May 2017)",
        "source_url": "",
        "notes": "Within the 55 km de-confliction zone around al-Tanf. Placed 28 km "
        "north-west of the base's reported position (about 33.50 N, 38.65 E).",
    },
    {
        "dataset_id": "2017-06-06-al-tanf",
        "date_start": "2017-06-06",
        "date_end": "2017-06-06",
        "date_precision": "day",
        "point": AL_TANF,
        "location_precision": "approximate",
        "event_type": "Air strike",
        "sub_event_type": "Strike in the al-Tanf de-confliction zone",
        "actor1": "US-led coalition",
        "actor2": "Pro-government forces",
        "fatalities_best": "",
        "fatalities_low": "",
        "fatalities_high": "",
        "admin1": "Homs",
        "admin2": "",
        "location": "Al-Tanf de-confliction zone (55 km); placed at the base",
        "source": "US-led coalition strikes in the al-Tanf zone, May-June 2017 (Reuters via "
        "Orient News; Grasswire)",
        "source_url": "",
        "notes": "No place within the zone is named.",
    },
    {
        "dataset_id": "2017-06-08-al-tanf",
        "date_start": "2017-06-08",
        "date_end": "2017-06-08",
        "date_precision": "day",
        "point": AL_TANF,
        "location_precision": "approximate",
        "event_type": "Air strike",
        "sub_event_type": "Strike in the al-Tanf de-confliction zone",
        "actor1": "US-led coalition",
        "actor2": "Pro-government forces",
        "fatalities_best": "",
        "fatalities_low": "",
        "fatalities_high": "",
        "admin1": "Homs",
        "admin2": "",
        "location": "Al-Tanf de-confliction zone (55 km); placed at the base",
        "source": "US-led coalition strikes in the al-Tanf zone, May-June 2017 (Reuters via "
        "Orient News; Grasswire)",
        "source_url": "",
        "notes": "No place within the zone is named.",
    },
    {
        "dataset_id": "2017-06-18-jadin-su22",
        "date_start": "2017-06-18",
        "date_end": "2017-06-18",
        "date_precision": "day",
        "point": (35.76, 38.55),
        "location_precision": "approximate",
        "event_type": "Shoot-down",
        "sub_event_type": "Aircraft shot down",
        "actor1": "US Navy (F/A-18E)",
        "actor2": "Syrian Arab Air Force (Su-22)",
        "fatalities_best": "",
        "fatalities_low": "",
        "fatalities_high": "",
        "admin1": "Ar Raqqa",
        "admin2": "",
        "location": "Near Ja'Din, south of Tabqa (35.8376 N, 38.5483 E)",
        "source": "CENTCOM via Naval Today, 19 June 2017",
        "source_url": "",
        "notes": "The Su-22 had bombed SDF positions near Ja'Din.",
    },
]

COLUMNS = list(EVENT_COLUMNS)

if __name__ == "__main__":
    out = ROOT / "data/events/curated_strikes.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in ROWS:
            row = dict(row)
            lat, lon = row.pop("point")
            writer.writerow(
                {
                    **row,
                    "latitude": lat,
                    "longitude": lon,
                    "dataset": "curated",
                    "dataset_version": VERSION,
                }
            )
    print(f"wrote {out} ({len(ROWS)} events)")
