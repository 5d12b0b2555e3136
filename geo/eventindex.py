"""The events held once per process as compact columns, for the map at any scale.

A million events take about 45 MB here: positions as float64, dates as day numbers,
repetitive text (types, datasets, precisions, actors) as integer codes into a dictionary.
A filter is then a few vectorised comparisons over these columns (milliseconds for a
million rows), with exactly the meaning of :func:`geo.filters.event_mask`; text filters
run once over each dictionary, not once per event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from geo.filters import EventFilter, near_bbox, within_km, zone_bbox, zone_mask
from geo.store.tables import (
    INDEX_COLUMNS,  # noqa: F401  (the columns the index is built from)
    concat_columns,
)
from geo.store.tables import in_order_of_appearance as _union


def _codes(series: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer codes (-1 for missing) and the dictionary of a text column."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        return series.cat.codes.to_numpy().astype(np.int32), tuple(str(c) for c in cats)
    codes, uniques = pd.factorize(series, sort=False)
    return codes.astype(np.int32), tuple(str(u) for u in uniques)


def _actor_codes(one: pd.Series, two: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """The codes of both actor columns, one after the other, into one dictionary (sorted)."""
    if isinstance(one.dtype, pd.CategoricalDtype) and isinstance(two.dtype, pd.CategoricalDtype):
        # Recoded on the categories: never one object per event (ten million events
        # would take gigabytes and a minute).
        cats = _union([one.cat.categories, two.cat.categories])
        cats = cats[~cats.isna()].sort_values()
        both = concat_columns(
            [one.cat.set_categories(cats).to_frame("a"), two.cat.set_categories(cats).to_frame("a")]
        )["a"]
        return _codes(both)
    both = pd.concat([one, two], ignore_index=True)
    return _codes(both.astype("category"))


def _days(series: pd.Series) -> np.ndarray:
    """Day numbers since 1970-01-01 of a date column."""
    values = pd.to_datetime(series).to_numpy().astype("datetime64[D]")
    return values.astype(np.int64).astype(np.int32)


def _lookup(dictionary: tuple[str, ...], keep) -> np.ndarray:
    """A boolean table over a dictionary's codes, with a last slot (False) for code -1."""
    table = np.zeros(len(dictionary) + 1, dtype=bool)
    for i, value in enumerate(dictionary):
        table[i] = bool(keep(value))
    return table


def _merge(
    old: tuple[str, ...], new: tuple[str, ...], ordered: bool = False
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Two dictionaries as one (``old``'s values first, then ``new``'s unseen ones; sorted
    when ``ordered``) and, for each, the table from its codes to the merged codes."""
    seen = set(old)
    merged = list(old) + [v for v in new if v not in seen]
    if ordered:
        merged.sort()
    where = {v: i for i, v in enumerate(merged)}
    return (
        tuple(merged),
        np.array([where[v] for v in old], dtype=np.int64),
        np.array([where[v] for v in new], dtype=np.int64),
    )


def _recode(codes: list[np.ndarray], tables: list[np.ndarray], dtype) -> np.ndarray:
    """Each code array through its table (code -1, missing, stays -1), one after another,
    written straight into the result (no recoded copy of each part first)."""
    out = np.empty(sum(len(c) for c in codes), dtype=dtype)
    at = 0
    for c, table in zip(codes, tables, strict=True):
        lookup = np.append(table, -1).astype(dtype)  # code -1 reads the last slot
        out[at : at + len(c)] = lookup[c]
        at += len(c)
    return out


#: the index's coded columns with a dictionary of their own: (codes, dictionary, codes' type)
_CODED = (
    ("type_code", "types", np.int16),
    ("dataset_code", "datasets", np.int16),
    ("precision_code", "precisions", np.int8),
)
#: the index's columns that are plain values, joined end to end
_PLAIN = ("fid", "lat", "lon", "start", "end", "fatalities")


@dataclass(frozen=True, eq=False)
class EventIndex:
    """Every stored event as columns (see the module docstring)."""

    fid: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    start: np.ndarray  # first day, days since 1970-01-01
    end: np.ndarray  # last day
    fatalities: np.ndarray  # best estimate; NaN when unknown
    type_code: np.ndarray
    types: tuple[str, ...]
    dataset_code: np.ndarray
    datasets: tuple[str, ...]
    precision_code: np.ndarray
    precisions: tuple[str, ...]
    actor1_code: np.ndarray
    actor2_code: np.ndarray
    actors: tuple[str, ...]

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> EventIndex:
        """From a frame with ``fid`` and :data:`INDEX_COLUMNS` (as the store returns it)."""
        type_code, types = _codes(df["event_type"])
        dataset_code, datasets = _codes(df["dataset"])
        precision_code, precisions = _codes(df["location_precision"])
        # One dictionary for both actor columns: a text search runs once per actor name.
        actor_codes, actors = _actor_codes(df["actor1"], df["actor2"])
        n = len(df)
        return cls(
            fid=df["fid"].to_numpy(dtype=np.int64),
            lat=df["latitude"].to_numpy(dtype=np.float64),
            lon=df["longitude"].to_numpy(dtype=np.float64),
            start=_days(df["date_start"]),
            end=_days(df["date_end"]),
            fatalities=pd.to_numeric(df["fatalities_best"], errors="coerce")
            .to_numpy(dtype=np.float64, na_value=np.nan)
            .astype(np.float32),
            type_code=type_code.astype(np.int16),
            types=types,
            dataset_code=dataset_code.astype(np.int16),
            datasets=datasets,
            precision_code=precision_code.astype(np.int8),
            precisions=precisions,
            actor1_code=actor_codes[:n],
            actor2_code=actor_codes[n:],
            actors=actors,
        )

    def __len__(self) -> int:
        return len(self.fid)

    @classmethod
    def from_frames(cls, frames: Iterable[pd.DataFrame], size_hint: int = 0) -> EventIndex:
        """The index of the batches ``frames`` (each as :meth:`from_frame` takes it, in
        ``fid`` order one after another, as :meth:`geo.store.base.Store.event_column_batches`
        gives them): what :meth:`from_frame` builds from them joined
        (:func:`geo.store.tables.concat_columns`), built a batch at a time into columns
        made once for ``size_hint`` events (grown if more come). Each batch is indexed and
        copied in as soon as it is read, then dropped: the joined frame (several times the
        index) is never held, nor the batches' own columns (at ten million events, twenty
        batches' arrays freed after a join stayed in the process's heap as 0.3 GB more)."""
        builder = _Builder(size_hint)
        for frame in frames:
            builder.add(cls.from_frame(frame))
            del frame
        return builder.finish(cls)

    @classmethod
    def read(cls, store, after: int | None = None) -> EventIndex:
        """The index of the events in ``store`` (with ``after``: only those with a larger
        ``fid``), read batch by batch (:meth:`from_frames`), into columns sized once from
        the store's count of events."""
        hint = store.event_fid_range()[0] if after is None else 0
        return cls.from_frames(store.event_column_batches(after), size_hint=hint)

    def extended(self, more: EventIndex) -> EventIndex:
        """This index with the events of ``more`` (read after it: larger fids) appended, as
        :meth:`from_frame` would build it from both frames read at once: each dictionary
        keeps its codes and gains the new values in order of appearance (the actors' stays
        sorted, so the old codes are recoded through a small table). An import then costs
        the app a read of the new events, not of every event again."""
        if not len(more):
            return self
        if len(self) and more.fid[0] <= self.fid[-1]:
            raise ValueError("the events to append must come after the index's")
        types, type_old, type_new = _merge(self.types, more.types)
        datasets, ds_old, ds_new = _merge(self.datasets, more.datasets)
        precisions, pr_old, pr_new = _merge(self.precisions, more.precisions)
        actors, ac_old, ac_new = _merge(self.actors, more.actors, ordered=True)
        return EventIndex(
            fid=np.concatenate([self.fid, more.fid]),
            lat=np.concatenate([self.lat, more.lat]),
            lon=np.concatenate([self.lon, more.lon]),
            start=np.concatenate([self.start, more.start]),
            end=np.concatenate([self.end, more.end]),
            fatalities=np.concatenate([self.fatalities, more.fatalities]),
            type_code=_recode([self.type_code, more.type_code], [type_old, type_new], np.int16),
            types=types,
            dataset_code=_recode(
                [self.dataset_code, more.dataset_code], [ds_old, ds_new], np.int16
            ),
            datasets=datasets,
            precision_code=_recode(
                [self.precision_code, more.precision_code], [pr_old, pr_new], np.int8
            ),
            precisions=precisions,
            actor1_code=_recode([self.actor1_code, more.actor1_code], [ac_old, ac_new], np.int32),
            actor2_code=_recode([self.actor2_code, more.actor2_code], [ac_old, ac_new], np.int32),
            actors=actors,
        )

    @cached_property
    def fatalities_or_zero(self) -> np.ndarray:
        """The best fatalities with 0 for unknown, as float64 (what ``np.bincount`` sums),
        made once: what the map sums."""
        return np.nan_to_num(self.fatalities.astype(np.float64), nan=0.0)

    @cached_property
    def in_fid_order(self) -> bool:
        """Are the events in strictly increasing ``fid`` order (as the store gives them)?
        Then so is any selection of them. Found once."""
        fid, last = self.fid, len(self.fid) - 1
        for i in range(0, max(last, 0), BLOCK):  # a block at a time: no array of every pair
            j = min(i + BLOCK, last)
            if not (fid[i + 1 : j + 1] > fid[i:j]).all():
                return False
        return True

    @cached_property
    def extent(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of every event, made once (NaN if any position is
        missing): a view that holds it holds every event, with no test per event."""
        if not len(self):
            return (np.nan,) * 4
        return (
            float(self.lon.min()),
            float(self.lat.min()),
            float(self.lon.max()),
            float(self.lat.max()),
        )

    @cached_property
    def fine_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """Each event's grid cell at the map's deepest zoom (``int32`` column and row of
        :func:`geo.aggregate.cell_index` at :data:`geo.aggregate.MAX_ZOOM`), made once.
        A cell at a coarser zoom is these shifted right by the difference in zoom (the
        grid halves exactly with each level): :func:`geo.aggregate.event_view` bins from
        them without any floating-point work per event. 8 bytes an event."""
        from geo.aggregate import fine_cells

        return fine_cells(self.lat, self.lon)

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))

    def mask(self, flt: EventFilter, zones=None) -> np.ndarray:
        """The events matching ``flt``: the same selection as
        :func:`geo.filters.event_mask` on the same events (tested). ``zones``: the zone
        versions, for a zone filter (each event tested against the version in force on its
        start date)."""
        mask = np.ones(len(self), dtype=bool)
        if flt.end is not None:
            mask &= self.start <= _day(flt.end)
        if flt.start is not None:
            mask &= self.end >= _day(flt.start)
        for table, codes in self._code_tables(flt):
            mask &= table[codes]
        if flt.bbox is not None:
            mask &= self._in_box(flt.bbox)
        if flt.actor:
            text = flt.actor.casefold()
            table = _lookup(self.actors, lambda v: text in v.casefold())
            mask &= table[self.actor1_code] | table[self.actor2_code]
        if flt.min_fatalities is not None:
            mask &= np.nan_to_num(self.fatalities, nan=-1.0) >= flt.min_fatalities
        if flt.near is not None:
            lat0, lon0, km = flt.near
            mask &= self._in_box(near_bbox(lat0, lon0, km))
            idx = np.flatnonzero(mask)
            mask[idx] = within_km(self.lat[idx], self.lon[idx], lat0, lon0, km)
        if flt.zones is not None:
            self._zone_cut(mask, flt.zones, zones)
        return mask

    def _code_tables(self, flt: EventFilter):
        """(table over a dictionary's codes, the events' codes) of each set filter on a
        coded column: types and datasets case-blind, precisions as written."""
        if flt.types is not None:
            wanted = {t.casefold() for t in flt.types}
            yield _lookup(self.types, lambda v: v.casefold() in wanted), self.type_code
        if flt.datasets is not None:
            wanted_ds = {d.casefold() for d in flt.datasets}
            yield _lookup(self.datasets, lambda v: v.casefold() in wanted_ds), self.dataset_code
        if flt.precisions is not None:
            yield _lookup(self.precisions, set(flt.precisions).__contains__), self.precision_code

    def _zone_cut(self, mask: np.ndarray, names, zones) -> None:
        """Keep in ``mask`` (in place) the events inside the zones named, each tested
        against the version in force on its start date (the one zone test,
        :func:`geo.filters.zone_hits`), on the events left after a box cut."""
        if zones is None:
            raise ValueError("a zone filter needs the zone versions")
        box = zone_bbox(zones, names)
        if box is None:
            mask[:] = False
            return
        mask &= self._in_box(box)
        idx = np.flatnonzero(mask)
        mask[idx] = zone_mask(self.lon[idx], self.lat[idx], self.start[idx], zones, names)

    def frame(self, mask: np.ndarray) -> pd.DataFrame:
        """The selected events as a compact frame, for the pages that count or chart them:
        ``fid``, position, dates (``datetime64[s]``), best fatalities (float, NaN when
        unknown) and type, dataset and precision as categoricals, with the store's
        column names. About 40 bytes an event and no text per event: a million take
        about 40 MB, where the stored rows with their text take gigabytes. The rows keep
        the order of the index (the order the events were stored in)."""
        sel = np.flatnonzero(mask)

        def categorical(codes: np.ndarray, dictionary: tuple[str, ...]) -> pd.Categorical:
            return pd.Categorical.from_codes(codes[sel].astype(np.int32), categories=dictionary)

        return pd.DataFrame(
            {
                "fid": self.fid[sel],
                "latitude": self.lat[sel],
                "longitude": self.lon[sel],
                "date_start": _seconds(self.start[sel]),
                "date_end": _seconds(self.end[sel]),
                "event_type": categorical(self.type_code, self.types),
                "dataset": categorical(self.dataset_code, self.datasets),
                "location_precision": categorical(self.precision_code, self.precisions),
                "fatalities_best": self.fatalities[sel].astype(np.float64),
            },
            index=pd.RangeIndex(len(sel)),
            copy=False,  # the columns are new arrays already: not copied again
        )

    def _in_box(self, box) -> np.ndarray:
        west, south, east, north = box
        lon, lat = self.lon, self.lat
        return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def _seconds(days: np.ndarray) -> np.ndarray:
    """Day numbers as ``datetime64[s]`` (midnight), made in one new array."""
    out = days.astype(np.int64)
    out *= 86_400
    return out.view("datetime64[s]")


def _day(value) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


def day_text(day: int) -> str:
    """YYYY-MM-DD of a day number."""
    return str(np.datetime64(int(day), "D"))


#: indexed events per block of :meth:`Selection.blocks` (a block's frame: about 50 MB)
BLOCK = 1_000_000


@dataclass(frozen=True, eq=False)
class Selection:
    """The events ``mask`` selects in ``index``, not copied: what the reports and the
    Events page's timeline count from. :meth:`EventIndex.frame` of every selected event
    takes about 50 bytes an event (half a gigabyte at ten million); a report needs the
    few events near its zone or places, and a timeline three columns a block at a time.
    ``len()`` is the number selected."""

    index: EventIndex
    mask: np.ndarray

    @cached_property
    def count(self) -> int:
        return int(np.count_nonzero(self.mask))

    def __len__(self) -> int:
        return self.count

    def frame(self, where: np.ndarray | None = None) -> pd.DataFrame:
        """:meth:`EventIndex.frame` of the selected events, or of those of them ``where``
        (a mask over the whole index) also keeps, labelled by their position among the
        selected: the rows and labels of ``index.frame(mask)[keep]`` for the same events,
        without that frame of every selected event."""
        if where is None:
            return self.index.frame(self.mask)
        kept = self.mask & where
        frame = self.index.frame(kept)
        # each kept event's position among the selected: those selected before it
        rank = np.cumsum(self.mask, dtype=np.int64 if len(self.mask) >= 2**31 else np.int32)
        frame.index = pd.Index(rank[kept].astype(np.int64) - 1)
        return frame

    def in_boxes(self, boxes) -> np.ndarray:
        """Over the whole index: the events within any of ``boxes`` (west, south, east,
        north; edges included)."""
        keep = np.zeros(len(self.index), dtype=bool)
        for box in boxes:
            keep |= self.index._in_box(box)
        return keep

    def with_precision(self, precisions) -> np.ndarray:
        """Over the whole index: the events whose location precision is one of
        ``precisions`` (as ``isin`` on the text; unknown precision is none of them)."""
        wanted = set(precisions)
        return _lookup(self.index.precisions, wanted.__contains__)[self.index.precision_code]

    def frame_in_boxes(self, boxes, leave_out=()) -> pd.DataFrame:
        """:meth:`frame` of the selected events within any of ``boxes`` (west, south,
        east, north; edges included), less those whose precision is in ``leave_out``:
        what a report reads of the events shown (as
        :meth:`geo.store.pgselection.SqlSelection.frame_in_boxes` reads it from SQL)."""
        keep = self.in_boxes(boxes)
        if leave_out:
            keep &= ~self.with_precision(leave_out)
        return self.frame(keep)

    def count_with_precision(self, precisions) -> int:
        """How many selected events have a location precision in ``precisions``."""
        return int(np.count_nonzero(self.with_precision(precisions) & self.mask))

    def first_start(self):
        """The earliest start date selected (a ``datetime.date``), None when none."""
        return _date_of(self.index.start, self.mask, np.min)

    def last_end(self):
        """The latest end date selected (a ``datetime.date``), None when none."""
        return _date_of(self.index.end, self.mask, np.max)

    def blocks(self, size: int | None = None):
        """The selected events as compact frames (:meth:`EventIndex.frame`), a block of
        ``size`` (default :data:`BLOCK`) indexed events at a time, in index order: what
        sums over every selected event reads, holding one block's frame at a time."""
        size = size or BLOCK
        for start in range(0, len(self.mask), size):
            part = np.zeros(len(self.mask), dtype=bool)
            part[start : start + size] = self.mask[start : start + size]
            if part.any():
                yield self.index.frame(part)

    def columns(self, types, size: int | None = None):
        """The selected events' start and end days (day numbers, as the index keeps them),
        position in ``types`` (-1 for another type or none) and best fatalities (float64,
        NaN when unknown), a block of ``size`` (default :data:`BLOCK`) indexed events at a time:
        what a timeline counts, read from the index's columns with no frame (a frame of a
        million events took some 0.1 s to make, each time a timeline read it)."""
        size = size or BLOCK
        where = {t: i for i, t in enumerate(types)}
        table = np.array([where.get(t, -1) for t in self.index.types] + [-1], dtype=np.int64)
        for start in range(0, len(self.mask), size):
            sel = np.flatnonzero(self.mask[start : start + size]) + start
            if len(sel):
                yield (
                    self.index.start[sel],
                    self.index.end[sel],
                    table[self.index.type_code[sel]],  # code -1 reads the last slot
                    self.index.fatalities[sel].astype(np.float64),
                )


def _date_of(days: np.ndarray, mask: np.ndarray, pick):
    if not mask.any():
        return None
    return np.datetime64(int(pick(days[mask])), "D").astype(object)


class _Builder:
    """The columns of an index filled a part at a time (:meth:`EventIndex.from_frames`):
    each part's values copied into columns made once, its codes recoded on the dictionaries
    merged so far (in order of appearance, as :meth:`EventIndex.extended` merges them);
    the actors' dictionary is sorted at the end and its codes recoded in place."""

    def __init__(self, capacity: int):
        self.n = 0
        self.columns: dict[str, np.ndarray] = {}
        self.capacity = max(int(capacity), 0)
        self.dictionaries: dict[str, list[str]] = {name: [] for _, name, _ in _CODED}
        self.dictionaries["actors"] = []
        self.where: dict[str, dict[str, int]] = {name: {} for name in self.dictionaries}
        self.parts = 0
        self.first: EventIndex | None = None

    def _table(self, name: str, values: tuple[str, ...]) -> np.ndarray:
        """Codes of ``values`` in the merged dictionary ``name`` (new values appended),
        with a last slot -1 for the missing code."""
        where, merged = self.where[name], self.dictionaries[name]
        for value in values:
            if value not in where:
                where[value] = len(merged)
                merged.append(value)
        return np.array([where[v] for v in values] + [-1], dtype=np.int64)

    def _room(self, more: int, like: EventIndex) -> None:
        need = self.n + more
        if not self.columns:
            self.capacity = max(self.capacity, need)
            for name in (*_PLAIN, *(c for c, _, _ in _CODED), "actor1_code", "actor2_code"):
                self.columns[name] = np.empty(self.capacity, dtype=getattr(like, name).dtype)
        elif need > self.capacity:
            self.capacity = max(need, self.capacity + self.capacity // 2)
            for name, column in self.columns.items():
                grown = np.empty(self.capacity, dtype=column.dtype)
                grown[: self.n] = column[: self.n]
                self.columns[name] = grown

    def add(self, part: EventIndex) -> None:
        self.parts += 1
        if self.parts == 1:
            self.first = part  # one part alone is the index as it is: not copied
            return
        if self.first is not None:
            first, self.first = self.first, None
            self._copy(first)
        self._copy(part)

    def _copy(self, part: EventIndex) -> None:
        at, m = self.n, len(part)
        self._room(m, part)
        for name in _PLAIN:
            self.columns[name][at : at + m] = getattr(part, name)
        for codes, dictionary, _ in _CODED:
            table = self._table(dictionary, getattr(part, dictionary))
            self.columns[codes][at : at + m] = table[getattr(part, codes)]
        table = self._table("actors", part.actors)
        for codes in ("actor1_code", "actor2_code"):
            self.columns[codes][at : at + m] = table[getattr(part, codes)]
        self.n += m

    def finish(self, cls) -> EventIndex:
        if self.parts == 0:
            raise ValueError("no batch of events to index (an empty store gives one empty batch)")
        if self.parts == 1:
            return self.first
        fields = {}
        for name, column in self.columns.items():
            # trimmed to the events read (a copy only when the store's count was too high)
            fields[name] = column[: self.n] if len(column) == self.n else column[: self.n].copy()
        self.columns.clear()
        for _, dictionary, _ in _CODED:
            fields[dictionary] = tuple(self.dictionaries[dictionary])
        actors = self.dictionaries["actors"]
        order = sorted(range(len(actors)), key=actors.__getitem__)
        fields["actors"] = tuple(actors[i] for i in order)
        rank = np.empty(len(actors) + 1, dtype=np.int32)
        rank[np.array(order, dtype=np.int64)] = np.arange(len(actors), dtype=np.int32)
        rank[-1] = -1  # code -1 (missing) stays -1
        for codes in ("actor1_code", "actor2_code"):
            column = fields[codes]
            for start in range(0, len(column), BLOCK):  # in place, a block at a time
                piece = column[start : start + BLOCK]
                piece[:] = rank[piece]
        fid = fields["fid"]
        if len(fid) > 1 and not (fid[1:] >= fid[:-1]).all():
            by_fid = np.argsort(fid, kind="stable")
            for name in (*_PLAIN, *(c for c, _, _ in _CODED), "actor1_code", "actor2_code"):
                fields[name] = fields[name][by_fid]
        return cls(**fields)
