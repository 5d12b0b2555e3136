"""Links with nonsense values, on every page (AppTest: what Streamlit does with the address
when a page opens), the one radius bound, and the pages layout."""

from __future__ import annotations

import ast
import importlib
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


# Parameter names no page reads: named, once, and left in the address.


def _named_unknown(at: AppTest) -> list[str]:
    return [i.value for i in at.info if "does not know" in i.value]


def test_an_unknown_parameter_name_is_named_once_and_the_settings_listed(store_env):
    """?start=...&end=... (a guess) and ?date=... (a typo) changed nothing without a word:
    the person thought the link worked."""
    at = _open("app.py", {"start": ["2017-01-01"], "end": ["2017-06-30"], "actor": ["Syria"]})
    assert _fails(at) == []
    (note,) = _named_unknown(at)
    assert "parameters that ZoneWatch does not know" in note
    assert "“start”, “end”" in note and "“actor”" not in note
    assert "`dates`" in note and "'Sharing a view'" in note  # what the settings are named
    assert at.text_input(key="actor").value == "Syria"  # the rest of the link applies
    assert at.query_params["start"] in ("2017-01-01", ["2017-01-01"])  # left in the address
    assert _named_unknown(at.run()) == []  # said once, not on every run
    at = _open("pages/events.py", {"date": ["2017-05-01"], "Types": ["Air strike"]})
    (note,) = _named_unknown(at)
    assert "“date” (did you mean `dates`?), “Types” (did you mean `types`?)" in note
    # a one-day link runs the page again at once (views.filters): the notice is kept
    at = _open("pages/events.py", {"dates": ["2017-05-25"], "start": ["2017-05-01"]})
    assert "“start”" in _named_unknown(at)[0] and _showing(at) == stdlib_count(
        "2017-05-25", "2017-05-25"
    )
    many = {"x" * 300: ["1"]} | {f"p{i}": ["1"] for i in range(8)}
    (note,) = _named_unknown(_open("app.py", many))
    assert f"“{'x' * 40}…”, “p0”" in note and "x" * 41 not in note  # each cut
    assert "“p3” and 4 more" in note  # at most 5 named


def test_an_unknown_parameter_name_with_markup_is_shown_as_text(store_env):
    from views.text import plain

    for name in ("<img src=x onerror=alert(1)>", "[click](https://example.com)", "**b**"):
        at = _open("app.py", {name: ["1"]})
        assert _fails(at) == []
        (note,) = _named_unknown(at)
        assert f"“{plain(name)}”" in note and name not in note, note


def test_a_name_known_on_another_page_is_not_unknown(store_env):
    """Links are shared across pages: the Zone report's ring, the Events page's sort or the
    map's view on another page is no typo."""
    query = {"ring": ["20"], "sort": ["actor"], "view": ["35.9,36.6,9"], "hide": ["places"]}
    for page in ("app.py", "pages/sources.py", "pages/place_report.py"):
        at = _open(page, query | {"bogus": ["1"]})
        assert _fails(at) == []
        (note,) = _named_unknown(at)
        assert "“bogus”" in note, page
        for key in query:
            assert f"“{key}”" not in note, (page, key)


def test_a_valid_link_gets_no_notice(store_env):
    from views.sharing import BOUND, MAP_VIEW, unknown_names

    assert unknown_names([*BOUND, *MAP_VIEW, "embed", "EMBED_OPTIONS"]) == []
    for page, query in (
        ("app.py", {"dates": ["2017-05-01", "2017-05-31"], "zones_follow": ["false"]}),
        ("pages/events.py", {"types": ["Air strike"], "sort": ["actor"], "table_page": ["2"]}),
        ("pages/zone_report.py", {"window": ["30"], "view": ["35.9,36.6,9"], "once": ["true"]}),
    ):
        at = _open(page, query)
        assert _fails(at) == [] and _named_unknown(at) == [], page
        assert not [i for i in at.info if "ignored" in i.value], page


def _constants(tree: ast.Module) -> dict[str, str]:
    """The string constants of a file: its own (``KEY_SORT = "sort"``, ``KEY_PAGE =
    KEY_TABLE_PAGE``) and those it imports from views or geo."""
    names: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("views.", "geo.")):
            module = importlib.import_module(node.module)
            for alias in node.names:
                names[alias.asname or alias.name] = getattr(module, alias.name, None)
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            names[node.targets[0].id] = node.value
    for _ in range(3):  # a name given as another name
        for name, value in names.items():
            if isinstance(value, ast.Constant):
                names[name] = value.value
            elif isinstance(value, ast.Name) and isinstance(names.get(value.id), str):
                names[name] = names[value.id]
    return {k: v for k, v in names.items() if isinstance(v, str)}


def _string(consts: dict[str, str], node: ast.expr, where: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in consts:
        return consts[node.id]
    raise AssertionError(f"{where}: a key the check cannot read: {ast.unparse(node)}")


def _query_params(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "query_params"


def _read(node: ast.AST) -> ast.expr | None:
    """The name a node reads from ``st.query_params``, if it does."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if _query_params(node.func.value) and node.func.attr in ("get", "get_all"):
            return node.args[0]
    if isinstance(node, ast.Subscript) and _query_params(node.value):
        return node.slice
    if isinstance(node, ast.Compare) and any(_query_params(c) for c in node.comparators):
        return node.left
    return None


def _widget_keys() -> tuple[set[str], set[str]]:
    """The keys of the widgets bound to the address (``bind=URL``) in app.py, views/ and
    pages/, and the names read with ``st.query_params[...]``, ``.get``, ``.get_all`` or
    ``in st.query_params``, from the source. A key is a string, a constant (of the file or
    imported from views or geo), or a parameter of the function drawing the widget (then
    what each call of it gives); any other fails: the check must see every key."""
    files = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py"))]
    files += sorted((ROOT / "pages").glob("*.py"))
    trees = {f: ast.parse(f.read_text(encoding="utf-8")) for f in files}
    consts = {f: _constants(tree) for f, tree in trees.items()}
    calls = [(f, n) for f, tree in trees.items() for n in ast.walk(tree) if isinstance(n, ast.Call)]
    bound, read = set(), set()
    for f, tree in trees.items():
        inside = {}  # node -> the innermost function it is in
        for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            inside.update(dict.fromkeys(ast.walk(fn), fn))
        for node in ast.walk(tree):
            where = f"{f.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if (name := _read(node)) is not None:
                read.add(_string(consts[f], name, where))
            kw = {k.arg: k.value for k in getattr(node, "keywords", ())}
            if not (isinstance(kw.get("bind"), ast.Name) and kw["bind"].id == "URL"):
                continue
            key, fn = kw.get("key"), inside.get(node)
            args = [a.arg for a in fn.args.args] if fn else []
            if not (isinstance(key, ast.Name) and key.id in args):
                bound.add(_string(consts[f], key, where))
                continue
            for g, call in calls:  # the key is the function's parameter: each call's
                if getattr(call.func, "id", getattr(call.func, "attr", None)) == fn.name:
                    given = {k.arg: k.value for k in call.keywords}.get(key.id)
                    given = given or call.args[args.index(key.id)]
                    bound.add(_string(consts[g], given, f"{where} via {fn.name}"))
    return bound, read


def test_every_parameter_a_page_reads_is_known():
    """A widget bound to the address, or a name read from it, left out of views.sharing's
    list would be called unknown in a link's notice: this fails first."""
    from views.sharing import BOUND, LINK_PARAMS, MAP_VIEW

    bound, read = _widget_keys()
    assert len(bound) > 20 and {"dates", "sort", "coarse", "place_coarse"} <= bound
    assert sorted(bound - set(BOUND)) == [], "bound to the address; add to BOUND"
    assert sorted(set(BOUND) - bound) == [], "in BOUND but bound nowhere"
    assert len(BOUND) == len(set(BOUND))
    assert read and read <= LINK_PARAMS
    assert set(CHECKS) <= LINK_PARAMS
    share = (ROOT / "geo/static/zonewatch/share.js").read_text(encoding="utf-8")
    assert set(re.findall(r"\bp\.get\('(\w+)'\)", share)) == set(MAP_VIEW)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Sharing a view**") :].split("\n\n")[0]
    assert [k for k in (*BOUND, *MAP_VIEW) if f"`{k}`" not in section] == []
