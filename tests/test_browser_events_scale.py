"""The Events page with 200,000 more events, in Chromium: the table sorted and paged on
the server (its rows checked against SQLite), and both downloads, prepared with progress
(over 100,000 rows) and written on click (fewer), byte for byte what ``zonewatch events``
writes for the same filters."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile

import pytest
from test_browser import Session, _start_app, _stop_app, _wait_for, browser  # noqa: F401

from conftest import ROOT

pytestmark = pytest.mark.browser

EXTRA = 200_000


@pytest.fixture(scope="module")
def big(tmp_path_factory, session_store_path):
    """The shipped store plus 200,000 synthetic UCDP events, imported by the bulk import."""
    sys.path.insert(0, str(ROOT))
    from bench.map_scale import generate

    folder = tmp_path_factory.mktemp("events_scale")
    csv_path = folder / "ucdp_200k.csv"
    generate(EXTRA, csv_path)
    store = folder / "store.gpkg"
    shutil.copyfile(session_store_path, store)
    env = {**os.environ, "ZONEWATCH_STORE": str(store), "ZONEWATCH_MAX_UPLOAD_MB": "4000"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "geo.cli", "import-events", "--format", "ucdp", str(csv_path)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    csv_path.unlink()
    proc, url = _start_app(store)
    yield url, store, folder
    _stop_app(proc)


def _cli(store, folder, fmt: str, *args: str) -> bytes:
    target = folder / f"cli.{fmt}"
    env = {**os.environ, "ZONEWATCH_STORE": str(store)}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "geo.cli", "events", *args, "--format", fmt, "--output", target],
        env=env,
        cwd=ROOT,
        check=True,
    )
    data = target.read_bytes()
    target.unlink()
    return data


def _visible_rows(s: Session) -> list[dict[str, str]]:
    """The table's rows as the grid renders them for assistive technology (the rows and
    columns in view), by column name."""
    return s.page.evaluate(
        """() => { const grid = document.querySelector('[data-testid=stDataFrame] table');
          const head = Array.from(grid.querySelectorAll('thead th')).map(c => c.innerText);
          return Array.from(grid.querySelectorAll('tbody tr'))
            .map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.innerText))
            .filter(r => r.length)
            .map(r => Object.fromEntries(r.map((v, i) => [head[i], v]))); }"""
    )


def _select(s: Session, label: str, option: str) -> None:
    """Pick an option of a select box with real clicks (again if a rerun closed it)."""
    box = s.page.get_by_role("combobox", name=label, exact=True)
    choice = s.page.get_by_role("option", name=option, exact=True)
    for _ in range(10):
        box.click()
        try:
            choice.click(timeout=5000)
            return
        except Exception:  # the list closed before the click: open it again
            s.page.keyboard.press("Escape")
    raise AssertionError(f"could not choose {option!r} in {label!r}")


def _caption(s: Session) -> str:
    return s.page.get_by_text("Rows ", exact=False).first.inner_text(timeout=60000)


def _download(s: Session, name: str, folder, timeout: float = 300_000) -> bytes:
    button = s.page.get_by_role("button", name=name)
    button.wait_for(timeout=timeout)  # a prepared download: once written
    with s.page.expect_download(timeout=timeout) as info:
        button.click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    data = path.read_bytes()
    path.unlink()
    return data


def _unzip(data: bytes, fmt: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [f"zonewatch-events.{fmt}"]
        return archive.read(f"zonewatch-events.{fmt}")


def test_sort_page_and_download_200k_events(big, browser):  # noqa: F811
    url, store, folder = big
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as con:
        total = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        latest = con.execute(
            "SELECT substr(date_start, 1, 10), coalesce(location, '') FROM events "
            "ORDER BY date_start DESC, fid LIMIT 100 OFFSET 200"
        ).fetchall()
    assert total == 16_575 + EXTRA

    s = Session(browser, url + "/events")
    assert _wait_for(lambda: s.showing() == total, timeout=120)
    assert _caption(s) == (
        f"Rows 1-100 of {total:,}, page 1 of {-(-total // 100):,}. "
        "Equal values keep the order the events were stored in."
    )

    # newest first, page 3: rows 201-300 in SQLite's order (ties: the order stored)
    s.page.get_by_text("descending", exact=True).click()
    s.idle(timeout=120, strict=True)
    page_box = s.page.get_by_label("Page", exact=True)
    page_box.fill("3")
    page_box.press("Enter")
    assert _wait_for(lambda: _caption(s).startswith(f"Rows 201-300 of {total:,}, page 3"))
    s.idle(timeout=120, strict=True)
    rows = _visible_rows(s)
    assert len(rows) >= 5
    for got, (day, location) in zip(rows, latest, strict=False):
        # (the columns in view at 1400 px: date, type, fatalities, location, dataset, ...)
        assert (got["Start date"], got["Location"]) == (day, location)

    # sorting by another column, chosen in the select box, goes back to page 1
    _select(s, "Sort by", "Fatalities (best)")
    assert _wait_for(lambda: _caption(s).startswith(f"Rows 1-100 of {total:,}, page 1"))
    s.idle(timeout=120, strict=True)
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as con:
        most = con.execute(
            "SELECT substr(date_start, 1, 10), coalesce(location, '') FROM events "
            "ORDER BY fatalities_best IS NULL, fatalities_best DESC, fid LIMIT 5"
        ).fetchall()
    rows = _visible_rows(s)
    assert [(r["Start date"], r["Location"]) for r in rows[:5]] == [tuple(m) for m in most]

    # every row, prepared with its progress shown, then downloaded: the CLI's bytes
    s.page.get_by_role("button", name=f"Prepare CSV ({total:,} rows)").click()
    progress = s.page.get_by_test_id("stProgress")
    progress.wait_for(timeout=60000)
    assert _wait_for(lambda: f"of {total:,} rows" in progress.inner_text(), timeout=120)
    # (offered zipped: one member, the CLI's bytes)
    csv_bytes = _unzip(_download(s, "Download CSV, zipped", folder), "csv")
    assert csv_bytes == _cli(store, folder, "csv")
    assert csv_bytes.count(b"\n") >= total + 1
    s.page.get_by_role("button", name=f"Prepare GeoJSON ({total:,} rows)").click()
    geojson = _unzip(_download(s, "Download GeoJSON, zipped", folder), "geojson")
    assert geojson == _cli(store, folder, "geojson")
    assert len(json.loads(geojson)["features"]) == total

    # fewer rows: written when the button is clicked
    s.page.close()
    s = Session(browser, url + "/events?dates=2017-05-01&dates=2017-05-31")  # a shared link
    assert _wait_for(lambda: 0 < s.showing() < 100_000, timeout=120)
    s.idle(timeout=120, strict=True)
    may = s.showing()
    csv_bytes = _download(s, "Download CSV", folder)
    assert csv_bytes == _cli(store, folder, "csv", "--from", "2017-05-01", "--to", "2017-05-31")
    assert csv_bytes.count(b"\n") >= may + 1
    geojson = _download(s, "Download GeoJSON", folder)
    assert len(json.loads(geojson)["features"]) == may
    assert geojson == _cli(store, folder, "geojson", "--from", "2017-05-01", "--to", "2017-05-31")
    assert s.external_requests() == [] and s.dialogs == []
    s.page.close()
