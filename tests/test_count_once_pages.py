"""'Count each event once' in the pages (AppTest): with matches stored by a build, the box
lowers the Map's, the timeline's and the Events page's counts to the same number, the one
geo.matching.stored.counted_mask gives and ``zonewatch events --format count --dedupe``
prints; the downloads name the merged records. Without a build the box is disabled and says
how to build. The acceptance of issue 19 on the real 2017 ACLED file (needs ../shared)."""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_app import event_view_payload, showing
from test_cli import zw

from conftest import ROOT, SHARED, whole_page
from geo import stream
from geo.eventindex import EventIndex
from geo.filters import EventFilter
from geo.matching import stored
from geo.matching.review import merged_texts

ACLED_REAL = SHARED / "data" / "external" / "acled_syria_battles" / "acled_syria_battles_2017.csv"
MAY_JUNE = (date(2017, 5, 1), date(2017, 6, 30))
NO_BUILD = "No matches are stored yet"


def _built_copy(source, target) -> None:
    """``target``: a copy of the store at ``source`` with the matches built."""
    from geo.store.gpkg import GeoPackageStore

    shutil.copyfile(source, target)
    stored.build(GeoPackageStore.open(target), "tester")


@pytest.fixture(scope="module")
def built_path(tmp_path_factory, session_store_path):
    """A copy of the shipped store with the matches built once (read-only use)."""
    path = tmp_path_factory.mktemp("built") / "zonewatch.gpkg"
    _built_copy(session_store_path, path)
    return path


@pytest.fixture
def built_env(built_path, monkeypatch):
    monkeypatch.setenv("ZONEWATCH_STORE", str(built_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return built_path


def _app(page: str | None = None) -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _expected(path, flt: EventFilter) -> tuple[int, int]:
    """(counted once, records) for ``flt``, from the store API (not the pages)."""
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore.open(path)
    index = EventIndex.from_frame(store.event_columns())
    mask = index.mask(flt)
    return int(stored.counted_mask(store, index, mask).sum()), int(mask.sum())


def _cli_count(path, start: date, end: date, *more: str) -> int:
    out = zw(
        "--store", str(path), "events", "--from", start.isoformat(), "--to", end.isoformat(),
        "--format", "count", *more,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip())


def _note(at: AppTest) -> str:
    for md in at.markdown:
        found = re.search(
            r"[\d,]+ events, each counted once, from [\d,]+ of [\d,]+ records", md.value
        )
        if found:
            return found.group(0)
    return ""


def _timeline_total(at: AppTest) -> int:
    """Events the timeline counts plus those it leaves out (begun before the dates)."""
    caption = next(c.value for c in at.caption if " fatalities (best estimates)" in c.value)
    charted = int(caption.split(" events")[0].replace(",", ""))
    early = re.search(r"Left out here: ([\d,]+) events", caption)
    return charted + (int(early.group(1).replace(",", "")) if early else 0)


def test_the_box_counts_each_event_once_on_map_timeline_and_events(built_env):
    counted, records = _expected(built_env, EventFilter(*MAY_JUNE))
    assert counted < records  # the curated strikes of May-June 2017 have UCDP twins
    at = _app()
    at.date_input(key="dates").set_value(MAY_JUNE).run()
    whole_page(at)
    assert showing(at)[0] == records and _note(at) == ""
    at.checkbox(key="once").check().run()
    assert not at.exception, at.exception
    assert showing(at)[0] == counted == event_view_payload(at)["n"]
    # one wording: records are the datasets' rows, events what is counted (walkthrough:
    # "Showing 12,057 of 14,346 events; counted once: 12,057 of 14,346 records")
    (header,) = [m.value for m in at.markdown if m.value.startswith("**Showing")]
    assert header.startswith(
        f"**Showing {counted:,} events, each counted once, from {records:,} of "
        f"{showing(at)[1]:,} records** ("
    )
    assert "counted once:" not in header
    assert _cli_count(built_env, *MAY_JUNE, "--dedupe") == counted
    assert "once=true" in "&".join(f"{k}={v}" for k, v in at.query_params.items()).lower()

    at.switch_page("pages/events.py").run()  # the choice follows to the Events page
    assert not at.exception, at.exception
    assert showing(at)[0] == counted and _note(at).startswith(
        f"{counted:,} events, each counted once"
    )
    assert _timeline_total(at) == counted
    assert any(f"of {counted:,}, page 1 of" in c.value for c in at.caption)
    assert any("merged_records" in c.value for c in at.caption)
    at.checkbox(key="once").uncheck().run()
    assert showing(at)[0] == records and _timeline_total(at) == records


def _drawn_fids(at: AppTest) -> set[int]:
    """The row ids of the events the Map page sends to draw, one by one."""
    import base64

    import numpy as np

    payload = event_view_payload(at)
    dtype = "<u4" if payload["fid_bytes"] == 4 else "<f8"
    return set(np.frombuffer(base64.b64decode(payload["fid"]), dtype=dtype).astype(int).tolist())


def test_represent_each_group_by_a_dataset(built_env):
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore.open(built_env)
    index = EventIndex.from_frame(store.event_columns())
    mask = index.mask(EventFilter(*MAY_JUNE))
    at = _app()
    at.date_input(key="dates").set_value(MAY_JUNE).run()
    whole_page(at)
    at.checkbox(key="once").check().run()
    precise = stored.counted_mask(store, index, mask)
    assert _drawn_fids(at) == set(index.fid[precise].tolist())
    by = at.selectbox(key="once_by")
    assert by.options[0] == "(most precise location)" and "ucdp" in by.options
    for dataset in ("ucdp", "curated"):
        whole_page(at).selectbox(key="once_by").set_value(dataset).run()
        assert not at.exception, at.exception
        kept = stored.counted_mask(store, index, mask, prefer=dataset)
        assert showing(at)[0] == int(kept.sum())
        assert _drawn_fids(at) == set(index.fid[kept].tolist())
    # the groups are represented by different records: curated's strikes, then UCDP's
    ucdp = set(index.fid[stored.counted_mask(store, index, mask, prefer="ucdp")].tolist())
    curated = set(index.fid[stored.counted_mask(store, index, mask, prefer="curated")].tolist())
    assert ucdp != curated


def test_the_download_names_the_merged_records(built_env):
    """What the Events page writes when the box is on (stream.Extra with merged_records,
    as pages/events.py builds it): one row per record kept, naming the records merged."""
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore.open(built_env)
    index = EventIndex.from_frame(store.event_columns())
    mask = index.mask(EventFilter(*MAY_JUNE))
    kept = stored.counted_mask(store, index, mask)
    merged = merged_texts(stored.merged_records(store, index, kept, mask), index.fid[kept])
    assert (merged != "").any()
    import io

    import pandas as pd

    out = io.BytesIO()
    note = "Each event counted once."
    rows = stream.write_events(
        store, index.fid[kept], "csv", out, extra=stream.Extra({"merged_records": merged}, note)
    )
    frame = pd.read_csv(io.BytesIO(out.getvalue()), dtype=str, keep_default_na=False)
    assert rows == len(frame) == int(kept.sum())
    assert list(frame.columns[-2:]) == ["attribution", "merged_records"]
    assert frame["attribution"].str.endswith(note).all()
    assert (frame["merged_records"] != "").sum() == (merged != "").sum()
    linked = frame[frame["merged_records"] != ""].iloc[0]
    name = linked["merged_records"].split("; ")[0]
    assert re.fullmatch(r"[\w-]+:\S+", name) and name != f"{linked.dataset}:{linked.dataset_id}"
    geo = io.BytesIO()
    stream.write_events(
        store, index.fid[kept][:50], "geojson", geo,
        extra=stream.Extra({"merged_records": merged[:50]}, note),
    )  # fmt: skip
    import json

    doc = json.loads(geo.getvalue())
    assert doc["note"] == note
    assert [f["properties"]["merged_records"] for f in doc["features"]] == list(merged[:50])


def test_without_a_build_the_box_is_disabled_and_says_how_to_build(store_env):
    at = _app()
    box = at.checkbox(key="once")
    assert box.disabled
    assert any(NO_BUILD in c.value and "zonewatch matches build" in c.value for c in at.caption)
    # a link asking for it changes nothing while there is nothing to count with
    at.query_params["once"] = "true"
    at.run()
    assert not at.exception
    assert _note(at) == ""


@pytest.mark.skipif(
    not ACLED_REAL.exists(),
    reason=f"the real ACLED file is not here ({ACLED_REAL}): ACLED may not be "
    "redistributed, so it lives only in ../shared",
)
def test_real_2017_counted_once_is_the_same_on_the_cli_the_map_and_the_events_page(
    fresh_store_path,
):
    """Issue 19's acceptance: on the shipped UCDP data plus the real 2017 ACLED file,
    ``events --format count --dedupe`` for 2017 lies between the larger dataset's count and
    the sum, and the map and the Events page say the same number."""
    store = str(fresh_store_path)
    out = zw("--store", store, "import-events", "--format", "acled", str(ACLED_REAL))
    assert out.returncode == 0, out.stderr
    from geo.store.gpkg import GeoPackageStore

    stored.build(GeoPackageStore.open(fresh_store_path), "tester")
    year = (date(2017, 1, 1), date(2017, 12, 31))
    both = ("--dataset", "ucdp", "--dataset", "acled")
    ucdp = _cli_count(store, *year, "--dataset", "ucdp")
    acled = _cli_count(store, *year, "--dataset", "acled")
    once = _cli_count(store, *year, *both, "--dedupe")
    assert (ucdp, acled) == (5587, 8759)
    assert max(ucdp, acled) < once < ucdp + acled

    at = _app()
    at.date_input(key="dates").set_value(year).run()
    whole_page(at)
    at.multiselect(key="datasets").set_value(["ucdp", "acled"]).run()
    whole_page(at)
    assert showing(at)[0] == ucdp + acled
    at.checkbox(key="once").check().run()
    assert not at.exception, at.exception
    assert showing(at)[0] == once == event_view_payload(at)["n"]
    assert _note(at).startswith(f"{once:,} events, each counted once, from {ucdp + acled:,} of ")
    at.switch_page("pages/events.py").run()
    assert not at.exception, at.exception
    assert showing(at)[0] == once and _timeline_total(at) == once


def test_counted_mask_is_cached_per_filter(built_env, monkeypatch):
    """A rerun without a filter change does not count again."""
    at = _app()
    at.date_input(key="dates").set_value(MAY_JUNE).run()
    whole_page(at)
    at.checkbox(key="once").check().run()
    calls = []
    real = stored.counted_mask

    def counting(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(stored, "counted_mask", counting)
    at.run()
    at.run()
    assert calls == []
    at.date_input(key="dates").set_value((date(2017, 5, 1), date(2017, 5, 31))).run()
    assert len(calls) == 1


def test_a_link_with_the_choice_opens_with_it(built_env):
    """The choice is in the page's address, like the other filters: a shared link opens
    with each event counted once, represented as the link says."""
    counted, _ = _expected(built_env, EventFilter(*MAY_JUNE))
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update(
        {"dates": ["2017-05-01", "2017-06-30"], "once": "true", "once_by": "ucdp"}
    )
    at.run()
    assert not at.exception, at.exception
    assert at.checkbox(key="once").value and at.selectbox(key="once_by").value == "ucdp"
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore.open(built_env)
    index = EventIndex.from_frame(store.event_columns())
    kept = stored.counted_mask(store, index, index.mask(EventFilter(*MAY_JUNE)), prefer="ucdp")
    assert showing(at)[0] == int(kept.sum()) and counted > 0


def test_the_zone_and_place_reports_count_the_kept_records(built_env):
    counted, records = _expected(built_env, EventFilter(*MAY_JUNE))
    at = _app()
    at.date_input(key="dates").set_value(MAY_JUNE).run()
    whole_page(at)
    at.checkbox(key="once").check().run()
    at.switch_page("pages/zone_report.py").run()
    assert not at.exception, at.exception
    assert any(f"of {counted:,} events shown" in c.value for c in at.caption)
    at.switch_page("pages/place_report.py").run()
    assert not at.exception, at.exception
    assert any(c.value.startswith(f"Of the {counted:,} events shown") for c in at.caption)
    at.checkbox(key="once").uncheck().run()
    assert any(c.value.startswith(f"Of the {records:,} events shown") for c in at.caption)


def test_count_once_on_both_engines(make_store, engine):
    store = make_store()
    stored.build(store, "tester")
    index = EventIndex.from_frame(store.event_columns())
    kept = stored.counted_mask(store, index, index.mask(EventFilter(*MAY_JUNE)))
    at = _app()
    at.date_input(key="dates").set_value(MAY_JUNE).run()
    whole_page(at)
    at.checkbox(key="once").check().run()
    assert not at.exception, at.exception
    assert showing(at)[0] == int(kept.sum()) == event_view_payload(at)["n"]
    at.switch_page("pages/matches.py").run()
    assert not at.exception, at.exception
    assert len(at.dataframe[0].value) == min(len(store.match_links()), 50) > 0


def test_the_choice_in_words_for_reports_and_downloads():
    from views.data import CountOnce

    assert CountOnce().describe() == "" and CountOnce().note() == ""
    assert "each event counted once" in CountOnce(True).describe()
    assert "most precisely located" in CountOnce(True).describe()
    assert "the ucdp record" in CountOnce(True, "ucdp").describe()
    assert "merged_records" in CountOnce(True, "ucdp").note()
