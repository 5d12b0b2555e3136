"""Links with nonsense values, on every page (AppTest: what Streamlit does with the address
when a page opens), the one radius bound, and the pages layout."""

from __future__ import annotations

import re
from datetime import date

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT, stdlib_count, whole_page
from views.sharing import CHECKS, link_problems
from views.shell import PAGES

APP = str(ROOT / "app.py")
TOTAL_KEY = "Showing"

#: Nonsense for every kind of value a link holds: reversed, malformed, out of range,
#: repeated, huge.
DATES = [
    ["2017-09-30", "2017-05-01"],
    ["2017-05-01", "2017-05-02", "2017-05-03"],
    ["2017-02-31", "2017-05-01"],
    ["yesterday"],
    ["20170501"],
    ["9999-12-31", "9999-12-31"],
    ["1800-01-01", "1800-01-02"],
    ["2017-05-01"] * 40,
    ["2" * 5000],
]
DATE = [["2017-02-30"], ["x"], ["2018-01-01", "2019-01-01"], ["99999-01-01"], ["1e999"]]
NUMBERS = [["1e999"], ["-1e999"], ["nan"], ["inf"], ["9" * 400], ["-5"], ["3", "4"], ["x"], [""]]
OTHER = [["x"] * 2000, ["<img src=x onerror=alert(1)>"], ["true", "false", "maybe"], [""]]
PARAMS = {
    # the shared filters
    "dates": DATES,
    "min_fatalities": NUMBERS,
    "km": NUMBERS + [["0"], ["5001"], ["600"]],
    "types": OTHER,
    "datasets": OTHER,
    "precision": OTHER,
    "zones": OTHER,
    "near": OTHER,
    "actor": [["a" * 20000], ["x", "y"]],
    # the Map
    "zones_follow": OTHER,
    "zones_as_of": DATE + [["1800-01-01"], ["2300-01-01"]],
    "online_tiles": OTHER,
    # the Zone report
    "zone": OTHER,
    "per": OTHER,
    "coarse": OTHER,
    "pivot": DATE + [["1800-01-01"], ["2999-01-01"]],
    "window": NUMBERS + [["100000"], ["1"]],
    "ring": NUMBERS + [["100000"]],
    # the Place report
    "places": OTHER,
    "radius": NUMBERS + [["100000"]],
    "place_per": OTHER,
    "place_coarse": OTHER,
    # the Events page
    "timeline_freq": OTHER,
    "table_page": NUMBERS + [["0"], ["99999999"]],
}
SHARED = ("dates", "min_fatalities", "km", "types", "datasets", "precision", "zones", "near")
OWN = {
    "app.py": SHARED + ("actor", "zones_follow", "zones_as_of", "online_tiles"),
    "pages/events.py": SHARED + ("timeline_freq", "table_page"),
    "pages/zone_report.py": ("dates", "zone", "per", "coarse", "pivot", "window", "ring"),
    "pages/place_report.py": ("dates", "km", "places", "radius", "place_per", "place_coarse"),
}


def _open(page: str, query: dict[str, list[str]]) -> AppTest:
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    for key, values in query.items():
        at.query_params[key] = values
    if page != "app.py":
        at.switch_page(page)  # before the first run: the page is opened by its own link
    return at.run()


def _showing(at: AppTest) -> int | None:
    for md in at.markdown:
        m = re.search(r"Showing ([\d,]+) of", md.value)
        if m:
            return int(m.group(1).replace(",", ""))
    return None


def _fails(at: AppTest) -> list[str]:
    return [e.value for e in at.exception] + [e.value for e in at.error]


@pytest.mark.parametrize("page", list(OWN))
def test_every_parameter_of_a_page_with_nonsense_opens_the_page(store_env, page):
    failed = []
    for key in OWN[page]:
        for values in PARAMS[key]:
            at = _open(page, {key: values})
            if _fails(at):
                failed.append((key, values[:3], _fails(at)[0][:80]))
    assert failed == []


@pytest.mark.parametrize("page", [script for script, _, _ in PAGES])
def test_all_nonsense_at_once_on_every_page(store_env, page):
    query = {key: values[0][:20] for key, values in PARAMS.items()}  # under 1000 in all
    at = _open(page, query)
    assert _fails(at) == []
    assert at.title  # the page drew its title


def test_a_reversed_range_falls_back_to_the_whole_range_and_says_so(store_env):
    total = stdlib_count(None, None)
    for page in ("app.py", "pages/events.py"):
        at = _open(page, {"dates": ["2017-09-30", "2017-05-01"], "actor": ["Syria"]})
        assert _fails(at) == []
        assert at.date_input(key="dates").value == (date(2016, 1, 1), date(2019, 12, 1))
        assert at.text_input(key="actor").value == "Syria"  # the rest of the link is kept
        assert 0 < _showing(at) < total
        (note,) = [i.value for i in at.info if "ignored" in i.value]
        assert "dates (the end date is before the start date)" in note
    # a sensible range from a link is applied
    at = _open("pages/events.py", {"dates": ["2017-05-01", "2017-05-31"]})
    assert _showing(at) == stdlib_count("2017-05-01", "2017-05-31")
    assert not [i for i in at.info if "ignored" in i.value]


def test_a_huge_number_in_a_link_is_dropped(store_env):
    at = _open("pages/zone_report.py", {"window": ["1e999"], "ring": ["5"]})
    assert _fails(at) == []
    assert at.number_input(key="window").value == 90  # the default
    assert at.number_input(key="ring").value == 5


def test_link_problems_names_each_parameter_and_why():
    problems = link_problems(
        {
            "dates": ["2017-09-30", "2017-05-01"],
            "km": ["5001"],
            "min_fatalities": ["1e999"],
            "zones_as_of": ["2017-02-30"],
            "actor": ["anything"],
            "window": ["100"],
        }
    )
    assert problems == {
        "dates": "the end date is before the start date",
        "km": "not between 1 and 5,000",
        "min_fatalities": "not a number",
        "zones_as_of": "not a date (YYYY-MM-DD)",
    }
    assert link_problems({"dates": ["2017-05-01", "2017-05-01"], "km": ["5000"]}) == {}
    assert set(CHECKS) <= set(PARAMS)  # every checked parameter is fuzzed above


def test_within_km_beyond_the_bound_is_applied_at_the_bound_and_said(store_env):
    from geo.filters import MAX_NEAR_KM

    at = _open("app.py", {})
    total = _showing(at)
    at.selectbox(key="near").set_value("Raqqa").run()
    whole_page(at).number_input(key="km").set_value(50.0).run()
    near = _showing(at)
    assert 0 < near < total
    # a value the sidebar warns about reruns the whole page, and so does the next change
    whole_page(at).number_input(key="km").set_value(MAX_NEAR_KM + 1000).run()
    assert _fails(at) == []
    assert _showing(at) == total  # all of Syria is within 5,000 km of Raqqa: applied
    assert any(f"at most {MAX_NEAR_KM:,.0f}" in w.value for w in at.warning)
    at.number_input(key="km").set_value(600.0).run()  # above the old 500: applied, no warning
    assert near < _showing(at) and not at.warning


def test_the_sources_page_cites_no_path_outside_the_project(store_env):
    at = _open("pages/sources.py", {})
    text = " ".join(m.value for m in at.markdown)
    assert "Every layer ZoneWatch ships" in text  # data/SOURCES.md, under the page's title
    assert [t.value for t in at.title] == ["Sources"]
    assert not re.search(r"\.\./|/work/|/home/|/tmp/", text), "a path outside the project"


def test_every_page_is_a_file_of_pages_and_the_map_is_app_py():
    assert PAGES[0][:2] == ("app.py", "Map")
    files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
    assert files == sorted(script for script, _, _ in PAGES[1:])
    for script in files:  # each page configures itself: a direct link runs it alone
        assert "page_setup(" in (ROOT / script).read_text(encoding="utf-8")


def test_a_bound_in_the_notice_is_written_as_the_pages_write_numbers():
    """The notice said "min_fatalities (not between 0 and 1e+09)" (walkthrough)."""
    assert link_problems({"min_fatalities": ["-5"]}) == {
        "min_fatalities": "not between 0 and 1,000,000,000"
    }


def test_one_day_is_written_once_in_the_headers(store_env):
    """A one-day link's header said "(25 May 2017 to 25 May 2017)" (walkthrough)."""
    for page in ("app.py", "pages/events.py"):
        at = _open(page, {"dates": ["2017-05-25", "2017-05-25"]})
        assert _fails(at) == []
        text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
        assert "(25 May 2017)" in text, page
        assert "25 May 2017 to 25 May 2017" not in text, page


def test_an_unknown_value_in_a_link_is_named_and_dropped_from_the_address(store_env):
    """?types=Bogus was ignored by Streamlit without a word, and stayed in the address
    (walkthrough)."""
    at = _open("app.py", {"types": ["Bogus", "Air strike"], "near": ["Atlantis"]})
    assert _fails(at) == []
    assert at.multiselect(key="types").value == ["Air strike"]  # the known value applied
    assert at.query_params["types"] in ("Air strike", ["Air strike"])
    assert "near" not in at.query_params
    (note,) = [i.value for i in at.info if "ignored" in i.value]
    assert "“Bogus” is not among the event types here, which are: Air strike" in note
    assert "“Atlantis” is not among the places here" in note
    # with a nonsense value of another kind: both said in one notice
    at = _open("pages/events.py", {"types": ["Bogus"], "dates": ["2017-09-30", "2017-05-01"]})
    (note,) = [i.value for i in at.info if "ignored" in i.value]
    assert "dates (the end date is before the start date)" in note and "“Bogus”" in note
    assert "types" not in at.query_params
    assert at.multiselect(key="types").value == list(at.multiselect(key="types").options)
    for page, key, value in (
        ("pages/zone_report.py", "zone", "Narnia"),
        ("pages/place_report.py", "places", "Atlantis"),
    ):
        at = _open(page, {key: [value]})
        assert _fails(at) == [] and key not in at.query_params, page
        assert any(f"“{value}”" in i.value for i in at.info), page


def test_an_unknown_choice_of_a_page_is_named_and_a_known_one_taken_in_any_case(store_env):
    """?timeline_freq=fortnight, ?sort=Bogus, ?online_tiles=maybe were ignored by Streamlit
    without a word; ?sort=actor (the column's short name) did nothing: the address holds the
    label, 'Actor 1' (walkthrough)."""
    for page, key, value, what in (
        ("pages/events.py", "timeline_freq", "fortnight", "periods"),
        ("pages/events.py", "sort", "Bogus", "columns to sort by"),
        ("pages/events.py", "sort_order", "sideways", "orders"),
        ("pages/zone_report.py", "per", "year", "periods"),
        ("pages/zone_report.py", "coarse", "maybe", "values of a yes/no box"),
        ("pages/place_report.py", "place_per", "day", "periods"),
        ("pages/place_report.py", "place_coarse", "no", "values of a yes/no box"),
        ("app.py", "zones_follow", "maybe", "values of a yes/no box"),
        ("app.py", "online_tiles", "yes", "values of a yes/no box"),
    ):
        at = _open(page, {key: [value]})
        assert _fails(at) == [] and key not in at.query_params, (page, key)
        notes = [i.value for i in at.info if "ignored" in i.value]
        assert any(f"“{value}” is not among the {what} here" in n for n in notes), (key, notes)
    at = _open("pages/events.py", {"sort": ["actor"], "sort_order": ["Descending"]})
    assert _fails(at) == [] and not [i for i in at.info if "ignored" in i.value]
    assert at.selectbox(key="sort").value == "actor"
    assert at.radio(key="sort_order").value == "descending"
    assert at.query_params["sort"] in ("Actor 1", ["Actor 1"])
    at = _open("pages/events.py", {"sort": ["nearest PLACE"], "timeline_freq": ["Month"]})
    assert (
        at.selectbox(key="sort").value == "place" and at.radio(key="timeline_freq").value == "month"
    )
