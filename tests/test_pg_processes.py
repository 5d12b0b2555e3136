"""Several app processes on one PostGIS database.

Each app process keeps its own caches, keyed by the store's revision (views/_common.py).
What one process writes must show in every other on its next rerun, and the revision,
asked on every rerun of every page, must be one cheap query on a connection kept open.
"""

from __future__ import annotations

import csv
import gc
import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from conftest import DATA, ROOT

WORKER = str(ROOT / "tests" / "app_worker.py")


class AppProcess:
    """An app in its own OS process (Streamlit's AppTest), driven over stdin/stdout."""

    def __init__(self, env: dict, log):
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
            cwd=ROOT,
        )

    def ask(self, line: str) -> dict:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            self.log.flush()
            raise AssertionError(f"the app process stopped: {open(self.log.name).read()[-3000:]}")
        return json.loads(out)

    def stop(self) -> None:
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=30)
        finally:
            self.proc.stdin.close()
            self.proc.stdout.close()


def _ucdp_file(path, n: int, tag: int) -> None:
    """n events of the shipped UCDP file under new ids, as a user's export."""
    with (DATA / "ucdp" / "ged_syria.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [row for _, row in zip(range(n), reader, strict=False)]
        fields = reader.fieldnames
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for k, row in enumerate(rows):
            writer.writerow({**row, "id": str(tag + k)})


@pytest.fixture
def database(postgis):
    return postgis.create_db(f"zw_{uuid.uuid4().hex[:12]}", template="zonewatch_template")


def test_a_write_in_one_process_shows_in_the_others_on_their_next_rerun(database, tmp_path):
    env = {**os.environ, "DATABASE_URL": database, "PYTHONPATH": str(ROOT)}
    env.pop("ZONEWATCH_STORE", None)
    logs = [open(tmp_path / f"app{i}.log", "w") for i in range(2)]  # noqa: SIM115
    apps = [AppProcess(env, log) for log in logs]
    try:
        first = [app.ask("run") for app in apps]
        total = first[0]["total"]
        assert total > 16000 and first[1]["total"] == total
        assert "pg_processes_zone" not in first[0]["zones"]
        # A rerun with nothing written keeps what the caches hold.
        assert apps[0].ask("run") == first[0]

        # A zone saved by the second app process...
        assert apps[1].ask("save-zone pg_processes_zone")["version"] == 1
        for app in apps:  # ...shows in both on their next rerun
            assert "pg_processes_zone (v1, proposed)" in app.ask("run")["zones"]

        # Events imported by a third process (the command line) show in both.
        csv_path = tmp_path / "ucdp_export.csv"
        _ucdp_file(csv_path, 40, tag=990_000_000)
        exe = shutil.which("zonewatch")
        assert exe, "the console script is installed by 'uv sync'"
        done = subprocess.run(
            [exe, "import-events", "--format", "ucdp", str(csv_path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert "40 imported" in done.stdout
        for app in apps:
            assert app.ask("run")["total"] == total + 40
    finally:
        for app in apps:
            app.stop()
        for log in logs:
            log.close()


REVISION_SQL = "SELECT pid, backend_start FROM pg_stat_activity WHERE query LIKE '%zonewatch_meta%'"


def _revision_backends(server, db: str) -> list:
    import psycopg

    with psycopg.connect(
        f"postgresql://postgres@127.0.0.1:{server.port}/{db}", autocommit=True
    ) as con:
        return con.execute(
            REVISION_SQL + " AND pid <> pg_backend_pid() AND datname = current_database()"
        ).fetchall()


def test_the_revision_is_asked_on_one_connection_kept_open(postgis, monkeypatch):
    from geo.store.postgis import PostGISStore

    name = f"zw_{uuid.uuid4().hex[:12]}"
    store = PostGISStore.open(postgis.create_db(name, template="zonewatch_template"))
    first = store.revision()
    backends = _revision_backends(postgis, name)
    assert len(backends) == 1, "the revision's connection is kept open for the next rerun"
    for _ in range(20):
        assert store.revision() == first
    assert _revision_backends(postgis, name) == backends  # the same connection, no new one

    # A dropped connection (server restart, idle timeout) is opened again, not an error.
    postgis.admin(f"SELECT pg_terminate_backend({backends[0][0]})", db=name)
    assert store.revision() == first

    # The connection goes with the store.
    del store
    gc.collect()
    deadline = time.monotonic() + 10
    while _revision_backends(postgis, name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _revision_backends(postgis, name) == []


def test_a_database_made_again_under_the_same_name_has_a_new_revision(postgis):
    """Caches keyed by the revision must not serve the old database's data for a new one
    that has reached the same write count (e.g. dropped and restored under its name)."""
    from geo.store.postgis import PostGISStore

    name = f"zw_{uuid.uuid4().hex[:12]}"
    store = PostGISStore.open(postgis.create_db(name, template="zonewatch_template"))
    before = store.revision()
    postgis.admin(f'DROP DATABASE "{name}" WITH (FORCE)')
    postgis.create_db(name, template="zonewatch_template")
    assert store.revision() != before
