"""The Matches page's logic (geo.matching.review): the review order, states from
decisions, paging, both records side by side, the history and the link's map layers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.matching import review as R


def _links(scores, km=None) -> pd.DataFrame:
    n = len(scores)
    return pd.DataFrame(
        {
            "link_key": [f"acled:{i}|ucdp:{i}" for i in range(n)],
            "a_dataset": ["acled"] * n,
            "a_id": [str(i) for i in range(n)],
            "b_dataset": ["ucdp"] * n,
            "b_id": [str(i) for i in range(n)],
            "score": scores,
            "km": km if km is not None else [1.0] * n,
            "reasons": ["dates overlap; 1.0 km apart"] * n,
        }
    )


def test_best_and_doubtful_first_alternates_and_keeps_the_middle_last():
    links = _links([0.70, 0.95, 0.61, 0.80, 0.65, 0.90])
    ordered = R.review_order(links)
    # best, most doubtful, second best, second most doubtful, ... each link once
    assert ordered["score"].tolist() == [0.95, 0.61, 0.90, 0.65, 0.80, 0.70]
    assert sorted(ordered["link_key"]) == sorted(links["link_key"])
    assert R.review_order(links, R.BEST)["score"].tolist() == sorted(links["score"], reverse=True)
    assert R.review_order(links, R.DOUBTFUL)["score"].tolist() == sorted(links["score"])


def test_equal_scores_order_nearer_first_among_the_best_and_is_stable():
    links = _links([0.9, 0.9, 0.9], km=[5.0, 1.0, 3.0])
    assert R.review_order(links, R.BEST)["km"].tolist() == [1.0, 3.0, 5.0]
    assert R.review_order(links, R.DOUBTFUL)["km"].tolist() == [5.0, 3.0, 1.0]
    shuffled = links.sample(frac=1, random_state=3)
    pd.testing.assert_frame_equal(R.review_order(shuffled), R.review_order(links))
    with pytest.raises(ValueError, match="unknown order"):
        R.review_order(links, "random")
    assert R.review_order(links.iloc[:0]).empty


def test_state_is_the_latest_decision_of_each_link():
    links = _links([0.9, 0.8, 0.7])
    decisions = pd.DataFrame(
        {
            "link_key": [links.link_key[0], links.link_key[0], links.link_key[1]],
            "version": [1, 2, 1],
            "decision": ["accept", "reject", "accept"],
            "who": ["ana", "bo", "ana"],
            "at": ["2026-01-01T10:00:00", "2026-01-02T10:00:00", "2026-01-01T11:00:00"],
            "note": ["", "not the same village", ""],
        }
    ).iloc[::-1]  # in any order: the latest version counts
    state = R.with_state(links, decisions)
    assert state["state"].tolist() == [R.REJECTED, R.ACCEPTED, R.UNDECIDED]
    assert R.with_state(links, decisions.iloc[:0])["state"].eq(R.UNDECIDED).all()
    assert R.only(state, R.REJECTED)["link_key"].tolist() == [links.link_key[0]]
    assert len(R.only(state, None)) == 3
    hist = R.history(decisions, links.link_key[0])
    assert hist["version"].tolist() == [1, 2]
    assert hist["decision"].tolist() == ["accept", "reject"]
    assert hist["note"].tolist()[1] == "not the same village"
    assert R.history(decisions, "none|none").empty


def test_pages_of_links():
    links = _links(list(np.linspace(0.6, 1.0, 120)))
    assert R.page_count(120, 50) == 3 and R.page_count(0, 50) == 1
    assert len(R.page(links, 3, 50)) == 20
    assert R.page(links, 99, 50).index.tolist() == list(range(100, 120))  # clamped to last
    assert R.page(links, 0, 50).index.tolist() == list(range(50))


def _record(**kw) -> dict:
    row = {
        "dataset": "ucdp",
        "dataset_id": "243561",
        "date_start": pd.Timestamp("2017-05-25"),
        "date_end": pd.Timestamp("2017-05-25"),
        "date_precision": "day",
        "location": "Raqqa-Homs road",
        "admin1": "Homs",
        "admin2": "Tadmur",
        "actor1": "Government of Syria",
        "actor2": "IS",
        "event_type": "State-based conflict",
        "sub_event_type": None,
        "fatalities_best": 50.0,
        "fatalities_low": 45.0,
        "fatalities_high": np.nan,
        "location_precision": "near",
        "latitude": 34.9,
        "longitude": 38.6,
        "source": "SOHR",
    }
    row.update(kw)
    return row


def test_side_by_side_names_every_field_of_both_records():
    link = _links([0.9]).iloc[0]
    a = _record(dataset="acled", dataset_id="SYR1", date_end=pd.Timestamp("2017-05-27"),
                sub_event_type="Armed clash", fatalities_low=None)  # fmt: skip
    table = R.side_by_side(link, a, _record())
    assert table[""].tolist() == list(R.FIELDS)
    assert list(table.columns) == ["", "A: acled", "B: ucdp"]
    col = dict(zip(table[""], table["A: acled"], strict=True))
    assert col["Record"] == "acled:SYR1"
    assert col["Dates"] == "2017-05-25 to 2017-05-27 (day)"
    assert col["Actors"] == "Government of Syria vs IS"
    assert col["Type"] == "State-based conflict / Armed clash"
    assert col["Admin 1 / admin 2"] == "Homs / Tadmur"
    assert col["Fatalities (best, low-high)"] == "50"
    other = dict(zip(table[""], table["B: ucdp"], strict=True))
    assert other["Fatalities (best, low-high)"] == "50 (45-?)"
    assert other["Dates"] == "2017-05-25 (day)"
    assert other["Position (lat, lon)"] == "34.9000, 38.6000"
    missing = R.side_by_side(link, None, _record())
    assert missing["A: acled"].tolist()[:2] == ["acled:0", "(not in the store)"]


def test_reasons_and_merged_texts():
    assert R.reasons_list("dates overlap; 1.0 km apart; ") == ["dates overlap", "1.0 km apart"]
    assert R.reasons_list(["a", "b"]) == ["a", "b"] and R.reasons_list(None) == []
    merged = {5: "ucdp:1; ucdp:2"}
    assert R.merged_texts(merged, [4, 5]).tolist() == ["", "ucdp:1; ucdp:2"]
    assert R.merged_texts(pd.Series({4: "acled:9"}), [4, 5]).tolist() == ["acled:9", ""]
    assert R.counted_note(12057, 14346) == "12,057 events, each counted once, from 14,346 records"
    assert R.counted_note(1, 2, 3) == "1 event, each counted once, from 2 of 3 records"


def test_last_build_in_words():
    assert R.last_build(pd.DataFrame()) is None
    builds = pd.DataFrame(
        {
            "build_id": ["x", "y"],
            "at": ["2026-12-01T10:00:00+00:00", "2026-12-06T13:05:09+00:00"],
            "who": ["ana", "bo (CLI)"],
            "events": [100, 16566],
            "links": [3, 1234],
            "seconds": [1.0, 12.4],
        }
    )
    assert R.last_build(builds) == (
        "Last build: 2026-12-06 13:05 UTC by bo (CLI): 1,234 links among 16,566 events (12 s)."
    )


def test_the_map_of_a_link_has_both_records_and_a_line_between():
    link = _links([0.9]).iloc[0]
    a = _record(dataset="acled", dataset_id="SYR1", latitude=35.0, location_precision="exact")
    layers = R.pair_shapes(link, a, _record())
    assert [s.name for s in layers] == ["A: acled:SYR1", "B: ucdp:243561", "11.1 km apart"]
    # each record: a dot and the area its precision stands for (3 km exact, 10 km near)
    assert [len(s.items) for s in layers[:2]] == [2, 2]
    dot, area = layers[1].items
    assert "within 10 km" in area[0]
    assert area[1].contains(dot[1]) and area[1].bounds[3] - 34.9 == pytest.approx(10 / 111.32)
    line = layers[2].items[0][1]
    assert list(line.coords) == [(38.6, 35.0), (38.6, 34.9)]
    # one record missing, or both at one point: no line
    assert [s.name for s in R.pair_shapes(link, None, _record())] == ["B: ucdp:243561"]
    assert len(R.pair_shapes(link, _record(), _record())) == 2
