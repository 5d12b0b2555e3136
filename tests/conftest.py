"""Shared fixtures: a store filled once per test session, and the repository paths."""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def session_store_path(tmp_path_factory) -> Path:
    """A store created and filled from data/ once for the whole session (read-only use)."""
    path = tmp_path_factory.mktemp("store") / "zonewatch.gpkg"
    old = os.environ.get("ZONEWATCH_STORE")
    os.environ["ZONEWATCH_STORE"] = str(path)
    try:
        from geo.store import open_store

        open_store()
    finally:
        if old is None:
            os.environ.pop("ZONEWATCH_STORE", None)
        else:
            os.environ["ZONEWATCH_STORE"] = old
    return path


@pytest.fixture(scope="session")
def postgis():
    """A real PostGIS server for the session, with a database filled from data/ as template."""
    from pg_server import PostGISServer

    server = PostGISServer()
    url = server.create_db("zonewatch_template")
    from geo.store.postgis import PostGISStore

    PostGISStore.open(url)
    yield server
    server.stop()


ENGINES = ("gpkg", "postgis")


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture
def make_store(engine, request, tmp_path, monkeypatch):
    """Make a store on the test's engine: ``make_store()`` filled from data/ (a fresh copy),
    ``make_store(seed=False)`` empty. The environment points at the last one made."""
    import shutil
    import uuid

    from geo.store import open_store

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ZONEWATCH_STORE", raising=False)

    def make(seed: bool = True):
        name = f"zw_{uuid.uuid4().hex[:12]}"
        if engine == "gpkg":
            path = tmp_path / f"{name}.gpkg"
            if seed:
                shutil.copyfile(request.getfixturevalue("session_store_path"), path)
            monkeypatch.setenv("ZONEWATCH_STORE", str(path))
        else:
            server = request.getfixturevalue("postgis")
            url = server.create_db(name, template="zonewatch_template" if seed else None)
            monkeypatch.setenv("DATABASE_URL", url)
        return open_store(seed=seed)

    return make


@pytest.fixture
def store_env(session_store_path, monkeypatch) -> Path:
    """Point ZONEWATCH_STORE at the shared session store."""
    monkeypatch.setenv("ZONEWATCH_STORE", str(session_store_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return session_store_path


@pytest.fixture
def fresh_store_path(tmp_path, session_store_path, monkeypatch) -> Path:
    """A private copy of the session store, for tests that write."""
    import shutil

    path = tmp_path / "zonewatch.gpkg"
    shutil.copyfile(session_store_path, path)
    monkeypatch.setenv("ZONEWATCH_STORE", str(path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return path


def stdlib_rows(path: Path) -> list[dict]:
    """Rows of a shipped CSV read with the standard library only (independent of geo)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def stdlib_count(start: str | None, end: str | None, types: set[str] | None = None) -> int:
    """Shipped events overlapping [start, end], counted from the CSVs with csv + datetime."""
    ucdp_types = {"1": "State-based conflict", "2": "Non-state conflict", "3": "One-sided violence"}
    rows = [
        (r["date_start"][:10], r["date_end"][:10], ucdp_types[r["type_of_violence"]])
        for r in stdlib_rows(DATA / "ucdp" / "ged_syria.csv")
    ] + [
        (r["date_start"], r["date_end"], r["event_type"])
        for r in stdlib_rows(DATA / "events" / "curated_strikes.csv")
    ]
    lo = date.fromisoformat(start) if start else date.min
    hi = date.fromisoformat(end) if end else date.max
    return sum(
        1
        for s, e, t in rows
        if date.fromisoformat(s) <= hi
        and date.fromisoformat(e) >= lo
        and (types is None or t in types)
    )


@pytest.fixture(scope="module")
def shipped_layers():
    """The Map page's layers from the shipped data, with no events (the map's base)."""
    from geo import shipped
    from geo.render import MapLayers

    return MapLayers(
        zones=shipped.zones(),
        places=shipped.places(),
        events=None,
        admin0=shipped.admin(0),
        admin1=shipped.admin(1),
        event_attribution={},
        place_attribution="GeoNames",
    )


def whole_page(at):
    """A full run of the page, after a filter change on the Map. That change reruns only
    the Map's fragment (views/map.py), and AppTest's tree then holds only what the fragment
    drew, not the sidebar that a browser keeps showing: a full run puts the whole page back
    in the tree, to change another filter or switch page."""
    return at.run()
