"""The map script: offline assets only, every value from data escaped, http(s) links only."""

from __future__ import annotations

import json
import re
from html import escape as html_escape

import pandas as pd
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
    # Leaflet (vendor/) and ZoneWatch's own browser code (zonewatch/), both from the app
    assert all(
        u.startswith(("/app/static/vendor/", "/app/static/zonewatch/")) for u in srcs + hrefs
    ), srcs + hrefs
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
    from geo.assets import ZONEWATCH_DIR

    html = _html(base, events=base["events"].head(2))
    code = html + "".join(p.read_text() for p in ZONEWATCH_DIR.glob("*.js"))  # the map's code
    assert "innerHTML" not in code
    assert "textContent" in code
    assert "bindPopup(function" in code


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


# --- issue 15: dates, uploaded zones, one colour per type, distinct zone colours ---------


def governorate_zones(versions, valid_from=None):
    """The 14 OCHA governorates as new zone versions, made the way the Zones page makes
    them from an uploaded GeoJSON file (the upload gate, the matching, the same fields)."""
    from datetime import date

    from geo import zones as zone_rules
    from geo.uploads.zones import read_zone_file

    admin1 = shipped.admin(1)[["name_en", "name_ar", "geometry"]]
    upload = read_zone_file(admin1.to_json().encode(), "governorates.geojson")
    assert len(upload.accepted) == 14
    targets = zone_rules.match(upload.accepted, versions)
    return zone_rules.new_versions(
        upload.accepted,
        targets,
        versions,
        valid_from=valid_from or date(2019, 12, 31),
        author="Test analyst",
        note="The 14 governorates",
        status="proposed",
        sources="OCHA COD-AB, HDX",
        method=f"Uploaded as {upload.format}",
    )


def _payloads(html: str, kind: str) -> list[dict]:
    return [
        json.JSONDecoder().raw_decode(html, m.end())[0]
        for m in re.finditer(r"window\.zw\." + kind + r"\(\s*\w+,\s*", html)
    ]


@pytest.fixture(scope="module")
def with_governorates(base):
    from datetime import date

    import pandas as pd

    from geo.zones import in_force

    versions = shipped.zones()  # every shipped version
    uploaded = governorate_zones(versions, valid_from=date(2017, 5, 1))
    # May 2017: the four zones of the memorandum and the 14 governorates
    return in_force(pd.concat([versions, uploaded], ignore_index=True), date(2017, 5, 31))


def test_no_missing_date_reaches_a_zone_popup(base, with_governorates):
    html = _html(base, zones=with_governorates, events=base["events"].head(5))
    (zones,) = _payloads(html, "zones")
    assert len(zones["features"]) == 18
    for f in zones["features"]:
        for value in f["properties"].values():
            assert str(value) not in ("NaT", "nan", "None", "<NA>"), f["properties"]
    ghouta = next(f for f in zones["features"] if f["properties"]["zone_id"] == "eastern_ghouta")
    assert ghouta["properties"]["memorandum_date"] == "2017-05-04"
    homs = next(f for f in zones["features"] if f["properties"]["zone_id"] == "homs")
    assert homs["properties"]["memorandum_date"] == ""  # shown as no row at all


def test_no_missing_date_reaches_an_event_popup(base):
    from geo.render import event_detail

    row = base["events"].head(2).copy()
    row["date_end"] = pd.NaT  # never stored so, but no popup may ever say "NaT"
    detail = event_detail(row.head(1), 1, shipped.ATTRIBUTION)
    assert "NaT" not in json.dumps(detail) and "nan" not in json.dumps(detail)
    payload = event_payload(row, {})
    end = payload["cols"]["date_end"]
    assert "NaT" not in json.dumps(end) and "nan" not in json.dumps(end)


def test_an_uploaded_zone_says_what_it_is(base, with_governorates):
    html = _html(base, zones=with_governorates, events=base["events"].head(5))
    (zones,) = _payloads(html, "zones")
    by_id = {f["properties"]["zone_id"]: f["properties"] for f in zones["features"]}
    idlib, homs = by_id["idlib"]["_note"], by_id["homs"]["_note"]
    assert "reconstructed from public reporting" in idlib  # the shipped zones: as before
    assert "reconstructed from public reporting" not in homs
    assert "No official map" not in homs
    for words in ("proposed", "Uploaded as GeoJSON", "OCHA COD-AB, HDX", "Test analyst"):
        assert words in homs, homs
    assert by_id["homs"]["author"] == "Test analyst"


def test_a_type_has_one_colour_whatever_the_subset_shown():
    from geo.colors import event_type_colors
    from geo.render import event_types_legend

    store_types = [
        "Air strike",
        "Battles",
        "Missile strike",
        "One-sided violence",
        "Shelling",
        "State-based conflict",
        "Drone strike",
        "Non-state conflict",
        "Looting",
        "Shoot-down",
    ]
    legend = event_types_legend(store_types)
    assert [t for t, _ in legend] == store_types  # the order given
    colours = dict(legend)
    assert len(set(colours.values())) == len(store_types)  # one colour per type
    assert dict(event_types_legend(sorted(store_types))) == colours  # order does not matter
    assert event_type_colors(store_types) == colours
    many = [f"type {i:02d}" for i in range(60)]
    assert len(set(event_type_colors(many).values())) == 60


def test_report_maps_colour_types_from_the_full_list(base):
    events = base["events"].copy()
    # a report map shows a few types only; the store has more, some without a fixed colour
    events["event_type"] = ["Shelling" if i % 2 else "Drone strike" for i in range(len(events))]
    store_types = ["Air strike", "Drone strike", "Looting", "Shelling", "State-based conflict"]
    layers = MapLayers(
        **{**base, "events": events.head(40)}, event_attribution={}, place_attribution=""
    )
    html = build_map(layers, all_types=store_types).get_root().render()
    (payload,) = _payloads(html, "events")
    (legend,) = _payloads(html, "legend")
    from geo.render import event_types_legend

    expected = dict(event_types_legend(store_types))
    shown = dict(zip(payload["cols"]["event_type"]["dict"], payload["colors"], strict=True))
    assert shown == {t: expected[t] for t in shown}
    assert dict(legend["events"]) == expected


def test_zones_get_distinct_colours(base, with_governorates):
    html = _html(base, zones=with_governorates, events=base["events"].head(5))
    (zones,) = _payloads(html, "zones")
    (legend,) = _payloads(html, "legend")
    colours = [f["properties"]["_color"] for f in zones["features"]]
    assert len(set(colours)) == len(colours) == 18
    assert [c for _, c in legend["zones"]] == colours
    from geo.colors import zone_colors

    assert len(set(zone_colors([f"z{i}" for i in range(80)]).values())) == 80


def test_html_report_lists_its_sources_without_stray_punctuation(store_env):
    from test_zone_report import _ghouta_report

    from geo.attribution import attributions
    from geo.report import report_html

    report = _ghouta_report()
    sources = {**attributions(["ucdp", "curated"]), "places": "GeoNames (geonames.org), CC BY 4.0"}
    page = report_html(report, "<p>map</p>", sources)
    assert ".;" not in page and ". ;" not in page
    section = page[page.index('id="sources"') :]
    for name, text in sources.items():
        assert f"<li>{name}: {html_escape(text)}</li>" in section
