"""bench/pages_scale.py --pages: only the pages named are measured (to compare two
versions of the code on a few pages), the default being every page; a name not among
the pages stops with the list of them."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import pages_scale  # noqa: E402


def test_only_the_pages_named_in_their_order():
    got = pages_scale.chosen_pages("Place report, Events")
    assert [p[0] for p in got] == ["Events", "Place report"]
    assert got[0] == ("Events", "/events", "Events", True)
    assert pages_scale.chosen_pages(None) == pages_scale.PAGES


def test_a_page_not_known_names_the_pages():
    with pytest.raises(SystemExit, match="no such page: Event; the pages: Map, Events"):
        pages_scale.chosen_pages("Event")


def test_the_table_leaves_out_the_pages_not_measured():
    row = {"ready": 2.0, "change": 0.5, "peak_mb": 500.0}
    got = pages_scale.table({1000: {"pages": {"Events": row}, "peak_mb": 600.0}})
    assert "| Events | 2.00 s | 0.50 s | 500 MB |" in got
    assert "| Zone report |" not in got and "| Map |" not in got
