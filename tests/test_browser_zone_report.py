"""Real-browser tests of the zone upload report, the uploaders' stated limits, and the
Zone history after a rollback (Debian's Chromium, Playwright), on the OCHA governorates.

Each test starts the app on its own copy of the store (idlib has versions 1..5)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
import test_browser
from test_browser_zones import (
    IDLIB_NAME,
    T,
    _km2,
    _nav,
    _open,
    _report,
    _select,
    _targets,
    _try,
    _wait_for,
    app,  # noqa: F401 - the fixture, found by name
)

from conftest import ROOT, SHARED

browser = test_browser.browser
pytestmark = pytest.mark.browser

OCHA = SHARED / "data" / "external" / "ocha_cod_ab_syr"
DATA_OCHA = ROOT / "data" / "ocha"

# Elements whose text is cut: wider content than box (an ellipsis or a clipped line).
CUT = """els => els.flatMap(e => [e, ...e.querySelectorAll('*')])
              .filter(e => e.scrollWidth > e.clientWidth + 1)
              .map(e => e.textContent)"""


def _ocha_zip(tmp_path: Path) -> Path:
    path = tmp_path / "syr_admin1.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for member in sorted(DATA_OCHA.glob("syr_admin1.*")):
            z.write(member, f"syr_admin1/{member.name}")
    return path


def _idleb(tmp_path: Path) -> Path:
    """The Idleb governorate alone (OCHA GeoJSON), sent to the Idlib zone by its zone_id."""
    source = OCHA / "syr_admin1.geojson"
    if source.exists():
        doc = json.loads(source.read_text())
    else:
        import geopandas as gpd

        doc = json.loads(gpd.read_file(DATA_OCHA / "syr_admin1.shp").to_json())
    (feat,) = [f for f in doc["features"] if f["properties"]["adm1_pcode"] == "SY07"]
    feat["properties"]["zone_id"] = "idlib"
    path = tmp_path / "idleb.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feat]}))
    return path


def _dropzone_text(s) -> str:
    zone = s.page.get_by_test_id("stFileUploaderDropzoneInstructions")
    zone.wait_for(timeout=60_000)
    return zone.inner_text()


def test_uploaders_state_the_real_limits(app, browser):  # noqa: F811
    s = _open(browser, app)
    text = _dropzone_text(s)
    assert "50MB per file" in text and "200MB" not in text, text
    _nav(s, "Import events")
    s.page.get_by_role("heading", name="Import events").wait_for(timeout=T)
    text = _wait_for(lambda: (t := _try(lambda: _dropzone_text(s))) and "MB" in t and t)
    assert "300MB per file" in text, text
    s.page.close()


def test_report_new_zones_areas_details_and_kept_name(app, browser, tmp_path):  # noqa: F811
    s = _open(browser, app)
    s.page.get_by_test_id("stFileUploader").wait_for(timeout=60_000)
    s.page.locator("input[type=file]").set_input_files(str(_ocha_zip(tmp_path)))
    s.page.get_by_text(re.compile(r"14 accepted or repaired, 0 refused")).wait_for(timeout=60_000)
    rows = _report(s)
    assert rows and all(r["added km²"] == r["removed km²"] == "new zone" for r in rows), rows
    areas = [_km2(r["area km²"]) for r in rows]  # 1,234.5 alike, no bare 19891
    assert max(areas) > 1000

    # Idleb as a new version of the Idlib zone: the zone keeps its name, and says so.
    s.page.locator("input[type=file]").set_input_files(str(_idleb(tmp_path)))
    s.page.get_by_text(re.compile(r"idleb\.geojson .*1 accepted or repaired")).wait_for(
        timeout=60_000
    )
    (row,) = _wait_for(lambda: (r := _report(s)) and r[0]["saved as"] == "idlib" and r)
    assert _km2(row["added km²"]) > 0 and _km2(row["removed km²"]) > 0
    note = f"keeps the zone's name '{IDLIB_NAME}' (the file calls it 'Idleb')"
    assert note in row["details"]
    info = s.page.get_by_test_id("stAlertContentInfo").filter(has_text="keeps the zone's name")
    assert f"idlib stays '{IDLIB_NAME}'" in info.inner_text()
    # The details, in full and unclipped, one line per feature.
    box = s.page.get_by_test_id("stExpander").filter(has_text="Details, in full")
    box.get_by_text(re.compile("^Details, in full")).click()
    item = box.locator("li").first
    item.wait_for(timeout=T)
    assert note in item.inner_text()
    assert item.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    assert box.get_by_text(note, exact=False).is_visible()
    # Ticking Rename warns before the save; unticked, the save keeps the name.
    targets = _targets(s)
    rename = targets.get_by_text("Rename the zone to 'Idleb'")
    box_of = targets.get_by_role("checkbox", name="Rename the zone to 'Idleb'")
    warning = s.page.get_by_test_id("stAlertContentWarning").filter(has_text="renames zone")
    for _ in range(3):  # a click while the page still runs can be lost: tick until ticked
        s.idle()
        if not box_of.is_checked():
            rename.click()
        s.idle()
        if warning.count():
            break
    warning.wait_for(timeout=T)
    assert f"from '{IDLIB_NAME}' to 'Idleb'" in warning.inner_text()
    rename.click()
    warning.wait_for(state="detached", timeout=T)
    s.page.get_by_role("button", name=re.compile(r"^Save 1 zone")).click()
    s.page.get_by_test_id("stAlertContentSuccess").wait_for(timeout=60_000)
    v = app.versions()
    six = v[(v.zone_id == "idlib") & (v.version == 6)].iloc[0]
    assert six.name_en == IDLIB_NAME
    s.page.close()


def test_history_after_rollback_compares_it_with_the_replaced_version(app, browser):  # noqa: F811
    # A laptop's window: the three metrics of one row used to cut "+3,741.0 / -0.0 km²".
    ctx = browser.new_context(viewport={"width": 1024, "height": 768})
    s = _open(ctx, app)
    _nav(s, "Zone history")
    s.page.get_by_role("heading", name="Zone history").wait_for(timeout=T)
    _select(s, "Zone", f"{IDLIB_NAME} (idlib)")
    _select(s, "From version", "1")  # the user looks at an old pair
    # The list opens below the box, at the foot of the page: chosen in a taller window,
    # by a click on the option (in a form, a typed Enter may also submit the form with the
    # value it had: seen as "equal to version 1"), then back to the laptop's window.
    s.page.set_viewport_size({"width": 1024, "height": 1600})
    s.page.get_by_role(
        "combobox", name="Make this version current again"
    ).scroll_into_view_if_needed()
    _select(s, "Make this version current again", "2")
    s.page.set_viewport_size({"width": 1024, "height": 768})
    s.page.get_by_role("button", name="Add a version equal to it").click()
    ok = s.page.get_by_test_id("stAlertContentSuccess")
    ok.wait_for(timeout=60_000)
    assert "version 6 added, equal to version 2" in ok.inner_text()
    pick = s.page.get_by_role("combobox", name="From version", exact=True)
    _wait_for(lambda: _try(pick.input_value) == "5", timeout=30)
    to = s.page.get_by_role("combobox", name="To version", exact=True)
    assert to.input_value() == "6"
    metrics = s.page.get_by_test_id("stMetric")
    _wait_for(lambda: "Added in version 6" in (_try(lambda: metrics.all_inner_texts()) or [""])[2])
    texts = metrics.all_inner_texts()
    assert texts[0].startswith("Area, version 5") and texts[1].startswith("Area, version 6")
    values = s.page.get_by_test_id("stMetricValue")
    assert values.count() == 4
    assert values.evaluate_all(CUT) == [], "a metric is cut"
    assert metrics.evaluate_all(CUT) == [], "a metric's label or change is cut"
    for v in values.all_inner_texts():
        assert re.fullmatch(r"[+-]?\d{1,3}(,\d{3})*\.\d km²", v.strip()), v
    ctx.close()
