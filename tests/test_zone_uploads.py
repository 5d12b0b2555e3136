"""The zone upload gate, run on a corpus of hostile and broken files through the gate
itself, the CLI and the Zones page; after every refused file the stored zones are
unchanged, and nothing in a file makes the app read another file or make a request."""

from __future__ import annotations

import http.server
import io
import os
import stat
import threading
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import shapely
import streamlit as st
from streamlit.testing.v1 import AppTest
from zone_corpus import HOSTILE_NAME, cases

from conftest import ROOT, SHARED
from geo.cli import main as cli
from geo.uploads import UploadError
from geo.uploads.zones import read_zone_file

CASES = cases()
IDS = [c[0] for c in CASES]
REFUSED = [c for c in CASES if "error" in c[3] or "refused" in c[3].get("outcomes", [])]


# --- watchers: a file nobody may read, an address nobody may call -------------------------


@contextmanager
def watched_fifo(path: Path):
    """A named pipe at ``path``; yields a list that records every attempt to open it for
    reading (a reader would block on a pipe, so a watcher opening the other end sees it)."""
    os.mkfifo(path)
    opened: list[float] = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: no reader
                time.sleep(0.005)
                continue
            opened.append(time.time())
            os.close(fd)  # the reader sees end of file

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield opened
    finally:
        stop.set()
        thread.join(2)


@contextmanager
def recording_server():
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"type":"FeatureCollection","features":[]}')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()


@pytest.fixture
def traps(tmp_path):
    fifo = tmp_path / "canary"
    with watched_fifo(fifo) as opened, recording_server() as (url, hits):

        def arm(data: bytes) -> bytes:
            return data.replace(b"CANARY", str(fifo).encode()).replace(b"URL", url.encode())

        yield arm, opened, hits
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) if fifo.exists() else True


# --- the gate ----------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "file_name", "data", "expect"), CASES, ids=IDS)
def test_gate_gives_the_expected_outcome(case, file_name, data, expect, traps):
    arm, opened, hits = traps
    try:
        upload = read_zone_file(arm(data), file_name)
    except UploadError as exc:
        message = str(exc)
        assert "error" in expect, f"{case}: refused unexpectedly: {message}"
        assert expect["error"] in message
        assert file_name in message  # names the file
        assert "/vsi" not in message and "/tmp" not in message and "Traceback" not in message
    else:
        assert "error" not in expect, f"{case}: accepted, expected '{expect['error']}'"
        if "layers" in expect:
            assert upload.needs_layer and upload.layers == expect["layers"]
        else:
            assert [f.outcome for f in upload.features] == expect["outcomes"]
            messages = " ".join(m for f in upload.features for m in f.messages)
            assert expect["text"] in messages
            for f in upload.accepted:
                assert f.geometry.geom_type == "MultiPolygon" and f.geometry.is_valid
                assert f.area_km2 > 0
    assert opened == [] and hits == [], "the upload made the app read a file or call out"


def test_hostile_text_is_kept_as_text():
    data = dict((c[0], c) for c in CASES)["html-names"][2]
    (f,) = read_zone_file(data, "zones.geojson").features
    assert f.name == HOSTILE_NAME
    assert f.properties["note"] == "<script>alert(1)</script>"
    assert f.properties["<b onmouseover=alert(1)>"] == "${alert(1)}"


def test_swap_is_offered_then_done_only_when_asked():
    data = dict((c[0], c) for c in CASES)["swapped"][2]
    upload = read_zone_file(data, "zones.geojson")
    assert upload.swap_would_help and upload.features[0].outcome == "refused"
    swapped = read_zone_file(data, "zones.geojson", swap_xy=True)
    assert swapped.features[0].outcome == "accepted"
    assert swapped.features[0].geometry.contains(shapely.Point(36.6, 35.9))


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ZONEWATCH_MAX_ZONE_VERTICES", "300000")
    data = dict((c[0], c) for c in CASES)["200k-vertices"][2]
    (f,) = read_zone_file(data, "zones.geojson").features
    assert f.outcome == "accepted"
    monkeypatch.setenv("ZONEWATCH_MAX_ZONE_UPLOAD_MB", "1")
    with pytest.raises(UploadError, match="ZONEWATCH_MAX_ZONE_UPLOAD_MB"):
        read_zone_file(data, "zones.geojson")


def test_utm_shapefile_is_reprojected():
    data = dict((c[0], c) for c in CASES)["shp-utm37n"][2]
    upload = read_zone_file(data, "zones.zip")
    assert upload.crs == "EPSG:32637"
    (f,) = upload.features
    minx, miny, maxx, maxy = f.geometry.bounds
    assert (minx, miny, maxx, maxy) == pytest.approx((36.5, 35.8, 36.7, 36.0), abs=1e-6)


def test_geopackage_layer_is_chosen():
    data = dict((c[0], c) for c in CASES)["gpkg-two-layers"][2]
    upload = read_zone_file(data, "two.gpkg", layer="second")
    assert upload.layer == "second" and [f.name for f in upload.features] == ["Layer B zone"]
    with pytest.raises(UploadError, match="no layer 'third'"):
        read_zone_file(data, "two.gpkg", layer="third")


def test_names_typed_for_unnamed_features():
    data = dict((c[0], c) for c in CASES)["no-name"][2]
    upload = read_zone_file(data, "zones.geojson", names={1: "  Typed   name "})
    assert upload.features[0].outcome == "accepted" and upload.features[0].name == "Typed name"


# --- real boundaries: the OCHA governorates ---------------------------------------------

OCHA_DIR = SHARED / "data" / "external" / "ocha_cod_ab_syr"


def _zip_shapefile(stem: str, folder: str = "") -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            z.write(OCHA_DIR / f"{stem}{ext}", f"{folder}{stem}{ext}")
    return out.getvalue()


@pytest.mark.skipif(not OCHA_DIR.exists(), reason="../shared/data/external is not here")
@pytest.mark.parametrize("kind", ["shapefile-zip", "shapefile-zip-in-folder", "geojson"])
def test_ocha_governorates_upload_as_14_zones_in_both_languages(kind):
    if kind == "geojson":
        data, name = (OCHA_DIR / "syr_admin1.geojson").read_bytes(), "syr_admin1.geojson"
    else:
        folder = "syr_admin1/" if kind.endswith("folder") else ""
        data, name = _zip_shapefile("syr_admin1", folder), "syr_admin1.zip"
    upload = read_zone_file(data, name)
    assert len(upload.features) == 14 and len(upload.accepted) == 14
    by_pcode = {f.properties["adm1_pcode"]: f for f in upload.features}
    assert by_pcode["SY07"].name == "Idleb" and by_pcode["SY07"].name_ar == "إدلب"
    assert all(f.name and f.name_ar for f in upload.features)
    for f in upload.features:  # OCHA's own area column, in km²
        assert f.area_km2 == pytest.approx(float(f.properties["area_sqkm"]), rel=0.005)


def test_ocha_governorates_from_the_projects_data_copy():
    """The same check on the copy in data/ocha, so it runs without ../shared too."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for path in sorted((ROOT / "data" / "ocha").glob("syr_admin1.*")):
            z.write(path, f"export/{path.name}")
    upload = read_zone_file(out.getvalue(), "admin1.zip")
    assert len(upload.accepted) == 14
    assert {f.name_ar for f in upload.features} >= {"حلب", "دمشق", "إدلب"}


# --- the CLI: one line per problem, exit 2, nothing stored ---------------------------------


def _snapshot(store) -> list:
    v = store.zone_versions().sort_values(["zone_id", "version"])
    props = v.drop(columns="geometry").astype(str).values.tolist()
    return [props, [g.wkb for g in v.geometry]]


def _cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("case", "file_name", "data", "expect"),
    REFUSED + [c for c in CASES if c[0] in ("gpkg-two-layers", "duplicate-names")],
    ids=lambda v: v if isinstance(v, str) and not v.startswith("zones") else "",
)
def test_cli_refuses_with_one_line_per_problem(
    case, file_name, data, expect, fresh_store_path, tmp_path, traps
):
    from geo.store import open_store

    arm, opened, hits = traps
    before = _snapshot(open_store())
    path = tmp_path / file_name
    path.write_bytes(arm(data))
    code, out, err = _cli("import-zones", str(path), "--valid-from", "2020-01-01")
    assert code == 2, (case, out, err)
    lines = err.strip().splitlines()
    assert all(line.startswith("zonewatch: ") for line in lines)
    assert "Traceback" not in err and "/vsi" not in err
    if "error" in expect:
        assert len(lines) == 1 and expect["error"] in lines[0]
    elif "outcomes" in expect:
        refused = expect["outcomes"].count("refused")
        assert sum(line.startswith("zonewatch: refused:") for line in lines) == refused
        assert expect["text"] in err
    assert _snapshot(open_store()) == before
    assert opened == [] and hits == []


ACCEPTED = [c for c in CASES if "outcomes" in c[3] and "refused" not in c[3]["outcomes"]]


@pytest.mark.parametrize(
    ("case", "file_name", "data", "expect"), ACCEPTED, ids=[c[0] for c in ACCEPTED]
)
def test_cli_stores_what_the_gate_accepts(
    case, file_name, data, expect, fresh_store_path, tmp_path
):
    from geo.store import open_store

    before = len(open_store().zone_versions())
    path = tmp_path / file_name
    path.write_bytes(data)
    code, out, err = _cli("import-zones", str(path), "--valid-from", "2020-01-01")
    assert code == 0, (case, err)
    assert len(out.strip().splitlines()) == len(expect["outcomes"])
    assert len(open_store().zone_versions()) == before + len(expect["outcomes"])


def test_cli_stores_versions_and_reports_them(fresh_store_path, tmp_path):
    from geo.store import open_store

    data = dict((c[0], c) for c in CASES)["bowtie"][2]
    path = tmp_path / "bowtie.geojson"
    path.write_bytes(data)
    code, out, err = _cli(
        "import-zones", str(path), "--zone", "idlib", "--valid-from", "2021-02-03", "--note", "n"
    )
    assert code == 0, err
    assert out.startswith("idlib: version 6 from 2021-02-03")
    assert "Self-intersection" in out  # the repair is reported
    v = open_store().zone_versions()
    row = v[(v["zone_id"] == "idlib") & (v["version"] == 6)].iloc[0]
    assert row["note"] == "n" and row["source_file"] == "bowtie.geojson"
    assert len(row["sha256"]) == 64 and str(row["valid_from"].date()) == "2021-02-03"
    assert row["name_en"] == v[v["zone_id"] == "idlib"].iloc[0]["name_en"]  # still Idlib
    code, out, _ = _cli("zones", "history", "idlib")
    assert code == 0 and out.splitlines()[0] == "idlib: 6 versions"
    code, out, _ = _cli("zones", "rollback", "idlib", "5", "--valid-from", "2021-03-01")
    assert code == 0 and "version 7 added, equal to version 5" in out
    v = open_store().zone_versions()
    five, seven = (v[(v["zone_id"] == "idlib") & (v["version"] == n)].iloc[0] for n in (5, 7))
    assert five.geometry.equals(seven.geometry) and len(v) == 20


# --- the Zones page ----------------------------------------------------------------------


def _page_texts(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "error", "warning", "info", "success", "caption", "exception"):
        parts += [str(getattr(e, "value", "")) for e in at.get(kind)]
    return "\n".join(parts)


def test_upload_page_refuses_every_hostile_file(fresh_store_path, traps):
    from geo.store import open_store

    arm, opened, hits = traps
    before = _snapshot(open_store())
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/zones.py").run()
    assert not at.exception
    for case, file_name, data, expect in CASES:
        at.file_uploader(key="zone_upload").set_value((file_name, arm(data), "")).run()
        assert not at.exception, (case, at.exception)
        text = _page_texts(at)
        assert "Traceback" not in text and "/vsi" not in text and "/tmp/" not in text, case
        if "error" in expect:
            # markdown escapes (\_ and the like) render as the plain characters
            assert any(expect["error"] in e.value.replace("\\", "") for e in at.error), case
        elif "layers" in expect:
            assert any("2 layers" in i.value for i in at.info), case
        else:
            n = expect["outcomes"].count("refused")
            summary = f"{len(expect['outcomes']) - n} accepted or repaired, {n} refused"
            assert summary in text.replace("\\", ""), (case, text)
    assert _snapshot(open_store()) == before
    assert opened == [] and hits == []


def test_upload_page_saves_a_new_version(fresh_store_path):
    from geo.store import open_store

    data = dict((c[0], c) for c in CASES)["unclosed-ring"][2]
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/zones.py").run()
    at.file_uploader(key="zone_upload").set_value(("open.geojson", data, "")).run()
    assert not at.exception
    assert any("1 accepted or repaired, 0 refused" in m.value for m in at.markdown)
    assert any("window.zw.shapes(" in c.proto.json_args for c in at.get("component_instance"))
    form_submit = [b for b in at.get("button") if "Save 1 zone" in str(b.proto.label)]
    assert form_submit, "no save button"
    form_submit[0].click().run()
    assert not at.exception
    assert any("Saved open version 1" in s.value for s in at.success)
    v = open_store().zone_versions()
    assert (v["zone_id"] == "open").sum() == 1


def test_the_traps_do_catch_a_read_and_a_request(traps, tmp_path):
    """The watchers above are only worth something if they see what they watch for."""
    import urllib.request

    arm, opened, hits = traps
    fifo = arm(b"CANARY").decode()
    with open(fifo, "rb") as fh:  # what GDAL would do with a VRT's SrcDataSource
        fh.read()
    url = arm(b"URL").decode()
    urllib.request.urlopen(f"{url}/zones.geojson", timeout=5).read()
    time.sleep(0.05)
    assert opened and hits == ["/zones.geojson"]


def test_two_features_for_one_zone_are_refused(fresh_store_path, tmp_path):
    """One by zone_id, one by the same zone's name: one save, one new boundary per zone."""
    import json

    from geo.store import open_store

    idlib = open_store().zone_extents().query("zone_id == 'idlib'").iloc[0]
    ring = [[36.5, 35.8], [36.7, 35.8], [36.7, 36.0], [36.5, 35.8]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "New shape", "zone_id": "idlib"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            },
            {
                "type": "Feature",
                "properties": {"name": idlib["name_en"]},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            },
        ],
    }
    path = tmp_path / "two.geojson"
    path.write_text(json.dumps(doc))
    before = _snapshot(open_store())
    code, _, err = _cli("import-zones", str(path))
    assert code == 2 and "features 1, 2 all go to zone 'idlib'" in err
    assert _snapshot(open_store()) == before


def test_layers_that_differ_only_in_case_are_read_as_named():
    import zipfile

    from zone_corpus import shapefile_members, square_frame

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for stem, name in (("Zones", "Alpha"), ("zones", "Bravo")):
            for ext, data in shapefile_members(square_frame(name), stem=stem).items():
                z.writestr(ext, data)
    data = out.getvalue()
    assert read_zone_file(data, "x.zip").layers == ["Zones", "zones"]
    for layer, name in (("Zones", "Alpha"), ("zones", "Bravo")):
        (f,) = read_zone_file(data, "x.zip", layer=layer).features
        assert f.name == name


def test_a_typed_name_is_kept_through_reruns_and_saved(fresh_store_path):
    from geo.store import open_store

    data = dict((c[0], c) for c in CASES)["no-name"][2]
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/zones.py").run()
    at.file_uploader(key="zone_upload").set_value(("unnamed.geojson", data, "")).run()
    assert any("0 accepted or repaired, 1 refused" in m.value for m in at.markdown)
    (box,) = [t for t in at.text_input if t.label == "Name for feature 1"]
    box.input("Typed zone").run()
    assert any("1 accepted or repaired, 0 refused" in m.value for m in at.markdown)
    at.run()  # reruns (any interaction): the typed name must survive them
    at.run()
    assert any("1 accepted or repaired, 0 refused" in m.value for m in at.markdown)
    [b for b in at.get("button") if "Save 1 zone" in str(b.proto.label)][0].click().run()
    assert any("Saved typed_zone version 1" in s.value.replace("\\", "") for s in at.success)
    assert (open_store().zone_versions()["name_en"] == "Typed zone").sum() == 1
