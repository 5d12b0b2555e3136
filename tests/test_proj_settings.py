"""PROJ's network setting: applied by the entry points (``app.py``, the CLI's ``main``) and
by the upload gate before each read, never by importing a module."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
import streamlit as st
from pyproj.network import is_network_enabled, set_network_enabled
from streamlit.testing.v1 import AppTest
from zone_corpus import cases

from conftest import ROOT
from geo.uploads.zones import read_zone_file


@pytest.fixture
def proj_network_on(monkeypatch):
    """PROJ's network switched on, as a user's environment might have it; put back after."""
    monkeypatch.setenv("PROJ_NETWORK", "ON")
    set_network_enabled(active=True)
    assert is_network_enabled() and _network_in_a_new_thread()
    yield
    set_network_enabled(active=False)


def _network_in_a_new_thread() -> bool:
    """Whether PROJ would use the network in a thread started now (pyproj keeps one
    context per thread; a new one takes the process-wide setting, as a page's script
    thread does)."""
    seen = []
    thread = threading.Thread(target=lambda: seen.append(is_network_enabled()))
    thread.start()
    thread.join(30)
    return seen[0]


def _python(code: str) -> str:
    cmd, env = [sys.executable, "-c", code], {**os.environ, "PROJ_NETWORK": "ON"}
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_importing_the_gate_leaves_proj_settings_alone():
    code = (
        "import os\n"
        "import geo.uploads, geo.uploads.zones, geo.uploads.crs\n"
        "from pyproj.network import is_network_enabled\n"
        "print(is_network_enabled(), os.environ['PROJ_NETWORK'])\n"
    )
    assert _python(code) == "True ON"


def test_the_cli_switches_proj_network_off_at_start_without_loading_pyproj():
    code = (
        "import contextlib, io, os, sys\n"
        "from geo.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('pyproj' in sys.modules, os.environ['PROJ_NETWORK'])\n"
        "from pyproj.network import is_network_enabled\n"
        "print(is_network_enabled())\n"
    )
    assert _python(code).splitlines() == ["False OFF", "False"]


def test_app_switches_proj_network_off(proj_network_on, store_env):
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert not _network_in_a_new_thread()
    assert os.environ["PROJ_NETWORK"] == "OFF"


def test_a_read_runs_with_proj_off_the_network_whoever_calls_it(proj_network_on):
    """Code that never called configure_proj (a test, a notebook) is kept safe too: the
    network is off at every step of a read, reprojection included."""
    data = {c[0]: c for c in cases()}["shp-utm37n"][2]
    steps = []
    upload = read_zone_file(
        data, "zones.zip", progress=lambda _f, msg: steps.append((msg, is_network_enabled()))
    )
    assert upload.crs == "EPSG:32637" and upload.accepted  # reprojected through PROJ
    assert len(steps) > 3 and not any(on for _msg, on in steps), steps
