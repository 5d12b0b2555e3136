"""The zonewatch console script, run as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess

import pytest

from conftest import stdlib_count


def zw(*args, env_store=None, env=None):
    exe = shutil.which("zonewatch")
    assert exe, "the console script is installed by 'uv sync'"
    base = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    if env_store is not None:
        base["ZONEWATCH_STORE"] = str(env_store)
    base.update(env or {})
    return subprocess.run([exe, *args], capture_output=True, text=True, env=base, timeout=300)


def _store_env() -> dict:
    return {k: os.environ[k] for k in ("ZONEWATCH_STORE", "DATABASE_URL") if k in os.environ}


def test_count_may_2017_matches_stdlib(store_env):
    out = zw(
        "events",
        "--from",
        "2017-05-01",
        "--to",
        "2017-05-31",
        "--format",
        "count",
        env_store=store_env,
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == stdlib_count("2017-05-01", "2017-05-31")


def test_csv_rows_and_types(store_env):
    out = zw(
        "events",
        "--from",
        "2017-05-20",
        "--to",
        "2017-05-31",
        "--type",
        "air strike",
        "--type",
        "One-sided violence",
        "--format",
        "csv",
        env_store=store_env,
    )
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == stdlib_count(
        "2017-05-20", "2017-05-31", {"Air strike", "One-sided violence"}
    )
    assert {r["event_type"] for r in rows} <= {"Air strike", "One-sided violence"}
    assert any(r["dataset_id"] == "2017-05-25-raqqa-palmyra-convoy" for r in rows)


def test_geojson_points_with_attribution(store_env):
    out = zw(
        "events",
        "--from",
        "2017-05-25",
        "--to",
        "2017-05-25",
        "--format",
        "geojson",
        env_store=store_env,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert len(data["features"]) == stdlib_count("2017-05-25", "2017-05-25")
    assert "Sundberg" in data["attribution"]["ucdp"]
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert 35 < lon < 43 and 32 < lat < 38


def test_zones_export(store_env):
    out = zw("zones", "export", "--at", "2017-06-01", "--format", "geojson", env_store=store_env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert len(data["features"]) == 4
    props = {f["properties"]["zone_id"]: f["properties"] for f in data["features"]}
    assert props["idlib"]["status"] == "proposed"
    assert props["south"]["in_force_from"] == "2017-05-06"
    assert props["eastern_ghouta"]["name_ar"] == "منطقة خفض التصعيد في الغوطة الشرقية"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["events", "--from", "2017-13-01"], "is not a date"),
        (["events", "--from", "2017-06-01", "--to", "2017-05-01"], "before the start date"),
        (["events", "--type", "bombing"], "unknown event type"),
        (["events", "--format", "xml"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
        (["zones", "export", "--as-of", "yesterday"], "is not a date"),
        ([], "required"),
        (["events", "--from", ""], "is not a date"),
        (["--store", "notes.txt", "events"], "must name a .gpkg file"),
        (["backup", "copy.zip"], "must be a .gpkg file"),
        (["events", "--near-place", "Raqa", "--km", "30"], "did you mean Raqqa"),
        (["events", "--near-place", "Raqqa"], "need --km R"),
        (["events", "--km", "30"], "--km needs --near"),
        (["events", "--near", "95,39", "--km", "5"], "outside ±90/±180"),
        (["events", "--near", "35.9", "--km", "5"], "is not LAT,LON"),
        (["events", "--zone", "atlantis"], "matches no zone"),
        (["events", "--zone", "zone"], "matches several zones"),
        (["events", "--min-fatalities", "-1"], "must be 0 or more"),
        (["events", "--precision", "vague"], "invalid choice"),
        (["import-events", "/nonexistent/file.csv"], "is not a file"),
    ],
)
def test_bad_input_exits_2_with_one_line(store_env, args, fragment):
    out = zw(*args, env_store=store_env)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_unusable_store_is_one_line_no_traceback(tmp_path):
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not a database")
    out = zw("events", env_store=bad)
    assert out.returncode == 1
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr and "ZONEWATCH_STORE" in out.stderr


def test_same_answers_on_both_engines(make_store, engine):
    make_store()
    out = zw("events", "--from", "2017-05-01", "--to", "2017-05-31", env=_store_env())
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == stdlib_count("2017-05-01", "2017-05-31")
    zones = json.loads(zw("zones", "export", "--at", "2017-06-01", env=_store_env()).stdout)
    assert len(zones["features"]) == 4
    zones = json.loads(zw("zones", "export", "--all-versions", env=_store_env()).stdout)
    assert len(zones["features"]) == 18


def test_backup_and_restore_commands(make_store, engine, tmp_path):
    make_store()
    backup = tmp_path / "backup.gpkg"
    out = zw("backup", str(backup), env=_store_env())
    assert out.returncode == 0, out.stderr
    assert "events 16575" in out.stdout
    again = zw("backup", str(backup), env=_store_env())
    assert again.returncode == 2 and "exists already" in again.stderr
    restored = tmp_path / "restored.gpkg"
    out = zw("--store", str(restored), "restore", str(backup))
    assert out.returncode == 0, out.stderr
    assert "events +16575" in out.stdout
    count = zw("--store", str(restored), "events", "--from", "2017-05-01", "--to", "2017-05-31")
    assert int(count.stdout) == stdlib_count("2017-05-01", "2017-05-31")
    twice = zw("--store", str(restored), "restore", str(backup))
    assert twice.returncode == 0 and "events +0" in twice.stdout  # adds nothing the 2nd time


@pytest.mark.parametrize(
    ("make", "code", "fragment"),
    [
        (lambda p: None, 2, "is not a file"),
        (lambda p: p.write_text("not a backup"), 1, "not a ZoneWatch backup"),
    ],
    ids=["missing", "not-a-backup"],
)
def test_restore_bad_file(tmp_path, make, code, fragment):
    bad = tmp_path / "bad.gpkg"
    make(bad)
    out = zw("--store", str(tmp_path / "s.gpkg"), "restore", str(bad))
    assert out.returncode == code
    assert not (tmp_path / "s.gpkg").exists()  # no empty store is left behind
    assert fragment in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_zones_as_of_before_any_version_says_so(store_env):
    out = zw("zones", "export", "--as-of", "2016-01-01", env_store=store_env)
    assert out.returncode == 0
    assert json.loads(out.stdout)["features"] == []
    assert "no zone version was in force on 2016-01-01" in out.stderr
    assert "2017-05-06" in out.stderr


def test_zones_stats_with_no_event_in_any_zone(store_env):
    """April 2017 is before any zone was in force: the table is empty, not an error."""
    out = zw("zones", "stats", "--from", "2017-04-01", "--to", "2017-04-30", env_store=store_env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["zone_id,period,event_type,events,fatalities"]
