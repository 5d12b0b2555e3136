"""The matches in the store (issue 19), on both engines: builds replace the links, decisions
are versioned and survive builds, "count each event once" from the stored links."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from test_cli_matches import TWINS  # the same twins

from geo import auth
from geo.errors import NotAllowedError
from geo.eventindex import EventIndex
from geo.filters import EventFilter
from geo.matching import stored
from geo.matching.dedupe import dedupe_mask, filtered_events
from geo.schema import EVENT_COLUMNS
from geo.store.matches import MatchInputError
from geo.store.version import SCHEMA_VERSION

MAY = "acled:a1|ucdp:u1"  # the twins of May: u1 placed "near", a1 exactly
AUGUST = "acled:a3|ucdp:u3"


@pytest.fixture
def twins(make_store, tmp_path):
    """A store (on each engine) holding only :data:`TWINS`."""
    from geo.uploads import import_events

    store = make_store(seed=False)
    path = tmp_path / "twins.csv"
    pd.DataFrame(TWINS, columns=list(EVENT_COLUMNS)).to_csv(path, index=False)
    import_events(store, path, fmt="zonewatch")
    return store


def _everything(store):
    index = EventIndex.from_frame(store.event_columns())
    return index, np.ones(len(index), dtype=bool)


def _counted_ids(store, prefer=None) -> set[str]:
    index, mask = _everything(store)
    keep = stored.counted_mask(store, index, mask, prefer)
    return set(store.events_by_fids(index.fid[keep])["dataset_id"])


def _state(store):
    """What a refused write must leave as it was."""
    return (
        store.revision(),
        len(store.history()),
        store.match_decisions(all_versions=True).to_dict("list"),
        store.match_links()["link_key"].tolist(),
    )


def test_build_stores_the_links_and_replaces_the_previous_build(twins):
    assert not stored.has_build(twins)
    summary = stored.build(twins, "ana")
    assert summary["events"] == 6 and summary["links"] == 2
    links = twins.match_links()
    assert sorted(links["link_key"]) == [MAY, AUGUST]
    assert (links["build_id"] == summary["build_id"]).all()
    assert links["reasons"].str.contains("actors: both sides correspond").all()
    assert links[["a_fid", "b_fid"]].notna().all().all()
    assert stored.has_build(twins)
    again = stored.build(twins, "ben", flt=EventFilter(start=pd.Timestamp("2017-06-01").date()))
    assert again["links"] == 1 and twins.match_links()["link_key"].tolist() == [AUGUST]
    builds = twins.match_builds()
    assert builds["build_id"].tolist() == [summary["build_id"], again["build_id"]]
    assert builds["links"].tolist() == [2, 1]
    assert builds["who"].tolist() == ["ana", "ben"]
    assert (twins.history()["kind"] == "match_build").sum() == 2


def test_counted_mask_counts_each_pair_once_and_prefers(twins):
    stored.build(twins, "ana")
    # a1 is placed more precisely than u1; u3 and a3 tie: the dataset first by name
    assert _counted_ids(twins) == {"a1", "u2", "a2", "a3"}
    assert _counted_ids(twins, prefer="ucdp") == {"u1", "u2", "a2", "u3"}
    index, mask = _everything(twins)
    keep = stored.counted_mask(twins, index, mask)
    merged = stored.merged_records(twins, index, keep, mask)
    by_id = dict(zip(twins.events_by_fids(index.fid)["dataset_id"], index.fid, strict=True))
    assert merged == {by_id["a1"]: "ucdp:u1", by_id["a3"]: "ucdp:u3"}
    # a mask that leaves one record of a pair out: the other counts on its own
    no_ucdp = np.array([d == "acled" for d in np.array(index.datasets)[index.dataset_code]])
    assert stored.counted_mask(twins, index, no_ucdp).tolist() == no_ucdp.tolist()


def test_a_rejected_link_stays_rejected_after_a_new_build(twins):
    stored.build(twins, "ana")
    assert twins.add_match_decision(MAY, "reject", "ana", note="different villages") == 1
    assert MAY not in set(stored.effective_links(twins)["link_key"])
    stored.build(twins, "ben")  # the matcher finds the link again
    assert MAY in set(twins.match_links()["link_key"])
    effective = stored.effective_links(twins)
    assert set(effective["link_key"]) == {AUGUST}
    every = stored.all_links(twins).set_index("link_key")
    assert every.loc[MAY, "decision"] == "reject" and every.loc[AUGUST, "decision"] == ""
    assert _counted_ids(twins) == {"u1", "a1", "u2", "a2", "a3"}


def test_an_accepted_link_survives_a_build_that_no_longer_finds_it(twins):
    stored.build(twins, "ana")
    twins.add_match_decision(MAY, "accept", "ana")
    june_on = EventFilter(start=pd.Timestamp("2017-06-01").date())
    stored.build(twins, "ben", flt=june_on)  # May is left out: its link is not found
    assert MAY not in set(twins.match_links()["link_key"])
    effective = stored.effective_links(twins).set_index("link_key")
    assert effective.loc[MAY, "decision"] == "accept"
    assert not effective.loc[MAY, "in_build"]
    assert (effective.loc[MAY, "a_id"], effective.loc[MAY, "b_id"]) == ("a1", "u1")
    assert _counted_ids(twins) == {"a1", "u2", "a2", "a3"}
    # and it can still be decided again (its key is known from its decision)
    assert twins.add_match_decision(MAY, "reject", "cem") == 2
    assert _counted_ids(twins) == {"u1", "a1", "u2", "a2", "a3"}


def test_decisions_are_versioned_and_never_lost(twins):
    stored.build(twins, "ana")
    editor = auth.Identity("ed@example.org", auth.EDITOR, signed_in=True)
    assert twins.add_match_decision(AUGUST, "accept", editor, note="same battle") == 1
    assert twins.add_match_decision(AUGUST, "Reject", "bo (CLI, --author)") == 2
    every = twins.match_decisions(all_versions=True)
    assert every["version"].tolist() == [1, 2]
    assert every["decision"].tolist() == ["accept", "reject"]
    assert every["who"].tolist() == ["ed@example.org", "bo (CLI, --author)"]
    assert every["note"].tolist() == ["same battle", ""]
    in_force = twins.match_decisions()
    assert in_force["link_key"].tolist() == [AUGUST] and in_force["version"].tolist() == [2]
    history = twins.history()
    rows = history[history["kind"] == "match_decision"]
    assert rows["who"].tolist() == ["ed@example.org", "bo (CLI, --author)"]
    assert rows["detail"].tolist() == [f"{AUGUST} v1: accept (same battle)", f"{AUGUST} v2: reject"]
    stored.build(twins, "ana")  # a build keeps every decision
    assert len(twins.match_decisions(all_versions=True)) == 2


def test_a_refused_decision_or_build_changes_nothing(twins):
    stored.build(twins, "ana")
    twins.add_match_decision(MAY, "accept", "ana")
    before = _state(twins)
    with pytest.raises(MatchInputError, match="'maybe' is not a decision; give 'accept'"):
        twins.add_match_decision(MAY, "maybe", "ana")
    with pytest.raises(ValueError, match="no link 'acled:zz|ucdp:u1'.*zonewatch matches list"):
        twins.add_match_decision("acled:zz|ucdp:u1", "reject", "ana")
    viewer = auth.Identity("vi@example.org", auth.VIEWER, signed_in=True)
    with pytest.raises(NotAllowedError, match="accept or reject a match"):
        twins.add_match_decision(MAY, "reject", viewer)
    with pytest.raises(NotAllowedError, match="build the matches"):
        stored.build(twins, viewer)
    links = twins.match_links()[["a_dataset", "a_id", "b_dataset", "b_id", "score"]]
    with pytest.raises(MatchInputError, match="is given twice"):
        twins.replace_match_links(pd.concat([links, links.head(1)]), {"events": 6}, "ana")
    with pytest.raises(MatchInputError, match="lack the column"):
        twins.replace_match_links(links.drop(columns="score"), {"events": 6}, "ana")
    assert _state(twins) == before


def test_no_decision_counts_as_the_on_the_fly_dedupe_on_the_shipped_data(make_store):
    store = make_store()
    stored.build(store, "zonewatch")
    assert len(store.match_links()) > 0
    index = EventIndex.from_frame(store.event_columns())
    days = [np.datetime64(d, "D").astype(int) for d in ("2017-01-01", "2017-12-31")]
    in_2017 = (index.start <= days[1]) & (index.end >= days[0])
    for mask in (np.ones(len(index), dtype=bool), in_2017):
        pos = np.flatnonzero(mask)
        before = mask.copy()
        before[pos[~dedupe_mask(filtered_events(store, index.fid[pos]))]] = False
        now = stored.counted_mask(store, index, mask)
        assert now.sum() < mask.sum()
        assert now.tolist() == before.tolist()


def test_a_schema_3_geopackage_store_gains_the_tables_and_keeps_its_data(
    session_store_path, tmp_path, monkeypatch
):
    import shutil

    from geo.store import open_store

    path = tmp_path / "v3.gpkg"
    shutil.copyfile(session_store_path, path)
    con = sqlite3.connect(path, isolation_level=None)
    for table in ("match_links", "match_builds", "match_decisions"):
        con.execute(f'DROP TABLE "{table}"')
        con.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
    con.execute("UPDATE zonewatch_meta SET value = '3' WHERE key = 'schema_version'")
    events = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    con.close()
    monkeypatch.setenv("ZONEWATCH_STORE", str(path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = open_store()
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM zonewatch_meta WHERE key = 'schema_version'").fetchone()[
        0
    ] == str(SCHEMA_VERSION)
    kinds = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
    con.close()
    assert kinds["match_decisions"] == "attributes"
    assert len(store.events()) == events
    assert not stored.has_build(store)
    stored.build(store, "ana")
    key = store.match_links()["link_key"].iloc[0]
    assert store.add_match_decision(key, "reject", "ana") == 1


def test_a_schema_3_postgis_store_gains_the_tables_and_keeps_its_data(postgis):
    import psycopg

    from geo.store.postgis import PostGISStore, conninfo

    url = postgis.create_db("schema3", template="zonewatch_template")
    with psycopg.connect(conninfo(url), autocommit=True) as con:
        for table in ("match_links", "match_builds", "match_decisions"):
            con.execute(f'DROP TABLE "{table}"')
        con.execute("UPDATE zonewatch_meta SET value = '3' WHERE key = 'schema_version'")
        events = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    store = PostGISStore.open(url)
    with psycopg.connect(conninfo(url)) as con:
        version = con.execute(
            "SELECT value FROM zonewatch_meta WHERE key = 'schema_version'"
        ).fetchone()[0]
    assert version == str(SCHEMA_VERSION)
    assert len(store.events()) == events
    stored.build(store, "ana")
    key = store.match_links()["link_key"].iloc[0]
    assert store.add_match_decision(key, "accept", "ana") == 1
    assert store.match_decisions()["decision"].tolist() == ["accept"]


def test_backup_and_restore_keep_the_matches(twins, tmp_path):
    from geo.store import backup as bk
    from geo.store.gpkg import GeoPackageStore

    stored.build(twins, "ana")
    twins.add_match_decision(MAY, "reject", "ana")
    twins.add_match_decision(MAY, "accept", "ben")
    path = tmp_path / "with_matches.gpkg"
    bk.backup(twins, path)
    target = GeoPackageStore.open(tmp_path / "target.gpkg", seed=False)
    counts = bk.restore(target, path, who="ana")
    assert counts["match_links"] == 2 and counts["match_decisions"] == 2
    assert sorted(target.match_links()["link_key"]) == [MAY, AUGUST]
    assert target.match_decisions(all_versions=True)["who"].tolist() == ["ana", "ben"]
    assert _counted_ids(target) == _counted_ids(twins)
    # restored again: nothing twice, the store's own build kept whole
    again = bk.restore(target, path, who="ana")
    assert again["match_links"] == again["match_decisions"] == 0
    # a store holding another decision of the same version refuses the whole restore
    other = GeoPackageStore.open(tmp_path / "other.gpkg", seed=False)
    bk.restore(other, path, who="ana")
    stored.build(other, "cem")
    fresh = GeoPackageStore.open(tmp_path / "fresh.gpkg", seed=False)
    bk.restore(fresh, path, who="ana")
    fresh.add_match_decision(AUGUST, "reject", "dan")
    other.add_match_decision(AUGUST, "accept", "eve")
    clash = tmp_path / "clash.gpkg"
    bk.backup(other, clash)
    before = _state(fresh)
    with pytest.raises(Exception, match="decision on the match 'acled:a3|ucdp:u3' version 1"):
        bk.restore(fresh, clash, who="ana")
    assert _state(fresh) == before


def test_a_schema_3_backup_restores_without_matches(make_store, tmp_path):
    from geo.store import backup as bk

    source = make_store()
    path = tmp_path / "v3.gpkg"
    bk.backup(source, path)
    con = sqlite3.connect(path, isolation_level=None)
    for table in ("match_links", "match_builds", "match_decisions"):
        con.execute(f'DROP TABLE "{table}"')
        con.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
    con.execute("UPDATE zonewatch_meta SET value = '3' WHERE key = 'schema_version'")
    con.close()
    target = make_store(seed=False)
    counts = bk.restore(target, path, who="ana")
    assert counts["events"] == len(source.events()) and counts["match_links"] == 0
    assert not stored.has_build(target)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("UPDATE zonewatch_meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(Exception, match="backup of schema 2; .* restores schemas 3 to"):
        bk.restore(target, path, who="ana")
