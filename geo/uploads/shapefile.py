"""Zip archives of boundaries: a zipped Shapefile, rebuilt from its checked members before
GDAL sees it (so nothing in it can make GDAL open another file), or a KMZ."""

from __future__ import annotations

import io
import zipfile

from geo.uploads.archive import SafeZip, folder_and_stem
from geo.uploads.common import UploadError
from geo.uploads.crs import crs_from_wkt
from geo.uploads.kml import read_kml
from geo.uploads.model import ZoneUpload, choose_layer
from geo.uploads.sniff import decode_text


def read_zip(data: bytes, name: str, layer: str | None, upload: ZoneUpload):
    archive = SafeZip(data, name)
    members = archive.names()
    by_ext: dict[str, list[str]] = {}
    for m in members:
        by_ext.setdefault(folder_and_stem(m)[2], []).append(m)
    if ".shp" not in by_ext:
        kml = sorted(by_ext.get(".kml", []), key=lambda m: (m.count("/"), m != "doc.kml"))
        if not kml:
            raise UploadError(
                f"'{name}' is a zip archive with no shapefile (.shp) or KML (.kml) in it; zip "
                "the .shp, .shx, .dbf and .prj of one layer together, or upload a KMZ"
            )
        upload.format = "KMZ"
        return read_kml(decode_text(archive.read(kml[0]), name), name, upload)
    upload.format = "Shapefile (zip)"
    shapes = {"/".join(filter(None, folder_and_stem(m)[:2])): m for m in by_ext[".shp"]}
    chosen = choose_layer(upload, shapes, layer, name)
    if chosen is None:
        return [], None
    shp = shapes[chosen]
    siblings = {
        folder_and_stem(m)[2]: m
        for m in members
        if "/".join(filter(None, folder_and_stem(m)[:2])) == chosen
    }
    for ext, role in ((".shx", "index"), (".dbf", "attribute table, with the zone names")):
        if ext not in siblings:
            stem = folder_and_stem(shp)[1]
            raise UploadError(
                f"'{name}': the shapefile '{stem}' has no {ext} file (its {role}); add "
                f"{stem}{ext} to the zip next to {stem}.shp and retry"
            )
    ignored = [m for m in members if m not in siblings.values()]
    if ignored:
        shown = ", ".join(m[:60] for m in ignored[:5]) + (" ..." if len(ignored) > 5 else "")
        upload.warnings.append(f"files in the archive that were not read: {shown}")
    crs = None
    if ".prj" in siblings:
        prj = archive.read(siblings[".prj"]).decode("utf-8", errors="replace")
        crs = crs_from_wkt(prj, name)
    clean = io.BytesIO()
    with zipfile.ZipFile(clean, "w") as out:
        for ext, member in siblings.items():
            if ext in (".shp", ".shx", ".dbf", ".cpg"):  # the .prj was read above
                content = archive.read(member)
                if ext in (".shp", ".shx") and not content.startswith(b"\x00\x00\x27\x0a"):
                    raise UploadError(
                        f"'{name}': {member[:60]} is not a shapefile {ext} file; export the "
                        "layer again"
                    )
                out.writestr(f"zone{ext}", content)
    return _read_shapefile(clean.getvalue(), name), crs


def _read_shapefile(data: bytes, name: str) -> list:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(data, use_arrow=False)
    except Exception:  # GDAL raises many kinds; its messages name internal paths
        raise UploadError(
            f"'{name}': the shapefile cannot be read (its .shp, .shx or .dbf is damaged or "
            "they do not belong together); export the layer again"
        ) from None
    props = frame.drop(columns="geometry").to_dict("records")
    return list(zip(props, frame.geometry.tolist(), strict=True))
