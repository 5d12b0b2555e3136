"""A slow cached step shows a sentence, never a function's name: Streamlit's default
spinner for ``st.cache_resource`` / ``st.cache_data`` reads "Running _sql_compact(...)."
(seen on the Zone report at a million events on PostGIS). Every cached function of the
pages says what it does (``show_spinner="Reading the selected events..."``) or shows
nothing (``show_spinner=False``, for the quick ones)."""

from __future__ import annotations

import ast

from conftest import ROOT


def _cache_decorators():
    for path in sorted(
        [ROOT / "app.py", *(ROOT / "views").glob("*.py"), *(ROOT / "pages").glob("*.py")]
    ):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                call = deco if isinstance(deco, ast.Call) else None
                func = call.func if call else deco
                if isinstance(func, ast.Attribute) and func.attr in (
                    "cache_resource",
                    "cache_data",
                ):
                    yield f"{path.relative_to(ROOT)}:{node.name}", call


def test_every_cached_function_of_the_pages_names_its_work_or_shows_nothing():
    found = list(_cache_decorators())
    assert len(found) > 20  # the pages' caches were found
    for name, call in found:
        assert call is not None, f"{name}: bare decorator, default spinner"
        spinner = {k.arg: k.value for k in call.keywords}.get("show_spinner")
        assert spinner is not None, f"{name}: no show_spinner (the default names the function)"
        assert isinstance(spinner, ast.Constant), name
        value = spinner.value
        assert value is False or (
            isinstance(value, str) and value[0].isupper() and value.endswith("...")
        ), f"{name}: {value!r}"
