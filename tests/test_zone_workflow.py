"""The zone-saving workflow the Zones page and the CLI share (geo/zone_workflow.py), and
the drawings of the Zones page's map turned into a boundary the gate checks."""

from __future__ import annotations

import json
from datetime import date

import pytest
from zone_corpus import SQUARE

from geo import zone_workflow
from geo.errors import InputError
from geo.uploads.zones import read_zone_file

# Another square in Idlib, beside SQUARE (lon, lat).
BESIDE = [[36.8, 35.8], [37.0, 35.8], [37.0, 36.0], [36.8, 36.0], [36.8, 35.8]]


def _collection(*features: tuple[str, list]) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": name},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
                for name, ring in features
            ],
        }
    ).encode()


def _save(store, plan, versions, **kw):
    args = dict(valid_from=date(2024, 3, 1), author="A. Author", note="why", status="agreed")
    args.update(sources="", who="tester")
    args.update(kw)
    return zone_workflow.save(store, plan, versions, **args)


def test_drawn_polygons_keep_polygons_and_rectangles_only():
    drawings = [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [SQUARE]}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.6, 35.9]}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": SQUARE[:2]}},
        {"type": "Feature", "geometry": "not a geometry"},
        "not a drawing",
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [BESIDE]}},
    ]
    polygons = zone_workflow.drawn_polygons(drawings)
    assert [p["coordinates"] for p in polygons] == [[SQUARE], [BESIDE]]
    assert zone_workflow.drawn_polygons(None) == []


def test_a_drawing_is_one_multipolygon_checked_by_the_gate():
    polygons = zone_workflow.drawn_polygons(
        [{"geometry": {"type": "Polygon", "coordinates": [ring]}} for ring in (SQUARE, BESIDE)]
    )
    upload = zone_workflow.read_drawing(polygons, "  Two   squares ", "idlib")
    (f,) = upload.features
    assert upload.file_name == zone_workflow.DRAWN and upload.format == "GeoJSON"
    assert f.outcome == "accepted" and f.name == "Two squares" and f.zone_id == "idlib"
    assert len(f.geometry.geoms) == 2 and f.area_km2 > 0
    new = zone_workflow.drawing_document(polygons, "New")
    assert "zone_id" not in new["properties"]
    # A drawing outside Syria is refused by the same gate as a file.
    far = [[[[2.0, 48.0], [2.1, 48.0], [2.1, 48.1], [2.0, 48.0]]]]
    (f,) = zone_workflow.read_drawing([{"coordinates": far[0]}], "Paris").features
    assert f.outcome == "refused" and "outside Syria" in f.messages[-1]
    (f,) = zone_workflow.read_drawing([], "Nothing").features
    assert f.outcome == "refused" and "without polygons" in f.messages[-1]


def test_plan_and_save_store_one_version_per_accepted_feature(fresh_store_path):
    from geo.store import open_store

    store = open_store()
    versions = store.zone_versions()
    upload = read_zone_file(_collection(("North square", SQUARE), ("", BESIDE)), "two.geojson")
    plan = zone_workflow.plan(upload, versions)
    assert [f.number for f in upload.refused] == [2]  # no name
    assert plan.refusals() == [f"feature 2: {upload.refused[0].messages[-1]}"]
    assert [t.is_new for t in plan.targets] == [True] and not plan.clashes
    saved = _save(store, plan, versions)
    assert [(s.target.zone_id, s.version, s.feature.number) for s in saved] == [
        ("north_square", 1, 1)
    ]
    row = store.zone_versions().query("zone_id == 'north_square'").iloc[0]
    assert (row.author, row.note, row.status) == ("A. Author", "why", "agreed")
    assert (row.sources, row.method) == ("two.geojson", "Uploaded as GeoJSON")


def test_a_drawing_is_saved_as_drawn_with_no_file_name(fresh_store_path):
    from geo.store import open_store

    store = open_store()
    versions = store.zone_versions()
    upload = zone_workflow.read_drawing([{"type": "Polygon", "coordinates": [SQUARE]}], "Sq")
    (s,) = _save(store, zone_workflow.plan(upload, versions), versions, sources="a survey")
    row = store.zone_versions().query(f"zone_id == '{s.target.zone_id}'").iloc[0]
    assert (row.method, row.sources, row.source_file) == ("Drawn on the map", "a survey", "")


def test_two_features_for_one_zone_clash_and_nothing_is_saved(fresh_store_path):
    from geo.store import open_store

    store = open_store()
    versions = store.zone_versions()
    upload = read_zone_file(_collection(("A", SQUARE), ("B", BESIDE)), "ab.geojson")
    plan = zone_workflow.plan(upload, versions, chosen={1: "idlib", 2: "idlib"})
    assert plan.clashes and plan.refusals() == plan.clashes
    before = len(versions)
    with pytest.raises(InputError, match="all go to zone 'idlib'"):
        _save(store, plan, versions)
    assert len(store.zone_versions()) == before


def test_a_zone_keeps_its_name_unless_renamed(fresh_store_path):
    from geo.store import open_store

    store = open_store()
    versions = store.zone_versions()
    upload = read_zone_file(_collection(("Idleb square", SQUARE)), "idleb.geojson")
    plan = zone_workflow.plan(upload, versions, chosen={1: "idlib"})
    assert [t.zone_id for t in plan.differ] == ["idlib"] and plan.kept == plan.differ
    (kept,) = _save(store, plan, versions)
    latest = store.zone_versions().query("zone_id == 'idlib'").sort_values("version")
    assert latest.iloc[-1].name_en != "Idleb square"
    plan = zone_workflow.plan(upload, store.zone_versions(), {1: "idlib"}, rename={1})
    assert plan.kept == []
    (renamed,) = _save(store, plan, store.zone_versions())
    latest = store.zone_versions().query("zone_id == 'idlib'").sort_values("version")
    assert renamed.version == kept.version + 1 and latest.iloc[-1].name_en == "Idleb square"
