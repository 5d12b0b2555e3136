"""Issue 14, item 4: the Map page sends its map through views.livemap, which turns the
base map into the component's arguments once per base map. What reaches the component
must be exactly what streamlit_folium.st_folium sends for the same map and event layer."""

from __future__ import annotations

import pytest
import streamlit_folium as stf

from geo.render import build_map, event_view_group
from views import livemap


def _make(shipped_layers, online=False):
    def make():
        return build_map(shipped_layers, online_tiles=online, all_types=["Air strike"],
                         share_view=True, live_events=True, cache_key="livemap")  # fmt: skip

    return make


@pytest.mark.parametrize("online", [False, True])
@pytest.mark.parametrize(
    "returned", [["last_object_clicked_tooltip"], ["last_object_clicked_tooltip", "bounds", "zoom"]]
)
def test_the_component_gets_what_st_folium_sends(shipped_layers, monkeypatch, online, returned):
    sent = []
    monkeypatch.setattr(stf, "_component_func", lambda **kw: sent.append(kw) or {})
    make = _make(shipped_layers, online)
    for payload in ({"key": "a", "mode": "cells", "n": 0}, {"key": "b", "mode": "points"}):
        stf.st_folium(
            make(),
            key="map",
            height=640,
            use_container_width=True,
            returned_objects=returned,
            feature_group_to_add=event_view_group(payload),
        )
        livemap.live_folium(make, ("test", online), event_view_group(payload), key="map",
                            height=640, returned_objects=returned)  # fmt: skip
        want, got = sent[-2], sent[-1]
        for args in (want, got):
            assert callable(args.pop("on_change"))
        assert got == want
        assert f'"{payload["key"]}"' in got["feature_group"]  # this rerun's layer


def test_the_map_is_made_once_per_key(shipped_layers, monkeypatch):
    monkeypatch.setattr(stf, "_component_func", lambda **kw: {})
    made = []
    make = _make(shipped_layers)

    def counted():
        made.append(1)
        return make()

    for payload in ({"key": "a"}, {"key": "b"}, {"key": "c"}):
        livemap.live_folium(counted, ("once",), event_view_group(payload), key="m", height=9,
                            returned_objects=[])  # fmt: skip
    livemap.live_folium(counted, ("other",), event_view_group({}), key="m", height=9,
                        returned_objects=[])  # fmt: skip
    assert len(made) == 2
