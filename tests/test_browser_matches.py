"""Real-browser test of the Matches page (Debian's Chromium, Playwright): build the matches
with the button, pick a link, reject it, see it marked rejected and the count-once total
change as the store's counting says; then the Events page counts each event once and its
CSV names the merged records. Fails (never skips) when Chromium is missing."""

from __future__ import annotations

import io
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import test_browser
from test_browser import Session, _wait_for
from test_browser_zones import T, _select, app  # noqa: F401

from geo.eventindex import EventIndex
from geo.matching import review, stored

browser = test_browser.browser
pytestmark = pytest.mark.browser

TOTAL = re.compile(r"([\d,]+) events, each counted once, from ([\d,]+)(?: of [\d,]+)? records")


def _open(path):
    from geo.store.gpkg import GeoPackageStore

    return GeoPackageStore.open(path)


def _counted(path) -> int:
    """Every stored event counted once, as the store's counting says."""
    store = _open(path)
    index = EventIndex.from_frame(store.event_columns())
    return int(stored.counted_mask(store, index, np.ones(len(index), dtype=bool)).sum())


def _total(s: Session) -> int:
    text = s.page.get_by_text(TOTAL).first.inner_text(timeout=T)
    return int(TOTAL.search(text).group(1).replace(",", ""))


def _a_link_whose_rejection_counts(path, tmp_path) -> tuple[str, str, int]:
    """(link key, its label in the list, the total once rejected): the first link of the
    list's first page whose rejection changes the count-once total, found on a copy."""
    store = _open(path)
    links = review.review_order(review.with_state(store.match_links(), None))
    before = _counted(path)
    for i, row in review.page(links, 1).iterrows():
        copy = tmp_path / f"try{i}.gpkg"
        shutil.copyfile(path, copy)
        _open(copy).add_match_decision(row["link_key"], "reject", "tester")
        after = _counted(copy)
        if after != before:
            return row["link_key"], review.label(row), after
    raise AssertionError("no link of the first page changes the total when rejected")


def test_build_pick_reject_and_count_once(app, browser, tmp_path):  # noqa: F811
    s = Session(browser, app.url + "/matches")
    s.page.get_by_role("heading", name="Matches", exact=True).wait_for(timeout=T)
    s.page.get_by_text("No matches are stored yet.").wait_for(timeout=T)
    s.page.get_by_role("button", name="Build the matches").click()
    s.page.get_by_text(re.compile(r"^Matches built: [\d,]+ links stored")).wait_for(timeout=120_000)
    s.page.get_by_text(re.compile(r"^Last build: .* links among [\d,]+ events")).wait_for(timeout=T)
    before = _total(s)
    assert before == _counted(app.store)

    key, label, expected = _a_link_whose_rejection_counts(app.store, tmp_path)
    _select(s, "Review the link", label)
    pair = s.page.get_by_test_id("stTable")
    pair.wait_for(timeout=T)
    # the small map: both records and the line between them, drawn from the app's assets
    s.page.locator('iframe[title="streamlit_folium.st_folium"]').wait_for(timeout=T)
    s.page.get_by_label("Note (optional)").fill("not the same village")
    s.page.get_by_role("button", name="Reject").click()
    s.page.get_by_text(re.compile(r": rejected \(version 1, by ")).wait_for(timeout=T)
    s.idle()
    # marked rejected on the link's line and in the list (the filter "rejected" lists it
    # alone); its history names the decision and the note
    score = f"Score {label.split(' ')[0]}"
    s.page.get_by_text(re.compile(rf"^{score} · rejected · ")).wait_for(timeout=T)
    cell = s.page.locator('[role="gridcell"]', has_text="not the same village")
    cell.wait_for(state="attached", timeout=T)  # the grid's cells for screen readers
    assert _wait_for(lambda: _total(s) == expected)
    assert expected == _counted(app.store) != before
    decisions = _open(app.store).match_decisions(all_versions=True)
    assert decisions[["link_key", "decision", "note"]].values.tolist() == [
        [key, "reject", "not the same village"]
    ]
    # the filter "rejected" lists this link only
    s.page.get_by_test_id("stRadio").get_by_text("rejected", exact=True).click()
    s.page.get_by_text(re.compile(r"^1 of [\d,]+ links \(rejected\)")).wait_for(timeout=T)

    # the Events page with the box ticked: the same total, and the CSV names what it merged
    s.page.goto(app.url + "/events?once=true")
    s.page.get_by_role("heading", name="Events", exact=True).wait_for(timeout=T)
    text = s.page.get_by_text(TOTAL).first.inner_text(timeout=60_000)
    assert int(TOTAL.search(text).group(1).replace(",", "")) == expected
    with s.page.expect_download(timeout=120_000) as info:
        s.page.get_by_role("button", name="Download CSV").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    frame = pd.read_csv(io.BytesIO(path.read_bytes()), dtype=str, keep_default_na=False)
    assert len(frame) == expected and frame.columns[-1] == "merged_records"
    assert (frame["merged_records"] != "").any()
    assert s.page.get_by_test_id("stException").count() == 0
    assert s.external_requests() == [] and s.dialogs == []
    s.page.close()
