"""bench/map_trace.py marks the Map's steps on a date change: that change reruns only the
Map's fragment (``map_body`` in views/map.py), so the marks must be inside the fragment's
function, not only after the script's top-level statements (which a fragment's rerun never
runs)."""

from __future__ import annotations

import ast
import sys
from types import SimpleNamespace

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import map_trace  # noqa: E402

#: A page shaped as views/map.py: a docstring, the __future__ import, a statement, a fragment.
PAGE = '''"""A page."""
from __future__ import annotations
before = 1


@st.fragment(key="body")
def body(stop=False):
    """The part a filter change reruns."""
    shown = 1
    if stop:
        return
    after = shown + 1


body()
'''


def _run(source: str):
    """The marks of a whole run of ``source`` marked by map_trace, and its namespace."""
    marks = []
    namespace = {
        "__T": marks.append,
        # st.fragment as the script sees it in a whole run: the function, called as is
        "st": SimpleNamespace(fragment=lambda **_: lambda f: f),
    }
    tree = map_trace.mark_steps(ast.parse(source), 0.0)
    exec(compile(tree, "page.py", "exec"), namespace)
    return marks, namespace


def _names(marks):
    return [m.split(" (cpu")[0] for m in marks]


def test_a_whole_run_marks_the_script_and_the_fragment():
    marks, _ = _run(PAGE)
    assert _names(marks) == [
        "map.py:3",
        "map.py:7",
        "fragment body start",
        "body:9",
        "body:10",
        "body:12",
        "fragment body end",
        "map.py:15",
    ]


def test_a_fragment_rerun_marks_its_own_steps_and_its_end():
    marks, namespace = _run(PAGE)
    marks.clear()
    namespace["body"]()  # what a date change runs: the fragment alone
    assert _names(marks) == [
        "fragment body start",
        "body:9",
        "body:10",
        "body:12",
        "fragment body end",
    ]
    marks.clear()
    namespace["body"](stop=True)  # left early (as by st.rerun()): its end is still marked
    assert _names(marks) == ["fragment body start", "body:9", "fragment body end"]


def test_the_maps_fragment_is_marked():
    tree = map_trace.mark_steps(ast.parse((ROOT / "views" / "map.py").read_text()), 0.0)
    (body,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "map_body"]
    text = ast.unparse(body)
    assert "__T('fragment map_body start')" in text
    assert "__T('map_body:" in text and "fragment map_body end" in text
    compile(tree, "map.py", "exec")  # still a valid script
