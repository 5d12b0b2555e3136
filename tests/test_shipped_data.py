"""The shipped layers, loaded from the real files and checked against independent counts."""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import DATA, stdlib_rows
from geo import shipped
from geo.sources import ucdp


@pytest.fixture(scope="module")
def events():
    return shipped.events()


def test_ucdp_rows_all_loaded(events):
    raw = stdlib_rows(DATA / "ucdp" / "ged_syria.csv")
    assert len(raw) == 16566
    ucdp_events = events[events["dataset"] == "ucdp"]
    assert len(ucdp_events) == len(raw)
    assert set(ucdp_events["dataset_id"]) == {r["id"] for r in raw}


def test_ucdp_fields_match_the_csv(events):
    raw = stdlib_rows(DATA / "ucdp" / "ged_syria.csv")
    mine = events[events["dataset"] == "ucdp"].set_index("dataset_id")
    by_year = Counter(r["date_start"][:4] for r in raw)
    assert dict(Counter(mine["date_start"].dt.strftime("%Y"))) == dict(by_year)
    assert int(mine["fatalities_best"].sum()) == sum(int(r["best"]) for r in raw)
    types = Counter(ucdp.TYPE_OF_VIOLENCE[int(r["type_of_violence"])] for r in raw)
    assert dict(Counter(mine["event_type"])) == dict(types)
    sample = raw[1234]
    row = mine.loc[sample["id"]]
    assert row["actor1"] == sample["side_a"] and row["actor2"] == sample["side_b"]
    assert row["latitude"] == pytest.approx(float(sample["latitude"]))
    assert row["location"] == sample["where_coordinates"]
    assert not row["source"].startswith('"')
    assert row["location_precision"] == ucdp.WHERE_PREC[int(sample["where_prec"])]


def test_founding_convoy_strike_keeps_both_accounts(events):
    convoy = events[events["dataset_id"] == "2017-05-25-raqqa-palmyra-convoy"]
    assert len(convoy) == 1
    row = convoy.iloc[0]
    assert row["date_start"].strftime("%Y-%m-%d") == "2017-05-25"
    assert row["location_precision"] == "approximate"
    assert "Asharq Al-Awsat" in row["notes"] and "Interfax" in row["notes"]
    assert "39" in row["notes"] and "32 of the 39" in row["notes"]
    assert "27 May 2017" in row["source"]
    # On the corridor between Raqqa (35.95, 39.01) and Palmyra (34.56, 38.28).
    assert 34.56 < row["latitude"] < 35.95 and 38.28 < row["longitude"] < 39.01


def test_every_curated_strike_has_a_source(events):
    curated = events[events["dataset"] == "curated"]
    assert len(curated) == len(stdlib_rows(DATA / "events" / "curated_strikes.csv"))
    assert (curated["source"].str.len() > 5).all()


REQUIRED_PLACES = [
    "Raqqa",
    "Palmyra (Tadmur)",
    "Ain Issa",
    "Idlib",
    "Homs",
    "Hama",
    "Aleppo",
    "Damascus",
    "Douma",
    "Rastan",
    "Talbiseh",
    "Daraa",
    "Quneitra",
    "Deir ez-Zor",
    "Latakia",
]


def test_places_have_the_required_towns_with_both_names():
    places = shipped.places()
    assert len(places) == len(stdlib_rows(DATA / "geonames" / "geonames_sy_cities500.csv"))
    named = places.set_index("name_en")
    for name in REQUIRED_PLACES:
        assert name in named.index, name
        assert named.loc[name, "name_ar"], name
        assert named.loc[name, "label_zoom"] <= 8, name
    assert named.loc["Palmyra (Tadmur)", "name_ar"] == "تدمر"
    assert (places["name_ar"] != "").sum() >= 300


def test_governorates_and_outline():
    gov = shipped.admin(1)
    assert len(gov) == 14
    assert set(gov["pcode"]) == {f"SY{i:02d}" for i in range(1, 15)}
    assert gov["name_ar"].str.len().min() > 0
    assert len(shipped.admin(0)) == 1
