"""The report of a zone upload as it is shown, one row per feature (page and CLI alike)."""

from __future__ import annotations

from collections.abc import Iterable

from geo.uploads.model import ZoneUpload
from geo.zones import km2

NEW_ZONE = "new zone"


def report_rows(upload: ZoneUpload, targets, rename: Iterable[int] = ()) -> list[dict]:
    """The report of an upload, one row per feature, every value text as it is shown.

    ``targets`` are where the accepted features go (:func:`geo.zones.match`); a new zone
    has no added or removed area (it says 'new zone'), a refused feature no area at all.
    The details give each repair or refusal, and what saving does to a zone's name.
    """
    by_number = {t.number: t for t in targets}
    rename = set(rename)
    rows = []
    for f in upload.features:
        t = by_number.get(f.number) if f.outcome != "refused" else None
        details = list(f.messages)
        if t is not None and (note := t.name_note(f.name, f.name_ar, f.number in rename)):
            details.append(note)
        rows.append(
            {
                "feature": f.number,
                "name": f.name,
                "Arabic name": f.name_ar,
                "outcome": f.outcome,
                "area km²": km2(f.area_km2) if t is not None else "",
                "saved as": "" if t is None else f"{t.zone_id} (new)" if t.is_new else t.zone_id,
                "added km²": "" if t is None else NEW_ZONE if t.is_new else km2(t.diff.added_km2),
                "removed km²": ""
                if t is None
                else NEW_ZONE
                if t.is_new
                else km2(t.diff.removed_km2),
                "details": "; ".join(details),
            }
        )
    return rows
