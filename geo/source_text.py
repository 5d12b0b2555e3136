"""An event's source as a person reads it.

UCDP's ``source_article`` holds every article an event was coded from in one field:
``"SOHR,2016-01-23,Headline";"Human Rights Watch,2016-02-08,Headline"`` (quoted entries
joined by ``;``, each outlet, date and headline joined by commas; ZoneWatch stores it
with its outer quotes removed). ACLED joins outlets with ``;`` ("SOHR; Step News Agency").
Other text may be a sentence, where a ``;`` is punctuation ("Russian Defence Ministry,
announced 27 May; reported by Interfax"): it is split only when every part reads as a
source's name (:func:`_outlets`). :func:`readable` gives one entry a line, trimmed
(UCDP's as "outlet, date: headline"); nothing is left out. The stored text is unchanged:
downloads and the store keep it as the dataset gave it.
"""

from __future__ import annotations

import re

_UCDP_ENTRY = re.compile(r"^\s*([^,]+?)\s*,\s*(\d{4}-\d{2}-\d{2})\s*,\s*(.*?)\s*$", re.S)

#: The most words an outlet's name has in a list of outlets (ACLED's longest: 6).
_OUTLET_WORDS = 8


def _outlets(parts: list[str]) -> bool:
    """Whether the parts of a text cut at ``;`` are a list of sources ("RT, 1 June 2017;
    TASS"), not a sentence's clauses: each short, not starting in lower case, and no ``;``
    within brackets."""
    parts = [p.strip() for p in parts if p.strip()]
    return all(
        len(p.split()) <= _OUTLET_WORDS and not p[0].islower() and p.count("(") == p.count(")")
        for p in parts
    )


def entries(text: object) -> list[str]:
    """The entries of a source field, each trimmed; empty ones left out."""
    if not isinstance(text, str) or not text.strip():
        return []
    text = text.strip()
    if re.search(r'"\s*;\s*"', text):  # UCDP: quoted entries
        parts = re.split(r'"\s*;\s*"', text)
    elif ";" in text and _outlets(text.split(";")):
        parts = text.split(";")
    else:
        parts = [text]
    out = []
    for part in parts:
        part = part.strip().strip('"').strip()
        if not part:
            continue
        m = _UCDP_ENTRY.match(part)
        out.append(f"{m[1]}, {m[2]}: {m[3]}" if m and m[3] else part)
    return out


def readable(text: object) -> str:
    """The source field with one entry a line (see :func:`entries`); '' for none."""
    return "\n".join(entries(text))
