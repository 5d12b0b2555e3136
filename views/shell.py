"""What every entry to the app runs first: page configuration, the link check, the
navigation and the shared filters.

The app is Streamlit's classic multipage layout: ``app.py`` is the Map and each file in
``pages/`` is a page, with the address Streamlit gives it (``pages/zone_report.py`` is
``/zone_report``). Streamlit runs the requested file on its own, so a direct link to any
page runs only that file: each page therefore starts with :func:`page_setup`, and nothing
a page needs may be left to ``app.py``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo.assets import install_static
from geo.auth import VIEW
from views.auth import gate, identity, may_open
from views.auth import sidebar as auth_sidebar
from views.filters import shared_filters
from views.sharing import clean_link
from views.state import FRAGMENT_MAP, MAP_KEYS, keep_state

ROOT = Path(__file__).resolve().parents[1]

#: (script, title in the navigation, follows the shared filters), in navigation order.
PAGES = (
    ("app.py", "Map", True),
    ("pages/events.py", "Events", True),
    ("pages/zone_report.py", "Zone report", True),
    ("pages/place_report.py", "Place report", True),
    ("pages/import_events.py", "Import events", False),
    ("pages/zones.py", "Zones", False),
    ("pages/zone_history.py", "Zone history", False),
    ("pages/matches.py", "Matches", False),
    ("pages/sources.py", "Sources", False),
    ("pages/admin.py", "Admin", False),
)
TITLES = {title: (script, filters) for script, title, filters in PAGES}


def page_setup(title: str) -> None:
    """Configure the page, drop nonsense from its link, draw the navigation and (on the
    pages that follow them) the shared filters. The first call of every page script."""
    _, with_filters = TITLES[title]
    st.set_page_config(page_title=f"{title} · ZoneWatch", layout="wide")
    install_static(ROOT / "static")  # Leaflet served by the app: works offline
    clean_link()
    who = identity()
    with st.sidebar:
        # A chosen option's tag (an event type in the sidebar, say) wraps onto more lines
        # rather than ending in "...": long names stay readable. The box grows to show
        # every chosen tag (Streamlit caps it, scrolling with no visible bar).
        st.html(
            "<style>[data-testid=stMultiSelectTagsContainer] [data-tag]{max-width:100%;"
            "height:auto}[data-testid=stMultiSelectTagsContainer] [data-tag]>span[title]"
            "{white-space:normal;overflow-wrap:anywhere;text-overflow:clip}"
            "[data-testid=stMultiSelectTagsContainer],"
            "div:has(>[data-testid=stMultiSelectTagsContainer]){max-height:none}</style>"
        )
        auth_sidebar(who)
        # Streamlit's own list of the files is hidden (client.showSidebarNavigation): it
        # would name the Map "app" and the pages by their file names. Pages for rights
        # the session lacks are not listed (views/auth.py).
        for script, label, _ in PAGES:
            if who.may(VIEW) and may_open(script, who):
                st.page_link(script, label=label)
    gate(TITLES[title][0], who)
    if title != "Map":
        keep_state(MAP_KEYS)
    # On the Map, a filter change reruns only the map and its counts (views/map.py)
    shared_filters(with_filters, FRAGMENT_MAP if title == "Map" else None)
