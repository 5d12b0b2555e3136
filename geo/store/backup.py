"""Backup and restore, for either engine: the whole store as one new GeoPackage file, and
such a file loaded back into a store.

A backup is written by the embedded engine (:class:`~geo.store.gpkg.GeoPackageStore`),
whatever engine it is made from. A file to restore is opened by the upload gate
(:func:`geo.uploads.backup.read_backup`) before anything is written: a wrong, damaged or
hostile file is refused with one message and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import auth
from geo.errors import StoreError
from geo.store import tables as T
from geo.store.base import Store
from geo.store.gpkg import GeoPackageStore
from geo.uploads.backup import BackupFile, read_backup


def backup(store: Store, path: str | Path) -> dict[str, int]:
    """Write the whole of ``store`` to one new GeoPackage; return rows written per table."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise StoreError(f"the backup must be a .gpkg file, got '{path.name}'")
    if path.exists():
        raise StoreError(f"'{path.name}' exists already; choose a new file name")
    with store._snapshot():  # one consistent state, even while others write
        frames = {t.name: store.read_table(t) for t in T.TABLES}
    target = GeoPackageStore.create(path, seed=False)
    counts = {}
    with target._transaction() as tx:
        for table in T.TABLES:
            counts[table.name] = target._insert(tx, table, frames[table.name], False)
        target._bump_revision(tx)
    return counts


def restore(
    store: Store, source: str | Path | BackupFile, who: auth.Identity | str = ""
) -> dict[str, int]:
    """Load a backup made by :func:`backup` into ``store``; return rows added per table.

    ``source`` is the backup's path (checked by the upload gate here) or what the gate
    returned for it (:func:`geo.uploads.backup.read_backup`). Rows already here are kept;
    a zone version that exists here with different content stops the restore before
    anything is written (nothing is ever overwritten), as does a decision on a match
    (link and version) that differs. The backup's matched links are taken only by a store
    with none (they are one build, whole; a store's own latest build is kept); its builds
    and decisions are added. A backup of schema 3 (before the matches) restores with none.
    An identity ``who`` must have the right to restore (:func:`geo.auth.require`), checked
    before the file is read.
    """
    who = auth.author_of(who, auth.RESTORE)
    checked = source if isinstance(source, BackupFile) else read_backup(source)
    frames = checked.frames
    counts = {}
    with store._transaction() as tx:
        # Checked under the write lock: no writer can change the versions meanwhile.
        _check_no_conflict(store.zone_versions(), frames["zone_versions"])
        _check_same_decisions(
            store.match_decisions(all_versions=True), frames[T.MATCH_DECISIONS.name]
        )
        for table in T.TABLES:
            if table is T.MATCH_LINKS and store._count(tx, table):
                counts[table.name] = 0  # this store's own latest build stays whole
                continue
            counts[table.name] = store._insert(tx, table, frames[table.name], True)
        store._log(
            tx,
            "restore",
            who,
            checked.name,
            checked.sha256,
            ", ".join(f"{k} +{v}" for k, v in counts.items()),
        )
        store._bump_revision(tx)
    return counts


def _check_same_decisions(mine: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Refuse when a decision (link and version) in both differs: neither may be lost."""
    if mine.empty or theirs.empty:
        return
    compared = ["decision", "who", "at", "note"]
    merged = mine[["link_key", "version", *compared]].merge(
        theirs[["link_key", "version", *compared]].astype({"version": "int64"}),
        on=["link_key", "version"],
        suffixes=("", "_b"),
    )
    differs = np.zeros(len(merged), dtype=bool)
    for col in compared:
        differs |= (merged[col] != merged[col + "_b"]).to_numpy()
    if differs.any():
        bad = merged[differs].iloc[0]
        raise StoreError(
            f"the backup's decision on the match '{bad['link_key']}' version {bad['version']} "
            "differs from the one in this store; nothing was restored. Restore into a new, "
            "empty store instead (e.g. set ZONEWATCH_STORE to a new .gpkg path)"
        )


def _check_no_conflict(mine: gpd.GeoDataFrame, theirs: gpd.GeoDataFrame) -> None:
    """Refuse when a (zone, version) in both differs in geometry or in any property."""
    compared = [c for c in T.ZONE_VERSIONS.names if c not in ("zone_id", "version", "created_at")]
    merged = pd.DataFrame(mine).merge(
        pd.DataFrame(theirs).rename(columns={c: c + "_b" for c in compared + ["geometry"]}),
        on=["zone_id", "version"],
    )
    if merged.empty:
        return
    same = shapely.equals_exact(merged["geometry"].values, merged["geometry_b"].values, 1e-9)
    for col in compared:
        a, b = merged[col], merged[col + "_b"]
        same &= ((a == b) | (a.isna() & b.isna())).to_numpy()
    if not same.all():
        bad = merged.loc[~same, ["zone_id", "version"]].iloc[0]
        raise StoreError(
            f"the backup's zone '{bad['zone_id']}' version {bad['version']} differs from the "
            "one in this store; nothing was restored. Restore into a new, empty store instead "
            "(e.g. set ZONEWATCH_STORE to a new .gpkg path)"
        )
