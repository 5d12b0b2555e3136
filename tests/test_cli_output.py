"""What the command line writes: zone exports with user-added zones (both engines, checked
independently), all-or-nothing output, start-up without pandas, local imports with no
upload limit, and areas without "-0.0"."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from test_cli import zw
from test_zone_analysis import _bbox, _independent

from conftest import ROOT, SHARED, stdlib_count

OCHA = SHARED / "data" / "external" / "ocha_cod_ab_syr"
HEAVY = ("pandas", "geopandas", "shapely", "pyproj", "pyogrio", "numpy")


def _store_env() -> dict:
    return {k: os.environ[k] for k in ("ZONEWATCH_STORE", "DATABASE_URL") if k in os.environ}


def _districts(names: list[str]):
    import pyogrio

    if not (OCHA / "syr_admin2.shp").exists():
        pytest.skip(f"the OCHA districts are not here ({OCHA})")
    frame = pyogrio.read_dataframe(OCHA / "syr_admin2.shp")
    return frame[frame["adm2_name"].isin(names)][["adm2_name", "adm2_name1", "geometry"]]


@pytest.fixture
def new_zone_files(tmp_path) -> tuple[Path, Path]:
    """Two real OCHA districts as a zipped Shapefile, two others as GeoJSON (names in
    ``adm2_name``): zones no store has yet."""
    import pyogrio

    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    pyogrio.write_dataframe(_districts(["A'zaz", "Ariha"]), shp_dir / "districts.shp")
    zipped = tmp_path / "districts.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for part in sorted(shp_dir.iterdir()):
            zf.write(part, part.name)
    geojson = tmp_path / "districts.geojson"
    pyogrio.write_dataframe(_districts(["Abu Kamal", "Al Bab"]), geojson, driver="GeoJSON")
    return zipped, geojson


def _add_new_zones(files: tuple[Path, Path], env: dict) -> list[str]:
    """Import both files (valid from 2017, so the shipped events fall in them); return the
    new zone ids as the CLI reports them."""
    ids = []
    for path, valid_from in zip(files, ("2017-03-01", "2018-01-01"), strict=True):
        out = zw(
            "import-zones", str(path), "--name-field", "adm2_name", "--valid-from", valid_from,
            env=env,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        lines = out.stdout.strip().splitlines()
        assert len(lines) == 2 and all("new zone" in line for line in lines), out.stdout
        ids += [line.split(":")[0] for line in lines]
    return ids


def _export(env: dict, *args: str) -> dict:
    out = zw("zones", "export", *args, env=env)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    return json.loads(out.stdout)  # the whole output is one valid GeoJSON document


def _valid_collection(data: dict) -> None:
    assert data["type"] == "FeatureCollection"
    for f in data["features"]:
        assert f["type"] == "Feature"
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert all(len(ring) >= 4 for ring in _rings(f["geometry"]))
        for key in ("memorandum_date", "in_force_from", "valid_from"):
            value = f["properties"][key]
            assert value is None or (len(value) == 10 and value[4] == "-"), (key, value)


def _rings(geometry: dict):
    polys = geometry["coordinates"]
    polys = [polys] if geometry["type"] == "Polygon" else polys
    return [ring for poly in polys for ring in poly]


def test_zones_export_with_user_added_zones_in_every_form(make_store, engine, new_zone_files):
    make_store()
    env = _store_env()
    before = _export(env, "--all-versions")
    before_at = _export(env, "--at", "2018-06-01")
    new = _add_new_zones(new_zone_files, env)
    forms = {
        "today": _export(env),
        "at": _export(env, "--at", "2018-06-01"),
        "as-of": _export(env, "--as-of", "2018-06-01", "--format", "geojson"),
        "all": _export(env, "--all-versions"),
    }
    for data in forms.values():
        _valid_collection(data)
        props = {f["properties"]["zone_id"]: f["properties"] for f in data["features"]}
        assert set(new) <= set(props)
        assert all(props[z]["memorandum_date"] is None for z in new)  # a new zone has none
    assert len(forms["all"]["features"]) == len(before["features"]) + 4
    assert forms["at"] == forms["as-of"]
    # In force on 2018-06-01: the zones of that day and the four new ones.
    assert len(forms["at"]["features"]) == len(before_at["features"]) + 4
    first = {f["properties"]["zone_id"]: f for f in forms["all"]["features"]}
    assert first[new[0]]["properties"]["valid_from"] == "2017-03-01"
    assert first[new[0]]["properties"]["in_force_from"] == "2017-03-01"


def test_stats_match_an_independent_count_over_the_export_with_new_zones(
    make_store, engine, new_zone_files
):
    """The kill check of test_zone_analysis, over an export that holds user-added zones."""
    make_store()
    env = _store_env()
    new = _add_new_zones(new_zone_files, env)
    by_zone: dict[str, list] = {}
    for f in _export(env, "--all-versions")["features"]:
        p = f["properties"]
        by_zone.setdefault(p["zone_id"], []).append(
            (p["valid_from"], int(p["version"]), p["status"], f["geometry"], _bbox(f["geometry"]))
        )
    out = zw("zones", "stats", "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    totals: Counter = Counter()
    for row in json.loads(out.stdout):
        totals[row["zone_id"]] += int(row["events"])
    theirs, _ = _independent(by_zone)
    expected: Counter = Counter()
    for (zone_id, _), n in theirs.items():
        expected[zone_id] += n
    assert totals == expected
    assert all(expected[z] > 0 for z in new)  # events fall in every new zone


def _comparable(data: dict) -> list:
    rows = []
    for f in data["features"]:
        props = {k: v for k, v in f["properties"].items() if k != "created_at"}
        rows.append((props["zone_id"], props["version"], json.dumps([props, f["geometry"]])))
    return sorted(rows)


def test_exports_with_new_zones_are_the_same_on_both_engines(
    session_store_path, postgis, tmp_path, new_zone_files
):
    import shutil

    gpkg = tmp_path / "parity.gpkg"
    shutil.copyfile(session_store_path, gpkg)
    envs = {
        "gpkg": {"ZONEWATCH_STORE": str(gpkg)},
        "postgis": {"DATABASE_URL": postgis.create_db("zw_parity", template="zonewatch_template")},
    }
    exports = {}
    for name, env in envs.items():
        _add_new_zones(new_zone_files, env)
        exports[name] = [_comparable(_export(env, *a)) for a in ([], ["--all-versions"])]
    assert exports["gpkg"] == exports["postgis"]


def test_output_file_is_written_whole_and_kept_on_failure(store_env, tmp_path):
    target = tmp_path / "zones.geojson"
    out = zw("zones", "export", "--all-versions", "--output", str(target), env_store=store_env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    assert len(json.loads(target.read_text(encoding="utf-8"))["features"]) == 18
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    # A failing command (a bad date, found after --output was named) leaves the file alone.
    bad = zw("zones", "export", "--at", "2017-02-30", "-o", str(target), env_store=store_env)
    assert bad.returncode == 2 and bad.stdout == ""
    assert len(json.loads(target.read_text(encoding="utf-8"))["features"]) == 18
    assert [p.name for p in tmp_path.iterdir()] == ["zones.geojson"]  # no temporary left
    folder = zw("zones", "list", "--output", str(tmp_path), env_store=store_env)
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    missing = zw("zones", "list", "-o", str(tmp_path / "no" / "x.tsv"), env_store=store_env)
    assert missing.returncode == 2 and "cannot write to the folder" in missing.stderr
    assert "Traceback" not in missing.stderr


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_atomic_output_prints_nothing_and_keeps_the_file_when_the_block_fails(tmp_path):
    from geo.output import atomic_output

    class Boom(Exception):
        pass

    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(Boom), atomic_output(target) as out:
        out.write("half of a new file\n")
        raise Boom
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]

    stdout = io.StringIO()
    with pytest.raises(Boom), atomic_output(None, stdout=stdout) as out:
        out.write("{" * 1000)
        raise Boom
    assert stdout.getvalue() == ""

    # Success, streamed in chunks past the in-memory spool (onto disk): all of it arrives.
    chunk = "é," * 50_000 + "\n"
    with atomic_output(None, stdout=stdout, spool_mb=1) as out:
        for _ in range(20):
            out.write(chunk)
    assert stdout.getvalue() == chunk * 20
    with atomic_output(target) as out:
        out.write("new\n")
    assert target.read_text(encoding="utf-8") == "new\n"


def test_cli_module_and_help_load_no_pandas():
    code = (
        "import sys, contextlib, io\n"
        "import geo.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        geo.cli.main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert 'import-events' in out.getvalue()\n"
        f"print(sorted(set({HEAVY!r}) & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("start", "end"),
    [(None, None), ("2017-05-01", "2017-05-31"), ("2019-11-30", None), (None, "2016-01-01")],
)
def test_dates_only_count_needs_no_pandas_and_matches(store_env, start, end):
    args = ["events", "--format", "count"]
    args += ["--from", start] if start else []
    args += ["--to", end] if end else []
    code = (
        "import sys\n"
        "from geo.cli import main\n"
        f"status = main({args!r})\n"
        f"print(status, sorted(set({HEAVY!r}) & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "ZONEWATCH_STORE": str(store_env)},
    )
    assert out.returncode == 0, out.stderr
    count, status_line = out.stdout.strip().splitlines()
    assert int(count) == stdlib_count(start, end)
    assert status_line == "0 []"


def test_quick_count_agrees_with_the_full_filter_and_steps_aside(fresh_store_path, tmp_path):
    from geo.filters import EventFilter, select_events
    from geo.store import open_store
    from geo.store.gpkg_sql import count_events

    store = open_store()
    for flt in (
        EventFilter(),
        EventFilter(start=_d("2018-02-01"), end=_d("2018-02-28")),
        EventFilter(bbox=(36.0, 35.0, 37.0, 36.5), end=_d("2017-12-31")),
    ):
        assert count_events(fresh_store_path, flt) == len(select_events(store, flt))
    # What it cannot answer alone, it leaves to the store (None): other filters, no file.
    assert count_events(fresh_store_path, EventFilter(types=("Air strike",))) is None
    assert count_events(tmp_path / "absent.gpkg", EventFilter()) is None
    # ... and the CLI then creates the store as before.
    out = zw("--store", str(tmp_path / "new.gpkg"), "events", "--format", "count")
    assert out.returncode == 0 and int(out.stdout) == stdlib_count(None, None)
    typed = zw("events", "--type", "air strike", env_store=fresh_store_path)
    assert typed.returncode == 0 and int(typed.stdout) == stdlib_count(None, None, {"Air strike"})


def _d(text: str):
    from datetime import date

    return date.fromisoformat(text)


def test_cli_imports_a_local_file_over_the_upload_limit(fresh_store_path):
    """The web's size limit is for uploads: the CLI reads a local file of any size."""
    from geo.uploads import UploadError, read_event_file

    path = SHARED / "data" / "external" / "ucdp_ged_syria" / "ged_syria_2017.csv"
    assert path.stat().st_size > 3 * 1024 * 1024
    env = {"ZONEWATCH_MAX_UPLOAD_MB": "1"}
    out = zw("import-events", str(path), env_store=fresh_store_path, env=env)
    assert out.returncode == 0, out.stderr
    assert "5,587 rows read" in out.stdout
    os.environ["ZONEWATCH_MAX_UPLOAD_MB"] = "1"
    try:
        with path.open("rb") as fh, pytest.raises(UploadError, match="over the 1 MB limit"):
            next(iter(read_event_file(fh, path.name)))
    finally:
        del os.environ["ZONEWATCH_MAX_UPLOAD_MB"]


def test_no_negative_zero_areas(fresh_store_path, tmp_path):
    """A new version equal to the last one: nothing added or removed, written as 0.0."""
    current = zw("zones", "export", "--at", "2017-06-01", env_store=fresh_store_path)
    ghouta = [
        f for f in json.loads(current.stdout)["features"]
        if f["properties"]["zone_id"] == "eastern_ghouta"
    ]  # fmt: skip
    path = tmp_path / "ghouta.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": ghouta}))
    out = zw(
        "import-zones", str(path), "--zone", "eastern_ghouta", "--valid-from", "2021-01-01",
        env_store=fresh_store_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "0.0 km² added, 0.0 km² removed" in out.stdout
    history = zw("zones", "history", "eastern_ghouta", env_store=fresh_store_path)
    assert history.returncode == 0, history.stderr
    for text in (out.stdout, history.stdout):
        assert "-0.0" not in text and "-0 " not in text
    last = history.stdout.strip().splitlines()[-1].split("\t")
    assert last[4:6] == ["0.0", "0.0"]
