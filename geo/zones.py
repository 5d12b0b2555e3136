"""Zone versions: areas, differences between versions, and turning a checked upload into
new versions. Pure functions over GeoDataFrames; the store keeps the versions.

Areas are computed in a Lambert azimuthal equal-area projection centred on Syria, so
km² are true areas (within a fraction of a percent of the geodesic area).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.schema import ZONE_COLUMNS
from geo.vocabulary import ZONE_STATUSES

EQUAL_AREA = "+proj=laea +lat_0=35 +lon_0=38.5 +datum=WGS84 +units=m +no_defs"
STATUSES = ZONE_STATUSES
_TO_EQUAL_AREA = Transformer.from_crs("EPSG:4326", EQUAL_AREA, always_xy=True)
_FROM_EQUAL_AREA = Transformer.from_crs(EQUAL_AREA, "EPSG:4326", always_xy=True)


def equal_area(geom):
    """A lon/lat geometry in the equal-area projection (metres)."""
    return _project(geom, _TO_EQUAL_AREA)


def from_equal_area(geom):
    """An equal-area geometry (metres) back in lon/lat."""
    return _project(geom, _FROM_EQUAL_AREA)


def _project(geom, transformer: Transformer):
    return shapely.transform(
        geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


def area_km2(geom) -> float:
    """The area of a lon/lat (multi)polygon in km²."""
    if geom is None or geom.is_empty:
        return 0.0
    return float(equal_area(geom).area / 1e6)


@dataclass(frozen=True)
class Diff:
    """What changed from one boundary to another."""

    added: object  # shapely geometry, lon/lat: inside the new boundary only
    removed: object  # inside the old boundary only
    added_km2: float
    removed_km2: float
    old_km2: float
    new_km2: float


def diff(old, new) -> Diff:
    """Area added and removed going from ``old`` to ``new`` (either may be None)."""
    empty = shapely.MultiPolygon()
    old = old if old is not None else empty
    new = new if new is not None else empty
    added = shapely.difference(new, old) if not new.is_empty else empty
    removed = shapely.difference(old, new) if not old.is_empty else empty
    return Diff(added, removed, area_km2(added), area_km2(removed), area_km2(old), area_km2(new))


def in_force(versions: gpd.GeoDataFrame, as_of: date | None = None) -> gpd.GeoDataFrame:
    """Each zone's version in force on ``as_of`` (default: today): the one with the latest
    ``valid_from`` on or before that date (the newest record on a tie). Zones not yet
    started and zones whose version in force says 'ended' are left out."""
    day = pd.Timestamp(as_of or date.today())
    live = versions[versions["valid_from"] <= day]
    latest = live.sort_values(["zone_id", "valid_from", "version"]).groupby("zone_id").tail(1)
    latest = latest[latest["status"].fillna("") != "ended"]
    return latest.sort_values("zone_id").reset_index(drop=True)


def short_name(row) -> str:
    """A zone's name for a list: its English name before any bracket, without
    "de-escalation zone" ("Idlib", "Sochi demilitarised zone"); else its Arabic name,
    else its id."""
    name = _text(row.get("name_en")).split(" (", 1)[0].replace(" de-escalation zone", "")
    return name.strip() or _text(row.get("name_ar")) or str(row.get("zone_id") or "")


def versions_line(zones: gpd.GeoDataFrame) -> str:
    """The versions of ``zones`` (rows of zone versions) in words, by name: "Idlib (v5,
    in force), M4 security corridor (v1, in force)"; '' when there are none."""
    return ", ".join(
        f"{short_name(r)} (v{int(r['version'])}, {_text(r.get('status')) or 'no status'})"
        for _, r in zones.iterrows()
    )


def last_extent(versions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each zone's latest boundary that is not an 'ended' marker: what it covered last."""
    live = versions[versions["status"].fillna("") != "ended"]
    latest = live.sort_values(["zone_id", "valid_from", "version"]).groupby("zone_id").tail(1)
    return latest.sort_values("zone_id").reset_index(drop=True)


def history(versions: gpd.GeoDataFrame, zone_id: str) -> pd.DataFrame:
    """One zone's versions, oldest first, with area and change in km²."""
    rows = versions[versions["zone_id"] == zone_id].sort_values(["version"])
    out, previous = [], None
    for _, row in rows.iterrows():
        d = diff(previous, row.geometry)
        out.append(
            {
                "version": int(row["version"]),
                "valid_from": row["valid_from"],
                "status": row["status"],
                "name": row["name_en"] or row["name_ar"],
                "area_km2": round(d.new_km2, 1),
                "added_km2": round(d.added_km2, 1),
                "removed_km2": round(d.removed_km2, 1),
                "author": row["author"],
                "note": row["note"],
                "source_file": row.get("source_file", ""),
                "sha256": row.get("sha256", ""),
                "created_at": row.get("created_at", ""),
            }
        )
        previous = row.geometry
    return pd.DataFrame(out)


def latest(versions: gpd.GeoDataFrame, zone_id: str) -> int:
    """The zone's latest version (by valid-from date, then number): the one a rollback
    replaces."""
    rows = versions[versions["zone_id"] == zone_id].sort_values(["valid_from", "version"])
    return int(rows["version"].iloc[-1])


def slug(name: str, taken: set[str]) -> str:
    """A zone id from a name: lower case, words joined by '_', unique among ``taken``."""
    base = re.sub(r"[^\w]+", "_", name.casefold()).strip("_")[:60] or "zone"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


@dataclass(frozen=True)
class Target:
    """Where one accepted feature goes: a new version of ``zone_id``.

    ``zone_name`` is the existing zone's name (English, else Arabic; empty for a new zone).
    """

    number: int
    name: str
    zone_id: str
    is_new: bool
    diff: Diff
    zone_name: str = ""
    zone_name_ar: str = ""

    def name_differs(self, name: str, name_ar: str = "") -> bool:
        """Whether a feature so named would give this existing zone another name."""
        if self.is_new:
            return False
        same = [
            (mine or "").strip().casefold() == (theirs or "").strip().casefold()
            for mine, theirs in ((name, self.zone_name), (name_ar, self.zone_name_ar))
            if mine
        ]
        return bool(same) and not any(same)

    def name_note(self, name: str, name_ar: str = "", renamed: bool = False) -> str:
        """What saving does to the zone's name, when the feature is named otherwise."""
        if not self.name_differs(name, name_ar):
            return ""
        theirs = name or name_ar
        if renamed:
            return f"renames zone '{self.zone_id}' from '{self.zone_name}' to '{theirs}'"
        return f"keeps the zone's name '{self.zone_name}' (the file calls it '{theirs}')"


def match(features, versions: gpd.GeoDataFrame, chosen: dict[int, str] | None = None):
    """For each accepted feature: the zone it updates (its 'zone_id' property, or an
    existing zone with the same English or Arabic name, case-insensitive) or a new zone.
    ``chosen`` maps feature numbers to a zone id the user picked (or '' for a new zone)."""
    current = last_extent(versions)
    by_id = {r.zone_id: r for r in current.itertuples()}
    by_name: dict[str, str] = {}
    for r in current.itertuples():
        for n in (r.name_en, r.name_ar):
            if isinstance(n, str) and n.strip():
                by_name.setdefault(n.strip().casefold(), r.zone_id)
    taken = set(versions["zone_id"])
    out = []
    for f in features:
        if chosen is not None and f.number in chosen:
            zone_id = chosen[f.number]
        elif f.zone_id in by_id:
            zone_id = f.zone_id
        else:
            zone_id = by_name.get(f.name.casefold()) or by_name.get(f.name_ar.casefold(), "")
        if zone_id and zone_id in by_id:
            zone = by_id[zone_id]
            out.append(
                Target(
                    f.number,
                    f.name,
                    zone_id,
                    False,
                    diff(zone.geometry, f.geometry),
                    _text(zone.name_en) or _text(zone.name_ar),
                    _text(zone.name_ar),
                )
            )
        else:
            new_id = slug(f.name or f.name_ar, taken)
            taken.add(new_id)
            out.append(Target(f.number, f.name, new_id, True, diff(None, f.geometry)))
    return out


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def repeated(targets: list[Target]) -> list[str]:
    """A message for each zone that more than one feature would update in one save."""
    by_zone: dict[str, list[int]] = {}
    for t in targets:
        by_zone.setdefault(t.zone_id, []).append(t.number)
    return [
        f"features {', '.join(map(str, numbers))} all go to zone '{zone_id}'; one save gives "
        "a zone one new boundary: merge them into one MultiPolygon, or send them to "
        "different zones"
        for zone_id, numbers in by_zone.items()
        if len(numbers) > 1
    ]


def new_versions(
    features,
    targets: list[Target],
    versions: gpd.GeoDataFrame,
    *,
    valid_from: date,
    author: str,
    note: str,
    status: str = "proposed",
    sources: str = "",
    method: str = "",
    precision: str = "as uploaded",
    rename: set[int] | frozenset[int] = frozenset(),
) -> gpd.GeoDataFrame:
    """The rows to store, one new version per accepted feature (version numbers are given
    by the store when it writes).

    A new version of an existing zone keeps the zone's names, as a GIS keeps a feature's
    attributes when its geometry is replaced: a boundary file named otherwise (a
    governorate saved as a new version of a zone, say) does not rename the zone. The
    features whose numbers are in ``rename`` give the zone their names, as the user asked.
    """
    current = {r.zone_id: r for r in last_extent(versions).itertuples()}
    rows = []
    by_number = {f.number: f for f in features}
    for t in targets:
        f = by_number[t.number]
        before = current.get(t.zone_id)
        rows.append(
            {
                "zone_id": t.zone_id,
                "version": 0,
                "name_en": _name(f.name, before, "name_en", t.number in rename),
                "name_ar": _name(f.name_ar, before, "name_ar", t.number in rename),
                "status": status,
                "memorandum_date": before.memorandum_date if before is not None else pd.NaT,
                "in_force_from": before.in_force_from
                if before is not None
                else pd.Timestamp(valid_from),
                "valid_from": pd.Timestamp(valid_from),
                "boundary_precision": precision,
                "method": method,
                "sources": sources,
                "author": author,
                "note": note,
                "geometry": f.geometry,
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    return frame[list(ZONE_COLUMNS) + ["geometry"]]


def _name(given: str, before, column: str, rename: bool) -> str:
    """A new version's name: the zone's own, unless it has none or a rename was asked."""
    kept = _text(getattr(before, column, "")) if before is not None else ""
    if before is None or rename or not _text(before.name_en) and not _text(before.name_ar):
        return given or kept
    return kept


def rollback(
    versions: gpd.GeoDataFrame,
    zone_id: str,
    version: int,
    *,
    valid_from: date,
    author: str,
    note: str = "",
) -> gpd.GeoDataFrame:
    """A new version of ``zone_id`` equal to its old ``version`` (nothing is deleted)."""
    old = versions[(versions["zone_id"] == zone_id) & (versions["version"] == version)]
    if old.empty:
        from geo.errors import InputError

        raise InputError(f"zone '{zone_id}' has no version {version}")
    row = old.iloc[[0]].copy()
    row["valid_from"] = pd.Timestamp(valid_from)
    row["author"] = author
    row["note"] = note or f"Rollback to version {version}"
    row["version"] = 0
    return gpd.GeoDataFrame(row[list(ZONE_COLUMNS) + ["geometry"]], crs="EPSG:4326")


def km2(value: float, sign: str = "", digits: int = 1) -> str:
    """An area as ZoneWatch gives every area (the upload report, the Zone history, the
    CLI): thousands separated, ``digits`` decimals (one by default), never "-0.0";
    ``sign`` ("+" or "-") is put before an area that does not round to zero."""
    rounded = round(float(value), digits) + 0.0
    return f"{sign if rounded else ''}{abs(rounded) if sign else rounded:,.{digits}f}"
