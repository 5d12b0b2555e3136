"""Real-browser tests of the zone pages: upload a boundary file, draw a zone, save new
versions, and see them on the Map and Zone history pages (Debian's Chromium, Playwright).

Every test starts the app on its own copy of the store, so version numbers are known:
idlib has versions 1..5 when a test starts. Like test_browser.py, these tests fail (never
skip) when Chromium is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
import test_browser
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from shapely.geometry import Point
from test_browser import HOSTILE, MAP_IFRAME, Session, _start_app, _stop_app, _wait_for

# The module-scoped Chromium of the map tests, shared: pytest finds fixtures by name here.
browser = test_browser.browser

pytestmark = pytest.mark.browser

T = 30_000  # ms: Streamlit reruns and iframe remounts take a moment on two cores
IDLIB_NAME = "Idlib de-escalation zone (Idlib and parts of Latakia, Hama and Aleppo)"
DRAW_ASSETS = "/app/static/vendor/leaflet-draw/"


# --- fixtures and helpers ---------------------------------------------------------------


class App:
    """The app served on 127.0.0.1 on a private copy of the store."""

    def __init__(self, url: str, store: Path):
        self.url = url
        self.store = store

    def versions(self):
        """Every zone version in this app's store, read the way the app reads them."""
        from geo.store import open_store

        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ZONEWATCH_STORE", str(self.store))
            mp.delenv("DATABASE_URL", raising=False)
            return open_store(seed=False).zone_versions()


@pytest.fixture
def app(tmp_path, session_store_path):
    """A fresh store and a server for each test: saves of one test never reach another."""
    store = tmp_path / "zonewatch.gpkg"
    shutil.copyfile(session_store_path, store)
    proc, url = _start_app(store)
    try:
        yield App(url, store)
    finally:
        _stop_app(proc)


def _open(browser, app: App, path: str = "/zones") -> Session:
    s = Session(browser, app.url + path)
    # Every response the page gets, with its status, to check where assets come from.
    s.responses = []
    s.page.on("response", lambda r: s.responses.append((r.url, r.status)))
    return s


def _nav(s: Session, title: str) -> None:
    s.page.get_by_test_id("stPageLink-NavLink").get_by_text(title, exact=True).click()


def _visible_map(s: Session):
    """The visible st_folium iframe (exactly one) and its frame once Leaflet and the zw
    helpers are up. Re-resolved on remount."""
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            loc = s.page.locator(MAP_IFRAME + ":visible")
            if loc.count() == 1:
                frame = loc.element_handle(timeout=5000).content_frame()
                if frame and frame.evaluate(
                    "() => !!(window.map && window.map.eachLayer && window.zw)"
                ):
                    return loc, frame
        except Exception:  # "Frame was detached": the iframe remounted, try again
            pass
        time.sleep(0.3)
    raise AssertionError("no visible map iframe with Leaflet ready")


def _settled_box(loc) -> dict:
    """The iframe's bounding box once the layout has stopped moving (a rerun can shift the
    page under the map for a moment; a click must land where the point is)."""
    last, still = None, 0
    deadline = time.time() + 30
    while time.time() < deadline:
        box = _try(lambda: loc.bounding_box(timeout=5000))
        if box and box == last:
            still += 1
            if still >= 3:
                return box
        else:
            still = 0
        last = box
        time.sleep(0.3)
    raise AssertionError("the map kept moving")


def _grid(scope) -> list[dict]:
    """The rows of an st.dataframe as dicts, from the grid's accessible table (the cells
    themselves are drawn on a canvas)."""
    table = scope.locator("table[role=grid]").first
    table.wait_for(state="attached", timeout=T)
    return table.evaluate(
        """t => {
             const head = Array.from(t.querySelectorAll('thead th')).map(c => c.textContent);
             return Array.from(t.querySelectorAll('tbody tr')).map(tr => {
               const row = {};
               Array.from(tr.querySelectorAll('td')).forEach((c, i) => {
                 row[head[i]] = c.textContent; });
               return row; });
           }"""
    )


def _report(s: Session) -> list[dict]:
    """The upload report table (the only dataframe on the Zones page)."""
    return _wait_for(lambda: _try(lambda: _grid(s.page)), timeout=60)


def _km2(cell: str) -> float:
    """An area cell of the report ('1,234.5') as a number."""
    assert re.fullmatch(r"\d{1,3}(,\d{3})*\.\d", cell), cell
    return float(cell.replace(",", ""))


def _targets(s: Session):
    """Open the expander where each accepted zone's destination is chosen (a real click)."""
    box = s.page.get_by_test_id("stExpander").filter(has_text="Where each zone goes")
    box.get_by_text("Where each zone goes").click()
    box.get_by_test_id("stSelectbox").first.wait_for(timeout=T)
    return box


def _try(fn):
    try:
        return fn()
    except Exception:
        return None


def _zone_layers(s: Session) -> list[dict]:
    """The zones Leaflet drew on the Map page: one entry per tagged zone layer."""
    js = """() => { const out = []; window.map.eachLayer(l => {
                if (l.zwZone && l.options.zwKind === 'zone') out.push({
                  zone_id: l.zwZone.zone_id, version: l.zwZone.version,
                  name_en: l.zwZone.name_en}); }); return out; }"""
    return s.map_frame().evaluate(js)


def _hostile_elements(s: Session) -> int:
    """<img src=x> elements in the page and in every frame (none may exist)."""
    n = 0
    for frame in s.page.frames:
        try:
            n += frame.evaluate(
                "() => Array.from(document.querySelectorAll('img'))"
                ".filter(i => i.getAttribute('src') === 'x' || i.hasAttribute('onerror')).length"
            )
        except Exception:  # a frame detached while we looked: it is gone
            pass
    return n


def _set_date(s: Session, label: str, value: date) -> None:
    """Type a date into Streamlit's segmented date field; it commits on blur."""
    for part, text in (("year", f"{value:%Y}"), ("month", f"{value:%m}"), ("day", f"{value:%d}")):
        s.page.get_by_role("spinbutton", name=f"{part}, {label}").click()
        s.page.keyboard.type(text)
    s.page.get_by_text("Save as new versions", exact=True).click()  # blur: commit


def _save(s: Session) -> str:
    """Click the form's Save button and return the success message shown after the rerun."""
    s.page.get_by_role("button", name=re.compile(r"^Save \d+ zone")).click()
    ok = s.page.get_by_test_id("stAlertContentSuccess")
    ok.wait_for(timeout=60_000)
    return ok.inner_text()


def _select(s: Session, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox (a combobox) with real clicks, once the page
    has stopped running: a rerun that redraws the box closes its open list, as it would for
    a person, who would open it again (so does this, up to three times)."""
    box = s.page.get_by_role("combobox", name=label, exact=True)
    for attempt in range(3):
        s.idle()
        box.click()
        choice = s.page.get_by_role("option", name=option, exact=True)
        try:
            choice.click(timeout=15_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    _wait_for(lambda: _try(box.input_value) == option, timeout=30)


def _offline_checks(s: Session) -> None:
    assert s.external_requests() == []
    assert s.dialogs == []
    # Every static asset (Leaflet, Leaflet.draw, their images) was served. (Streamlit's own
    # probes of /<page>/_stcore/... answer 404 on deep links by design: not checked.)
    failed = [(u, st) for u, st in s.responses if "/app/static/" in u and st >= 400]
    assert failed == []


def _shapefile_zip(tmp_path: Path, geometry) -> Path:
    """A zipped Shapefile as GIS programs export it: .shp/.shx/.dbf/.prj in a folder."""
    import geopandas as gpd

    out = tmp_path / "shp"
    out.mkdir()
    gpd.GeoDataFrame(
        {"zone_id": ["idlib"], "name": [IDLIB_NAME]}, geometry=[geometry], crs="EPSG:4326"
    ).to_file(out / "idlib.shp")
    archive = tmp_path / "idlib_boundary.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for ext in ("shp", "shx", "dbf", "prj"):
            z.write(out / f"idlib.{ext}", f"export/idlib.{ext}")
    return archive


# --- tests --------------------------------------------------------------------------------


def test_upload_zipped_shapefile_saves_idlib_version_6_shown_on_map_and_history(
    app, browser, tmp_path
):
    versions = app.versions()
    idlib = versions[versions.zone_id == "idlib"].sort_values("version")
    assert idlib.version.tolist() == [1, 2, 3, 4, 5]
    shrunk = idlib.geometry.iloc[-1].buffer(-0.03)  # about 3 km inside the current boundary
    archive = _shapefile_zip(tmp_path, shrunk)
    valid_from = date(2024, 1, 15)

    s = _open(browser, app)
    s.page.get_by_test_id("stFileUploader").wait_for(timeout=60_000)
    s.page.locator("input[type=file]").set_input_files(str(archive))

    line = s.page.get_by_text(re.compile(r"accepted or repaired, \d+ refused"))
    line.wait_for(timeout=60_000)
    assert re.search(
        r"idlib_boundary\.zip \(.*Shapefile.*\): 1 accepted or repaired, 0 refused",
        line.inner_text(),
    )
    (row,) = _report(s)
    assert row["outcome"] == "accepted"
    assert row["saved as"] == "idlib"
    assert row["name"] == IDLIB_NAME
    assert _km2(row["removed km²"]) > 100  # a 3 km band around the zone
    assert _km2(row["added km²"]) < 1
    # The destination chosen by the zone_id property, shown in the expander.
    targets = _targets(s)
    assert targets.get_by_text(IDLIB_NAME, exact=True).is_visible()
    pick = targets.get_by_role("combobox")
    assert pick.input_value() == f"new version of {IDLIB_NAME}"

    # The preview map: the uploaded boundary drawn through window.zw.shapes.
    _, preview = _visible_map(s)
    labels = preview.evaluate(
        "() => { const out = []; window.map.eachLayer(l => {"
        " if (l.options && l.options.zwKind === 'shape') out.push(l.zwLabel); }); return out; }"
    )
    assert IDLIB_NAME in labels

    _set_date(s, "Valid from", valid_from)
    message = _save(s)
    assert message.startswith("Saved idlib version 6, valid from 15 Jan 2024")

    # The store holds version 6 beside the old ones.
    after = app.versions()
    idlib = after[after.zone_id == "idlib"].sort_values("version")
    assert idlib.version.tolist() == [1, 2, 3, 4, 5, 6]
    assert idlib.valid_from.iloc[-1].date() == valid_from
    assert idlib.source_file.iloc[-1] == "idlib_boundary.zip"

    # The Map page shows the zones as of the valid-from date: idlib version 6.
    _nav(s, "Map")
    s.page.get_by_text(re.compile(r"Zones as of 15 Jan 2024: .*Idlib \(v6")).wait_for(
        timeout=60_000
    )
    layers = _wait_for(
        lambda: _try(lambda: [z for z in _zone_layers(s) if z["zone_id"] == "idlib"]), timeout=60
    )
    assert {z["version"] for z in layers} == {"6"}
    assert {z["name_en"] for z in layers} == {IDLIB_NAME}

    # Zone history lists all six versions: nothing was overwritten.
    _nav(s, "Zone history")
    s.page.get_by_role("heading", name="Zone history").wait_for(timeout=T)
    _select(s, "Zone", f"{IDLIB_NAME} (idlib)")
    rows = _wait_for(lambda: (r := _try(lambda: _grid(s.page))) and len(r) == 6 and r, timeout=60)
    assert [int(r["version"]) for r in rows] == [1, 2, 3, 4, 5, 6], rows
    assert rows[-1]["valid from"] == "2024-01-15", rows
    assert rows[-1]["status"] == "proposed"  # the form's default status
    # (the grid draws only the columns in view; source_file is checked in the store above)
    assert rows[4]["valid from"] == "2020-03-06"  # version 5 is still there, unchanged
    _offline_checks(s)
    s.page.close()


def test_draw_a_polygon_and_save_it(app, browser):
    s = _open(browser, app)
    s.page.get_by_test_id("stRadio").get_by_text("Draw on the map", exact=True).click()
    s.page.get_by_label("Zone name").fill("Drawn test zone")
    s.page.keyboard.press("Enter")
    s.page.get_by_text("Nothing drawn yet.").wait_for(timeout=T)

    loc, frame = _visible_map(s)
    _settled_box(loc)
    frame.evaluate("() => window.map.setView([34.73, 36.72], 10, {animate: false})")
    frame.locator(".leaflet-draw-draw-polygon").click()
    corners = [(34.80, 36.62), (34.80, 36.82), (34.66, 36.82), (34.66, 36.62)]
    points = [
        frame.evaluate(
            "([a, b]) => { const p = window.map.latLngToContainerPoint([a, b]);"
            " return [p.x, p.y]; }",
            list(c),
        )
        for c in corners
    ]
    box = _settled_box(loc)
    for x, y in points + points[:1]:  # a click on the first point finishes the polygon
        s.page.mouse.click(box["x"] + x, box["y"] + y)
        time.sleep(0.3)
    drawn = _try(
        lambda: frame.evaluate("() => JSON.stringify(window.__GLOBAL_DATA__.all_drawings)")
    )
    if drawn is not None:  # (None: the frame remounted with the rerun, which is fine)
        assert "Polygon" in drawn, f"Leaflet.draw made no polygon: {drawn}"

    line = s.page.get_by_text(re.compile(r"drawn on the map .*accepted or repaired"))
    line.wait_for(timeout=60_000)
    assert "1 accepted or repaired, 0 refused" in line.inner_text()
    (row,) = _report(s)
    assert row["outcome"] == "accepted"
    assert row["saved as"] == "drawn_test_zone (new)"
    assert row["name"] == "Drawn test zone"

    message = _save(s)
    assert message.startswith("Saved drawn_test_zone version 1")

    versions = app.versions()
    drawn = versions[versions.zone_id == "drawn_test_zone"]
    assert drawn.version.tolist() == [1]
    geom = drawn.geometry.iloc[0]
    assert geom.geom_type in ("Polygon", "MultiPolygon")
    assert len(getattr(geom, "geoms", [geom])) == 1
    assert geom.contains(Point(36.72, 34.73))  # Homs
    minx, miny, maxx, maxy = geom.bounds
    assert (minx, miny, maxx, maxy) == pytest.approx((36.62, 34.66, 36.82, 34.80), abs=0.01)
    assert drawn.name_en.iloc[0] == "Drawn test zone"
    assert drawn.method.iloc[0] == "Drawn on the map"

    # Leaflet.draw came from the app itself.
    draw_assets = [u for u, st in s.responses if DRAW_ASSETS in u and st == 200]
    assert any(u.endswith("leaflet.draw.js") for u in draw_assets)
    assert any(u.endswith("leaflet.draw.css") for u in draw_assets)
    elsewhere = [u for u, _ in s.responses if "leaflet.draw" in u and DRAW_ASSETS not in u]
    assert elsewhere == []
    _offline_checks(s)
    s.page.close()


def test_hostile_zone_name_uploaded_saved_and_mapped_as_text(app, browser, tmp_path):
    zone_id = "img_src_x_onerror_alert_1"
    ring = [[38.55, 34.35], [38.85, 34.35], [38.85, 34.58], [38.55, 34.58], [38.55, 34.35]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": HOSTILE},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    path = tmp_path / "hostile.geojson"
    path.write_text(json.dumps(doc))

    s = _open(browser, app)
    s.page.get_by_test_id("stFileUploader").wait_for(timeout=60_000)
    s.page.locator("input[type=file]").set_input_files(str(path))
    s.page.get_by_text(re.compile(r"1 accepted or repaired, 0 refused")).wait_for(timeout=60_000)
    (row,) = _report(s)
    assert row["name"] == HOSTILE
    assert row["saved as"] == f"{zone_id} (new)"
    # The preview map labels the upload with the name, as text.
    _, preview = _visible_map(s)
    labels = preview.evaluate(
        "() => { const out = []; window.map.eachLayer(l => {"
        " if (l.options && l.options.zwKind === 'shape') out.push(l.zwLabel); }); return out; }"
    )
    assert HOSTILE in labels
    # The choice of destination names the feature beside it, as text.
    targets = _targets(s)
    assert targets.get_by_text(HOSTILE, exact=True).is_visible()
    assert _hostile_elements(s) == 0

    message = _save(s)
    assert message.startswith(f"Saved {zone_id} version 1")
    assert _hostile_elements(s) == 0
    versions = app.versions()
    assert versions[versions.zone_id == zone_id].name_en.tolist() == [HOSTILE]

    # The Map page: the zone is drawn, its tooltip (a real hover) shows the name as text.
    _nav(s, "Map")
    # the caption names the zone shown, as text
    caption = re.compile(rf"Zones as of .*{re.escape(HOSTILE)} \(v1")
    s.page.get_by_text(caption).wait_for(timeout=60_000)
    hit = _wait_for(
        lambda: _try(lambda: [z for z in _zone_layers(s) if z["zone_id"] == zone_id]), timeout=60
    )
    assert {z["name_en"] for z in hit} == {HOSTILE}
    frame = s.map_frame()
    frame.evaluate("() => window.map.setView([34.465, 38.70], 10, {animate: false})")
    box = s.page.locator(MAP_IFRAME).bounding_box()
    tooltip = frame.locator(".leaflet-tooltip").filter(has_text=HOSTILE)
    for lat, lon in ((34.465, 38.70), (34.40, 38.62), (34.52, 38.80), (34.45, 38.78)):
        x, y = frame.evaluate(
            "([a, b]) => { const p = window.map.latLngToContainerPoint([a, b]);"
            " return [p.x, p.y]; }",
            [lat, lon],
        )
        s.page.mouse.move(box["x"] + x, box["y"] + y)
        s.page.mouse.move(box["x"] + x + 2, box["y"] + y + 2)
        if _try(lambda: tooltip.wait_for(timeout=3000) or True):
            break  # an event or town under the pointer would hide the zone: try elsewhere
    assert tooltip.count() == 1, "no tooltip on hover over the zone"
    assert tooltip.inner_text() == HOSTILE
    assert frame.locator(".leaflet-tooltip img").count() == 0

    # Zone history lists it by name, as text.
    _nav(s, "Zone history")
    s.page.get_by_role("heading", name="Zone history").wait_for(timeout=T)
    _select(s, "Zone", f"{HOSTILE} ({zone_id})")
    # The table follows the choice after a rerun: wait for the one version of this zone.
    rows = _wait_for(lambda: (r := _try(lambda: _grid(s.page))) and len(r) == 1 and r, timeout=60)
    assert rows[0]["name"] == HOSTILE
    assert rows[0]["version"] == "1"
    time.sleep(1)  # an onerror handler would have fired by now
    assert _hostile_elements(s) == 0
    _offline_checks(s)
    s.page.close()


def test_destination_choice_has_a_plain_accessible_name(app, browser, tmp_path):
    """The destination choice is read out as 'Feature 1', with the zone's name beside it
    as typed. (A label holding the escaped name put its backslashes into the aria-label.)"""
    doc = {
        "type": "Feature",
        "properties": {"name": "Test zone (north)"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[38.5, 34.3], [38.9, 34.3], [38.9, 34.6], [38.5, 34.3]]],
        },
    }
    path = tmp_path / "zone.geojson"
    path.write_text(json.dumps(doc))
    s = _open(browser, app)
    s.page.get_by_test_id("stFileUploader").wait_for(timeout=60_000)
    s.page.locator("input[type=file]").set_input_files(str(path))
    s.page.get_by_text(re.compile(r"1 accepted or repaired, 0 refused")).wait_for(timeout=60_000)
    targets = _targets(s)
    label = targets.get_by_test_id("stWidgetLabel").filter(has_text="Feature 1")
    assert label.inner_text() == "Feature 1"
    assert targets.get_by_text("Test zone (north)", exact=True).is_visible()  # as typed
    aria = targets.get_by_role("combobox").get_attribute("aria-label")
    assert aria == "Feature 1"  # what is heard: no markdown escapes read out
    _offline_checks(s)
    s.page.close()


def test_edit_an_existing_zone_by_moving_a_vertex(app, browser):
    """Pick Idlib, move one vertex with Leaflet.draw's edit tool (real mouse), save it
    from the toolbar, then save the checked drawing as Idlib's version 6."""
    s = _open(browser, app)
    s.page.get_by_test_id("stRadio").get_by_text("Draw on the map", exact=True).click()
    _select(s, "Zone to edit", IDLIB_NAME)
    s.page.get_by_text("Nothing drawn yet.").wait_for(timeout=T)
    loc, frame = _wait_for(
        lambda: _try(
            lambda: (
                lambda lf: (
                    lf
                    if lf[1].evaluate(
                        "() => window.drawnItems && window.drawnItems.getLayers().length > 0"
                    )
                    else None
                )
            )(_visible_map(s))
        ),
        timeout=60,
    )
    frame.locator(".leaflet-draw-edit-edit").click()
    handle = frame.locator(".leaflet-editing-icon").first
    handle.wait_for(timeout=T)
    box = _settled_box(loc)
    hb = handle.bounding_box()
    x, y = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
    s.page.mouse.move(x, y)
    s.page.mouse.down()
    for step in range(1, 11):  # drag 60 px outwards, as a hand would
        s.page.mouse.move(x - 6 * step, y - 3 * step)
    s.page.mouse.up()
    assert box  # (the map did not move under the drag)
    frame.locator(".leaflet-draw-actions a", has_text="Save").first.click()

    line = s.page.get_by_text(re.compile(r"drawn on the map .*accepted or repaired"))
    line.wait_for(timeout=60_000)
    (row,) = _report(s)
    assert row["outcome"] in ("accepted", "repaired")
    assert row["saved as"] == "idlib"
    assert _km2(row["added km²"]) > 0  # the dragged vertex moved the edge outwards
    message = _save(s)
    assert message.startswith("Saved idlib version 6")
    versions = app.versions()
    idlib = versions[versions.zone_id == "idlib"].sort_values("version")
    assert idlib.version.tolist() == [1, 2, 3, 4, 5, 6]
    v5, v6 = idlib.geometry.iloc[4], idlib.geometry.iloc[5]
    assert not v5.equals(v6) and v6.symmetric_difference(v5).area < 0.05 * v5.area
    assert idlib.method.iloc[5] == "Drawn on the map"
    _offline_checks(s)
    s.page.close()
