"""The Streamlit settings the product depends on (offline assets, no tracebacks, no telemetry)."""

from __future__ import annotations

import tomllib

from conftest import ROOT


def test_streamlit_config():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True  # Leaflet served at /app/static
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["showErrorDetails"] == "none"  # users never see tracebacks
    assert config["browser"]["gatherUsageStats"] is False  # no request beyond the app's host


def test_static_assets_install_from_the_pinned_package(tmp_path):
    from geo.assets import install_static

    assert install_static(tmp_path) is True
    js = tmp_path / "vendor" / "leaflet" / "leaflet.js"
    assert js.stat().st_size > 100_000 and b"Leaflet" in js.read_bytes()[:2000]
    assert (tmp_path / "vendor" / "leaflet" / "leaflet.css").exists()
    assert install_static(tmp_path) is False  # second time: nothing to do
