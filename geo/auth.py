"""Who may do what: roles from the configuration, an identity's role, and the check every
write makes (:func:`require`). Pure: no Streamlit here (``views/auth.py`` reads ``st.user``
and the secrets and hands them to :class:`Policy`).

Roles, under ``[zonewatch]`` in ``.streamlit/secrets.toml``:

- ``editors`` and ``admins``: lists of e-mail addresses (``ana@example.org``) or whole
  domains (``@example.org``), matched without regard to case; an entry without ``@``
  matches the provider's ``sub`` (for providers that send no e-mail). An admin is also an
  editor. An e-mail the provider marks as not verified (``email_verified = false``) is
  not used.
- ``sign_in_to_view`` (default false): when true, only signed-in people see anything.

Rights: a viewer reads every page and downloads; an editor also imports events, uploads
and draws zones and rolls them back, builds the matches and accepts or rejects them; an
admin also restores backups and sees the full write history.

Without sign-in (no ``[auth]`` section) the app serves one analyst: on a loopback address
(127.0.0.1) that person has every right, as before. On any other address every write is
refused, unless ``ZONEWATCH_ALLOW_ANONYMOUS_WRITES=1`` says the operator wants that.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from geo.errors import InputError, NotAllowedError

# --- roles and actions ------------------------------------------------------------------

NOBODY, VIEWER, EDITOR, ADMIN = "nobody", "viewer", "editor", "admin"
_RANK = {NOBODY: 0, VIEWER: 1, EDITOR: 2, ADMIN: 3}

VIEW = "view"
IMPORT = "import events"
UPLOAD = "upload zone boundaries"
DRAW = "draw zone boundaries"
ROLLBACK = "roll a zone back"
RESTORE = "restore a backup"
HISTORY = "see the full write history"
MATCH_BUILD = "build the matches"
REVIEW = "accept or reject a match"

#: the role each action needs
NEEDS = {
    VIEW: VIEWER,
    IMPORT: EDITOR,
    UPLOAD: EDITOR,
    DRAW: EDITOR,
    ROLLBACK: EDITOR,
    RESTORE: ADMIN,
    HISTORY: ADMIN,
    MATCH_BUILD: EDITOR,
    REVIEW: EDITOR,
}

#: the environment variable that lets anyone write to a server open to the network
ALLOW_ANONYMOUS = "ZONEWATCH_ALLOW_ANONYMOUS_WRITES"

CONFIGURE_SIGN_IN = (
    "configure sign-in: add an [auth] section (redirect_uri, cookie_secret, client_id, "
    "client_secret, server_metadata_url) and the [zonewatch] roles to .streamlit/secrets.toml "
    "(README, 'Team server')"
)


def rank(role: str) -> int:
    return _RANK[role]


@dataclass(frozen=True)
class Roles:
    """The ``[zonewatch]`` section: who edits, who administers, whether viewing needs sign-in."""

    editors: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    sign_in_to_view: bool = False

    @classmethod
    def from_config(cls, section: Mapping | None) -> Roles:
        """Read the ``[zonewatch]`` section; a malformed entry is a clear error."""
        section = dict(section or {})
        unknown = set(section) - {"editors", "admins", "sign_in_to_view"}
        if unknown:
            raise InputError(
                f"unknown setting {sorted(unknown)[0]!r} under [zonewatch] in secrets.toml; "
                "the settings are editors, admins and sign_in_to_view"
            )
        view = section.get("sign_in_to_view", False)
        if not isinstance(view, bool):
            raise InputError(
                "sign_in_to_view under [zonewatch] in secrets.toml must be true or false"
            )
        return cls(
            _entries(section.get("editors"), "editors"),
            _entries(section.get("admins"), "admins"),
            view,
        )

    def role_of(self, email: str | None, sub: str | None) -> str:
        """The role of a signed-in person (``viewer`` when no list names them)."""
        if _listed(self.admins, email, sub):
            return ADMIN
        if _listed(self.editors, email, sub):
            return EDITOR
        return VIEWER


def _entries(value, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
        raise InputError(
            f"{name} under [zonewatch] in secrets.toml must be a list of e-mail addresses "
            'or "@domain" entries, e.g. ["ana@example.org", "@example.org"]'
        )
    out = []
    for v in value:
        v = v.strip()
        if not v or v == "@":
            raise InputError(f"{name} under [zonewatch] in secrets.toml has an empty entry")
        out.append(v)
    return tuple(out)


def _listed(entries: tuple[str, ...], email: str | None, sub: str | None) -> bool:
    mail = (email or "").strip().casefold()
    for entry in entries:
        e = entry.casefold()
        if e.startswith("@"):
            if mail and "@" in mail and mail.rsplit("@", 1)[1] == e[1:]:
                return True
        elif "@" in e:
            if mail and mail == e:
                return True
        elif sub and entry == sub:
            return True
    return False


# --- identities ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who is asking: the author text every write records, and the role it holds.

    ``refusal`` is the reason writes are refused when the role comes from the setup rather
    than the person (a server open to the network without sign-in)."""

    author: str
    role: str
    signed_in: bool = False
    refusal: str = ""

    def may(self, action: str) -> bool:
        return rank(self.role) >= rank(NEEDS[action])


def require(identity: Identity, action: str) -> None:
    """Raise :class:`NotAllowedError` (a message saying why and what to do) unless
    ``identity`` may do ``action``."""
    if not isinstance(identity, Identity):
        raise NotAllowedError(f"cannot {action}: no identity was given")
    if identity.may(action):
        return
    if identity.refusal:
        raise NotAllowedError(f"cannot {action}: {identity.refusal}")
    needed = NEEDS[action]
    if not identity.signed_in:
        raise NotAllowedError(f"sign in to {action} (it needs the {needed} role)")
    where = "admins" if needed == ADMIN else "editors or admins"
    raise NotAllowedError(
        f"{identity.author} may not {action}: it needs the {needed} role; ask an admin to "
        f"add your e-mail address or domain to {where} under [zonewatch] in secrets.toml"
    )


def author_of(who: Identity | str, action: str) -> str:
    """The author text a write records, after checking ``who`` may do ``action``.

    An :class:`Identity` (the app) is checked; a plain string is a trusted local caller
    (the CLI, the shipped data, tests) and is recorded as given."""
    if isinstance(who, Identity):
        require(who, action)
        return who.author
    return who


def is_loopback(address: str | None) -> bool:
    """True when the server listens on the loopback interface only. An empty address means
    every interface (Streamlit's default), so it is not loopback."""
    address = (address or "").strip().strip("[]")
    if address.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Policy:
    """The app's sign-in setup: is ``[auth]`` configured, the roles, where the server
    listens and whether anonymous writes were allowed on purpose."""

    auth_configured: bool = False
    roles: Roles = Roles()
    listen_address: str = "127.0.0.1"
    allow_anonymous_writes: bool = False

    @classmethod
    def from_config(
        cls, secrets: Mapping | None, listen_address: str | None, environ: Mapping | None = None
    ) -> Policy:
        secrets = dict(secrets or {})
        environ = os.environ if environ is None else environ
        return cls(
            auth_configured=bool(secrets.get("auth")),
            roles=Roles.from_config(secrets.get("zonewatch")),
            listen_address=listen_address or "",
            allow_anonymous_writes=environ.get(ALLOW_ANONYMOUS, "").strip() == "1",
        )

    def identity(self, user: Mapping | None) -> Identity:
        """The identity of a request, from what ``st.user`` holds (``None``: no sign-in)."""
        user = dict(user or {})
        if self.auth_configured:
            if user.get("is_logged_in"):
                email = user.get("email") or None
                if email is not None and user.get("email_verified") is False:
                    email = None  # an unverified address proves nothing
                sub = str(user.get("sub") or "") or None
                author = str(user.get("email") or sub or "unknown")
                return Identity(author, self.roles.role_of(email, sub), signed_in=True)
            return Identity("anonymous", NOBODY if self.roles.sign_in_to_view else VIEWER)
        if is_loopback(self.listen_address):
            return Identity(f"{_os_user()} (app on this computer, no sign-in)", ADMIN)
        if self.allow_anonymous_writes:
            return Identity(f"anonymous (no sign-in, {ALLOW_ANONYMOUS}=1)", ADMIN)
        shown = self.listen_address or "every network interface"
        return Identity(
            "anonymous",
            VIEWER,
            refusal=(
                f"this server listens on {shown} without sign-in, so it refuses every "
                f"write; {CONFIGURE_SIGN_IN}, or set {ALLOW_ANONYMOUS}=1 to let anyone who "
                "can reach it write"
            ),
        )


def cli_identity(author: str | None = None) -> str:
    """The author text of a CLI write: ``--author`` or the operating-system user, saying
    which (the CLI talks to the store directly, so it is not checked)."""
    if author and author.strip():
        return f"{author.strip()} (CLI, --author)"
    return f"{_os_user()} (CLI, operating-system user)"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown user"
