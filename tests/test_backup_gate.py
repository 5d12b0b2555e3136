"""A file given to restore passes the upload gate (geo.uploads.backup) first: a damaged,
foreign or hostile file is refused with one clear line and changes nothing."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess

import pytest

from geo.errors import StoreError
from geo.store import backup as bk
from geo.store.gpkg import GeoPackageStore
from geo.uploads.backup import read_backup


@pytest.fixture(scope="module")
def good_backup(session_store_path, tmp_path_factory):
    """A real backup of the shipped data (read-only: copy it before changing it)."""
    path = tmp_path_factory.mktemp("backup") / "good.gpkg"
    bk.backup(GeoPackageStore(session_store_path), path)
    return path


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _restore_cli(store, source):
    exe = shutil.which("zonewatch")
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    return subprocess.run(
        [exe, "--store", str(store), "restore", str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _corrupt(good, tmp_path):
    bad = tmp_path / "corrupt.gpkg"
    data = bytearray(good.read_bytes())
    assert len(data) > 200_000
    data[100_000:180_000] = bytes(range(256)) * (80_000 // 256) + bytes(80_000 % 256)
    bad.write_bytes(bytes(data))
    return bad


def _plain_sqlite(good, tmp_path):
    bad = tmp_path / "plain.gpkg"
    con = sqlite3.connect(bad)
    con.execute("CREATE TABLE events (fid INTEGER PRIMARY KEY, dataset TEXT)")
    con.execute("CREATE TABLE zonewatch_meta (key TEXT, value TEXT)")
    con.execute("INSERT INTO zonewatch_meta VALUES ('schema_version', '3')")
    con.commit()
    con.close()
    return bad


def _edited(good, tmp_path, name: str, *statements: str):
    """A copy of the good backup changed by SQL (GDAL's triggers dropped first: they call
    functions plain sqlite3 does not have)."""
    bad = tmp_path / name
    shutil.copyfile(good, bad)
    con = sqlite3.connect(bad)
    for (trigger,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        con.execute(f'DROP TRIGGER "{trigger}"')
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()
    return bad


def _view_for_table(good, tmp_path):
    """A backup whose events are a view over another table (a view could run code)."""
    return _edited(
        good,
        tmp_path,
        "view.gpkg",
        "ALTER TABLE events RENAME TO events_elsewhere",
        "CREATE VIEW events AS SELECT * FROM events_elsewhere",
    )


def _bad_blob(good, tmp_path):
    return _edited(
        good, tmp_path, "blob.gpkg", "UPDATE zone_versions SET geom = X'475000FF00000000'"
    )


CASES = [
    (_corrupt, "damaged"),
    (_plain_sqlite, "not a GeoPackage"),
    (_view_for_table, "its table 'events' is not the store's"),
    (_bad_blob, "holds a GeoPackage geometry of an unsupported (extended) kind"),
]
IDS = ["corrupt", "plain-sqlite", "view-for-table", "bad-geometry-blob"]


@pytest.mark.parametrize(("make", "fragment"), CASES, ids=IDS)
def test_the_gate_refuses_a_bad_backup_with_a_clear_message(good_backup, tmp_path, make, fragment):
    bad = make(good_backup, tmp_path)
    with pytest.raises(StoreError) as err:
        read_backup(bad)
    message = str(err.value)
    assert fragment in message and bad.name in message
    assert str(tmp_path) not in message  # no internal path, only the file's name


@pytest.mark.parametrize(("make", "fragment"), CASES, ids=IDS)
def test_restoring_a_bad_backup_changes_nothing(
    good_backup, fresh_store_path, tmp_path, make, fragment
):
    bad = make(good_backup, tmp_path)
    before = _digest(fresh_store_path)
    out = _restore_cli(fresh_store_path, bad)
    assert out.returncode == 1 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], out.stderr
    assert "Traceback" not in out.stderr
    assert _digest(fresh_store_path) == before  # the store file was not even opened
    store = GeoPackageStore(fresh_store_path)
    with pytest.raises(StoreError):
        bk.restore(store, bad)
    assert _digest(fresh_store_path) == before


def test_a_good_backup_passes_the_gate_whole(good_backup, session_store_path):
    checked = read_backup(good_backup)
    source = GeoPackageStore(session_store_path)
    assert checked.name == "good.gpkg" and checked.sha256 == _digest(good_backup)
    assert len(checked.frames["events"]) == len(source.events())
    assert len(checked.frames["zone_versions"]) == len(source.zone_versions())
    assert _digest(good_backup) == checked.sha256  # reading wrote nothing into the file
