"""Sign-in in the app: the policy from ``.streamlit/secrets.toml`` and the server's listen
address, the identity of the session from ``st.user``, the sidebar's sign-in and sign-out,
and which pages a person may open. The rules themselves are :mod:`geo.auth`; the writes
check them again where they happen (the store), whatever a page shows.
"""

from __future__ import annotations

import streamlit as st

from geo import auth
from geo.errors import ZoneWatchError
from views.text import plain

#: the action a page exists for: a page is listed and opened only with the right to it
PAGE_ACTIONS = {
    "pages/import_events.py": auth.IMPORT,
    "pages/zones.py": auth.UPLOAD,
    "pages/admin.py": auth.RESTORE,
}


def _secrets() -> dict:
    try:
        return st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}
    except Exception:  # an unreadable secrets file: Streamlit says why in its log
        return {}


def policy() -> auth.Policy:
    """The sign-in setup of this server; a wrong ``[zonewatch]`` section stops the page."""
    try:
        return auth.Policy.from_config(_secrets(), st.get_option("server.address"))
    except ZoneWatchError as exc:
        st.error(f"The sign-in settings cannot be used: {exc}")
        st.stop()
        raise  # unreachable; st.stop() raises


def identity() -> auth.Identity:
    """Who this session is, with the role the configuration gives them."""
    pol = policy()
    user = st.user.to_dict() if pol.auth_configured else None
    return pol.identity(user)


def may_open(script: str, who: auth.Identity | None = None) -> bool:
    """May the session open the page ``script`` (listed in the navigation)?"""
    action = PAGE_ACTIONS.get(script)
    return action is None or (who or identity()).may(action)


def sidebar(who: auth.Identity) -> None:
    """Who is signed in, with sign-in or sign-out; for one analyst on 127.0.0.1 without
    sign-in, one line saying so and the name their changes are recorded under."""
    pol = policy()
    if pol.auth_configured:
        if who.signed_in:
            st.caption("Signed in as")
            st.text(f"{who.author} ({who.role})")
            if st.button("Sign out", key="auth_sign_out"):
                st.logout()
        else:
            st.caption("Not signed in: you can view only.")
            if st.button("Sign in", key="auth_sign_in", type="primary"):
                st.login()
    elif who.refusal:
        st.caption(
            "Read-only: this server is open to the network without sign-in (README, 'Team server')."
        )
    else:
        st.caption(
            "On this computer, no sign-in: every page is yours; changes are recorded as "
            f"{plain(who.author)}."
        )


def gate(script: str, who: auth.Identity) -> None:
    """Stop the page, with a message saying why and what to do, when ``who`` may not open
    it (or may not view at all)."""
    if not who.may(auth.VIEW):
        st.title("Sign in to view ZoneWatch")
        st.info("This ZoneWatch server shows its data to signed-in people only.")
        if st.button("Sign in", key="auth_gate_sign_in", type="primary"):
            st.login()
        st.stop()
    action = PAGE_ACTIONS.get(script)
    if action and not who.may(action):
        try:
            auth.require(who, action)
        except ZoneWatchError as exc:
            st.warning(f"This page is not for you: {plain(exc)}.")
        st.stop()
