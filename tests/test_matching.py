"""Matching the same event across datasets: each rule on small hand-made frames, the indexed
candidate search against all pairs, groups and counting each event once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.errors import DataFileError
from geo.matching import (
    Rules,
    count_once,
    default_aliases,
    explain,
    group_labels,
    groups,
    match_events,
    parse_aliases,
)
from geo.matching.links import Prepared, haversine_km, score_pairs
from geo.schema import EVENT_COLUMNS, validate_events

GOV_UCDP, GOV_ACLED = "Government of Syria", "Military Forces of Syria (2000-)"
REBELS_UCDP, REBELS_ACLED = "Syrian insurgents", "Opposition Rebels (Syria)"
# Points north of Hama; 0.009 degrees of latitude is about 1 km.
LAT, LON = 35.30, 36.60


def _event(**overrides) -> dict:
    row = {c: "" for c in EVENT_COLUMNS}
    row.update(
        date_start="2017-05-10",
        date_end="2017-05-10",
        date_precision="day",
        latitude=str(LAT),
        longitude=str(LON),
        location_precision="exact",
        event_type="State-based conflict",
        actor1=GOV_UCDP,
        actor2=REBELS_UCDP,
        fatalities_best="3",
        dataset="ucdp",
        dataset_id="u1",
    )
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def _acled(**overrides) -> dict:
    base = dict(
        event_type="Battles",
        actor1=GOV_ACLED,
        actor2=REBELS_ACLED,
        fatalities_best="2",
        dataset="acled",
        dataset_id="a1",
    )
    base.update(overrides)
    return _event(**base)


def _frame(*rows: dict) -> pd.DataFrame:
    return validate_events(pd.DataFrame(list(rows)), "test")


def _linked(*rows: dict) -> bool:
    return not match_events(_frame(*rows)).empty


# --- each rule -------------------------------------------------------------------------


def test_the_same_clash_is_linked_with_a_score_and_its_reasons():
    links = match_events(_frame(_event(), _acled(latitude=LAT + 0.009)))
    assert len(links) == 1
    link = links.iloc[0]
    assert (link["dataset_a"], link["id_a"], link["dataset_b"], link["id_b"]) == (
        "acled", "a1", "ucdp", "u1",
    )  # fmt: skip
    assert 0.9 < link["score"] <= 1.0 and link["best"]
    assert link["days_apart"] == 0 and 0.9 < link["km"] < 1.1 and link["km_allowed"] == 6
    reasons = " | ".join(link["reasons"])
    assert "dates overlap" in reasons and "1.0 km apart (within 6 km)" in reasons
    assert "types: Battles ~ State-based conflict" in reasons
    assert "both sides correspond (syria_government, syria_insurgents)" in reasons
    assert "fatalities 2 ~ 3" in reasons


def test_reasons_can_be_had_later_for_links_matched_without():
    events = _frame(_event(), _acled(latitude=LAT + 0.009))
    links = match_events(events, with_reasons=False)
    assert links["reasons"].isna().all()
    assert explain(events, links) == match_events(events)["reasons"].tolist()


def test_a_day_apart_links_for_day_precision_and_two_days_do_not():
    assert _linked(_event(), _acled(date_start="2017-05-11", date_end="2017-05-11"))
    assert not _linked(_event(), _acled(date_start="2017-05-12", date_end="2017-05-12"))


def test_coarser_dates_have_a_wider_tolerance():
    later = dict(date_start="2017-05-14", date_end="2017-05-14")
    assert not _linked(_event(), _acled(**later))
    assert _linked(_event(), _acled(date_precision="week", **later))


def test_dates_are_widened_to_their_precisions_period_and_no_further():
    # A record whose dates already span its month is not widened by another month.
    month = _event(date_start="2017-05-01", date_end="2017-05-31", date_precision="month")
    assert not _linked(month, _acled(date_start="2017-06-20", date_end="2017-06-20"))
    # One day known only to its month is.
    assert _linked(
        _acled(date_precision="month"), _event(date_start="2017-05-25", date_end="2017-05-25")
    )


def test_overlapping_date_ranges_match_though_their_starts_differ():
    episode = _event(date_start="2017-05-01", date_end="2017-05-06", date_precision="week")
    assert _linked(episode, _acled(date_start="2017-05-05", date_end="2017-05-05"))


def test_distance_follows_both_records_location_precision():
    five_km, eight_km = LAT + 5 * 0.009, LAT + 8 * 0.009
    assert _linked(_event(), _acled(latitude=five_km))  # exact + exact: 6 km
    assert not _linked(_event(), _acled(latitude=eight_km))
    assert _linked(_event(location_precision="near"), _acled(latitude=eight_km))  # 13 km
    sixty_km = LAT + 60 * 0.009
    assert not _linked(_event(location_precision="admin2"), _acled(latitude=sixty_km))
    assert _linked(_event(location_precision="admin1"), _acled(latitude=sixty_km))  # 83 km


def test_types_must_describe_the_same_kind_of_violence():
    assert not _linked(_event(event_type="One-sided violence"), _acled())
    assert _linked(_event(event_type="Non-state conflict"), _acled())
    assert not _linked(_event(), _acled(event_type="Protests"))
    # A type no table knows matches only the same type text (any case).
    assert _linked(_event(event_type="Raid"), _acled(event_type="raid"))


def test_actors_correspond_through_aliases_in_either_order():
    assert _linked(_event(), _acled(actor1=REBELS_ACLED, actor2=GOV_ACLED))
    assert _linked(_event(actor2="IS"), _acled(actor2="Islamic State (Syria)"))
    tiger = "Military Forces of Syria (2000-) Tiger Paramilitary Forces (Qawat al Nimr)"
    assert _linked(_event(), _acled(actor1=tiger))  # a prefix row of the table
    # UCDP lists of groups are split at commas.
    assert _linked(
        _event(event_type="Non-state conflict", actor1="Ahrar al-Sham, HTS, Southern Front",
               actor2="IS"),
        _acled(actor1="Islamic State (Syria)", actor2="HTS: Hayat Tahrir al Sham"),
    )  # fmt: skip


def test_actors_that_contradict_are_not_linked():
    # The army against IS is not the army against the rebels.
    assert not _linked(_event(), _acled(actor2="Islamic State (Syria)"))
    # No side in common at all.
    assert not _linked(_event(actor1="IS", actor2="SDF"), _acled())


def test_an_unknown_actor_neither_agrees_nor_contradicts():
    links = match_events(_frame(_event(), _acled(actor2="Unidentified Armed Group (Syria)")))
    assert len(links) == 1
    assert "one side corresponds, the other unknown" in " ".join(links.iloc[0]["reasons"])
    # A group the table does not list cannot contradict: it may be on any side.
    assert _linked(_event(), _acled(actor2="Ajnad al Sham Islamic Union"))


def test_records_of_one_dataset_are_never_linked():
    assert not _linked(_event(), _event(dataset_id="u2"))


def test_a_record_placed_only_by_country_is_not_linked_to_one_clash():
    year = _event(date_start="2017-01-01", date_end="2017-12-28", date_precision="year",
                  location_precision="country", fatalities_best="663")  # fmt: skip
    assert not _linked(year, _acled(fatalities_best="0"))


def test_the_threshold_and_the_weights_are_settings():
    events = _frame(_event(), _acled(date_start="2017-05-11", date_end="2017-05-11"))
    score = match_events(events).iloc[0]["score"]
    assert match_events(events, rules=Rules(threshold=score + 0.01)).empty


def test_a_link_stays_when_it_is_among_the_best_of_either_record():
    events = _frame(
        _event(dataset_id="u1"),
        _event(dataset_id="u2", latitude=LAT + 0.02),
        _acled(dataset_id="a1", latitude=LAT + 0.001),
        _acled(dataset_id="a2", latitude=LAT + 0.021),
    )
    assert len(match_events(events)) == 4
    links = match_events(events, rules=Rules(max_links=1))
    assert set(zip(links["id_a"], links["id_b"], strict=True)) == {("a1", "u1"), ("a2", "u2")}
    # One record with many links keeps them all when each is the best of the other record.
    villages = [_acled(dataset_id=f"a{k}", latitude=LAT + k * 0.01) for k in range(4)]
    many = _frame(_event(location_precision="admin2"), *villages)
    assert len(match_events(many, rules=Rules(max_links=1))) == 4


# --- the alias table ---------------------------------------------------------------------


def test_the_shipped_alias_table_reads_and_knows_the_main_sides():
    table = default_aliases()
    assert {"syria_government", "syria_insurgents", "islamic_state", "sdf"} <= set(table.sides)
    assert table.lookup("  military forces of syria (2000-) 4th armored division") == {
        "syria_government"
    }
    assert table.lookup("QSD: Syrian Democratic Forces") == {"sdf"}
    assert table.lookup("Operation Euphrates Shield") == {"turkey", "syria_insurgents"}
    assert table.lookup("Someone else") is None


def test_a_bad_alias_table_is_refused_with_the_line():
    with pytest.raises(DataFileError, match="side,name"):
        parse_aliases("actor,alias\nx,y\n")
    with pytest.raises(DataFileError) as err:
        parse_aliases("# comment\nside,name\nsdf,SDF\nonly-a-side\n")
    assert "row 4" in str(err.value)


def test_an_edited_alias_table_changes_the_matches():
    events = _frame(_event(), _acled(actor2="Banner of Tomorrow"))
    table = parse_aliases("side,name\nsyria_government,Government of Syria\n"
                          f"syria_government,{GOV_ACLED}\nrebels,Syrian insurgents\n")  # fmt: skip
    # "Banner of Tomorrow" is unlisted: it cannot contradict (one side agrees).
    assert match_events(events, aliases=table).iloc[0]["actors"] == 1
    table = parse_aliases("side,name\nsyria_government,Government of Syria\n"
                          f"syria_government,{GOV_ACLED}\nrebels,Syrian insurgents\n"
                          "rebels,Banner of Tomorrow\n")  # fmt: skip
    assert match_events(events, aliases=table).iloc[0]["actors"] == 2


# --- the indexed search finds every pair all-pairs would ---------------------------------


def _random_events(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    precisions = ["exact", "near", "approximate", "admin2", "admin1", "region", "country"]
    dates = ["day", "day", "day", "days", "week", "month"]
    start = pd.Timestamp("2017-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    date_prec = rng.choice(dates, n)
    length = np.where(date_prec == "day", 0, rng.integers(0, 9, n))
    actors = [GOV_UCDP, REBELS_UCDP, "IS", "SDF", GOV_ACLED, REBELS_ACLED,
              "Unidentified Armed Group (Syria)"]  # fmt: skip
    rows = [
        _event(
            date_start=start[i].date(),
            date_end=(start[i] + pd.Timedelta(days=int(length[i]))).date(),
            date_precision=date_prec[i],
            latitude=round(35.0 + rng.normal(0, 0.3), 5),
            longitude=round(37.0 + rng.normal(0, 0.3), 5),
            location_precision=rng.choice(precisions, p=[0.4, 0.25, 0.1, 0.1, 0.07, 0.05, 0.03]),
            event_type=rng.choice(
                [
                    "State-based conflict",
                    "Battles",
                    "One-sided violence",
                    "Explosions/Remote violence",
                ]
            ),  # fmt: skip
            actor1=rng.choice(actors),
            actor2=rng.choice(actors),
            fatalities_best=int(rng.integers(0, 5)),
            dataset=rng.choice(["ucdp", "acled", "curated"]),
            dataset_id=f"e{i}",
        )
        for i in range(n)
    ]
    return _frame(*rows)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_indexed_search_finds_exactly_the_links_all_pairs_give(seed):
    events = _random_events(500, seed)
    rules = Rules(chunk_days=7)
    links = match_events(events, rules=rules, with_reasons=False)
    got = set(zip(links["a"], links["b"], strict=True))
    prepared = Prepared(events, rules, default_aliases())
    ds = events["dataset"].to_numpy()
    first, second = np.triu_indices(len(events), k=1)  # every pair once
    pairs = np.column_stack([first, second])[ds[first] != ds[second]]
    brute = score_pairs(prepared, pairs[:, 0], pairs[:, 1], rules)
    want = {
        (a, b) if ds[a] < ds[b] else (b, a) for a, b in zip(brute["a"], brute["b"], strict=True)
    }
    assert len(want) > 50  # the frame is dense enough to test something
    assert got == want
    assert len(links) == len(got)  # each pair found once


def test_progress_is_reported_up_to_the_end():
    seen = []
    match_events(_random_events(200, 3), progress=lambda f, msg: seen.append((f, msg)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert "links" in seen[-1][1]


def test_no_events_give_no_links():
    links = match_events(_frame(_event()).iloc[0:0])
    assert links.empty and list(links.columns)[:2] == ["a", "b"]


def test_haversine_is_the_great_circle_distance():
    # One degree of latitude is 111.2 km on the mean sphere.
    assert abs(haversine_km(35.0, 38.0, 36.0, 38.0) - 111.19) < 0.01


# --- groups and counting once ------------------------------------------------------------


def test_union_find_joins_chains_into_one_group():
    labels = group_labels(6, np.array([4, 1, 3]), np.array([3, 2, 5]))
    assert labels.tolist() == [0, 1, 1, 3, 3, 3]


def test_one_ucdp_record_gathers_the_acled_records_of_its_fighting():
    day = _event(location_precision="admin2", dataset_id="u1")
    villages = [_acled(dataset_id=f"a{k}", latitude=LAT + k * 0.05) for k in range(3)]
    events = _frame(day, *villages)
    links = match_events(events)
    assert links["best"].all() and len(links) == 3
    assert len(set(groups(events, links))) == 1
    # Three ACLED events stay three: the group counts as many events as its largest dataset.
    keep = count_once(events, links)
    assert keep.tolist() == [False, True, True, True]


def test_each_acled_record_joins_only_its_best_ucdp_record():
    near = _event(dataset_id="u1")
    far = _event(dataset_id="u2", latitude=LAT + 0.03, location_precision="near")
    one = _acled(dataset_id="a1")
    other = _acled(dataset_id="a2", latitude=LAT + 0.04)
    events = _frame(near, far, one, other)
    links = match_events(events)
    best = links[links["best"]].set_index("id_a")["id_b"].to_dict()
    assert best == {"a1": "u1", "a2": "u2"}
    assert len(links) == 4 and links["best"].sum() == 2  # a1 ~ u2, a2 ~ u1 are links too
    label = groups(events, links)
    assert label[0] != label[1]  # no chain u1 - a1 - u2


def test_a_pair_keeps_its_most_precisely_located_record():
    events = _frame(_event(location_precision="near"), _acled())
    assert count_once(events, match_events(events)).tolist() == [False, True]
    events = _frame(_event(), _acled(location_precision="near"))
    assert count_once(events, match_events(events)).tolist() == [True, False]


def test_ties_go_to_the_preferred_dataset_then_the_name():
    events = _frame(_event(), _acled())
    links = match_events(events)
    assert count_once(events, links).tolist() == [False, True]  # "acled" before "ucdp"
    assert count_once(events, links, prefer=["ucdp"]).tolist() == [True, False]


def test_count_once_lies_between_the_largest_dataset_and_the_sum():
    events = _random_events(600, 4)
    keep = count_once(events, match_events(events, with_reasons=False))
    counts = events["dataset"].value_counts()
    assert counts.max() <= keep.sum() < counts.sum()
    # Unlinked records are always kept.
    linked = set(match_events(events, with_reasons=False).pipe(
        lambda L: L[L["best"]])[["a", "b"]].to_numpy().ravel())  # fmt: skip
    unlinked = np.setdiff1d(np.arange(len(events)), list(linked))
    assert keep[unlinked].all()


def test_count_once_is_a_mask_over_the_rows_given():
    events = _frame(_event(), _acled()).set_axis([10, 20])
    keep = count_once(events, match_events(events))
    assert keep.dtype == bool and len(keep) == 2
    assert len(events[keep]) == 1
