"""Links into groups, and "count each event once".

Which links form groups: between two datasets, each record of the dataset with more records
keeps only its best link (highest score; then the nearer, then the closer in time) to the
other dataset. So one UCDP record of a day's fighting may gather several ACLED records of
that day's villages, but an ACLED record joins one UCDP record only; groups do not chain
along a front. Groups are the connected components of the kept links (union-find).

Counting once: each dataset lists distinct events, so a group holds at least as many real
events as the most records one dataset has in it. :func:`count_once` keeps, in each group,
the records of one dataset: the one with the most records in the group; on a tie (a pair,
the usual case) the one whose record is most precisely located (``geo.matching.rules
.LOCATION_ORDER``), then the first in ``prefer`` (else by name), then the smallest id. So the
total lies between the largest dataset's count and the sum of all counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo.matching.rules import LOCATION_ORDER


def best_links(links: pd.DataFrame, dataset: np.ndarray) -> np.ndarray:
    """Boolean per link: the link a record of the larger dataset keeps (see module doc);
    ``dataset`` holds every event's dataset (to count each dataset's records)."""
    if links.empty:
        return np.zeros(0, dtype=bool)
    code, _ = pd.factorize(pd.Series(dataset))
    return best_of(
        links["a"].to_numpy(),
        links["b"].to_numpy(),
        code,
        np.bincount(code),
        links["score"].to_numpy(),
        links["km"].to_numpy(),
        links["days_apart"].to_numpy(),
    )


def best_of(a, b, code, counts, score, km, days_apart) -> np.ndarray:
    """:func:`best_links` on arrays: links (``a``, ``b``: record positions), each record's
    dataset ``code`` and each dataset's record ``counts``; ties go to the nearer, then
    the closer in time, then the record first in position."""
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    ca, cb = code[a], code[b]
    many_is_b = counts[cb] >= counts[ca]
    many = np.where(many_is_b, b, a)
    other_ds = np.where(many_is_b, ca, cb)
    other = np.where(many_is_b, a, b)
    # Sorted by record, the other dataset, then best first (last key sorts first).
    order = np.lexsort((other, days_apart, km, -score, other_ds, many))
    m, o = many[order], other_ds[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (m[1:] != m[:-1]) | (o[1:] != o[:-1])
    keep = np.zeros(len(a), dtype=bool)
    keep[order[first]] = True
    return keep


def group_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union-find over n records joined by edges (a, b): each record's group label (the
    smallest record position in its group; a record without links is its own group)."""
    parent = np.arange(n, dtype=np.int64)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if len(a) == 0:
        return parent
    while True:
        ra, rb = parent[a], parent[b]
        low = np.minimum(ra, rb)
        before = parent.copy()
        # Union: hook each root onto the smaller root (vectorised; repeated to a fixpoint).
        np.minimum.at(parent, ra, low)
        np.minimum.at(parent, rb, low)
        # Find, with full path compression.
        while True:
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
        if np.array_equal(parent, before) and np.array_equal(parent[a], parent[b]):
            return parent


def groups(events: pd.DataFrame, links: pd.DataFrame) -> np.ndarray:
    """Each event's group label (row position of its group's first record), from the kept
    (``best``) links of :func:`geo.matching.match_events`."""
    kept = links[links["best"]] if "best" in links else links
    return group_labels(len(events), kept["a"].to_numpy(), kept["b"].to_numpy())


def count_once(
    events: pd.DataFrame, links: pd.DataFrame, prefer: Sequence[str] | None = None
) -> np.ndarray:
    """A boolean keep-mask over the rows of ``events``: True for the records that count when
    each event is counted once (see the module doc for the choice). Usable as a filter:
    ``events[count_once(events, links)]``."""
    n = len(events)
    label = groups(events, links)
    ds = events["dataset"].fillna("").astype(str).to_numpy()
    size = np.bincount(label, minlength=n)[label]
    pos = np.flatnonzero(size > 1)
    keep = np.ones(n, dtype=bool)
    if len(pos) == 0:
        return keep
    names = sorted(set(ds))
    prefer = list(prefer or [])
    ds_order = {name: i for i, name in enumerate(prefer + [x for x in names if x not in prefer])}
    rank = precision_rank(events["location_precision"].to_numpy()[pos])
    order = pd.Series(ds[pos]).map(ds_order).to_numpy()
    keep[pos] = representatives(label[pos], order, rank)
    return keep


def precision_rank(precision) -> np.ndarray:
    """Each location precision's place in ``LOCATION_ORDER`` (finest 0; missing as "")."""
    order = {name: i for i, name in enumerate(LOCATION_ORDER)}
    values = pd.Series(precision, dtype=object).fillna("").astype(str)
    return values.map(lambda v: order.get(v, len(order))).to_numpy(np.int64)


def representatives(
    label: np.ndarray, ds_order: np.ndarray, rank: np.ndarray, first: np.ndarray | None = None
) -> np.ndarray:
    """Which records of linked groups count: records of one group share a ``label``;
    ``ds_order`` is each record's dataset as a number (unique per dataset: the order of
    choice on a tie), ``rank`` its location precision (:func:`precision_rank`). Each group
    keeps the records of one dataset: the one with the most records in the group, then the
    most precisely located record, then the first in ``ds_order``. ``first`` (optional,
    boolean per record) puts a dataset before all these rules where the group has it."""
    label = np.asarray(label, dtype=np.int64)
    ds_order = np.asarray(ds_order, dtype=np.int64)
    rank = np.asarray(rank, dtype=np.int64)
    first = np.zeros(len(label), bool) if first is None else np.asarray(first, dtype=bool)
    if len(label) == 0:
        return np.zeros(0, dtype=bool)
    # One entry per (group, dataset): its records, best rank and whether it comes first.
    width = int(ds_order.max()) + 1 if ds_order.min() >= 0 else None
    if width is None:
        raise ValueError("dataset order numbers must not be negative")
    pair, at = np.unique(label * width + ds_order, return_inverse=True)
    group, ds = pair // width, pair % width
    count = np.bincount(at, minlength=len(pair))
    best_rank = np.full(len(pair), np.iinfo(np.int64).max)
    np.minimum.at(best_rank, at, rank)
    preferred = np.zeros(len(pair), dtype=bool)
    np.logical_or.at(preferred, at, first)
    # Per group, the entry first in: preferred, most records, best rank, dataset order.
    order = np.lexsort((ds, best_rank, -count, ~preferred, group))
    groups_sorted = group[order]
    head = np.ones(len(order), dtype=bool)
    head[1:] = groups_sorted[1:] != groups_sorted[:-1]
    chosen = np.zeros(len(pair), dtype=bool)
    chosen[order[head]] = True
    return chosen[at]
