"""The Streamlit settings the product depends on (offline assets, no tracebacks, no telemetry)."""

from __future__ import annotations

import hashlib
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


def test_a_map_loads_zonewatch_s_scripts_as_one_file(tmp_path):
    """streamlit-folium loads a map's scripts one after another: ZoneWatch's own come as
    one bundle (written by install_static, every script in order), whose URL changes with
    any of them."""
    from geo import assets
    from geo.render import MapLayers, build_map
    from views.livemap import map_parts

    assets.install_static(tmp_path)
    bundle = (tmp_path / "zonewatch" / assets.ZONEWATCH_BUNDLE).read_text(encoding="utf-8")
    at = [bundle.index((assets.ZONEWATCH_DIR / n).read_text(encoding="utf-8").rstrip())
          for n in assets.ZONEWATCH_SCRIPTS]  # fmt: skip
    assert at == sorted(at) and at[0] < 100  # each script whole, in order, core.js first
    assert bundle == assets.bundle_source()
    (tmp_path / "zonewatch" / assets.ZONEWATCH_BUNDLE).write_text("stale")
    assert assets.install_static(tmp_path) is True  # an old bundle is replaced
    from geo import shipped

    fmap = build_map(
        MapLayers(
            zones=shipped.zones().head(1), places=shipped.places().head(2), events=None,
            admin0=shipped.admin(0), admin1=shipped.admin(1), event_attribution={},
            place_attribution="GeoNames",
        ),
        live_events=True,
    )  # fmt: skip
    js = map_parts(fmap)["js_links"]
    assert js == [assets.LEAFLET_JS, assets.ZONEWATCH_JS[0][1]]
    assert js[1].startswith(f"{assets.STATIC_URL}/zonewatch/bundle.js?v=")
    # the version follows the content
    assert js[1].rsplit("=", 1)[1] == hashlib.sha256(bundle.encode()).hexdigest()[:12]
