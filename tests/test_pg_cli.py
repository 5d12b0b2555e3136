"""``zonewatch events`` with filters (and --dedupe) on PostGIS counts and lists in SQL
(:mod:`geo.store.pgquery`, :mod:`geo.store.pgonce`) with no event index, and writes what
the in-memory path writes on the same store."""

from __future__ import annotations

import pytest

ARGS = [
    ["--from", "2017-05-01", "--to", "2017-08-31"],
    ["--zone", "idlib", "--type", "state-based conflict"],
    ["--near-place", "Raqqa", "--km", "25", "--min-fatalities", "1"],
    ["--dataset", "UCDP", "--actor", "syria", "--min-fatalities", "5"],
    ["--from", "2017-01-01", "--dedupe"],
]


def _run(argv, capsys) -> tuple[int, str, str]:
    from geo.cli import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def url(postgis):
    from geo.matching import stored
    from geo.store.postgis import PostGISStore

    url = postgis.create_db("cli_sql", template="zonewatch_template")
    stored.build(PostGISStore.open(url, seed=False), "tester")
    return url


@pytest.mark.parametrize("fmt", ["count", "csv"])
@pytest.mark.parametrize("args", ARGS, ids=lambda a: " ".join(a))
def test_events_on_postgis_in_sql_are_the_index_s(url, args, fmt, monkeypatch, capsys):
    from geo.eventindex import EventIndex
    from geo.store import pgquery

    monkeypatch.delenv("ZONEWATCH_STORE", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    argv = ["events", *args, "--format", fmt]
    with monkeypatch.context() as m:
        m.setattr(pgquery, "in_sql", lambda store: False)
        want = _run(argv, capsys)
    assert want[0] == 0, want[2]

    def no_index(*a, **k):
        raise AssertionError("the event index was read")

    monkeypatch.setattr(EventIndex, "read", no_index)
    got = _run(argv, capsys)
    assert got == want
    if fmt == "count":
        assert int(got[1]) > 0


STATS = [
    [],
    ["--from", "2017-03-15", "--to", "2017-11-20", "--by", "week"],
    ["--exclude-coarse", "--format", "json"],
    ["--from", "2017-01-01", "--dedupe"],
    ["--from", "2017-01-01", "--to", "2017-12-31", "--dedupe", "--exclude-coarse"],
]


@pytest.mark.parametrize("args", STATS, ids=lambda a: " ".join(a) or "all")
def test_zones_stats_on_postgis_in_sql_are_the_in_memory_ones(url, args, monkeypatch, capsys):
    from geo.eventindex import EventIndex
    from geo.store import pgquery
    from geo.store.postgis import PostGISStore

    monkeypatch.delenv("ZONEWATCH_STORE", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    argv = ["zones", "stats", *args]
    with monkeypatch.context() as m:
        m.setattr(pgquery, "in_sql", lambda store: False)
        want = _run(argv, capsys)
    assert want[0] == 0, want[2]
    assert want[1].count("\n") > 3  # some zones, periods and types

    def no_events(*a, **k):
        raise AssertionError("the events were read into the process")

    monkeypatch.setattr(EventIndex, "read", no_events)
    monkeypatch.setattr(PostGISStore, "events", no_events)
    assert _run(argv, capsys) == want
