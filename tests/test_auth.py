"""Sign-in and roles (geo/auth.py), and the check every write path makes in the store.

The browser flow against a real OpenID Connect provider is tests/test_browser_auth.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import shapely

from conftest import ROOT
from geo import auth
from geo import zones as zone_rules
from geo.auth import Identity, Policy, Roles
from geo.errors import InputError, NotAllowedError
from geo.store import backup as bk
from geo.store import open_store
from geo.uploads import import_events

FIXTURE = Path(__file__).parent / "data" / "acled_fixture.csv"

SECRETS = {
    "auth": {"client_id": "zonewatch", "cookie_secret": "s"},
    "zonewatch": {"editors": ["Ed@Example.org", "@team.example.org"], "admins": ["boss@x.org"]},
}


def _signed_in(email=None, sub="u1", **extra):
    return {"is_logged_in": True, "sub": sub, **({"email": email} if email else {}), **extra}


# --- roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "sub", "role"),
    [
        ("ed@example.org", "a", auth.EDITOR),  # listed, other case
        ("ED@EXAMPLE.ORG", "a", auth.EDITOR),
        ("ana@team.example.org", "a", auth.EDITOR),  # @domain
        ("ana@TEAM.example.org", "a", auth.EDITOR),
        ("ana@sub.team.example.org", "a", auth.VIEWER),  # a subdomain is another domain
        ("ana@evilteam.example.org", "a", auth.VIEWER),
        ("team.example.org@evil.org", "a", auth.VIEWER),
        ("ed@example.org.evil.org", "a", auth.VIEWER),
        ("boss@x.org", "a", auth.ADMIN),
        ("nobody@example.org", "a", auth.VIEWER),
        (None, "svc-42", auth.EDITOR),  # an entry without @ is a sub
        (None, "svc-4", auth.VIEWER),
    ],
)
def test_roles_from_email_domain_and_sub(email, sub, role):
    roles = Roles.from_config(
        {"editors": ["Ed@Example.org", "@team.example.org", "svc-42"], "admins": ["boss@x.org"]}
    )
    assert roles.role_of(email, sub) == role


def test_an_admin_may_do_what_an_editor_may():
    admin = Identity("boss@x.org", auth.ADMIN, signed_in=True)
    editor = Identity("ed@example.org", auth.EDITOR, signed_in=True)
    viewer = Identity("v@example.org", auth.VIEWER, signed_in=True)
    for action in (auth.IMPORT, auth.UPLOAD, auth.DRAW, auth.ROLLBACK):
        assert admin.may(action) and editor.may(action) and not viewer.may(action)
    assert admin.may(auth.RESTORE) and not editor.may(auth.RESTORE)
    assert admin.may(auth.HISTORY) and not editor.may(auth.HISTORY)
    assert all(i.may(auth.VIEW) for i in (admin, editor, viewer))


@pytest.mark.parametrize(
    ("section", "fragment"),
    [
        ({"editors": "ana@x.org", "viewers": []}, "unknown setting 'viewers'"),
        ({"editors": [1, 2]}, "must be a list of e-mail addresses"),
        ({"admins": ["@"]}, "empty entry"),
        ({"sign_in_to_view": "yes"}, "must be true or false"),
    ],
)
def test_bad_roles_say_what_to_fix(section, fragment):
    with pytest.raises(InputError, match=fragment):
        Roles.from_config(section)


def test_a_single_string_is_one_entry():
    assert Roles.from_config({"editors": "ana@x.org"}).role_of("ana@x.org", "s") == auth.EDITOR


# --- identities ------------------------------------------------------------------------------


def test_signed_in_identity_is_the_email_or_the_sub():
    pol = Policy.from_config(SECRETS, "0.0.0.0", environ={})
    ed = pol.identity(_signed_in("ed@example.org"))
    assert (ed.author, ed.role, ed.signed_in) == ("ed@example.org", auth.EDITOR, True)
    nomail = pol.identity(_signed_in(None, sub="f3a9"))
    assert (nomail.author, nomail.role) == ("f3a9", auth.VIEWER)


def test_an_unverified_email_gives_no_role():
    pol = Policy.from_config(SECRETS, "127.0.0.1", environ={})
    who = pol.identity(_signed_in("boss@x.org", email_verified=False))
    assert who.role == auth.VIEWER and who.author == "boss@x.org"


def test_not_signed_in_with_auth_is_a_viewer_or_nobody():
    pol = Policy.from_config(SECRETS, "127.0.0.1", environ={})
    for user in (None, {}, {"is_logged_in": False, "email": "boss@x.org"}):
        who = pol.identity(user)
        assert who.role == auth.VIEWER and not who.signed_in
    closed = Policy.from_config(
        {**SECRETS, "zonewatch": {"sign_in_to_view": True}}, "127.0.0.1", environ={}
    )
    assert not closed.identity(None).may(auth.VIEW)
    assert closed.identity(_signed_in("x@y.org")).may(auth.VIEW)
    with pytest.raises(NotAllowedError, match="sign in to upload"):
        auth.require(pol.identity(None), auth.UPLOAD)


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("", False),  # Streamlit's default: every interface
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("zonewatch.example.org", False),
    ],
)
def test_loopback_addresses(address, loopback):
    assert auth.is_loopback(address) is loopback


def test_without_auth_loopback_is_one_analyst_with_every_right():
    who = Policy.from_config({}, "127.0.0.1", environ={}).identity(None)
    assert who.may(auth.RESTORE) and "no sign-in" in who.author


def test_without_auth_on_the_network_every_write_is_refused():
    who = Policy.from_config({}, "0.0.0.0", environ={}).identity(None)
    assert who.may(auth.VIEW)
    for action in (auth.IMPORT, auth.UPLOAD, auth.DRAW, auth.ROLLBACK, auth.RESTORE):
        with pytest.raises(NotAllowedError) as err:
            auth.require(who, action)
        assert "0.0.0.0" in str(err.value) and "[auth]" in str(err.value)
        assert auth.ALLOW_ANONYMOUS in str(err.value)
    allowed = Policy.from_config({}, "0.0.0.0", environ={auth.ALLOW_ANONYMOUS: "1"})
    assert allowed.identity(None).may(auth.IMPORT)
    # anything but "1" is not a deliberate yes
    assert (
        not Policy.from_config({}, "", environ={auth.ALLOW_ANONYMOUS: "yes"})
        .identity(None)
        .may(auth.IMPORT)
    )


def test_a_plain_author_is_a_trusted_local_caller():
    assert auth.author_of("ana (CLI, --author)", auth.RESTORE) == "ana (CLI, --author)"
    assert auth.cli_identity(" ana ") == "ana (CLI, --author)"
    assert auth.cli_identity(None).endswith("(CLI, operating-system user)")


# --- every write path, checked where the store writes -------------------------------------

POLICY = Policy.from_config(SECRETS, "0.0.0.0", environ={})
VIEWER = POLICY.identity(_signed_in("reader@example.org"))
ANONYMOUS = POLICY.identity(None)
EDITOR = POLICY.identity(_signed_in("ed@example.org"))
ADMIN = POLICY.identity(_signed_in("boss@x.org"))


def _state(store):
    return (len(store.history()), len(store.zone_versions()), store.event_summary().count)


def _boundary(store):
    zone = store.zones(date(2017, 6, 1))
    zone = zone[zone["zone_id"] == "eastern_ghouta"].copy()
    zone["geometry"] = shapely.buffer(zone.geometry.values, -0.01)
    zone["valid_from"] = "2021-01-01"
    zone["author"] = "typed by hand"
    return zone


@pytest.fixture
def store(fresh_store_path):
    return open_store()


@pytest.mark.parametrize("who", [VIEWER, ANONYMOUS], ids=["viewer", "anonymous"])
@pytest.mark.parametrize("action", [auth.UPLOAD, auth.DRAW])
def test_zone_upload_and_draw_need_an_editor(store, who, action):
    before = _state(store)
    with pytest.raises(NotAllowedError):
        store.add_zone_version(_boundary(store), who=who, action=action)
    assert _state(store) == before


@pytest.mark.parametrize("who", [VIEWER, ANONYMOUS], ids=["viewer", "anonymous"])
def test_rollback_needs_an_editor(store, who):
    row = zone_rules.rollback(
        store.zone_versions(), "eastern_ghouta", 1, valid_from=date(2021, 1, 1), author="x"
    )
    before = _state(store)
    with pytest.raises(NotAllowedError, match="roll a zone back"):
        store.add_zone_version(row, who=who, action=auth.ROLLBACK)
    assert _state(store) == before
    (number,) = store.add_zone_version(row, who=EDITOR, action=auth.ROLLBACK)
    assert store.zone_versions().set_index(["zone_id", "version"]).loc[
        ("eastern_ghouta", number), "author"
    ] == ("ed@example.org")


@pytest.mark.parametrize("who", [VIEWER, ANONYMOUS], ids=["viewer", "anonymous"])
def test_import_needs_an_editor(store, who):
    before = _state(store)
    with pytest.raises(NotAllowedError, match="import events"):
        import_events(store, FIXTURE, who=who)
    with pytest.raises(NotAllowedError, match="import events"):  # the store itself too
        store.add_event_chunks([], who=who)
    assert _state(store) == before
    report = import_events(store, FIXTURE, who=EDITOR)
    assert report.imported > 0
    assert store.history().iloc[-1]["who"] == "ed@example.org"


@pytest.mark.parametrize("who", [VIEWER, ANONYMOUS, EDITOR], ids=["viewer", "anonymous", "editor"])
def test_restore_needs_an_admin(store, who, tmp_path):
    backup = tmp_path / "b.gpkg"
    bk.backup(store, backup)
    before = _state(store)
    with pytest.raises(NotAllowedError, match="restore a backup"):
        bk.restore(store, backup, who=who)
    assert _state(store) == before
    bk.restore(store, backup, who=ADMIN)
    last = store.history().iloc[-1]
    assert (last["kind"], last["who"]) == ("restore", "boss@x.org")


@pytest.mark.parametrize("who", [VIEWER, ANONYMOUS], ids=["viewer", "anonymous"])
@pytest.mark.parametrize("drawn", [False, True], ids=["file", "drawing"])
def test_the_zone_workflow_passes_the_identity_to_the_store(store, who, drawn):
    """The Zones page saves through geo.zone_workflow.save: the identity reaches the store,
    checked for the right the save needs (drawing or uploading), and is the author."""
    from zone_corpus import SQUARE

    from geo import zone_workflow
    from geo.uploads.zones import read_zone_file

    if drawn:
        upload = zone_workflow.read_drawing([{"type": "Polygon", "coordinates": [SQUARE]}], "Sq")
    else:
        doc = {"type": "Polygon", "coordinates": [SQUARE]}
        upload = read_zone_file(json.dumps(doc).encode(), "sq.geojson", names={1: "Sq"})
    versions = store.zone_versions()
    plan = zone_workflow.plan(upload, versions)
    args = dict(valid_from=date(2024, 3, 1), author="typed", note="", status="agreed", sources="")
    before = _state(store)
    with pytest.raises(NotAllowedError, match=auth.DRAW if drawn else auth.UPLOAD):
        zone_workflow.save(store, plan, versions, who=who, **args)
    assert _state(store) == before
    (saved,) = zone_workflow.save(store, plan, versions, who=EDITOR, **args)
    row = (
        store.zone_versions()
        .set_index(["zone_id", "version"])
        .loc[(saved.target.zone_id, saved.version)]
    )
    assert row["author"] == "ed@example.org"
    assert store.history().iloc[-1]["who"] == "ed@example.org"


def test_the_author_of_an_app_write_is_the_identity_not_the_typed_name(store):
    (number,) = store.add_zone_version(_boundary(store), who=EDITOR)
    row = store.zone_versions().set_index(["zone_id", "version"]).loc[("eastern_ghouta", number)]
    assert row["author"] == "ed@example.org"
    assert store.history().iloc[-1]["who"] == "ed@example.org"


def test_network_server_without_sign_in_refuses_writes(store):
    who = Policy.from_config({}, "0.0.0.0", environ={}).identity(None)
    before = _state(store)
    with pytest.raises(NotAllowedError, match="ZONEWATCH_ALLOW_ANONYMOUS_WRITES"):
        store.add_zone_version(_boundary(store), who=who)
    assert _state(store) == before


# --- the CLI says who wrote ------------------------------------------------------------------


def test_cli_records_the_os_user_or_author(fresh_store_path):
    exe = shutil.which("zonewatch")
    assert exe
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/nonexistent",
        "ZONEWATCH_STORE": str(fresh_store_path),
    }
    out = subprocess.run(
        [exe, "zones", "rollback", "eastern_ghouta", "1", "--author", "Ana Analyst"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    out = subprocess.run(
        [exe, "import-events", str(FIXTURE)], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    history = open_store().history()
    assert history.iloc[-2]["who"] == "Ana Analyst (CLI, --author)"
    assert history.iloc[-1]["who"].endswith("(CLI, operating-system user)")
    import getpass

    assert history.iloc[-1]["who"].startswith(getpass.getuser())
    versions = open_store().zone_versions()
    assert "Ana Analyst (CLI, --author)" in set(versions["author"])


def test_geo_auth_does_not_import_streamlit():
    code = "import sys, geo.auth; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_every_write_in_the_pages_passes_the_signed_in_identity():
    """The pages never hand the store a typed or fixed author: each write call's ``who`` is
    the session's identity (a name, not a string), so the store checks it."""
    import ast

    writes = {"add_zone_version", "add_events", "add_event_chunks", "import_events", "restore"}
    writes.add("save")  # geo.zone_workflow.save, the Zones page's upload and drawing
    found = 0
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "views").glob("*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in writes:
                continue
            found += 1
            who = {k.arg: k.value for k in node.keywords}.get("who")
            assert who is not None, f"{path.name}:{node.lineno} writes without an identity"
            assert not isinstance(who, ast.Constant | ast.JoinedStr | ast.BinOp | ast.BoolOp), (
                f"{path.name}:{node.lineno} writes with a fixed or typed author"
            )
    assert found >= 4  # import, upload/draw, rollback, restore


def test_the_sidebar_says_who_a_local_analyst_is(store_env):
    """Without sign-in on 127.0.0.1 the sidebar says so, and under which name changes are
    recorded (a new user otherwise learns it only at a save form)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    said = [c.value for c in at.sidebar.caption if "no sign-in" in c.value]
    assert said and "changes are recorded as" in said[0]
