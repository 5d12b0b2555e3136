"""Issue 14, item 4: the Map page's Python per rerun. Its map is rendered without any
Jinja compile of what the elements give (branca compiles each element's rendered script
as a template: with the browser code and the zone GeoJSON in it, that was most of a
rerun), and the base map's JSON is made once per store revision and zones."""

from __future__ import annotations

import jinja2
from streamlit_folium import _get_feature_group_string, _get_map_string

from geo.render import MapLayers, build_map, event_view_group


def _rerun(shipped_layers, key="k"):
    """What a Map rerun does with its map (as st_folium does with it)."""
    m = build_map(shipped_layers, all_types=["Air strike"], share_view=True, live_events=True,
                  cache_key=key)  # fmt: skip
    m.get_root().render()
    m.render()
    script = _get_map_string(m)
    _get_feature_group_string(event_view_group({"key": "v"}), m)
    return m, script


def test_a_map_rerun_compiles_no_template(shipped_layers, monkeypatch):
    _rerun(shipped_layers)
    compiled = []
    real = jinja2.Environment.from_string

    def counting(self, source, *args, **kwargs):
        compiled.append(source[:60])
        return real(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "from_string", counting)
    _rerun(shipped_layers)
    # folium's Figure makes one fixed <meta> element of its own when created; nothing else
    assert len(compiled) <= 1, compiled


def test_the_base_map_json_is_made_once_per_key(shipped_layers):
    zones = shipped_layers.zones

    def payloads(m):
        return {type(c).__name__: c.payload for c in m._children.values() if hasattr(c, "payload")}

    first, script = _rerun(shipped_layers, key=("rev1", "as of 2019"))
    again, script_again = _rerun(shipped_layers, key=("rev1", "as of 2019"))
    assert script_again.count("window.zw.zones(") == 1
    a, b = payloads(first), payloads(again)
    assert a.keys() >= {"ZoneLayer", "PlaceLayer", "AdminLayer", "OutlineLayer", "Legend"}
    assert all(a[k] is b[k] for k in ("ZoneLayer", "PlaceLayer", "AdminLayer", "Legend"))
    # other zones under another key: made anew, and different
    fewer = MapLayers(**{**shipped_layers.__dict__, "zones": zones.head(2)})
    other, _ = _rerun(fewer, key=("rev1", "as of 2017"))
    assert payloads(other)["ZoneLayer"] is not a["ZoneLayer"]
    assert payloads(other)["ZoneLayer"] != a["ZoneLayer"]
    # no key: nothing kept
    plain = build_map(shipped_layers, all_types=["Air strike"], live_events=True)
    assert payloads(plain)["ZoneLayer"] == a["ZoneLayer"]
    assert payloads(plain)["ZoneLayer"] is not a["ZoneLayer"]
