"""bench/pages_scale.py --pages: only the pages named are measured (to compare two
versions of the code on a few pages), the default being every page; a name not among
the pages stops with the list of them. --no-downloads: the table has no download rows."""

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


def test_without_downloads_the_table_has_no_download_rows():
    row = {"ready": 2.0, "change": 0.5, "peak_mb": 500.0}
    got = pages_scale.table({1000: {"pages": {"Events": row}, "peak_mb": 600.0}})
    assert "download all" not in got
    assert "after the downloads" not in got
    assert "| app peak memory (VmHWM) | 500 MB after the pages |  |  |" in got


def test_with_downloads_the_table_gives_them_and_the_memory_after_them():
    row = {"ready": 2.0, "change": 0.5, "peak_mb": 500.0}
    downloads = {
        name: {"seconds": 3.0, "mb": 12.0, "file": f"all.{name.lower()}.zip", "peak_mb": 640.0}
        for name in ("CSV", "GeoJSON")
    }
    got = pages_scale.table(
        {1000: {"pages": {"Events": row}, "downloads": downloads, "peak_mb": 650.0}}
    )
    assert "| download all, CSV | 3.0 s (12 MB, all.csv.zip) |  | 640 MB |" in got
    assert "| download all, GeoJSON |" in got
    assert "500 MB after the pages; 650 MB after the downloads" in got
