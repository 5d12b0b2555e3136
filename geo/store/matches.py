"""The matches in the store, for both engines: the latest build's links, the builds, and
the decisions on links (append-only, versioned per link like zone boundaries).

A mixin of :class:`geo.store.base.Store`; it uses only the store's common primitives
(a write transaction, inserts, reads, the history log) and SQL common to both engines.
What the links mean for counting is in :mod:`geo.matching.stored`.
"""

from __future__ import annotations

import math
import uuid

import numpy as np
import pandas as pd

from geo import auth
from geo.errors import InputError
from geo.store import tables as T
from geo.wording import count


class MatchInputError(InputError, ValueError):
    """A link or decision the store refuses (unknown decision, unknown link, bad links)."""


#: Columns the links given to :meth:`MatchTables.replace_match_links` must have.
LINK_INPUT = ("a_dataset", "a_id", "b_dataset", "b_id", "score")

#: The longest note kept with a decision, in characters.
MAX_NOTE = 2000


def _text(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str)


def _reasons(values) -> list[str]:
    """Reasons as text: a list of reasons is joined by ``"; "``."""
    out = []
    for v in values:
        if isinstance(v, list | tuple | np.ndarray):
            out.append("; ".join(str(x) for x in v))
        elif v is None or (isinstance(v, float) and math.isnan(v)):
            out.append("")
        else:
            out.append(str(v))
    return out


def links_rows(links: pd.DataFrame, build_id: str) -> pd.DataFrame:
    """The rows of ``match_links`` for ``links`` (columns :data:`LINK_INPUT`, and optionally
    ``reasons`` (text or lists), ``days_apart``, ``km``); a problem raises
    :class:`MatchInputError` naming it."""
    missing = [c for c in LINK_INPUT if c not in links.columns]
    if missing:
        raise MatchInputError(f"the links lack the column(s) {', '.join(missing)}")
    a_ds, a_id = _text(links["a_dataset"]), _text(links["a_id"])
    b_ds, b_id = _text(links["b_dataset"]), _text(links["b_id"])
    if ((a_ds == "") | (a_id == "") | (b_ds == "") | (b_id == "")).any():
        raise MatchInputError("a link names a record without its dataset or id")
    if (a_ds == b_ds).any() and ((a_ds == b_ds) & (a_id == b_id)).any():
        raise MatchInputError("a link joins a record to itself")
    score = pd.to_numeric(links["score"], errors="coerce").astype("float64")
    if not np.isfinite(score.to_numpy()).all():
        raise MatchInputError("a link's score is missing or not a number")
    ends = zip(a_ds.tolist(), a_id.tolist(), b_ds.tolist(), b_id.tolist(), strict=True)
    keys = [T.link_key(*k) for k in ends]
    dup = pd.Series(keys).duplicated()
    if dup.any():
        raise MatchInputError(f"the link {keys[int(np.flatnonzero(dup)[0])]} is given twice")
    n = len(links)
    days = links["days_apart"] if "days_apart" in links else pd.Series([None] * n, dtype=object)
    km = links["km"] if "km" in links else pd.Series([np.nan] * n)
    return pd.DataFrame(
        {
            "link_key": keys,
            "a_dataset": a_ds.to_numpy(),
            "a_id": a_id.to_numpy(),
            "b_dataset": b_ds.to_numpy(),
            "b_id": b_id.to_numpy(),
            "score": score.to_numpy(),
            "days_apart": pd.to_numeric(pd.Series(days).reset_index(drop=True), errors="coerce")
            .astype("Int64")
            .array,
            "km": pd.to_numeric(pd.Series(km).reset_index(drop=True), errors="coerce")
            .astype("float64")
            .to_numpy(),
            "reasons": _reasons(links["reasons"]) if "reasons" in links else [""] * n,
            "build_id": build_id,
        }
    )


class MatchTables:
    """The store's match methods (mixed into :class:`geo.store.base.Store`)."""

    def replace_match_links(self, links: pd.DataFrame, build: dict, who) -> str:
        """Store ``links`` as the latest build's (the previous build's links go; the
        decisions stay) and the build's summary (``build``: ``events``, ``seconds``); one
        transaction, whole or nothing, with a history row. Returns the new build id. An
        identity ``who`` must have the right to build the matches."""
        author = auth.author_of(who, auth.MATCH_BUILD)
        build_id = uuid.uuid4().hex
        rows = links_rows(links, build_id)
        try:
            events = int(build.get("events", 0) or 0)
            seconds = float(build.get("seconds", 0.0) or 0.0)
        except (TypeError, ValueError):
            raise MatchInputError("the build's events and seconds must be numbers") from None
        summary = pd.DataFrame(
            [
                {
                    "build_id": build_id,
                    "at": T.now_utc(),
                    "who": author,
                    "events": events,
                    "links": len(rows),
                    "seconds": round(seconds, 3),
                }
            ]
        )
        with self._transaction() as tx:
            tx.execute(f'DELETE FROM "{T.MATCH_LINKS.name}"')
            self._insert(tx, T.MATCH_LINKS, rows, skip_existing=False)
            self._insert(tx, T.MATCH_BUILDS, summary, skip_existing=False)
            self._log(
                tx,
                "match_build",
                author,
                "",
                "",
                f"{count(len(rows), 'link')} among {count(events, 'event')}; build {build_id}",
            )
            self._bump_revision(tx)
        return build_id

    def _with_fids(self, table: T.Table, where: str = "", params: tuple = ()) -> pd.DataFrame:
        """Rows of a table naming both records of a link, with the row ids (``a_fid``,
        ``b_fid``; missing when the record is not stored) of those records here."""
        cols = ", ".join(f't."{c}"' for c in table.names)
        rows = self._read(
            f'SELECT {cols}, ea.fid, eb.fid FROM "{table.name}" t '
            "LEFT JOIN events ea ON ea.dataset = t.a_dataset AND ea.dataset_id = t.a_id "
            "LEFT JOIN events eb ON eb.dataset = t.b_dataset AND eb.dataset_id = t.b_id "
            f"{where} ORDER BY t.fid",
            params,
        )
        frame = T.from_rows(table, [r[:-2] for r in rows], None)
        for i, col in ((-2, "a_fid"), (-1, "b_fid")):
            values = [r[i] for r in rows]
            frame[col] = pd.array([None if v is None else int(v) for v in values], dtype="Int64")
        return frame

    def match_links(self) -> pd.DataFrame:
        """The latest build's links (:data:`geo.store.tables.MATCH_LINKS` columns) with the
        row ids of both records in this store (``a_fid``, ``b_fid``), in build order."""
        return self._with_fids(T.MATCH_LINKS)

    def match_builds(self) -> pd.DataFrame:
        """Every build's summary (build_id, at, who, events, links, seconds), oldest first."""
        builds = self.read_table(T.MATCH_BUILDS)
        return builds.sort_values("at", kind="stable").reset_index(drop=True)

    def match_decisions(self, all_versions: bool = False) -> pd.DataFrame:
        """The decisions on links: the one in force for each link (its latest version), or
        with ``all_versions`` every version; by link key, then version. With each, its copy
        of the link and the row ids of both records here (``a_fid``, ``b_fid``)."""
        frame = self._with_fids(T.MATCH_DECISIONS)
        frame["version"] = frame["version"].astype("int64")
        frame = frame.sort_values(["link_key", "version"], kind="stable")
        if not all_versions:
            frame = frame.drop_duplicates("link_key", keep="last")
        return frame.reset_index(drop=True)

    def add_match_decision(self, link_key: str, decision: str, who, note: str = "") -> int:
        """Record ``decision`` ("accept" or "reject") on the link ``link_key`` as its next
        version (nothing is ever updated or deleted; the latest version is in force), with
        a history row; return the version. The link must be in the latest build or have
        been decided before. An unknown decision or link raises :class:`MatchInputError`
        and writes nothing. An identity ``who`` must have the right to review matches."""
        choice = str(decision).strip().casefold()
        if choice not in T.DECISIONS:
            raise MatchInputError(
                f"'{str(decision)[:40]}' is not a decision; give 'accept' or 'reject'"
            )
        key = str(link_key).strip()
        note = str(note or "").strip()
        if len(note) > MAX_NOTE:
            raise MatchInputError(f"the note is longer than {MAX_NOTE} characters; shorten it")
        author = auth.author_of(who, auth.REVIEW)
        p = self._PARAM
        copied = "a_dataset, a_id, b_dataset, b_id, score, reasons"
        with self._transaction() as tx:
            link = tx.execute(
                f"SELECT {copied} FROM match_links WHERE link_key = {p}", (key,)
            ).fetchone()
            last = tx.execute(
                f"SELECT MAX(version) FROM match_decisions WHERE link_key = {p}", (key,)
            ).fetchone()[0]
            if link is None and last is not None:
                link = tx.execute(
                    f"SELECT {copied} FROM match_decisions WHERE link_key = {p} AND version = {p}",
                    (key, last),
                ).fetchone()
            if link is None:
                raise MatchInputError(
                    f"there is no link '{key[:200]}' in the latest build of the matches; "
                    "'zonewatch matches list' shows the links' keys"
                )
            version = int(last or 0) + 1
            names = ("a_dataset", "a_id", "b_dataset", "b_id", "score", "reasons")
            row = dict(zip(names, link, strict=True))
            row.update(
                link_key=key, version=version, decision=choice, who=author, at=T.now_utc(),
                note=note,
            )  # fmt: skip
            self._insert(tx, T.MATCH_DECISIONS, pd.DataFrame([row]), skip_existing=False)
            self._log(
                tx,
                "match_decision",
                author,
                "",
                "",
                f"{key} v{version}: {choice}" + (f" ({note})" if note else ""),
            )
            self._bump_revision(tx)
        return version
