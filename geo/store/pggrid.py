"""The map's grid cells and payloads as PostGIS's figures build them (issue 18): numpy
helpers shared by :class:`geo.store.pgquery.PgEvents` and
:class:`geo.store.pgcells.PgCellEvents`, kept apart from the SQL: which of a kept grid's
cells lie clearly inside or outside a view (:func:`_clear`, :func:`_in_view`: a pan reuses
the grid when no cell holding events straddles its edge), the few events read one by one
as the columns :func:`geo.aggregate.event_view` reads (:class:`_Rows`) and the payload's
key (:func:`_key`). A cell is ``floor((lon + 180) / size)`` on the stored doubles.

Pure: no SQL, no streamlit.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from geo import aggregate as A


class _Rows:
    """A few events as the columns :func:`geo.aggregate.event_view` reads from an index."""

    def __init__(self, rows: list[tuple], type_codes: dict[str, int]):
        n = len(rows)
        cols = list(zip(*rows, strict=True)) if n else [()] * 7
        self.fid = np.array(cols[0], dtype=np.int64)
        self.lat = np.array(cols[1], dtype=np.float64)
        self.lon = np.array(cols[2], dtype=np.float64)
        self.start = np.array(cols[3], dtype=np.int32)
        self.end = np.array(cols[4], dtype=np.int32)
        self.type_code = np.array([type_codes.get(t, -1) for t in cols[5]], dtype=np.int16)
        fat = np.array([np.nan if v is None else v for v in cols[6]], dtype=np.float64)
        self.fatalities = fat.astype(np.float32)
        self.types = list(type_codes)  # the names in code order, as EventIndex.types

    def __len__(self) -> int:
        return len(self.fid)


def _in_view(kept_view: A.View, arr: np.ndarray, view: A.View, size: float):
    """The grid ``arr`` (counted for ``kept_view``) with its figures in view for ``view``:
    itself for the same view; else the cells' sums when every non-empty cell lies clearly
    inside or clearly outside ``view`` (a margin of a millionth of a cell for rounding);
    else None (to be counted again)."""
    if view == kept_view:
        return arr
    inside, outside = _clear(arr[:, 0], arr[:, 1], size, view)
    if not (inside | outside).all():
        return None
    out = arr.copy()
    out[:, 4] = np.where(inside, arr[:, 2], 0)
    out[:, 5] = np.where(inside, arr[:, 3], 0)
    return out


def _clear(ix: np.ndarray, iy: np.ndarray, size: float, box: A.View):
    """Which grid cells (``ix``, ``iy`` of cells of ``size`` degrees) lie clearly inside and
    clearly outside ``box``, with a margin of a millionth of a cell for rounding."""
    eps = size * 1e-6
    west = ix * size - 180.0
    south = iy * size - 90.0
    east, north = west + size, south + size
    inside = (
        (west > box.west + eps)
        & (east < box.east - eps)
        & (south > box.south + eps)
        & (north < box.north - eps)
    )
    outside = (
        (east < box.west - eps)
        | (west > box.east + eps)
        | (north < box.south - eps)
        | (south > box.north + eps)
    )
    return inside, outside


def _key(payload: dict) -> str:
    """The payload's key, as :func:`geo.aggregate.event_view` makes it."""
    text = json.dumps(payload, sort_keys=True).encode()
    return hashlib.blake2b(text, digest_size=12).hexdigest()
