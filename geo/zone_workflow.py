"""Saving zone boundaries: the workflow the Zones page and ``zonewatch import-zones`` share.

A file (or a drawing) is checked by the upload gate (:mod:`geo.uploads.zones`); then
:func:`plan` says where each accepted feature goes (a new zone, or a new version of a
zone), which features name their zone otherwise and which zones more than one feature
would update; :func:`save` stores one new version per accepted feature and returns what
was saved, for the caller to render. Nothing here prints or draws.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from geo import auth
from geo import zones as zone_rules
from geo.errors import InputError
from geo.uploads.zones import NEUTRAL, Wording, ZoneFeature, ZoneUpload, read_zone_file

#: The file name of a boundary drawn on the Zones page's map.
DRAWN = "drawn on the map"


@dataclass
class ZonePlan:
    """Where the accepted features of an upload go, before anything is saved.

    ``differ``: the targets whose feature names an existing zone otherwise (the zone
    keeps its name unless the feature's number is in ``rename``); ``clashes``: one message
    per zone that more than one feature would update (nothing may be saved then).
    """

    upload: ZoneUpload
    targets: list[zone_rules.Target]
    differ: list[zone_rules.Target]
    clashes: list[str]
    rename: set[int] = field(default_factory=set)
    versions: object = None  # the store's zone versions the plan was made against

    @property
    def identical(self) -> list[str]:
        """One message per feature that would save a version identical to its zone's
        current one (the same boundary, and no new name): 'identical to version 3 of
        Idlib saved on 2024-01-15 by ana'. Saving those needs an explicit confirmation."""
        features = self.features
        return [
            f"{features[number].label} is {_identical_text(row)}"
            for number, row in self._identical_rows()
        ]

    @property
    def status(self) -> str:
        """The status a save starts from: when every feature repeats its zone's current
        version unchanged (:attr:`identical`) and those versions share one status, that
        status (re-saving Idlib 'in force' keeps it in force); else 'proposed'."""
        rows = self._identical_rows()
        statuses = {row["status"] for _, row in rows}
        if rows and len(rows) == len(self.targets) and len(statuses) == 1:
            (status,) = statuses
            if status in zone_rules.STATUSES:
                return status
        return zone_rules.STATUSES[0]

    def _identical_rows(self) -> list[tuple[int, object]]:
        """(feature number, the current version it repeats) per identical feature."""
        if self.versions is None:
            return []
        features = self.features
        out = []
        for t in self.targets:
            f = features[t.number]
            if t.is_new or (t.number in self.rename and t.name_differs(f.name, f.name_ar)):
                continue
            if (row := _identical_row(self.versions, t.zone_id, f.geometry)) is not None:
                out.append((t.number, row))
        return out

    @property
    def features(self) -> dict[int, ZoneFeature]:
        """The accepted features by number."""
        return {f.number: f for f in self.upload.accepted}

    @property
    def kept(self) -> list[zone_rules.Target]:
        """The zones that keep their name although the file names them otherwise."""
        return [t for t in self.differ if t.number not in self.rename]

    def refusals(self) -> list[str]:
        """Why the file as a whole cannot be saved when every feature must be: one line
        per refused feature, else one per clash (empty when it can be saved)."""
        if self.upload.refused:
            return [f"{f.label}: {'; '.join(f.messages)}" for f in self.upload.refused]
        return list(self.clashes)


@dataclass(frozen=True)
class Saved:
    """One version saved: the feature, where it went, and the version number given."""

    feature: ZoneFeature
    target: zone_rules.Target
    version: int


def plan(
    upload: ZoneUpload,
    versions,
    chosen: dict[int, str] | None = None,
    rename: Iterable[int] = (),
) -> ZonePlan:
    """Where each accepted feature of ``upload`` goes (:func:`geo.zones.match`; ``chosen``
    maps feature numbers to the zone id the user picked, '' for a new zone); ``rename``:
    the features whose names the zone takes."""
    targets = zone_rules.match(upload.accepted, versions, chosen)
    features = {f.number: f for f in upload.accepted}
    differ = [t for t in targets if t.name_differs(*_names(features[t.number]))]
    return ZonePlan(
        upload, targets, differ, zone_rules.repeated(targets), set(rename), versions=versions
    )


def identical_version(versions, zone_id: str, geometry) -> str | None:
    """'identical to version N of <zone> saved on <date> by <who>' when ``geometry`` is
    the boundary of the zone's current version (the same shape, whatever the order of its
    vertices) and that version has not ended the zone, else None."""
    row = _identical_row(versions, zone_id, geometry)
    return None if row is None else _identical_text(row)


def _identical_row(versions, zone_id: str, geometry):
    """The zone's current version when ``geometry`` is its boundary (see
    :func:`identical_version`), else None."""
    import shapely

    if geometry is None or not (versions["zone_id"] == zone_id).any():
        return None
    number = zone_rules.latest(versions, zone_id)
    row = versions[(versions["zone_id"] == zone_id) & (versions["version"] == number)].iloc[0]
    if row["status"] == "ended":  # a version after an 'ended' marker revives the zone
        return None
    if row.geometry is None or not shapely.equals(row.geometry, geometry):
        return None
    return row


def _identical_text(row) -> str:
    name = row["name_en"] or row["name_ar"] or row["zone_id"]
    saved = str(row.get("created_at") or "")[:10] or "an unknown date"
    return (
        f"identical to version {row['version']} of {name} saved on {saved} "
        f"by {row['author'] or 'unknown'}"
    )


def _names(f: ZoneFeature) -> tuple[str, str]:
    return f.name, f.name_ar


def method(upload: ZoneUpload) -> str:
    """How the boundaries were made, as stored with each version."""
    if upload.file_name == DRAWN:
        return "Drawn on the map"
    return f"Uploaded as {upload.format}" + (f" (layer {upload.layer})" if upload.layer else "")


def save(
    store,
    zone_plan: ZonePlan,
    versions,
    *,
    valid_from: date,
    author: str,
    note: str,
    status: str,
    sources: str,
    who: auth.Identity | str,
    allow_identical: bool = False,
) -> list[Saved]:
    """Store one new version per accepted feature in one transaction, as planned.

    ``sources`` defaults to the file's name; ``who`` is recorded in the store's log (an
    identity must have the right to upload, or to draw for a drawing, checked by the
    store: :func:`geo.auth.require`). Refuses (and stores nothing) when more than one
    feature goes to one zone, and when a feature is identical to its zone's current
    version (:attr:`ZonePlan.identical`) unless ``allow_identical`` confirms it.
    """
    upload = zone_plan.upload
    drawn = upload.file_name == DRAWN
    if zone_plan.clashes:
        raise InputError(zone_plan.clashes[0])
    if not allow_identical and (same := zone_plan.identical):
        raise InputError(
            f"{same[0]}; confirm to save an identical version anyway"
            + (f" ({len(same) - 1} more identical)" if len(same) > 1 else "")
        )
    rows = zone_rules.new_versions(
        upload.accepted,
        zone_plan.targets,
        versions,
        valid_from=valid_from,
        author=author,
        note=note,
        status=status,
        sources=sources or upload.file_name,
        method=method(upload),
        rename=zone_plan.rename,
    )
    numbers = store.add_zone_version(
        rows,
        who=who,
        file_name="" if drawn else upload.file_name,
        sha256=upload.sha256,
        action=auth.DRAW if drawn else auth.UPLOAD,
    )
    return [
        Saved(f, t, n) for f, t, n in zip(upload.accepted, zone_plan.targets, numbers, strict=True)
    ]


# --- boundaries drawn on a map ------------------------------------------------------------


def drawn_polygons(drawings) -> list[dict]:
    """The polygons (GeoJSON geometries) among what Leaflet.Draw returned; rectangles
    are polygons too. Anything else (markers, lines, malformed entries) is left out."""
    geometries = [d.get("geometry") for d in drawings or [] if isinstance(d, dict)]
    return [g for g in geometries if isinstance(g, dict) and g.get("type") == "Polygon"]


def drawing_document(polygons: list[dict], name: str, zone_id: str | None = None) -> dict:
    """One GeoJSON Feature: the drawn polygons as one MultiPolygon named ``name`` (a new
    version of ``zone_id`` when given)."""
    return {
        "type": "Feature",
        "properties": {"name": name, **({"zone_id": zone_id} if zone_id else {})},
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [g.get("coordinates") for g in polygons],
        },
    }


def read_drawing(
    polygons: list[dict], name: str, zone_id: str | None = None, wording: Wording = NEUTRAL
) -> ZoneUpload:
    """A drawing checked by the same gate as any file (:func:`read_zone_file`)."""
    doc = drawing_document(polygons, name, zone_id)
    return read_zone_file(json.dumps(doc).encode(), DRAWN, wording=wording)
