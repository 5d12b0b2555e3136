"""The Matches page (AppTest): build the matches with the button, the list best and doubtful
first with each link's state, both records side by side with the small map, accept and
reject with a note under the session's identity, the decision history, the count-once
total; a viewer sees all of it and may change nothing."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import streamlit as st
from streamlit import config
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from geo.eventindex import EventIndex
from geo.matching import review, stored

TOTAL = re.compile(r"([\d,]+) events, each counted once, from ([\d,]+)(?: of [\d,]+)? records")


def _page() -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("pages/matches.py").run()
    assert not at.exception, at.exception
    return at


def _store(path):
    from geo.store.gpkg import GeoPackageStore

    return GeoPackageStore.open(path)


def _counted(path) -> tuple[int, int]:
    store = _store(path)
    index = EventIndex.from_frame(store.event_columns())
    every = np.ones(len(index), dtype=bool)
    return int(stored.counted_mask(store, index, every).sum()), len(index)


def _total(at: AppTest) -> tuple[int, int]:
    for md in at.markdown:
        found = TOTAL.search(md.value)
        if found:
            return tuple(int(g.replace(",", "")) for g in found.groups())
    raise AssertionError("no 'counted once' total on the page")


def _build(at: AppTest) -> AppTest:
    at.button(key="matches_build").click().run()
    assert not at.exception, at.exception
    return at


def test_build_list_pick_and_decide(fresh_store_path):
    at = _page()
    assert any("No matches are stored yet." in m.value for m in at.markdown)
    assert at.button(key="matches_build").label == "Build the matches"
    _build(at)
    store = _store(fresh_store_path)
    links = store.match_links()
    assert len(links) > 0
    said = [s.value.replace("\\", "") for s in at.success]  # shown as typed (views.text.plain)
    assert f"Matches built: {len(links):,} links stored." in said
    assert any(m.value.replace("\\", "").startswith("Last build: ") for m in at.markdown)
    assert _total(at) == _counted(fresh_store_path)
    before = _total(at)[0]

    # the list: best and doubtful first, each with its state
    shown = at.dataframe[0].value
    want = review.page(review.review_order(review.with_state(links, None)), 1)
    assert shown["score"].tolist() == want["score"].round(3).tolist()
    assert shown["score"].iloc[0] == links["score"].round(3).max()
    assert shown["score"].iloc[1] == links["score"].round(3).min()
    assert set(shown["state"]) == {review.UNDECIDED}

    # pick the second link: both records side by side, the score, the reasons, the map
    pick = at.selectbox(key="matches_pick")
    key = want["link_key"].iloc[1]
    pick.set_value(key).run()
    assert not at.exception, at.exception
    row = want.iloc[1]
    pair = at.table[0].value
    assert pair[""].tolist() == list(review.FIELDS)
    assert pair.iloc[0, 1:].tolist() == [
        f"{row.a_dataset}:{row.a_id}",
        f"{row.b_dataset}:{row.b_id}",
    ]
    assert any(m.value.startswith(f"**Score {row.score:.3f}**") for m in at.markdown)
    maps = at.get("component_instance")
    assert len(maps) == 1
    script = json.loads(maps[0].proto.json_args)["script"]
    assert "window.zw.shapes(" in script and "km apart" in script
    assert any("None yet" in c.value for c in at.caption)

    # reject it with a note: marked rejected, the history names it, the total follows
    at.text_input(key="matches_note").set_value("different villages")
    at.button[-1].click().run()  # the form's last button: Reject
    assert not at.exception, at.exception
    assert any(": rejected (version 1, by " in s.value.replace("\\", "") for s in at.success)
    decisions = _store(fresh_store_path).match_decisions(all_versions=True)
    assert decisions[["link_key", "version", "decision", "note"]].values.tolist() == [
        [key, 1, "reject", "different villages"]
    ]
    assert at.selectbox(key="matches_pick").value == key
    assert any(m.value.startswith(f"**Score {row.score:.3f}** · rejected") for m in at.markdown)
    assert at.dataframe[0].value["state"].tolist()[1] == review.REJECTED
    history = at.dataframe[1].value
    assert history["decision"].tolist() == ["reject"]
    assert history["who"].iloc[0] == decisions["who"].iloc[0] != ""
    assert _total(at) == _counted(fresh_store_path)
    after_reject = _total(at)[0]

    # then accept it: version 2; the list's filter shows it among the accepted only
    at.button[-2].click().run()  # Accept
    assert not at.exception, at.exception
    assert at.dataframe[1].value["decision"].tolist() == [
        "reject",
        "accept",
    ]
    at.radio(key="matches_show").set_value(review.ACCEPTED).run()
    assert at.dataframe[0].value["state"].tolist() == [review.ACCEPTED]
    at.radio(key="matches_show").set_value(review.REJECTED).run()
    assert any("No rejected links." in i.value for i in at.info)
    assert _total(at) == _counted(fresh_store_path)
    assert before >= after_reject - 1 and _total(at)[0] <= after_reject


def test_the_order_choice_and_pages(fresh_store_path):
    stored.build(_store(fresh_store_path), "tester")
    at = _page()
    links = _store(fresh_store_path).match_links()
    at.selectbox(key="matches_order").set_value(review.DOUBTFUL).run()
    scores = at.dataframe[0].value["score"].tolist()
    assert scores == sorted(scores) and scores[0] == links["score"].round(3).min()
    pages = review.page_count(len(links))
    at.number_input(key="matches_page").set_value(pages + 5).run()
    assert not at.exception, at.exception
    assert at.number_input(key="matches_page").value == pages
    assert len(at.dataframe[0].value) == len(links) - (pages - 1) * 50


@pytest.fixture
def on_the_network():
    """The app as served to the network without sign-in: everyone a viewer."""
    old = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", old)


def test_a_viewer_sees_the_matches_and_changes_nothing(fresh_store_path, on_the_network):
    stored.build(_store(fresh_store_path), "tester")
    at = _page()
    assert not [b for b in at.button if b.key == "matches_build"]
    assert not at.get("form")
    assert any("Only editors build the matches" in c.value for c in at.caption)
    assert any("Only editors accept or reject links" in c.value for c in at.caption)
    assert len(at.dataframe[0].value) > 0
    assert _store(fresh_store_path).match_decisions().empty
