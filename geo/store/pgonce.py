""" "Count each event once" on PostGIS (issue 18): the figures of
:class:`geo.store.pgquery.PgEvents` with the records dropped as duplicates left out in SQL,
and the records merged into each shown event, with no event index.

The choice is :func:`geo.matching.stored.counted_mask`'s, made over the linked records only
(:func:`geo.matching.stored.counted_among`: the same numpy code): what it needs of the
events is read here in SQL, per filter,

- which linked records the filter keeps (``fid = ANY(linked) AND <filter>``),
- how many records of each dataset it keeps in all (the larger dataset of a pair keeps only
  its best link: ``GROUP BY dataset``),

and, once per store revision, the linked records' dataset and location precision. The
records the choice drops (never more than the linked records the filter keeps) are then
left out of every query: ``NOT (e.fid = ANY(dropped))`` joins the filter's ``WHERE``
(:meth:`OnceEvents.where`), so the count, the map, the timeline, the table, the reports'
frame and the downloads' row ids are the in-memory path's (``tests/test_pg_countonce.py``).

Memory: the links and their records (a few MB for 100,000 links, as the in-memory path
holds them) and, per filter kept, the dropped records' ids and the merged records' text;
nothing per event. Only for PostGIS. Pure: no streamlit.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import cached_property

import numpy as np

from geo.filters import EventFilter
from geo.matching import stored
from geo.store.pgquery import PgEvents
from geo.store.pgwhere import Where, _wkey


class _Fids(list):
    """Row ids sent as one array parameter; its ``repr`` (part of the figures' cache keys,
    :func:`geo.store.pgwhere._wkey`) is a digest, not a million digits."""

    def __repr__(self) -> str:
        digest = hashlib.blake2b(np.asarray(self, dtype=np.int64).tobytes(), digest_size=12)
        return f"fids({len(self)}:{digest.hexdigest()})"


class OnceEvents(PgEvents):
    """:class:`~geo.store.pgquery.PgEvents` counting each event once (``prefer``: the
    dataset whose record represents each group that has one; None: the default choice).
    Make one per store revision (:meth:`geo.store.base.Store.revision`): a match decision
    changes the links, not the events."""

    def __init__(self, store, prefer: str | None = None):
        super().__init__(store)
        self.prefer = prefer
        self._chosen: OrderedDict = OrderedDict()  # filter's where -> (dropped, merged)

    @cached_property
    def linked(self) -> stored.LinkedRecords:
        """The records the effective links name, with their dataset and precision codes
        (over :attr:`datasets` and :attr:`precisions`), read once."""
        return stored.linked_records(self.store, self._records)

    def _records(self, fids: np.ndarray) -> stored.LinkedRecords:
        rows = self._read(
            "SELECT fid, dataset, location_precision FROM events WHERE fid = ANY(%s::bigint[])"
            " ORDER BY fid",
            ([int(f) for f in fids],),
        )
        ds = {name: i for i, name in enumerate(self.datasets)}
        pr = {name: i for i, name in enumerate(self.precisions)}
        return stored.LinkedRecords(
            fid=np.array([r[0] for r in rows], dtype=np.int64),
            dataset_code=np.array([ds.get(r[1], -1) for r in rows], dtype=np.int16),
            datasets=self.datasets,
            precision_code=np.array([pr.get(r[2], -1) for r in rows], dtype=np.int8),
            precisions=self.precisions,
        )

    def _choice(self, base: Where) -> tuple[_Fids, dict[int, str]]:
        """(the records dropped, the records merged into each kept one) among those
        ``base`` (the filter's condition) selects."""
        key = _wkey(base)
        known = self._recall(self._chosen, key)
        if known is not None:
            return known
        linked = self.linked
        if len(linked) == 0:
            got = (_Fids(), {})
        else:
            # one scan: each dataset's records the filter keeps, and the linked ones
            rows = self._read(
                "SELECT e.dataset, count(*), array_agg(e.fid) FILTER"
                f" (WHERE e.fid = ANY(%s::bigint[])) FROM events e WHERE {base.sql} GROUP BY 1",
                ([int(f) for f in linked.fid], *base.params),
            )
            hit = [f for r in rows for f in (r[2] or ())]
            mask = np.isin(linked.fid, np.array(hit, dtype=np.int64))
            if not mask.any():
                got = (_Fids(), {})
            else:
                counts = self._dataset_counts(rows)
                kept = stored.counted_among(self.store, linked, mask, counts, self.prefer)
                merged = stored.merged_among(self.store, linked, kept, mask, counts)
                got = (_Fids(int(f) for f in linked.fid[mask & ~kept]), merged)
        self._remember(self._chosen, key, got)
        return got

    def _dataset_counts(self, rows: list[tuple]) -> np.ndarray:
        """How many records of each dataset the filter selects (``rows``: dataset, count),
        by dataset code + 1 (0: no dataset), as :func:`geo.matching.stored.counted_mask`
        counts them over the mask."""
        ds = {name: i + 1 for i, name in enumerate(self.datasets)}
        counts = np.zeros(len(self.datasets) + 1, dtype=np.int64)
        for name, n, _ in rows:
            counts[ds.get(name, 0) if name is not None else 0] += int(n)
        return counts

    def where(self, flt: EventFilter) -> Where:
        """The events :meth:`PgEvents.where` selects less the records dropped as
        duplicates: those the page shows when each event is counted once."""
        base = super().where(flt)
        dropped = self._choice(base)[0]
        if not dropped:
            return base
        return base & Where("NOT (e.fid = ANY(%s::bigint[]))", (dropped,))

    def merged(self, flt: EventFilter) -> dict[int, str]:
        """For each shown record that stands for a linked group, the others of its group
        (``"dataset:id; ..."``, :func:`geo.matching.stored.merged_records`), by fid."""
        return self._choice(super().where(flt))[1]

    def dropped(self, flt: EventFilter) -> np.ndarray:
        """The row ids of the records left out as duplicates, sorted."""
        return np.array(self._choice(super().where(flt))[0], dtype=np.int64)
