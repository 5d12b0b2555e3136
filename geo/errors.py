"""A small exception tree. Every message names the problem and what to do about it.

Callers catch :class:`ZoneWatchError` to show a message to a person (page or CLI) and
never a traceback; the subclasses let code catch precisely.
"""

from __future__ import annotations


class ZoneWatchError(Exception):
    """Base class: ``str(err)`` is a one-line message a person can act on."""


class DataFileError(ZoneWatchError):
    """A data file is missing a column or holds a value of the wrong type."""

    def __init__(self, file: str, message: str, column: str | None = None, row: int | None = None):
        self.file = file
        self.column = column
        self.row = row
        where = [file]
        if column is not None:
            where.append(f"column '{column}'")
        if row is not None:
            where.append(f"row {row}")
        super().__init__(f"{', '.join(where)}: {message}")


class InputError(ZoneWatchError):
    """A value given by the user (filter, option, argument) is not acceptable."""


class StoreError(ZoneWatchError):
    """The store cannot be opened, created or written."""


class StoreBusyError(StoreError):
    """Another writer held the store for longer than the bounded wait."""


class NotAllowedError(ZoneWatchError):
    """The identity asking may not do this (sign-in and roles: :mod:`geo.auth`)."""
