"""Sign-in for real: a real OpenID Connect provider (``oidc-provider-mock``) on 127.0.0.1,
the app configured for it by a secrets.toml of the test's own (``--secrets.files``: the
repository's .streamlit is never touched), driven in Debian's Chromium. All offline.

Roles: ``@team.example.org`` edits, ``boss@x.org`` administers, anyone else views.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest
import test_browser
from test_browser import Session, _free_port, _start_app, _stop_app, _wait_for
from test_browser_zones import _grid, _report, _save, _select, _try

browser = test_browser.browser
pytestmark = pytest.mark.browser

T = 60_000
COOKIE_SECRET = "zonewatch-test-cookie-secret-8f2d"
USERS = {
    "ed": {"email": "ed@team.example.org"},
    "reader": {"email": "reader@elsewhere.org"},
    "boss": {"email": "boss@x.org"},
}
ZONE_NAME = "Signed-in test zone"
ZONE_ID = "signed_in_test_zone"
WRITE_PAGES = ("Import events", "Zones", "Admin")


def _get(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture(scope="module")
def oidc():
    """A real OpenID Connect provider on a free port of 127.0.0.1, with two users."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _get(f"{url}/.well-known/openid-configuration")
        for sub, claims in USERS.items():
            req = urllib.request.Request(
                f"{url}/users/{sub}",
                data=json.dumps(claims).encode(),
                method="PUT",
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=10) as r:
                assert r.status in (200, 204)
        yield url
    finally:
        _stop_app(proc)


def _serve(store, address: str, secrets, env=None) -> tuple[subprocess.Popen, str]:
    """The app on ``address`` (reached through 127.0.0.1), reading only ``secrets``."""
    port = _free_port() if not isinstance(secrets, tuple) else secrets[1]
    path = secrets[0] if isinstance(secrets, tuple) else secrets
    keep = (env or {}).get("ZONEWATCH_ALLOW_ANONYMOUS_WRITES")
    return _start_app(
        store,
        address=address,
        port=port,
        args=("--secrets.files", str(path)),
        env=env,
        unset=() if keep else ("ZONEWATCH_ALLOW_ANONYMOUS_WRITES",),
    )


def _team_app(tmp, session_store_path, oidc, roles: str):
    """The app with sign-in configured for the provider, on its own copy of the store."""
    store = tmp / "zonewatch.gpkg"
    shutil.copyfile(session_store_path, store)
    port = _free_port()
    secrets = tmp / "secrets.toml"
    secrets.write_text(
        f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{COOKIE_SECRET}"
client_id = "zonewatch"
client_secret = "zonewatch-test-secret"
server_metadata_url = "{oidc}/.well-known/openid-configuration"

[zonewatch]
{roles}
"""
    )
    proc, url = _serve(store, "127.0.0.1", (secrets, port))
    return proc, url, store


@pytest.fixture(scope="module")
def team(tmp_path_factory, session_store_path, oidc):
    roles = 'editors = ["@team.example.org"]\nadmins = ["boss@x.org"]'
    proc, url, store = _team_app(tmp_path_factory.mktemp("team"), session_store_path, oidc, roles)
    yield url, store
    _stop_app(proc)


def _context(browser):
    return browser.new_context(viewport={"width": 1400, "height": 950})


def _sidebar(s: Session):
    return s.page.get_by_test_id("stSidebar")


def _sign_in(s: Session, sub: str) -> None:
    """Sign in through the provider's own authorisation page, as a person would."""
    _sidebar(s).get_by_role("button", name="Sign in").click(timeout=T)
    s.page.locator("input[name=sub]").fill(sub, timeout=T)
    s.page.get_by_role("button", name="Authorize").click()
    _sidebar(s).get_by_text("Signed in as").wait_for(timeout=T)


def _nav_titles(s: Session) -> set[str]:
    # the navigation is drawn once the page has run past page_setup
    _sidebar(s).get_by_test_id("stPageLink-NavLink").first.wait_for(timeout=T)
    return {x.inner_text() for x in _sidebar(s).get_by_test_id("stPageLink-NavLink").all()}


def _nav_when(s: Session, ok) -> set[str]:
    """The navigation's titles once ``ok(titles)`` holds (or as they are after T ms): a
    sign-in's run draws the sidebar's "Signed in as" and the navigation's new pages in
    separate messages, and on a starved machine the first can show before the second."""
    deadline = time.monotonic() + T / 1000
    titles = _nav_titles(s)
    while not ok(titles) and time.monotonic() < deadline:
        s.page.wait_for_timeout(200)
        titles = _nav_titles(s)
    return titles


def _open(s: Session, url: str, heading: str | None = None) -> None:
    s.page.goto(url)
    if heading:
        s.page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=T)


def _refused(s: Session) -> str:
    """The page's refusal (a warning), once the page has run."""
    box = s.page.get_by_test_id("stAlertContentWarning").filter(has_text="not for you")
    box.wait_for(timeout=T)
    return box.inner_text()


def _history(store):
    from geo.store import open_store

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZONEWATCH_STORE", str(store))
        mp.delenv("DATABASE_URL", raising=False)
        return open_store(seed=False).history()


def _no_writing_controls(s: Session, url: str) -> None:
    """No import, no upload or drawing, no rollback: pages refused, controls absent."""
    assert not set(WRITE_PAGES) & _nav_titles(s)
    for path in ("/import_events", "/zones", "/admin"):
        _open(s, url + path)
        assert "not for you" in _refused(s)
        assert s.page.get_by_test_id("stFileUploader").count() == 0
        assert s.page.get_by_role("button", name="Import").count() == 0
    _open(s, url + "/zone_history", "Zone history")
    s.page.get_by_role("heading", name="Compare two versions").wait_for(timeout=T)
    time.sleep(2)  # the page has run to its end
    assert s.page.get_by_text("Roll back", exact=True).count() == 0
    assert s.page.get_by_role("button", name="Add a version equal to it").count() == 0


def test_a_viewer_sees_no_upload_and_no_import(team, browser):
    url, _ = team
    ctx = _context(browser)
    s = Session(ctx, url + "/sources")
    s.page.get_by_role("heading", name="Sources", exact=True).wait_for(timeout=T)
    _sign_in(s, "reader")
    assert "reader@elsewhere.org (viewer)" in _sidebar(s).inner_text()
    assert {"Map", "Events", "Zone history", "Sources"} <= _nav_titles(s)
    _no_writing_controls(s, url)
    ctx.close()


def test_an_editor_uploads_a_zone_and_the_history_names_them_then_signs_out(
    team, browser, tmp_path
):
    url, store = team
    ring = [[36.60, 34.80], [36.80, 34.80], [36.80, 34.95], [36.60, 34.95], [36.60, 34.80]]
    doc = {
        "type": "Feature",
        "properties": {"name": ZONE_NAME},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path = tmp_path / "signed.geojson"
    path.write_text(json.dumps(doc))

    ctx = _context(browser)
    s = Session(ctx, url + "/sources")
    s.page.get_by_role("heading", name="Sources", exact=True).wait_for(timeout=T)
    # Before signing in: a viewer like anyone.
    assert not {"Zones", "Import events"} & _nav_titles(s)
    _sign_in(s, "ed")
    assert "ed@team.example.org (editor)" in _sidebar(s).inner_text()
    titles = _nav_when(s, lambda t: {"Zones", "Import events"} <= t)
    assert {"Zones", "Import events"} <= titles and "Admin" not in titles

    _open(s, url + "/zones", "Zones")
    s.page.get_by_test_id("stFileUploader").wait_for(timeout=T)
    assert s.page.get_by_role("textbox", name="Author").count() == 0  # no longer typed
    s.page.locator("input[type=file]").set_input_files(str(path))
    s.page.get_by_text(re.compile(r"1 accepted or repaired, 0 refused")).wait_for(timeout=T)
    _report(s)
    assert s.page.get_by_text("ed@team.example.org").count() >= 1  # "saved as added by"
    assert _save(s).startswith(f"Saved {ZONE_ID} version 1")

    # The Zone history names the signed-in editor, and so does the store's history.
    _open(s, url + "/zone_history", "Zone history")
    _select(s, "Zone", f"{ZONE_NAME} ({ZONE_ID})")
    rows = _wait_for(lambda: (r := _try(lambda: _grid(s.page))) and len(r) == 1 and r, timeout=60)
    assert rows[0]["author"] == "ed@team.example.org"
    last = _history(store).iloc[-1]
    assert (last["kind"], last["who"]) == ("zone_version", "ed@team.example.org")

    # Signing out removes the rights.
    _sidebar(s).get_by_role("button", name="Sign out").click()
    _wait_for(lambda: not [c for c in ctx.cookies() if c["name"].startswith("_streamlit_user")])
    _open(s, url + "/sources", "Sources")
    _sidebar(s).get_by_role("button", name="Sign in").wait_for(timeout=T)
    _no_writing_controls(s, url)
    ctx.close()


def test_an_admin_restores_a_backup_and_sees_the_write_history(
    team, browser, tmp_path, session_store_path
):
    url, store = team
    from geo.store.backup import backup as write_backup
    from geo.store.gpkg import GeoPackageStore

    backup = tmp_path / "team-backup.gpkg"
    write_backup(GeoPackageStore.open(session_store_path, seed=False), backup)
    ctx = _context(browser)
    s = Session(ctx, url + "/sources")
    s.page.get_by_role("heading", name="Sources", exact=True).wait_for(timeout=T)
    _sign_in(s, "boss")
    assert "boss@x.org (admin)" in _sidebar(s).inner_text()
    assert "Admin" in _nav_when(s, lambda t: "Admin" in t)
    _open(s, url + "/admin", "Admin")
    rows = _wait_for(lambda: _try(lambda: _grid(s.page)), timeout=60)
    assert "seed" in {r["what"] for r in rows}
    s.page.locator("input[type=file]").set_input_files(str(backup))
    s.page.get_by_role("button", name="Restore").click(timeout=T)
    ok = s.page.get_by_test_id("stAlertContentSuccess")
    ok.wait_for(timeout=T)
    assert ok.inner_text().startswith("Restored:")
    last = _history(store).iloc[-1]
    assert (last["kind"], last["who"], last["file_name"]) == (
        "restore",
        "boss@x.org",
        "team-backup.gpkg",
    )
    ctx.close()


def _signed(payload: dict, secret: str = COOKIE_SECRET, age_days: float = 0) -> str:
    """A user cookie signed as Streamlit signs it (itsdangerous, salted with the cookie's
    name), ``age_days`` old."""
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class Aged(TimestampSigner):
        def get_timestamp(self):
            return int(time.time() - age_days * 86400)

    ser = URLSafeTimedSerializer(secret, salt="_streamlit_user", signer=Aged)
    return ser.dumps(json.dumps(payload))


def _with_cookie(browser, url: str, value: str) -> Session:
    ctx = _context(browser)
    ctx.add_cookies([{"name": "_streamlit_user", "value": value, "url": url}])
    s = Session(ctx, url + "/sources")
    s.page.get_by_role("heading", name="Sources", exact=True).wait_for(timeout=T)
    return s


def test_a_tampered_or_expired_cookie_gets_no_rights(team, browser):
    url, _ = team
    boss = {
        "email": "boss@x.org",
        "sub": "boss",
        "origin": url,
        "is_logged_in": True,
        "provider": "default",
    }
    # The control: a cookie signed with the server's secret, today, is an admin.
    s = _with_cookie(browser, url, _signed(boss))
    assert "boss@x.org (admin)" in _sidebar(s).inner_text()
    assert "Admin" in _nav_when(s, lambda t: "Admin" in t)
    s.page.context.close()

    genuine = _signed({**boss, "email": "reader@elsewhere.org"})
    body, stamp, sig = genuine.rsplit(".", 2)
    forged_body = _signed(boss).rsplit(".", 2)[0]
    cases = {
        "claims changed, signature kept": f"{forged_body}.{stamp}.{sig}",
        "signed with another secret": _signed(boss, secret="not-the-server-secret"),
        "expired (40 days old)": _signed(boss, age_days=40),
        "another origin": _signed({**boss, "origin": "http://127.0.0.1:1"}),
    }
    for case, value in cases.items():
        s = _with_cookie(browser, url, value)
        sidebar = _sidebar(s)
        sidebar.get_by_role("button", name="Sign in").wait_for(timeout=T)
        assert "Signed in as" not in sidebar.inner_text(), case
        assert not set(WRITE_PAGES) & _nav_titles(s), case
        _open(s, url + "/admin")
        assert "not for you" in _refused(s), case
        assert s.page.get_by_test_id("stFileUploader").count() == 0, case
        s.page.context.close()


def test_a_network_server_without_sign_in_refuses_writes(browser, tmp_path, session_store_path):
    store = tmp_path / "zonewatch.gpkg"
    shutil.copyfile(session_store_path, store)
    none = tmp_path / "no-secrets.toml"  # no secrets file at all: no [auth]
    proc, url = _serve(store, "0.0.0.0", none)
    try:
        ctx = _context(browser)
        s = Session(ctx, url + "/sources")
        s.page.get_by_role("heading", name="Sources", exact=True).wait_for(timeout=T)
        assert "Read-only" in _sidebar(s).inner_text()
        _open(s, url + "/zones")
        message = _refused(s)
        assert "0.0.0.0 without sign-in" in message and "[auth]" in message
        assert "ZONEWATCH_ALLOW_ANONYMOUS_WRITES=1" in message
        _no_writing_controls(s, url)
        ctx.close()
    finally:
        _stop_app(proc)
    # Deliberately allowed by the operator: the upload is offered again.
    proc, url = _serve(store, "0.0.0.0", none, env={"ZONEWATCH_ALLOW_ANONYMOUS_WRITES": "1"})
    try:
        ctx = _context(browser)
        s = Session(ctx, url + "/zones")
        s.page.get_by_test_id("stFileUploader").wait_for(timeout=T)
        assert "Zones" in _nav_titles(s)
        ctx.close()
    finally:
        _stop_app(proc)


def test_sign_in_to_view_shows_nothing_before_sign_in(browser, tmp_path, session_store_path, oidc):
    proc, url, _ = _team_app(tmp_path, session_store_path, oidc, "sign_in_to_view = true")
    try:
        ctx = _context(browser)
        s = Session(ctx, url + "/events")
        s.page.get_by_role("heading", name="Sign in to view ZoneWatch").wait_for(timeout=T)
        time.sleep(2)  # the page has run to its end
        assert s.page.get_by_test_id("stPageLink-NavLink").count() == 0
        assert s.page.get_by_role("heading", name="Events", exact=True).count() == 0
        assert s.page.get_by_text(re.compile(r"Showing [\d,]+ of")).count() == 0
        s.page.get_by_test_id("stMain").get_by_role("button", name="Sign in").click()
        s.page.locator("input[name=sub]").fill("reader", timeout=T)
        s.page.get_by_role("button", name="Authorize").click()
        _sidebar(s).get_by_text("Signed in as").wait_for(timeout=T)
        assert "reader@elsewhere.org (viewer)" in _sidebar(s).inner_text()
        assert "Events" in _nav_titles(s) and not set(WRITE_PAGES) & _nav_titles(s)
        ctx.close()
    finally:
        _stop_app(proc)
