"""The matches as stored: build them once, review them, count each event once from them.

Pure (no streamlit). ``zonewatch matches build`` (and the app) run :func:`build`: the matcher
(:func:`geo.matching.match_events`) over the store's events, its links stored whole
(:meth:`geo.store.base.Store.replace_match_links`). People accept or reject links
(:meth:`~geo.store.base.Store.add_match_decision`, versioned, never lost). What counts:

- :func:`effective_links`: the latest build's links, less those whose decision in force is
  "reject", plus the accepted links a later build no longer finds (made again from the
  copy each decision keeps). A rejected link stays rejected whatever a new build finds.
- :func:`counted_mask`: "count each event once" over a filter's mask. Among the records
  the mask keeps, the effective links with both ends kept are ranked as the matcher ranks
  them (:func:`geo.matching.groups.best_of`: each record of the larger dataset keeps its
  best link to each other dataset; an accepted link comes first and is always kept); the
  kept links form groups (connected components, :func:`geo.matching.groups.group_labels`),
  and each group counts the records of one dataset
  (:func:`geo.matching.groups.representatives`): by default the dataset with the most
  records in the group (each dataset lists distinct events), then the most precisely
  located record, then the dataset first by name; with ``prefer``, that dataset's records
  wherever the group has one. In the usual pair, that is ONE record.
  With no decisions and the mask keeping everything, it is exactly the old on-the-fly
  :func:`geo.matching.dedupe.dedupe_mask` (tested on the shipped data).
- :func:`merged_records`: for each record that counts, the others of its group.

Cost: the links are read once per store revision and event index (a join of the links on
the events' identity index; measured here for 100,000 links on a loaded 2-core machine:
about 1.5 s on the GeoPackage) and kept here (a few MB). After that :func:`counted_mask` is
numpy over the links and the mask, no pandas: a bincount over the mask and a sort,
union-find and group choice over the links both of whose records the mask keeps (measured:
1,000,000 events and 100,000 random links, about 90 ms with the whole store kept, 30 ms
with half; :func:`merged_records` adds a Python loop over the groups, about 0.15 s).
Callers may cache its result on (store revision, filter) as they cache the mask.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import auth
from geo.matching.groups import best_of, group_labels, precision_rank, representatives
from geo.store import tables as T

Progress = Callable[[float, str], None]

#: The columns of :func:`all_links` and :func:`effective_links`.
EFFECTIVE_COLUMNS = (*T.MATCH_LINKS.names, "a_fid", "b_fid", "decision", "in_build")


def has_build(store) -> bool:
    """True once the matches were built (a build of no links counts)."""
    return len(store.match_builds()) > 0


def build(store, who, progress: Progress | None = None, flt=None) -> dict:
    """Run the matcher over the store's events (those ``flt`` keeps, an
    :class:`geo.filters.EventFilter`; all by default) and store its links as the latest
    build. Returns the summary: ``build_id``, ``events``, ``links``, ``seconds``.
    ``progress(fraction, message)`` is told as the matcher goes. An identity ``who`` must
    have the right to build the matches (checked first)."""
    from geo.matching.links import match_events

    author = auth.author_of(who, auth.MATCH_BUILD)
    started = time.monotonic()
    events = _events(store, flt)
    links = match_events(events, progress=progress)
    frame = pd.DataFrame(
        {
            "a_dataset": links["dataset_a"].to_numpy(),
            "a_id": links["id_a"].to_numpy(),
            "b_dataset": links["dataset_b"].to_numpy(),
            "b_id": links["id_b"].to_numpy(),
            "score": links["score"].to_numpy(np.float64),
            "days_apart": links["days_apart"].to_numpy(np.int64),
            "km": links["km"].to_numpy(np.float64),
            "reasons": links["reasons"].to_numpy(),
        }
    )
    seconds = time.monotonic() - started
    build_id = store.replace_match_links(frame, {"events": len(events), "seconds": seconds}, author)
    return {
        "build_id": build_id,
        "events": len(events),
        "links": len(frame),
        "seconds": round(seconds, 3),
    }


#: What the matcher reads of each event (:func:`geo.matching.match_events`).
MATCH_COLUMNS = (
    "date_start", "date_end", "date_precision", "location_precision", "latitude",
    "longitude", "dataset", "dataset_id", "event_type", "actor1", "actor2", "fatalities_best",
)  # fmt: skip
#: Short text columns of few distinct values, held as categoricals.
_REPEATED = ("date_precision", "location_precision", "dataset", "event_type", "actor1", "actor2")
#: Events read at a time for the matcher.
READ_BATCH = 50_000


def _events(store, flt) -> pd.DataFrame:
    """The events to match (those ``flt`` keeps, or all), in the order they were stored:
    only :data:`MATCH_COLUMNS`, read :data:`READ_BATCH` events at a time and kept compact
    (floats, dates, categoricals), never a frame of every event's text (at a million events
    that frame took 0.6 GB and its read peaked at 3 GB)."""
    keep = None
    if flt is not None:
        from geo.eventindex import EventIndex

        index = EventIndex.read(store)  # a batch at a time: never the joined frame
        zones = store.zone_versions() if flt.zones is not None else None
        keep = np.sort(index.fid[index.mask(flt, zones)])
        del index
    frames, after = [], 0
    while True:
        page = store.event_page(MATCH_COLUMNS, after, READ_BATCH)
        if not len(page):
            break
        after = int(page["fid"].iloc[-1])
        if keep is not None:
            page = page[np.isin(page["fid"].to_numpy(np.int64), keep)]
        frames.append(_compact(page))
    if not frames:
        return _compact(store.event_page(MATCH_COLUMNS, 0, 0))
    out = {}
    for col in MATCH_COLUMNS:
        parts = [f[col] for f in frames]
        if col in _REPEATED:
            out[col] = pd.Series(pd.api.types.union_categoricals(parts, ignore_order=True))
        else:
            out[col] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(out)


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """:data:`MATCH_COLUMNS` of ``frame``, as the matcher reads them (missing text as "",
    fatalities as numbers), repeated text as categoricals."""
    out = {}
    for col in MATCH_COLUMNS:
        values = frame[col]
        if col in ("date_start", "date_end"):
            text = pd.Series([str(v)[:10] for v in values], dtype=object)  # text or dates
            out[col] = pd.to_datetime(text, format="%Y-%m-%d").to_numpy("datetime64[D]")
        elif col in ("latitude", "longitude"):
            out[col] = values.astype("float64").to_numpy()
        elif col == "fatalities_best":
            out[col] = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
        elif col in _REPEATED:
            out[col] = values.fillna("").astype(str).astype("category")
        else:
            out[col] = values.fillna("").astype(str).to_numpy(object)
    return pd.DataFrame(out)


def all_links(store) -> pd.DataFrame:
    """Every link known: the latest build's and the accepted ones it no longer finds, with
    ``decision`` (the decision in force: "", "accept" or "reject") and ``in_build`` (found by
    the latest build); columns :data:`EFFECTIVE_COLUMNS`. For review pages."""
    links = store.match_links()
    decisions = store.match_decisions()
    in_force = dict(zip(decisions["link_key"], decisions["decision"], strict=True))
    links["decision"] = [in_force.get(k, "") for k in links["link_key"]]
    links["in_build"] = True
    found = set(links["link_key"].tolist())  # (a set: isin on 100,000 keys takes seconds)
    lost = np.array([key not in found for key in decisions["link_key"]], dtype=bool)
    kept = decisions[(decisions["decision"] == "accept").to_numpy() & lost]
    if len(kept):
        extra = kept[["link_key", "a_dataset", "a_id", "b_dataset", "b_id", "score", "reasons"]]
        extra = extra.assign(
            days_apart=pd.array([None] * len(kept), dtype="Int64"),
            km=np.nan,
            build_id="",
            a_fid=kept["a_fid"].array,
            b_fid=kept["b_fid"].array,
            decision="accept",
            in_build=False,
        )
        links = pd.concat([links, extra[list(EFFECTIVE_COLUMNS)]], ignore_index=True)
    return links[list(EFFECTIVE_COLUMNS)].reset_index(drop=True)


def effective_links(store) -> pd.DataFrame:
    """The links that count: :func:`all_links` less those whose decision in force is
    "reject" (their ``decision`` is "" or "accept")."""
    links = all_links(store)
    return links[links["decision"] != "reject"].reset_index(drop=True)


# --- counting once ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Links:
    """The effective links as positions in one event index (links whose records are not
    both in the index are left out)."""

    row: np.ndarray  # each link's row in the frame it was made from
    a: np.ndarray
    b: np.ndarray
    score: np.ndarray  # an accepted link ranks before any other
    km: np.ndarray
    days: np.ndarray
    accepted: np.ndarray
    node: np.ndarray  # index positions of every record of a link, sorted
    node_key: np.ndarray  # their "dataset:id"


_cache: dict = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 4


def _links(store, index, frame: pd.DataFrame | None = None) -> _Links:
    """:class:`_Links` of the store's effective links in ``index``, kept per store revision
    and index (read once: the rest is numpy). ``frame``: :func:`effective_links`, when the
    caller has just read it."""
    key = (store.revision(), id(index))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0]() is index:
            return hit[1]
    value = _positions(effective_links(store) if frame is None else frame, index)
    with _cache_lock:
        while len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = (weakref.ref(index), value)
    return value


def _positions(links: pd.DataFrame, index) -> _Links:
    fid = np.asarray(index.fid, dtype=np.int64)

    def where(col: str) -> np.ndarray:
        """Each link end's position in the index (-1: not there)."""
        values = links[col].to_numpy(dtype=np.float64, na_value=np.nan)
        known = ~np.isnan(values)
        if len(fid) == 0:
            return np.full(len(values), -1, dtype=np.int64)
        f = np.where(known, values, -1).astype(np.int64)
        pos = np.clip(np.searchsorted(fid, f), 0, len(fid) - 1)
        return np.where(known & (fid[pos] == f), pos, -1)

    a, b = where("a_fid"), where("b_fid")
    ok = (a >= 0) & (b >= 0)
    accepted = (links["decision"] == "accept").to_numpy()[ok]
    score = links["score"].to_numpy(np.float64)[ok] + np.where(accepted, 10.0, 0.0)
    km = np.nan_to_num(links["km"].to_numpy(np.float64)[ok], nan=np.inf)
    days = links["days_apart"].to_numpy(dtype=np.float64, na_value=0.0)[ok]
    a, b = a[ok], b[ok]
    a_key = (links["a_dataset"] + ":" + links["a_id"]).to_numpy()[ok]
    b_key = (links["b_dataset"] + ":" + links["b_id"]).to_numpy()[ok]
    node, first = np.unique(np.concatenate([a, b]), return_index=True)
    node_key = np.concatenate([a_key, b_key])[first]
    return _Links(np.flatnonzero(ok), a, b, score, km, days, accepted, node, node_key)


def _groups(
    links: _Links, index, mask: np.ndarray, counts: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(index positions of the records in linked groups among the mask, their group labels:
    the position in the first array of each group's first record)."""
    nodes, label, _ = _select(links, index, mask, counts)
    return nodes, label


def _select(links: _Links, index, mask: np.ndarray, counts: np.ndarray | None = None):
    """:func:`_groups`, and the positions (in ``links``) of the links that form them.
    ``counts``: each dataset's records among the filter's (by dataset code + 1; 0: no
    dataset), when ``index`` holds only some of them (:func:`counted_among`); else counted
    over ``mask``."""
    mask = np.asarray(mask, dtype=bool)
    if len(mask) != len(index):
        raise ValueError(f"the mask has {len(mask)} values for an index of {len(index)} events")
    live = np.flatnonzero(mask[links.a] & mask[links.b])
    a, b = links.a[live], links.b[live]
    if len(a) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), live
    code = index.dataset_code.astype(np.int64) + 1  # 0: no dataset
    if counts is None:
        counts = np.bincount(code[mask], minlength=len(index.datasets) + 1)
    kept = (
        best_of(a, b, code, counts, links.score[live], links.km[live], links.days[live])
        | links.accepted[live]
    )
    a, b = a[kept], b[kept]
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    label = group_labels(len(nodes), inverse[: len(a)], inverse[len(a) :])
    return nodes, label, live[kept]


def counted_mask(store, index, mask: np.ndarray, prefer: str | None = None) -> np.ndarray:
    """The records that count when each event is counted once: a boolean array over
    ``index`` (:class:`geo.eventindex.EventIndex`), within ``mask`` (the filter's), one
    dataset's records per linked group (see the module doc; ``prefer``: a dataset whose
    records represent every group that has one). A pure function of the store's revision
    and ``mask``."""
    return _counted(_links(store, index), index, mask, prefer)


def _counted(links: _Links, index, mask, prefer, counts=None) -> np.ndarray:
    keep = np.asarray(mask, dtype=bool).copy()
    nodes, label = _groups(links, index, keep, counts)
    if len(nodes) == 0:
        return keep
    # Tables over the index's dictionaries (code -1, missing, is the last slot: "").
    names = [*index.datasets, ""]
    by_name = {name: i for i, name in enumerate(sorted(set(names)))}
    ds_code = index.dataset_code[nodes].astype(np.int64)
    ds_order = np.array([by_name[name] for name in names], dtype=np.int64)[ds_code]
    rank = precision_rank([*index.precisions, ""])[index.precision_code[nodes].astype(np.int64)]
    first = None
    if prefer:
        first = np.array([name == prefer.casefold() for name in names], dtype=bool)[ds_code]
    keep[nodes] = representatives(label, ds_order, rank, first)
    return keep


def merged_records(
    store, index, kept_mask: np.ndarray, mask: np.ndarray, prefer: str | None = None
) -> dict[int, str]:
    """For each record that counts (``kept_mask``, from :func:`counted_mask` over the same
    ``mask``) in a linked group: the others of its group as ``"dataset:id; dataset:id"``
    (sorted), by the record's fid. Records alone in their group are left out. ``prefer``
    is accepted for symmetry with :func:`counted_mask` (the groups do not depend on it)."""
    return _merged(_links(store, index), index, kept_mask, mask)


def _merged(links: _Links, index, kept_mask, mask, counts=None) -> dict[int, str]:
    nodes, label = _groups(links, index, mask, counts)
    if len(nodes) == 0:
        return {}
    keys = links.node_key[np.searchsorted(links.node, nodes)]
    kept = np.asarray(kept_mask, dtype=bool)[nodes]
    order = np.lexsort((keys, label))
    out: dict[int, str] = {}
    bounds = np.flatnonzero(np.diff(label[order])) + 1
    for members in np.split(order, bounds):
        for m in members:
            if kept[m]:
                others = [str(keys[o]) for o in members if o != m]
                out[int(index.fid[nodes[m]])] = "; ".join(others)
    return out


# --- counting once among the linked records only (PostGIS: geo.store.pgonce) -----------


@dataclass(frozen=True, eq=False)
class LinkedRecords:
    """The records named by the effective links, as a small index (the columns
    :func:`counted_mask` reads from an :class:`geo.eventindex.EventIndex`, in ``fid``
    order): what counting once needs of the events, without every event's columns.
    ``datasets`` and ``precisions``: the dictionaries of the codes (-1: missing)."""

    fid: np.ndarray
    dataset_code: np.ndarray
    datasets: tuple[str, ...]
    precision_code: np.ndarray
    precisions: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.fid)


def linked_records(store, read: Callable[[np.ndarray], LinkedRecords]) -> LinkedRecords:
    """The records the store's effective links name (:class:`LinkedRecords`, made by
    ``read`` from their sorted row ids), with the links' positions among them kept for
    :func:`counted_among` (the links are read once)."""
    links = effective_links(store)
    ends = np.concatenate(
        [links[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in ("a_fid", "b_fid")]
    )
    records = read(np.unique(ends[~np.isnan(ends)]).astype(np.int64))
    _links(store, records, links)
    return records


def counted_among(
    store, records: LinkedRecords, mask: np.ndarray, counts: np.ndarray, prefer=None
) -> np.ndarray:
    """:func:`counted_mask` over the linked ``records`` only: ``mask`` says which of them
    the filter keeps, ``counts`` how many records of each dataset the filter keeps in all
    (by ``records.dataset_code`` + 1; 0: no dataset). The same choice as
    :func:`counted_mask` over every event (records in no link always count)."""
    return _counted(_links(store, records), records, mask, prefer, counts)


def merged_among(
    store, records: LinkedRecords, kept: np.ndarray, mask: np.ndarray, counts: np.ndarray
) -> dict[int, str]:
    """:func:`merged_records` over the linked ``records`` only (``kept``: from
    :func:`counted_among`; ``mask``, ``counts``: as there)."""
    return _merged(_links(store, records), records, kept, mask, counts)


#: The columns of :func:`link_table`, in order.
TABLE_COLUMNS = (
    "link_key", "dataset_a", "dataset_id_a", "fid_a", "dataset_b", "dataset_id_b", "fid_b",
    "score", "days_apart", "km", "kept", "group", "decision", "in_build", "reasons",
)  # fmt: skip


def link_table(store, index, mask: np.ndarray) -> pd.DataFrame:
    """Every known link (:func:`all_links`, rejected ones too) whose two records ``mask``
    keeps, as a table of :data:`TABLE_COLUMNS`: both records' dataset, id and fid, the
    score, days apart and km (empty for an accepted link the latest build no longer
    finds), ``kept`` (the link joins a group when counting each event once over ``mask``),
    ``group`` (the smallest fid of the group both records end in; empty when they end in
    different groups), the decision in force, ``in_build`` and the reasons (text)."""
    every = all_links(store)
    mask = np.asarray(mask, dtype=bool)
    effective = np.flatnonzero((every["decision"] != "reject").to_numpy())
    links = _positions(every.iloc[effective].reset_index(drop=True), index)
    nodes, label, kept_links = _select(links, index, mask)
    kept = np.zeros(len(every), dtype=bool)
    kept[effective[links.row[kept_links]]] = True
    ends = _positions(every.assign(decision=""), index)  # every link, rejected ones too
    live = mask[ends.a] & mask[ends.b]
    rows, a, b = ends.row[live], ends.a[live], ends.b[live]

    def group_of(pos: np.ndarray) -> np.ndarray:
        if len(nodes) == 0:
            return np.full(len(pos), -1, dtype=np.int64)
        at = np.clip(np.searchsorted(nodes, pos), 0, len(nodes) - 1)
        return np.where(nodes[at] == pos, label[at], -1)

    ga, gb = group_of(a), group_of(b)
    same = (ga == gb) & (ga >= 0)
    group = pd.array(
        [int(index.fid[nodes[g]]) if s else None for g, s in zip(ga, same, strict=True)],
        dtype="Int64",
    )
    picked = every.iloc[rows]
    table = pd.DataFrame(
        {
            "link_key": picked["link_key"].to_numpy(),
            "dataset_a": picked["a_dataset"].to_numpy(),
            "dataset_id_a": picked["a_id"].to_numpy(),
            "fid_a": index.fid[a],
            "dataset_b": picked["b_dataset"].to_numpy(),
            "dataset_id_b": picked["b_id"].to_numpy(),
            "fid_b": index.fid[b],
            "score": picked["score"].to_numpy(np.float64),
            "days_apart": picked["days_apart"].array,
            "km": picked["km"].to_numpy(np.float64),
            "kept": kept[rows],
            "group": group,
            "decision": picked["decision"].to_numpy(),
            "in_build": picked["in_build"].to_numpy(bool),
            "reasons": picked["reasons"].to_numpy(),
        },
        columns=list(TABLE_COLUMNS),
    )
    return table.reset_index(drop=True)
