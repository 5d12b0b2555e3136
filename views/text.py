"""Text from data or a user, shown safely in Streamlit markdown."""

from __future__ import annotations

_MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>$~:"


def plain(text: object) -> str:
    """Text from data or a user, safe inside Streamlit markdown: every markdown, HTML and
    LaTeX character is escaped, so it shows as typed and never as formatting or a link."""
    return "".join("\\" + c if c in _MARKDOWN_SPECIALS else c for c in str(text))


def span(start, end) -> str:
    """Dates from ``start`` to ``end`` as the pages' headers give them ("01 May 2017 to 31
    May 2017"); one day once ("25 May 2017")."""
    if start == end:
        return f"{start:%d %b %Y}"
    return f"{start:%d %b %Y} to {end:%d %b %Y}"
