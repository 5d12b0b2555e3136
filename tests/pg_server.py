"""A real PostgreSQL + PostGIS server for the tests, in a temporary folder on 127.0.0.1.

Postgres refuses to run as root, so as root the server runs as the ``postgres`` user.
In CI (``CI`` set) a missing server fails the tests instead of skipping them.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def _bin_dir() -> Path | None:
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for d in dirs:
        version = Path(d).parent.name
        if (Path(d) / "initdb").exists() and glob.glob(
            f"/usr/share/postgresql/{version}/extension/postgis.control"
        ):
            return Path(d)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostGISServer:
    """initdb + pg_ctl start; ``url(db)`` gives a DATABASE_URL; ``stop()`` removes it all."""

    def __init__(self):
        bin_dir = _bin_dir()
        if bin_dir is None:
            message = (
                "PostgreSQL with PostGIS is not installed: the README's test command installs "
                "it (apt-get install postgresql-15-postgis-3)"
            )
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="zonewatch-pg-"))
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres")
        self._run(
            "initdb", "-D", str(self.root / "data"), "-A", "trust", "-U", "postgres", "--no-sync"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.root / "data"),
            "-l",
            str(self.root / "log"),
            "-w",
            "-o",
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            f"-c unix_socket_directories={self.root}",
            "start",
        )
        self.admin("CREATE EXTENSION IF NOT EXISTS postgis", db="template1")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def admin(self, sql: str, db: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/{db}", autocommit=True
        ) as con:
            con.execute(sql)

    def create_db(self, name: str, template: str | None = None) -> str:
        tmpl = f' TEMPLATE "{template}"' if template else ""
        for _ in range(50):  # a template in use by another session cannot be copied yet
            try:
                self.admin(f'CREATE DATABASE "{name}"{tmpl}')
                return self.url(name)
            except Exception as exc:  # psycopg.errors.ObjectInUse
                if "being accessed by other users" not in str(exc):
                    raise
                time.sleep(0.2)
        raise RuntimeError(f"could not create database {name}")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
