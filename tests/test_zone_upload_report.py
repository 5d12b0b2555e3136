"""The zone upload report and what saving does to a zone's name, on real boundaries (the
OCHA governorates, as GeoJSON and as a zipped Shapefile): the gate's report, the CLI, the
Zones page, the uploaders' stated limits, and the Zone history after a rollback."""

from __future__ import annotations

import io
import json
import re
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from datetime import date

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from zone_corpus import cases

from conftest import ROOT, SHARED
from geo import zones as zone_rules
from geo.cli import main as cli
from geo.uploads.zones import CLI, NEUTRAL, Wording, read_zone_file, report_rows

OCHA = SHARED / "data" / "external" / "ocha_cod_ab_syr"
DATA_OCHA = ROOT / "data" / "ocha"
KM2 = re.compile(r"^\d{1,3}(,\d{3})*\.\d$")  # 19,891.0 and 116.7 alike
CASES = {c[0]: c for c in cases()}


def _geojson() -> tuple[bytes, str]:
    """The governorates as GeoJSON (OCHA's own, else converted from data/ocha)."""
    if (OCHA / "syr_admin1.geojson").exists():
        return (OCHA / "syr_admin1.geojson").read_bytes(), "syr_admin1.geojson"
    import geopandas as gpd

    return gpd.read_file(DATA_OCHA / "syr_admin1.shp").to_json().encode(), "syr_admin1.geojson"


def _zip() -> tuple[bytes, str]:
    """The governorates as a zipped Shapefile (the shipped copy in data/ocha)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(DATA_OCHA.glob("syr_admin1.*")):
            z.write(path, f"syr_admin1/{path.name}")
    return out.getvalue(), "syr_admin1.zip"


def _idleb_only(idlib_id: bool = True) -> bytes:
    """Idleb governorate alone, as GeoJSON; with a zone_id sending it to the Idlib zone."""
    doc = json.loads(_geojson()[0])
    (feat,) = [f for f in doc["features"] if f["properties"]["adm1_pcode"] == "SY07"]
    if idlib_id:
        feat["properties"]["zone_id"] = "idlib"
    return json.dumps({"type": "FeatureCollection", "features": [feat]}).encode()


def _versions(store_env):
    from geo.store import open_store

    return open_store().zone_versions()


# --- the gate's report -------------------------------------------------------------------


@pytest.mark.parametrize("source", [_geojson, _zip], ids=["geojson", "shapefile-zip"])
def test_report_says_new_zone_and_formats_every_area_alike(source, store_env):
    data, name = source()
    upload = read_zone_file(data, name)
    versions = _versions(store_env)
    idleb = next(f for f in upload.features if f.properties["adm1_pcode"] == "SY07")
    targets = zone_rules.match(upload.accepted, versions, {idleb.number: "idlib"})
    rows = report_rows(upload, targets)
    assert len(rows) == 14
    by_number = {f.number: f for f in upload.features}
    for row in rows:
        f = by_number[row["feature"]]
        assert None not in row.values() and "None" not in map(str, row.values())
        assert KM2.match(row["area km²"]), row
        assert float(row["area km²"].replace(",", "")) == pytest.approx(f.area_km2, abs=0.05)
        # and OCHA's own figure agrees with the area shown
        assert float(row["area km²"].replace(",", "")) == pytest.approx(
            float(f.properties["area_sqkm"]), rel=0.005
        )
        if f.number == idleb.number:
            t = next(t for t in targets if t.number == f.number)
            assert row["saved as"] == "idlib"
            for col, value in (
                ("added km²", t.diff.added_km2),
                ("removed km²", t.diff.removed_km2),
            ):
                assert KM2.match(row[col]) and float(row[col].replace(",", "")) == pytest.approx(
                    value, abs=0.05
                )
        else:
            assert row["added km²"] == row["removed km²"] == "new zone"
            assert row["saved as"].endswith(" (new)")
    # the areas over 1,000 km² (Aleppo, Al-Hasakeh...) carry a separator, the others not
    areas = [r["area km²"] for r in rows]
    assert any("," in a for a in areas) and any("," not in a for a in areas)


def test_report_gives_no_area_for_a_refused_feature_and_details_in_full(store_env):
    data = CASES["bowtie"][2]
    upload = read_zone_file(data, "bowtie.geojson")
    rows = report_rows(upload, zone_rules.match(upload.accepted, _versions(store_env)))
    assert rows[0]["details"] == "; ".join(upload.features[0].messages)
    assert "Self-intersection" in rows[0]["details"]
    refused = read_zone_file(CASES["no-name"][2], "x.geojson")
    (row,) = report_rows(refused, [])
    assert row["area km²"] == row["added km²"] == row["removed km²"] == ""
    assert row["outcome"] == "refused" and row["details"].startswith("has no name")


def test_report_says_the_zone_keeps_its_name(store_env):
    versions = _versions(store_env)
    upload = read_zone_file(_idleb_only(), "idleb.geojson")
    targets = zone_rules.match(upload.accepted, versions)
    (t,) = targets
    idlib_name = zone_rules.last_extent(versions).set_index("zone_id").loc["idlib", "name_en"]
    assert t.zone_id == "idlib" and t.zone_name == idlib_name
    (row,) = report_rows(upload, targets)
    assert f"keeps the zone's name '{idlib_name}'" in row["details"]
    assert "'Idleb'" in row["details"]
    (renamed,) = report_rows(upload, targets, rename={1})
    assert f"renames zone 'idlib' from '{idlib_name}' to 'Idleb'" in renamed["details"]


# --- saving under an existing zone keeps its name, unless asked ---------------------------


def test_new_version_keeps_the_zone_name_unless_renamed(store_env):
    versions = _versions(store_env)
    idlib = zone_rules.last_extent(versions).set_index("zone_id").loc["idlib"]
    upload = read_zone_file(_idleb_only(), "idleb.geojson")
    targets = zone_rules.match(upload.accepted, versions)
    common = dict(valid_from=date(2021, 1, 1), author="t", note="")
    kept = zone_rules.new_versions(upload.accepted, targets, versions, **common).iloc[0]
    assert (kept["zone_id"], kept["name_en"], kept["name_ar"]) == (
        "idlib",
        idlib["name_en"],
        idlib["name_ar"],
    )
    assert kept.geometry.equals(upload.accepted[0].geometry)  # the boundary is the file's
    renamed = zone_rules.new_versions(
        upload.accepted, targets, versions, rename={1}, **common
    ).iloc[0]
    assert (renamed["name_en"], renamed["name_ar"]) == ("Idleb", "إدلب")
    # a name that is the zone's own (any case) is no rename at all
    same = upload.accepted[0]
    same.name = str(idlib["name_en"]).upper()
    assert not targets[0].name_differs(same.name, "")


def _cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli(list(args))
    return code, out.getvalue(), err.getvalue()


def test_cli_keeps_the_zone_name_and_says_so(fresh_store_path, tmp_path):
    from geo.store import open_store

    before = open_store().zone_versions()
    name = before[before["zone_id"] == "idlib"].sort_values("version")["name_en"].iloc[-1]
    path = tmp_path / "idleb.geojson"
    path.write_bytes(_idleb_only())
    code, out, err = _cli("import-zones", str(path), "--valid-from", "2021-01-01")
    assert code == 0, err
    assert out.startswith("idlib: version 6 from 2021-01-01")
    assert f"keeps the zone's name '{name}' (the file calls it 'Idleb')" in out
    assert "--rename" in out
    v = open_store().zone_versions()
    six = v[(v["zone_id"] == "idlib") & (v["version"] == 6)].iloc[0]
    assert six["name_en"] == name
    code, out, err = _cli("import-zones", str(path), "--valid-from", "2021-02-01", "--rename")
    assert code == 0, err
    assert f"renames zone 'idlib' from '{name}' to 'Idleb'" in out
    v = open_store().zone_versions()
    seven = v[(v["zone_id"] == "idlib") & (v["version"] == 7)].iloc[0]
    assert (seven["name_en"], seven["name_ar"]) == ("Idleb", "إدلب")


# --- messages in the words of the interface ----------------------------------------------


def test_messages_name_the_callers_controls():
    page = Wording(give_name="type it in the box", swap_xy="tick the swap box")
    for case, wording, want, never in (
        ("no-name", CLI, "--zone NAME", "Zones page"),
        ("no-name", page, "type it in the box", "--"),
        ("no-name", NEUTRAL, "--name-field", ""),
        ("swapped", CLI, "--swap-xy", "Zones page"),
        ("swapped", page, "tick the swap box", "--"),
    ):
        (f,) = read_zone_file(CASES[case][2], "x.geojson", wording=wording).features
        text = "; ".join(f.messages)
        assert f.outcome == "refused" and want in text, (case, text)
        assert not never or never not in text, (case, text)
    (f,) = read_zone_file(CASES["no-name"][2], "x.geojson").features
    assert "Zones page" in f.messages[0] and "import-zones" in f.messages[0]  # both named


# --- the Zones page ----------------------------------------------------------------------


def _zones_page() -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("pages/zones.py").run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "error", "warning", "info", "success", "caption"):
        parts += [str(getattr(e, "value", "")) for e in at.get(kind)]
    return "\n".join(parts).replace("\\", "")


def test_page_report_shows_new_zones_and_areas_alike(fresh_store_path):
    data, name = _zip()
    at = _zones_page()
    at.file_uploader(key="zone_upload").set_value((name, data, "")).run()
    assert not at.exception, at.exception
    frame = at.dataframe[0].value
    assert len(frame) == 14
    assert not frame[["area km²", "added km²", "removed km²"]].isna().any().any()
    assert set(frame["added km²"]) == {"new zone"}  # no governorate matches a zone yet
    assert all(KM2.match(a) for a in frame["area km²"])
    config = json.loads(at.dataframe[0].proto.columns)
    # the details get the widest column, and every column fits the page at 1400 px (940 px
    # wide; the browser check is test_browser_walkthrough.py)
    widths = {c: v["width"] for c, v in config.items() if isinstance(v.get("width"), int)}
    assert len(widths) == len(frame.columns) and sum(widths.values()) <= 940
    assert widths["details"] == max(widths.values())


def test_page_saving_a_governorate_under_idlib_keeps_the_name_or_renames_on_request(
    fresh_store_path,
):
    from geo.store import open_store

    before = open_store().zone_versions()
    name = before[before["zone_id"] == "idlib"].sort_values("version")["name_en"].iloc[-1]
    at = _zones_page()
    at.file_uploader(key="zone_upload").set_value(("idleb.geojson", _idleb_only(False), "")).run()
    frame = at.dataframe[0].value
    assert frame["saved as"].tolist() == ["idleb (new)"]
    (target,) = [s for s in at.selectbox if s.label == "Feature 1"]
    target.set_value("idlib").run()
    frame = at.dataframe[0].value
    assert frame["saved as"].tolist() == ["idlib"]
    assert KM2.match(frame["added km²"][0]) and KM2.match(frame["removed km²"][0])
    # said before the save, in the report and above the save button
    assert f"keeps the zone's name '{name}'" in frame["details"][0]
    assert any(f"idlib stays '{name}'" in i.value.replace("\\", "") for i in at.info)
    assert any("Rename the zone" in i.value for i in at.info)
    [b for b in at.button if "Save 1 zone" in str(b.proto.label)][0].click().run()
    assert not at.exception, at.exception
    v = open_store().zone_versions()
    six = v[(v["zone_id"] == "idlib") & (v["version"] == 6)].iloc[0]
    assert six["name_en"] == name
    # again, asking for the rename this time: the page warns, then the zone is renamed
    at.file_uploader(key="zone_upload_1").set_value(("idleb.geojson", _idleb_only(), "")).run()
    (box,) = [c for c in at.checkbox if c.label.startswith("Rename the zone to")]
    assert box.label == "Rename the zone to 'Idleb'" and box.value is False
    box.check().run()
    assert any("renames zone 'idlib'" in w.value.replace("\\", "") for w in at.warning)
    [b for b in at.button if "Save 1 zone" in str(b.proto.label)][0].click().run()
    v = open_store().zone_versions()
    seven = v[(v["zone_id"] == "idlib") & (v["version"] == 7)].iloc[0]
    assert (seven["name_en"], seven["name_ar"]) == ("Idleb", "إدلب")


def test_page_messages_name_the_pages_controls_not_the_cli(fresh_store_path):
    at = _zones_page()
    for case in ("no-name", "swapped"):
        at.file_uploader(key="zone_upload").set_value(("x.geojson", CASES[case][2], "")).run()
        frame = at.dataframe[0].value
        details = " ".join(frame["details"]) + _texts(at)
        assert "--" not in details and "CLI" not in details, (case, details)
    # the control each message names is on the page
    at.file_uploader(key="zone_upload").set_value(("x.geojson", CASES["no-name"][2], "")).run()
    assert "'Name for feature' box" in at.dataframe[0].value["details"][0]
    assert any(t.label == "Name for feature 1" for t in at.text_input)
    at.file_uploader(key="zone_upload").set_value(("x.geojson", CASES["swapped"][2], "")).run()
    assert "tick 'Swap latitude and longitude'" in at.dataframe[0].value["details"][0]
    assert any(c.label == "Swap latitude and longitude" for c in at.checkbox)


def test_page_details_are_given_in_full(fresh_store_path):
    at = _zones_page()
    at.file_uploader(key="zone_upload").set_value(("b.geojson", CASES["bowtie"][2], "")).run()
    full = at.dataframe[0].value["details"][0]
    assert len(full) > 40
    (box,) = [e for e in at.expander if e.label.startswith("Details, in full")]
    assert full in box.markdown[0].value.replace("\\", "")


# --- the uploaders state the real limits -------------------------------------------------


def _uploader_mb(at: AppTest) -> int:
    (up,) = at.get("file_uploader")
    return up.proto.max_upload_size_mb


def test_uploaders_state_the_gates_limits(fresh_store_path, monkeypatch):
    monkeypatch.setenv("ZONEWATCH_MAX_ZONE_UPLOAD_MB", "7")
    monkeypatch.setenv("ZONEWATCH_MAX_UPLOAD_MB", "120")
    monkeypatch.setenv("ZONEWATCH_MAX_GEOJSON_MB", "30")
    at = _zones_page()
    assert _uploader_mb(at) == 7
    assert "Up to 7 MB per file" in at.get("file_uploader")[0].proto.help
    at.switch_page("pages/import_events.py").run()
    assert not at.exception, at.exception
    assert _uploader_mb(at) == 120
    assert "Up to 120 MB per file (GeoJSON up to 30 MB" in at.get("file_uploader")[0].proto.help
    monkeypatch.delenv("ZONEWATCH_MAX_ZONE_UPLOAD_MB")
    at.switch_page("pages/zones.py").run()
    assert _uploader_mb(at) == 50  # the default of geo.uploads.zones.Limits


def test_server_takes_what_the_event_uploader_states():
    """The server's own cap (config.toml) is no lower than the event files' default limit,
    so the limit the Import events page states is the one that applies."""
    import tomllib

    from geo.uploads.events import upload_limit_mb
    from geo.uploads.zones import Limits

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server_mb = config["server"]["maxUploadSize"]
    assert server_mb >= upload_limit_mb() and server_mb >= Limits.from_env().upload_mb


# --- Zone history after a rollback -------------------------------------------------------


def test_history_compares_the_rollback_with_the_version_it_replaced(fresh_store_path):
    from geo.store import open_store

    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("pages/zone_history.py").run()
    at.selectbox(key="history_zone").set_value("idlib").run()
    v = open_store().zone_versions()
    latest = int(
        v[v["zone_id"] == "idlib"].sort_values(["valid_from", "version"])["version"].iloc[-1]
    )
    assert at.selectbox(key="diff_b_idlib").value == latest
    at.selectbox(key="diff_a_idlib").set_value(1).run()  # the user looks at an old pair
    (rollback_box,) = [s for s in at.selectbox if s.label == "Make this version current again"]
    rollback_box.set_value(2)
    (when,) = [d for d in at.date_input if d.label == "Valid from"]
    when.set_value(date(2030, 1, 1))
    [b for b in at.button if b.proto.label == "Add a version equal to it"][0].click().run()
    assert not at.exception, at.exception
    new = latest + 1
    assert (at.selectbox(key="diff_a_idlib").value, at.selectbox(key="diff_b_idlib").value) == (
        latest,
        new,
    )
    labels = [m.label for m in at.metric]
    assert f"Area, version {latest}" in labels and f"Area, version {new}" in labels
    v = open_store().zone_versions()
    rows = v[v["zone_id"] == "idlib"].set_index("version")
    d = zone_rules.diff(rows.loc[latest].geometry, rows.loc[new].geometry)
    values = {m.label: m.value for m in at.metric}
    assert values[f"Added in version {new}"] == _signed(d.added_km2, "+")
    assert values[f"Removed in version {new}"] == _signed(d.removed_km2, "-")
    assert pd.notna(d.added_km2) and d.added_km2 + d.removed_km2 > 0  # a real change shown


def _signed(km2: float, sign: str) -> str:
    """An area as the page must show it: the sign only when it does not round to zero."""
    text = f"{abs(km2):,.1f}"
    return f"{sign if text != '0.0' else ''}{text} km²"


def test_history_shows_no_negative_zero_for_an_unchanged_boundary(fresh_store_path):
    """Two versions with the same boundary: 0.0 km² added and removed, no arrow."""
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("pages/zone_history.py").run()
    at.selectbox(key="history_zone").set_value("idlib").run()
    latest = at.selectbox(key="diff_b_idlib").value
    (rollback_box,) = [s for s in at.selectbox if s.label == "Make this version current again"]
    rollback_box.set_value(latest)  # a new version equal to the current one
    (when,) = [d for d in at.date_input if d.label == "Valid from"]
    when.set_value(date(2030, 1, 1))
    [b for b in at.button if b.proto.label == "Add a version equal to it"][0].click().run()
    assert not at.exception, at.exception
    values = {m.label: m for m in at.metric}
    new = at.selectbox(key="diff_b_idlib").value
    assert new == latest + 1
    assert values[f"Added in version {new}"].value == "0.0 km²"
    assert values[f"Removed in version {new}"].value == "0.0 km²"
    assert not values[f"Area, version {new}"].proto.delta
    shown = " ".join(m.value for m in at.metric)
    assert "-0.0" not in shown and "+0.0" not in shown
