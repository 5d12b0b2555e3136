"""Match records of the same event across datasets (UCDP, ACLED, curated, your own).

Pure (no streamlit). The rules are in :mod:`geo.matching.rules`, the actor aliases in
``data/actor_aliases.csv`` (:mod:`geo.matching.actors`), the indexed search for candidates in
:mod:`geo.matching.candidates`, scoring and reasons in :mod:`geo.matching.links`, groups and
"count each event once" in :mod:`geo.matching.groups`; the links as stored (builds, decisions,
counting once from them, for the pages and the command line) in :mod:`geo.matching.stored`.

    links = match_events(events, progress=lambda f, msg: print(f"{f:.0%} {msg}"))
    keep = count_once(events, links)      # a boolean mask over the rows of events
    why = explain(events, links.head(100))  # reasons later, for links matched without
"""

from geo.matching.actors import AliasTable, default_aliases, parse_aliases, read_aliases
from geo.matching.groups import count_once, group_labels, groups
from geo.matching.links import LINK_COLUMNS, explain, match_events
from geo.matching.rules import Rules

__all__ = [
    "LINK_COLUMNS",
    "AliasTable",
    "Rules",
    "count_once",
    "default_aliases",
    "explain",
    "group_labels",
    "groups",
    "match_events",
    "parse_aliases",
    "read_aliases",
]
