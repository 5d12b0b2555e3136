"""Sharing a view: the page's address holds it, a control copies the address, and a
link's values are checked before any widget reads them.

Widgets bound to the address (``bind=URL``) keep the view in the page's URL, so a link
restores it. Streamlit fills such a widget from the link when the page opens, and some
values it cannot take stop the page with an error (an end date before the start date, a
number too large for an integer). :func:`link_problems` finds them; :func:`clean_link`
removes them from the address and runs the page again, so the widget shows its default, as
the README promises, and says which part was ignored. Values Streamlit checks itself
(options of a list, yes/no boxes) are left to it; the map's own ``view`` and ``hide`` are
checked by the map (``geo/static/zonewatch/share.js``). A parameter no page reads (a typo,
a guessed name) is named too, once a session, and left in the address (:func:`clean_link`).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.state.query_params import EMBED_QUERY_PARAMS_KEYS

from geo.assets import static_source
from geo.filters import MAX_NEAR_KM
from views.state import (
    FILTER_KEYS,
    KEY_COARSE,
    KEY_DATES,
    KEY_FREQ,
    KEY_MIN_FATALITIES,
    KEY_NEAR_KM,
    KEY_ONLINE_TILES,
    KEY_PER,
    KEY_PIVOT,
    KEY_PLACE_COARSE,
    KEY_PLACE_PER,
    KEY_PLACES,
    KEY_RADIUS,
    KEY_RING,
    KEY_SORT,
    KEY_SORT_DESC,
    KEY_TABLE_PAGE,
    KEY_WINDOW,
    KEY_ZONE,
    KEY_ZONES_AS_OF,
    KEY_ZONES_FOLLOW,
)
from views.text import plain

#: Widgets bound to the URL: the view state lives in the address, so a link restores it.
URL = "query-params"


# Runs in the page itself (not an iframe): our own fixed code (geo/static/zonewatch/
# share_link.js), no data in it. The address
# holds every bound widget, the map's view and the page; the button copies it, and the
# field shows it for copying by hand where the clipboard is not allowed.
_SHARE_HTML = """
<div class="zw-share">
  <button type="button" id="zw-copy-link" style="font:inherit;font-size:14px;padding:4px 12px;
    border:1px solid rgba(49,51,63,.25);border-radius:8px;background:#fff;cursor:pointer">
    Copy link to this view</button>
  <input id="zw-link" type="text" readonly hidden aria-label="Link to this view"
    style="width:100%;margin-top:6px;font-size:12px;padding:3px">
  <div id="zw-copy-status" role="status" style="font-size:12px;color:#555"></div>
</div>
"""


def share_link() -> None:
    """The "copy link" control: the page's address holds the whole view."""
    st.subheader("Share")
    script = static_source("share_link.js")
    st.html(f"{_SHARE_HTML}<script>{script}</script>", unsafe_allow_javascript=True)


# The check of a link's values.

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[+-]?(\d{1,12}(\.\d{0,6})?|\.\d{1,6})")


def _date(text: str) -> date | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _one(values: Sequence[str]) -> str | None:
    return values[0] if len(values) == 1 else None


def _date_range(values: Sequence[str]) -> str | None:
    if not 1 <= len(values) <= 2:
        return "a date range is one or two dates"
    days = [_date(v) for v in values]
    if None in days:
        return "not a date (YYYY-MM-DD)"
    if len(days) == 2 and days[1] < days[0]:
        return "the end date is before the start date"
    return None


def _single_date(values: Sequence[str]) -> str | None:
    text = _one(values)
    if text is None:
        return "one date expected"
    return None if _date(text) else "not a date (YYYY-MM-DD)"


def _figure(value: float) -> str:
    """A bound as the pages write numbers: 1,000,000,000, not 1e+09."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _number(lo: float, hi: float) -> Callable[[Sequence[str]], str | None]:
    def check(values: Sequence[str]) -> str | None:
        text = _one(values)
        if text is None:
            return "one number expected"
        if not _NUMBER.fullmatch(text.strip()):
            return "not a number"
        value = float(text)
        if not (math.isfinite(value) and lo <= value <= hi):
            return f"not between {_figure(lo)} and {_figure(hi)}"
        return None

    return check


#: What each address parameter of the app must be (see the README, "Sharing a view").
#: Numbers are bounded as their widget is; Streamlit's number widgets fail on numbers
#: that do not fit an integer or a float, so every number parameter is here.
CHECKS: dict[str, Callable[[Sequence[str]], str | None]] = {
    KEY_DATES: _date_range,  # the shared filters
    KEY_MIN_FATALITIES: _number(0, 10**9),
    KEY_NEAR_KM: _number(1, MAX_NEAR_KM),
    KEY_ZONES_AS_OF: _single_date,  # the Map
    KEY_PIVOT: _single_date,  # the Zone report
    KEY_WINDOW: _number(7, 730),
    KEY_RING: _number(1, 100),
    KEY_RADIUS: _number(1, 200),  # the Place report
    KEY_TABLE_PAGE: _number(1, 10**9),  # the Events page (past the last page: the last)
}


#: The keys of the widgets bound to the address (``bind=URL``), in the pages' order: the
#: settings a link holds. tests/test_app_links.py reads every page and fails when a
#: widget's key is missing here (or a key here is bound nowhere).
BOUND = (
    *FILTER_KEYS,  # the shared filters
    KEY_ZONES_FOLLOW,  # the Map
    KEY_ZONES_AS_OF,
    KEY_ONLINE_TILES,
    KEY_ZONE,  # the Zone report
    KEY_PER,
    KEY_COARSE,
    KEY_PIVOT,
    KEY_WINDOW,
    KEY_RING,
    KEY_PLACES,  # the Place report
    KEY_RADIUS,
    KEY_PLACE_PER,
    KEY_PLACE_COARSE,
    KEY_FREQ,  # the Events page
    KEY_SORT,
    KEY_SORT_DESC,
    KEY_TABLE_PAGE,
)
#: The map's own view, read and written in the browser (geo/static/zonewatch/share.js).
MAP_VIEW = ("view", "hide")
#: Streamlit's own: the embedding options (any case; it keeps them from the app) and a
#: static app's id, read by its front end (Streamlit 1.67, pinned).
STREAMLIT_OWN = (*EMBED_QUERY_PARAMS_KEYS, "staticAppId")
#: Every parameter name a page of the app reads from the address. A link is shared across
#: pages, so a name read by any page is known on all of them.
LINK_PARAMS = frozenset((*BOUND, *MAP_VIEW, *STREAMLIT_OWN))


def unknown_names(names: Iterable[str]) -> list[str]:
    """The parameter names among ``names`` that no page reads, each once, in their order."""
    own = {name.lower() for name in EMBED_QUERY_PARAMS_KEYS}
    return [n for n in dict.fromkeys(names) if n not in LINK_PARAMS and n.lower() not in own]


def _quoted(values: Sequence[str], after: Callable[[str], str] = lambda v: "") -> str:
    """Values from a link (untrusted) named in a notice: quoted, escaped, each cut at 40
    characters, at most 5 of them and how many more; ``after(value)`` follows each."""
    named = ", ".join(
        f"“{plain(v[:40] + ('…' if len(v) > 40 else ''))}”{after(v)}" for v in values[:5]
    )
    return named + (f" and {len(values) - 5:,} more" if len(values) > 5 else "")


def _meant(name: str) -> str:
    """' (did you mean `dates`?)' for a name close to a setting's ('date', 'Dates'), else ''."""
    close = difflib.get_close_matches(name.strip().casefold(), (*BOUND, *MAP_VIEW), 1, 0.75)
    return f" (did you mean `{close[0]}`?)" if close else ""


def unknown_names_note(names: Sequence[str]) -> str:
    """The notice for a link's parameter names that no page reads: which, and what the
    settings of a link are named."""
    listed = ", ".join(f"`{key}`" for key in (*BOUND, *MAP_VIEW))
    what = "a parameter" if len(names) == 1 else "parameters"
    did = "it changed" if len(names) == 1 else "they changed"
    return (
        f"This link has {what} that ZoneWatch does not know, so {did} nothing: "
        f"{_quoted(names, _meant)}. A link's settings are named {listed} (see the README, "
        "'Sharing a view')."
    )


def link_problems(params: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """{parameter: why it is ignored} for the values of ``params`` that make no sense."""
    problems = {}
    for key, values in params.items():
        check = CHECKS.get(key)
        problem = check(list(values)) if check else None
        if problem:
            problems[key] = problem
    return problems


KEY_IGNORED = "link_ignored"  # what the last clean-up removed, shown once on the next run
_KEY_SAID = "link_ignored_said"  # what this run's notice says
_KEY_NAMED = "link_unknown_named"  # the unknown parameter names said this session
_KEY_NAMED_NOW = "link_unknown_named_now"  # those said by this run's notice


def clean_link() -> None:
    """Remove the values of the address that make no sense, then run the page again so the
    widgets start from their defaults; say which were ignored. Before any widget."""
    params = st.query_params
    problems = link_problems({key: params.get_all(key) for key in params})
    removed = {}
    for key, problem in problems.items():
        try:
            del params[key]
        except StreamlitAPIException:
            continue  # bound to a widget already on screen: the widget holds its value
        removed[key] = problem
    if removed:
        st.session_state[KEY_IGNORED] = removed
        st.rerun()
    ignored = st.session_state.pop(KEY_IGNORED, None)
    st.session_state[_KEY_SAID] = ignored  # kept in the notice if the run starts again
    if ignored:
        st.info(
            "Part of this link made no sense and was ignored (where nothing of a setting is "
            "left, its default is used): "
            + "; ".join(f"{key} ({why})" for key, why in ignored.items())
            + "."
        )
    # Names no page reads are left in the address: they do nothing here, and may be meant
    # for something else (a proxy in front of the app, a newer ZoneWatch). Said once.
    named = st.session_state.get(_KEY_NAMED, frozenset())
    new = [name for name in unknown_names(params) if name not in named]
    st.session_state[_KEY_NAMED_NOW] = new
    if new:
        st.session_state[_KEY_NAMED] = named | set(new)
        st.info(unknown_names_note(new))


#: The values a yes/no box takes in the address (Streamlit reads them in any case), as
#: :func:`drop_unknown` names them.
YES_NO = ("values of a yes/no box", ("true", "false"))

#: Options listed in the notice when a link names none of them (more: the list is long).
_LISTED = 12


def unknown_values(values: Sequence[str], options: Sequence[str]) -> list[str]:
    """The values of a parameter that are none of ``options``, each once (an empty value,
    which clears a list, is known)."""
    known = set(options) | {""}
    return list(dict.fromkeys(v for v in values if v not in known))


def _unknown_note(unknown: Sequence[str], what: str, options: Sequence[str]) -> str:
    listed = (
        ": " + ", ".join(plain(o) for o in options)
        if len(options) <= _LISTED
        else f" ({len(options):,} of them; choose one in the box)"
    )
    verb = "is not" if len(unknown) == 1 else "are not"
    return f"{_quoted(unknown)} {verb} among the {what} here, which are{listed}"


def spelled(value: str, options: Sequence[str] | Mapping[str, str]) -> str:
    """``value`` as the option it names, written as the address holds it: an option in
    any case, or (``options`` a mapping {option: short name}) its short name in any case,
    when it names only one option; else ``value`` itself."""
    if value in options:
        return value
    names = options.items() if isinstance(options, Mapping) else ((o, o) for o in options)
    wanted = value.strip().casefold()
    found = {o for o, short in names if wanted in (o.casefold(), str(short).casefold())}
    return found.pop() if len(found) == 1 else value


def drop_unknown(
    choices: Mapping[str, tuple[str, Sequence[str] | Mapping[str, str]]],
) -> None:
    """Drop from the address the values of option lists that are none of the options, and
    say which (``choices``: {parameter: (what its options are, the options)}), before the
    widgets are drawn. Streamlit ignores such a value but kept it in the address, unnamed;
    the known values of the parameter are kept. A value naming an option in another case,
    or by its short name (``options`` a mapping {option: short name}), is written as the
    option (:func:`spelled`)."""
    params = st.query_params
    removed, respelled = {}, False
    for key, (what, options) in choices.items():
        given = params.get_all(key)
        values = [spelled(v, options) for v in given]
        unknown = unknown_values(values, list(options))
        if not unknown:
            if values != given:
                try:
                    params[key] = values
                    respelled = True
                except StreamlitAPIException:
                    pass  # bound to a widget already on screen: the widget holds its value
            continue
        known = [v for v in values if v not in unknown]
        try:
            if known:
                params[key] = known
            else:
                del params[key]
        except StreamlitAPIException:
            continue  # bound to a widget already on screen: the widget holds its value
        removed[key] = _unknown_note(unknown, what, list(options))
    if removed or respelled:
        rerun_saying_again(removed)


def rerun_saying_again(removed: Mapping[str, str] | None = None) -> None:
    """``st.rerun()``, with this run's notices about the link said again on the next run
    (what a run shows is dropped when it runs again), and ``removed`` ({parameter: why})
    with them. For a rerun of the whole page on its first run."""
    said = st.session_state.get(_KEY_SAID) or {}
    if said or removed:
        st.session_state[KEY_IGNORED] = {**said, **(removed or {})}
    named = st.session_state.get(_KEY_NAMED, frozenset())
    st.session_state[_KEY_NAMED] = named - set(st.session_state.get(_KEY_NAMED_NOW, ()))
    st.rerun()
