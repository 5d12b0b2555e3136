"""The store is chosen in one place, by argument, with the environment only as a default;
the CLI passes ``--store`` through instead of writing the environment."""

from __future__ import annotations

import os
import shutil

import pytest

from geo.errors import StoreError
from geo.store import open_store, store_location

BOGUS_URL = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"


def test_a_path_given_wins_over_the_environment(tmp_path, session_store_path, monkeypatch):
    path = tmp_path / "chosen.gpkg"
    shutil.copyfile(session_store_path, path)
    monkeypatch.setenv("DATABASE_URL", BOGUS_URL)  # would fail to connect if it were used
    monkeypatch.setenv("ZONEWATCH_STORE", str(tmp_path / "other.gpkg"))
    store = open_store(path=path)
    assert store.path == path and len(store.zone_versions()) == 18
    assert not (tmp_path / "other.gpkg").exists()


def test_the_environment_is_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ZONEWATCH_STORE", str(tmp_path / "env.gpkg"))
    assert store_location() == (None, tmp_path / "env.gpkg")
    monkeypatch.setenv("DATABASE_URL", BOGUS_URL)
    assert store_location() == (BOGUS_URL, None)
    assert store_location(path=tmp_path / "x.gpkg") == (None, tmp_path / "x.gpkg")
    monkeypatch.delenv("DATABASE_URL")
    assert store_location(url=BOGUS_URL) == (BOGUS_URL, None)


def test_a_wrong_choice_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(StoreError, match="not both"):
        store_location(url=BOGUS_URL, path=tmp_path / "x.gpkg")
    with pytest.raises(StoreError, match="must name a .gpkg file, got 'x.txt'"):
        open_store(path=tmp_path / "x.txt")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ZONEWATCH_STORE", str(tmp_path / "y.db"))
    with pytest.raises(StoreError, match="ZONEWATCH_STORE must name a .gpkg file"):
        open_store()


@pytest.mark.parametrize(
    "args",
    [
        ["events", "--format", "count"],  # the quick count (SQL only)
        ["events", "--format", "count", "--type", "State-based conflict"],  # the full path
        ["zones", "list"],
    ],
)
def test_the_cli_passes_store_through_and_leaves_the_environment_alone(
    tmp_path, session_store_path, monkeypatch, capsys, args
):
    from geo.cli import main

    path = tmp_path / "cli.gpkg"
    shutil.copyfile(session_store_path, path)
    monkeypatch.setenv("DATABASE_URL", BOGUS_URL)
    monkeypatch.setenv("ZONEWATCH_STORE", str(tmp_path / "not-this.gpkg"))
    chosen = ("ZONEWATCH_STORE", "DATABASE_URL")
    before = {k: os.environ.get(k) for k in chosen}
    assert main(["--store", str(path), *args]) == 0
    assert capsys.readouterr().out.strip()
    assert {k: os.environ.get(k) for k in chosen} == before
    assert not (tmp_path / "not-this.gpkg").exists()
