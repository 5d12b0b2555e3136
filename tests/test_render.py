"""The map script: offline assets only, every value from data escaped, http(s) links only."""

from __future__ import annotations

import json
import re

import pytest

from geo import shipped
from geo.render import MapLayers, build_map, event_payload, js_literal

HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>${alert(3)}`'\""


@pytest.fixture(scope="module")
def base():
    return {
        "zones": shipped.zones(),
        "places": shipped.places(),
        "events": shipped.events(),
        "admin0": shipped.admin(0),
        "admin1": shipped.admin(1),
    }


def _html(base, **changes) -> str:
    layers = MapLayers(
        **{**base, **changes}, event_attribution=shipped.ATTRIBUTION, place_attribution="GeoNames"
    )
    return build_map(layers).get_root().render()


def test_assets_are_served_by_the_app(base):
    html = _html(base, events=base["events"].head(10))
    srcs = re.findall(r'<script[^>]+src="([^"]+)"', html)
    hrefs = re.findall(r'<link[^>]+href="([^"]+)"', html)
    assert srcs and hrefs
    assert all(u.startswith("/app/static/vendor/") for u in srcs + hrefs), srcs + hrefs
    # No tile layer unless asked for: the basemap is the OCHA outline.
    assert "tile.openstreetmap" not in html and "L.tileLayer" not in html


def test_online_tiles_only_when_asked(base):
    layers = MapLayers(
        **{**base, "events": base["events"].head(1)}, event_attribution={}, place_attribution=""
    )
    assert "L.tileLayer" in build_map(layers, online_tiles=True).get_root().render()


def test_hostile_values_cross_as_escaped_json_only(base):
    zones = base["zones"].copy()
    zones.loc[0, "name_en"] = HOSTILE
    zones.loc[1, "sources"] = HOSTILE
    places = base["places"].copy()
    places.loc[0, "name_en"] = HOSTILE
    events = base["events"].head(3).copy()
    events.loc[events.index[0], "actor1"] = HOSTILE
    events.loc[events.index[1], "source"] = HOSTILE
    html = _html(base, zones=zones, places=places, events=events)
    assert "<img src=x" not in html
    assert "alert(2)</script>" not in html
    assert html.count("<script>alert(2)") == 0
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    # Data never brings a raw backtick, so no value can close or open a template literal.
    assert "${alert(3)}\\u0060" in html
    assert "${alert(3)}`" not in html


def test_popups_use_text_not_html(base):
    html = _html(base, events=base["events"].head(2))
    assert "innerHTML" not in html
    assert "textContent" in html
    assert "bindPopup(function" in html


def test_javascript_links_never_reach_the_page(base):
    events = base["events"].head(2).copy()
    events["source_url"] = ["javascript:alert(1)", "https://example.org/report"]
    payload = event_payload(events, {})
    col = payload["cols"]["source_url"]
    urls = [col["dict"][c] for c in col["codes"]] if isinstance(col, dict) else col
    assert urls == ["", "https://example.org/report"]


def test_event_payload_holds_exactly_the_events(base):
    events = base["events"].iloc[100:160]
    payload = event_payload(events, shipped.ATTRIBUTION)
    assert payload["n"] == 60 == len(payload["lat"]) == len(payload["cols"]["event_type"]["codes"])
    assert payload["lat"][0] == pytest.approx(events["latitude"].iloc[0], abs=1e-5)


def test_js_literal_is_script_safe():
    text = str(js_literal({"a": "</script><!--", "b": "\u2028"}))
    assert "<" not in text and ">" not in text
    assert json.loads(text) == {"a": "</script><!--", "b": "\u2028"}


def test_popup_shows_every_field_of_the_model(base):
    from geo.render import POPUP_ORDER
    from geo.schema import EVENT_COLUMNS

    assert sorted(POPUP_ORDER) == sorted(EVENT_COLUMNS)
    payload = event_payload(base["events"].head(1), shipped.ATTRIBUTION)
    assert [f for f, _ in payload["fields"]] == list(POPUP_ORDER)


def test_shapes_map_fits_the_last_layer_that_has_a_shape():
    import json as _json
    import re as _re

    import shapely as _shapely

    from geo.render import Shapes, shapes_map

    square = _shapely.box(36.3, 33.5, 36.5, 33.6)
    fmap = shapes_map(
        shipped.admin(0),
        [
            Shapes("Version 2", [("v2", square)], "#000"),
            Shapes("Version 3", [("v3", square)], "#111"),
            Shapes("Area added", [("+0", _shapely.MultiPolygon())], "#0f0"),  # nothing added
        ],
    )
    html = fmap.get_root().render()
    payloads = [
        _json.JSONDecoder().raw_decode(html, m.end())[0]
        for m in _re.finditer(r"window\.zw\.shapes\(\s*\w+,\s*", html)
    ]
    assert [p["fit"] for p in payloads] == [False, True, False]
    assert payloads[2]["features"] == []


def test_a_clicked_events_details_stay_text_and_links_stay_http(base):
    from streamlit_folium import _get_feature_group_string

    from geo.render import POPUP_ORDER, event_detail, event_view_group

    row = base["events"].head(1).copy()
    row["location"] = "<img src=x onerror=alert(1)>"
    row["notes"] = "</script><script>alert(2)</script>"
    row["source_url"] = "javascript:alert(3)"
    detail = event_detail(row, 7, shipped.ATTRIBUTION)
    assert detail["fid"] == 7 and len(detail["rows"]) == len(POPUP_ORDER) + 1
    values = {label: value for label, value, _ in detail["rows"]}
    assert "<img src=x onerror=alert(1)>" in values.values()  # kept as text...
    assert all(kind in (None, "url") for _, _, kind in detail["rows"])
    assert "javascript" not in json.dumps(detail)  # ...a non-http link is dropped
    m = build_map(
        MapLayers(
            zones=base["zones"],
            places=base["places"],
            events=None,
            admin0=base["admin0"],
            admin1=base["admin1"],
            event_attribution={},
            place_attribution="GeoNames",
        ),
        live_events=True,
    )
    m.get_root().render()
    script = _get_feature_group_string(event_view_group({"key": "k", "detail": detail}), m)
    assert "<img" not in script and "</script>" not in script  # ...and escaped in the script
    assert event_detail(row.head(0), 7, {}) is None
