"""``zonewatch matches build/export/list/decide/history`` and ``--dedupe`` (events, zones
stats) over the stored matches: on small stores of hand-made twins, and the acceptance on the
real 2017 ACLED file (needs ../shared)."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from test_cli import zw

from conftest import SHARED
from geo.matching.dedupe import best_and_doubtful, dedupe_mask
from geo.matching.stored import TABLE_COLUMNS
from geo.schema import EVENT_COLUMNS

ACLED_REAL = SHARED / "data" / "external" / "acled_syria_battles" / "acled_syria_battles_2017.csv"
GOV_UCDP, GOV_ACLED = "Government of Syria", "Military Forces of Syria (2000-)"
REBELS_UCDP, REBELS_ACLED = "Syrian insurgents", "Opposition Rebels (Syria)"


def _row(dataset_id: str, day: str, lat: float, lon: float, **overrides) -> dict:
    ucdp = dataset_id.startswith("u")
    row = {c: "" for c in EVENT_COLUMNS}
    row.update(
        date_start=day,
        date_end=day,
        date_precision="day",
        latitude=str(lat),
        longitude=str(lon),
        location_precision="exact",
        event_type="State-based conflict" if ucdp else "Battles",
        actor1=GOV_UCDP if ucdp else GOV_ACLED,
        actor2=REBELS_UCDP if ucdp else REBELS_ACLED,
        fatalities_best="3",
        dataset="ucdp" if ucdp else "acled",
        dataset_id=dataset_id,
    )
    row.update(overrides)
    return row


# Two pairs of twins (u1/a1 in May, u3/a3 in August) and two lone records. u1 is placed
# "near", a1 exactly: counting once keeps a1 (the most precisely located).
TWINS = [
    _row("u1", "2017-05-10", 35.300, 36.600, location_precision="near"),
    _row("a1", "2017-05-10", 35.304, 36.600, fatalities_best="2"),
    _row("u2", "2017-05-20", 35.330, 40.140),
    _row("a2", "2017-07-01", 35.930, 36.630),
    _row("u3", "2017-08-01", 36.200, 37.150),
    _row("a3", "2017-08-01", 36.200, 37.150),
]


def _import(store, rows: list[dict], tmp_path) -> None:
    path = tmp_path / "twins.csv"
    pd.DataFrame(rows, columns=list(EVENT_COLUMNS)).to_csv(path, index=False)
    out = zw("--store", str(store), "import-events", "--format", "zonewatch", str(path))
    assert out.returncode == 0, out.stderr


@pytest.fixture
def unbuilt(tmp_path):
    """A store holding only :data:`TWINS` (filled before the CLI opens it: not seeded)."""
    from geo.store.gpkg import GeoPackageStore
    from geo.uploads import import_events

    store = tmp_path / "twins.gpkg"
    path = tmp_path / "twins.csv"
    pd.DataFrame(TWINS, columns=list(EVENT_COLUMNS)).to_csv(path, index=False)
    import_events(GeoPackageStore.open(store, seed=False), path, fmt="zonewatch")
    return store


@pytest.fixture
def twins(unbuilt):
    """:func:`unbuilt` with its matches built (``zonewatch matches build``)."""
    _build(unbuilt)
    return unbuilt


def _build(store, *extra) -> str:
    out = zw("--store", str(store), "matches", "build", *extra)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _count(store, *args) -> int:
    out = zw("--store", str(store), "events", "--format", "count", *args)
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


def test_dedupe_counts_each_pair_of_twins_once(twins):
    assert _count(twins) == 6
    assert _count(twins, "--dedupe") == 4
    # the filters come first: May-June holds u1, a1 and u2
    assert _count(twins, "--from", "2017-05-01", "--to", "2017-06-30") == 3
    assert _count(twins, "--from", "2017-05-01", "--to", "2017-06-30", "--dedupe") == 2
    # one dataset: nothing to link
    assert _count(twins, "--dataset", "acled", "--dedupe") == 3


def test_dedupe_csv_keeps_the_most_precisely_located_record(twins):
    out = zw("--store", str(twins), "events", "--format", "csv", "--dedupe")
    assert out.returncode == 0, out.stderr
    ids = {r["dataset_id"] for r in csv.DictReader(io.StringIO(out.stdout))}
    assert len(ids) == 4
    assert "a1" in ids and "u1" not in ids
    assert {"u2", "a2"} <= ids and len(ids & {"u3", "a3"}) == 1


def test_matches_build_stores_and_export_writes_every_link(unbuilt, tmp_path):
    out = zw("--store", str(unbuilt), "--author", "ana", "matches", "build")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("stored 2 links among 6 events in ")
    target = tmp_path / "links.csv"
    out = zw("--store", str(unbuilt), "matches", "export", "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    assert "2 links" in out.stderr and "counted once: 4" in out.stderr
    table = pd.read_csv(target, dtype={"dataset_id_a": str, "dataset_id_b": str})
    assert tuple(table.columns) == TABLE_COLUMNS
    ids = zip(table["dataset_id_a"], table["dataset_id_b"], strict=True)
    pairs = {tuple(sorted(pair)) for pair in ids}
    assert pairs == {("a1", "u1"), ("a3", "u3")}
    assert set(table["link_key"]) == {"acled:a1|ucdp:u1", "acled:a3|ucdp:u3"}
    assert table["kept"].all() and table["in_build"].all() and table["decision"].isna().all()
    assert (table["group"] == table[["fid_a", "fid_b"]].min(axis=1)).all()
    assert table["reasons"].str.contains("actors: both sides correspond").all()
    assert ((table["score"] > 0.6) & (table["score"] <= 1)).all()
    from geo.store.gpkg import GeoPackageStore

    builds = GeoPackageStore(unbuilt).match_builds()
    assert builds["who"].tolist() == ["ana (CLI, --author)"] and builds["links"].tolist() == [2]


def test_matches_export_json_holds_reason_lists(twins):
    runs = [zw("--store", str(twins), "matches", "export", "--format", "json") for _ in (1, 2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    rows = json.loads(runs[0].stdout)
    assert len(rows) == 2 and list(rows[0]) == list(TABLE_COLUMNS)
    assert all(isinstance(r["reasons"], list) and r["reasons"] for r in rows)
    assert all(isinstance(r["group"], int) and r["kept"] is True for r in rows)


def test_matches_export_failing_leaves_the_file(twins, tmp_path):
    target = tmp_path / "links.csv"
    target.write_text("before\n")
    out = zw("--store", str(twins), "matches", "export", "--from", "2017-13-01", "-o", str(target))
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert target.read_text() == "before\n"


def test_matches_list_best_and_doubtful(twins):
    out = zw("--store", str(twins), "matches", "list", "--limit", "1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(
        "2 links (2 kept in groups; 0 accepted, 0 rejected) among 6 events; counted once: 4"
    )
    assert "best (1 of 2):" in out.stdout and "doubtful (1 of 2):" in out.stdout
    # the best link is the exact twins' (same place and fatalities), the doubtful u1/a1's
    best, doubtful = out.stdout.split("doubtful")
    assert "acled:a3|ucdp:u3" in best and "acled:a1|ucdp:u1" in doubtful


def test_without_a_build_the_readers_say_to_build(unbuilt):
    for args in (
        ("events", "--format", "count", "--dedupe"),
        ("zones", "stats", "--dedupe"),
        ("matches", "list"),
        ("matches", "export"),
    ):
        out = zw("--store", str(unbuilt), *args)
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.startswith("zonewatch: error: no matches built yet; run 'zonewatch "
                                     "matches build'")  # fmt: skip
        assert len(out.stderr.strip().splitlines()) == 1 and out.stdout == ""


def test_a_rejected_link_stays_rejected_after_matches_build(twins):
    key = "acled:a1|ucdp:u1"
    out = zw("--store", str(twins), "--author", "ana", "matches", "decide", key, "reject",
             "--note", "two villages")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{key}: reject (version 1)\n"
    assert _count(twins, "--dedupe") == 5
    _build(twins)  # the matcher finds the link again; the decision stays in force
    assert _count(twins, "--dedupe") == 5
    listed = zw("--store", str(twins), "matches", "list").stdout
    assert "1 rejected" in listed and f"no\treject\t{key}" in listed
    out = zw("--store", str(twins), "--author", "bo", "matches", "decide", key, "accept")
    assert out.stdout == f"{key}: accept (version 2)\n"
    assert _count(twins, "--dedupe") == 4
    history = zw("--store", str(twins), "matches", "history", key)
    assert history.returncode == 0, history.stderr
    lines = history.stdout.splitlines()
    assert lines[0] == "version\tdecision\tat\twho\tnote" and len(lines) == 3
    assert lines[1].startswith("1\treject\t") and lines[1].endswith(
        "\tana (CLI, --author)\ttwo villages"
    )
    assert lines[2].startswith("2\taccept\t") and "\tbo (CLI, --author)\t" in lines[2]


def test_a_refused_decision_says_why_and_changes_nothing(twins):
    from geo.store.gpkg import GeoPackageStore

    store = GeoPackageStore(twins)
    before = (store.revision(), len(store.history()))
    for args, message in (
        (("acled:zz|ucdp:u1", "reject"), "there is no link 'acled:zz|ucdp:u1'"),
        (("acled:a1|ucdp:u1", "maybe"), "invalid choice: 'maybe'"),
    ):
        out = zw("--store", str(twins), "matches", "decide", *args)
        assert out.returncode == 2 and message in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) <= 2 and "Traceback" not in out.stderr
    out = zw("--store", str(twins), "matches", "history", "acled:a1|ucdp:u1")
    assert out.returncode == 2 and "no decision on the link" in out.stderr
    assert (store.revision(), len(store.history())) == before


def test_zones_stats_dedupe(fresh_store_path, tmp_path):
    # Idlib city, inside the Idlib zone in force in 2021 (after the shipped events end).
    day = "2021-06-10"
    _import(
        fresh_store_path,
        [_row("u9", day, 35.930, 36.630), _row("a9", day, 35.931, 36.630)],
        tmp_path,
    )

    def idlib(*extra) -> int:
        out = zw("--store", str(fresh_store_path), "zones", "stats", "--from", day, "--to", day,
                 *extra)  # fmt: skip
        assert out.returncode == 0, out.stderr
        table = pd.read_csv(io.StringIO(out.stdout))
        return int(table.loc[table["zone_id"] == "idlib", "events"].sum())

    assert idlib() == 2
    _build(fresh_store_path)
    assert idlib("--dedupe") == 1


def test_dedupe_mask_one_dataset_and_best_doubtful_disjoint():
    one = pd.DataFrame([_row("u1", "2017-05-10", 35.3, 36.6), _row("u2", "2017-05-10", 35.3, 36.6)])
    assert dedupe_mask(one).tolist() == [True, True]
    table = pd.DataFrame({"score": [0.9, 0.7, 0.65, 0.8], "km": [1.0, 2.0, 3.0, 0.5]})
    best, doubtful = best_and_doubtful(table, 2)
    assert best["score"].tolist() == [0.9, 0.8]
    assert doubtful["score"].tolist() == [0.65, 0.7]
    assert not set(best.index) & set(best_and_doubtful(table, 3)[1].index)


@pytest.mark.skipif(
    not ACLED_REAL.exists(),
    reason=f"the real ACLED file is not here ({ACLED_REAL}): ACLED may not be "
    "redistributed, so it lives only in ../shared",
)
def test_real_2017_dedupe_lies_between_the_larger_count_and_the_sum(fresh_store_path):
    store = str(fresh_store_path)
    out = zw("--store", store, "import-events", "--format", "acled", str(ACLED_REAL))
    assert out.returncode == 0, out.stderr
    year = ("--from", "2017-01-01", "--to", "2017-12-31")
    both = ("--dataset", "ucdp", "--dataset", "acled")
    ucdp = _count(store, *year, "--dataset", "ucdp")
    acled = _count(store, *year, "--dataset", "acled")
    assert min(ucdp, acled) > 1000  # both datasets are there
    _build(store)
    once = _count(store, *year, *both, "--dedupe")
    assert max(ucdp, acled) < once < ucdp + acled


def test_matches_commands_on_both_engines(make_store, engine):
    from test_cli import _store_env

    make_store()
    env = _store_env()
    year = ("--from", "2017-01-01", "--to", "2017-12-31")

    def count(*extra) -> int:
        out = zw("events", "--format", "count", *year, *extra, env=env)
        assert out.returncode == 0, out.stderr
        return int(out.stdout)

    plain = count()
    out = zw("matches", "build", env=env)
    assert out.returncode == 0, out.stderr
    once = count("--dedupe")
    assert once < plain  # the curated strikes of May 2017 and their UCDP records
    out = zw("matches", "export", *year, env=env)
    assert out.returncode == 0, out.stderr
    keys = pd.read_csv(io.StringIO(out.stdout))["link_key"].tolist()
    assert keys
    for key in keys:
        out = zw("matches", "decide", key, "reject", env=env)
        assert out.returncode == 0, out.stderr
    assert count("--dedupe") == plain
    zw("matches", "build", env=env)
    assert count("--dedupe") == plain  # still rejected after a new build
