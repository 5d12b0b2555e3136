"""Text cells a spreadsheet opens safely: the rule ZoneWatch's CSV files are written with
(:mod:`geo.export`, :mod:`geo.report`) and read back by (:mod:`geo.uploads.events`)."""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Text a spreadsheet will not run as a formula: a leading ' before =, +, -, @.
    The ZoneWatch import removes it again (see :func:`from_spreadsheet_safe`)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def from_spreadsheet_safe(value: object) -> object:
    """Undo :func:`spreadsheet_safe`."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value
