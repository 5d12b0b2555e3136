"""Counts in words, singular or plural as the number asks: "1 event", "6,418 events".

Every sentence shown to a person that gives a count (the pages' captions, the reports, the
import and upload messages, the command line's summaries) words it here, so "The 1 events
within 25 km" cannot come back one caption at a time. Plain text only: the callers escape
it where they need to (markdown, HTML).
"""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    """``one`` when ``n`` is 1, else ``many`` (default ``one`` + "s"): the noun alone, for
    a sentence that gives the number elsewhere ("1 of the events")."""
    return one if n == 1 else (many if many is not None else one + "s")


def count(n: int, one: str, many: str | None = None) -> str:
    """``n`` with thousands separators and its noun: ``count(1, "event")`` is "1 event",
    ``count(6418, "fatality", "fatalities")`` is "6,418 fatalities"."""
    return f"{n:,} {plural(n, one, many)}"
