"""Count each event once over a filtered set of events, computed on the fly (nothing stored).

The command line and the pages count from the stored links instead
(:mod:`geo.matching.stored`, which gives the same answer when no link was decided; tested);
this is the matcher (:func:`geo.matching.match_events`) run over the events a filter kept,
and :func:`geo.matching.count_once`'s keep-mask over the same events, for scripts
(``scripts/match_eval.py``) and as the reference of the stored count. The
links are found among the filtered events only: a record whose twin lies outside the filter
(another dataset left out, a day past ``--to``) counts on its own.

    events = filtered_events(store, index.fid[mask])
    keep = dedupe_mask(events)               # True for the records that count
    table = link_table(events, match_events(events))   # one row per link, for a file
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from geo.matching.groups import count_once, groups
from geo.matching.links import match_events

Progress = Callable[[float, str], None]

#: The columns of :func:`link_table`, in order.
TABLE_COLUMNS = (
    "dataset_a", "dataset_id_a", "fid_a", "dataset_b", "dataset_id_b", "fid_b", "score",
    "days_apart", "km", "kept", "group", "reasons",
)  # fmt: skip


def filtered_events(store, fids) -> pd.DataFrame:
    """The events stored with the row ids ``fids`` (the filter's result), in the event
    model, with their ``fid`` as a column, in the order given."""
    return store.events_by_fids(fids).reset_index()


def dedupe_mask(
    events: pd.DataFrame,
    progress: Progress | None = None,
    prefer: Sequence[str] | None = None,
) -> np.ndarray:
    """A boolean mask over the rows of ``events``: True for the records that count when
    each event is counted once (see :mod:`geo.matching.groups` for which record of a group
    counts; ``prefer`` lists the datasets to prefer on a tie)."""
    if events.empty or events["dataset"].nunique() < 2:
        return np.ones(len(events), dtype=bool)  # one dataset: nothing to link
    events = events.reset_index(drop=True)
    links = match_events(events, progress=progress, with_reasons=False)
    return count_once(events, links, prefer)


def link_table(events: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """The links of :func:`geo.matching.match_events` over ``events`` (a frame with a
    ``fid`` column, as :func:`filtered_events` gives) as a table of :data:`TABLE_COLUMNS`:
    both records' dataset, id and fid, the score, days apart, km, ``kept`` (the link joins
    a group), ``group`` (the smallest fid of the group both records end in; empty when the
    link is not kept and the records end in different groups) and the reasons (text, ";"
    between them)."""
    events = events.reset_index(drop=True)
    fid = events["fid"].to_numpy(np.int64)
    a, b = links["a"].to_numpy(np.int64), links["b"].to_numpy(np.int64)
    label = groups(events, links)
    # Each group's label is the row of its first record; events are in fid order, so
    # that row's fid is the smallest of the group (a stable name across runs).
    same = label[a] == label[b]
    group = pd.Series(fid[label[a]], dtype="Int64").where(same)
    text = ["; ".join(r) if isinstance(r, list | tuple) else "" for r in links["reasons"]]
    return pd.DataFrame(
        {
            "dataset_a": links["dataset_a"].to_numpy(),
            "dataset_id_a": links["id_a"].to_numpy(),
            "fid_a": fid[a],
            "dataset_b": links["dataset_b"].to_numpy(),
            "dataset_id_b": links["id_b"].to_numpy(),
            "fid_b": fid[b],
            "score": links["score"].to_numpy(),
            "days_apart": links["days_apart"].to_numpy(),
            "km": links["km"].to_numpy(np.float64).round(2),
            "kept": links["best"].to_numpy(bool),
            "group": group.array,
            "reasons": text,
        },
        columns=list(TABLE_COLUMNS),
    )


def best_and_doubtful(table: pd.DataFrame, limit: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``limit`` best links (highest score, then nearest) and the ``limit`` most
    doubtful ones (lowest score, nearest the threshold) not among the best."""
    ranked = table.sort_values(["score", "km"], ascending=[False, True], kind="stable")
    best = ranked.head(limit)
    rest = ranked.drop(best.index)
    doubtful = rest.sort_values(["score", "km"], ascending=[True, False], kind="stable")
    return best, doubtful.head(limit)
