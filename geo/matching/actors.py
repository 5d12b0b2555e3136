"""Actor aliases: which names in different datasets stand for the same side.

The table is ``data/actor_aliases.csv`` (``side,name``; lines starting with ``#`` are
comments; a name ending in ``*`` is a prefix). Each actor text of an event becomes a set of
sides, held as a bit mask, plus, for a name the table does not list, its own code, so the
same unlisted name in two datasets still agrees. The side ``unknown`` (e.g. ACLED's
"Unidentified Armed Group (Syria)") agrees with nothing and contradicts nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import DataFileError

UNKNOWN = "unknown"
_SPACES = re.compile(r"\s+")


def normalise(name: str) -> str:
    """An actor name compared without case, outer spaces or repeated spaces."""
    return _SPACES.sub(" ", str(name)).strip().casefold()


@dataclass
class AliasTable:
    """Names to sides. ``exact`` maps a normalised name to its sides; ``prefixes`` is a list
    of (normalised prefix, sides), longest first."""

    exact: dict[str, set[str]] = field(default_factory=dict)
    prefixes: list[tuple[str, set[str]]] = field(default_factory=list)

    @property
    def sides(self) -> list[str]:
        names = set()
        for value in list(self.exact.values()) + [s for _, s in self.prefixes]:
            names |= value
        names.discard(UNKNOWN)
        return sorted(names)

    def lookup(self, name: str) -> set[str] | None:
        """The sides one name stands for, or None when the table does not list it."""
        key = normalise(name)
        if key in self.exact:
            return self.exact[key]
        for prefix, sides in self.prefixes:
            if key.startswith(prefix):
                return sides
        return None


def read_aliases(path: str | Path) -> AliasTable:
    """Read an alias table; a malformed one raises :class:`DataFileError` naming the row."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(
            path.name, f"cannot be read as UTF-8 text ({exc.__class__.__name__})"
        ) from None
    return parse_aliases(text, path.name)


def parse_aliases(text: str, file: str = "actor_aliases.csv") -> AliasTable:
    lines = [
        (n, ln) for n, ln in enumerate(text.splitlines(), 1) if not ln.lstrip().startswith("#")
    ]
    rows = list(csv.reader(io.StringIO("\n".join(ln for _, ln in lines))))
    if not rows or [c.strip() for c in rows[0]] != ["side", "name"]:
        raise DataFileError(file, "must start (after # comments) with the header 'side,name'")
    table = AliasTable()
    prefixes: dict[str, set[str]] = {}
    for (line_no, _), row in zip(lines[1:], rows[1:], strict=False):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise DataFileError(file, "needs a side and a name", "side,name", line_no)
        side, name = row[0].strip(), normalise(row[1])
        if name.endswith("*"):
            prefixes.setdefault(name[:-1].rstrip(), set()).add(side)
        else:
            table.exact.setdefault(name, set()).add(side)
    table.prefixes = sorted(prefixes.items(), key=lambda kv: -len(kv[0]))
    return table


def default_aliases() -> AliasTable:
    """The shipped table, ``data/actor_aliases.csv`` (``ZONEWATCH_DATA_DIR`` honoured)."""
    from geo.shipped import data_dir

    return read_aliases(data_dir() / "actor_aliases.csv")


@dataclass(frozen=True)
class ActorCodes:
    """Per event and per actor column: ``mask`` (sides, int64 bits), ``own`` (code of an
    unlisted name, -1 when none) and ``unknown`` (no side known from the table: such an
    actor may agree through ``own`` but never contradicts)."""

    mask: np.ndarray
    own: np.ndarray
    unknown: np.ndarray


def encode(actors: pd.Series, table: AliasTable, own_codes: dict[str, int]) -> ActorCodes:
    """Codes for one actor column (vectorised over unique names)."""
    bits = {side: 1 << i for i, side in enumerate(table.sides)}
    if len(bits) > 62:
        raise DataFileError("actor_aliases.csv", "has more than 62 sides; merge some")
    values = actors.fillna("").astype(str)
    uniques = pd.unique(values)
    mask_of, own_of, unknown_of = {}, {}, {}
    for name in uniques:
        mask, own, unknown = _code(name, table, bits, own_codes)
        mask_of[name], own_of[name], unknown_of[name] = mask, own, unknown
    codes = pd.Categorical(values, categories=uniques).codes
    return ActorCodes(
        np.array([mask_of[n] for n in uniques], dtype=np.int64)[codes],
        np.array([own_of[n] for n in uniques], dtype=np.int64)[codes],
        np.array([unknown_of[n] for n in uniques], dtype=bool)[codes],
    )


def _code(name: str, table: AliasTable, bits: dict[str, int], own_codes: dict[str, int]):
    key = normalise(name)
    if not key:
        return 0, -1, True
    sides = table.lookup(key)
    parts = [key] if sides is not None else [p for p in (normalise(x) for x in key.split(",")) if p]
    mask, unlisted = 0, []
    for part in parts:
        found = table.lookup(part)
        if found is None:
            unlisted.append(part)
        else:
            for side in found:
                mask |= bits.get(side, 0)
    own = -1
    if unlisted:
        own = own_codes.setdefault(", ".join(unlisted), len(own_codes))
    # Only the table says which side a group is on: a name it does not list can agree (the
    # same name elsewhere) but never contradicts.
    return mask, own, mask == 0


def side_names(mask: int, table: AliasTable) -> list[str]:
    """The side names in a mask (for reasons)."""
    return [side for i, side in enumerate(table.sides) if mask >> i & 1]
