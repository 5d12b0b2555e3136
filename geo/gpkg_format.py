"""The GeoPackage file format, written once for the store and the upload gate: SQLite
identifiers quoted, and geometry blobs (GeoPackage 1.3, clause 2.1.3) encoded and decoded.

Pure functions over bytes and shapely geometries (numpy for many at once); nothing here
opens a file.
"""

from __future__ import annotations

import struct

import numpy as np
import shapely

#: bytes of the envelope for each envelope code of a blob's flags (0: none, 1: xy, 2: xyz,
#: 3: xym, 4: xyzm)
ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def quote(name: str) -> str:
    """An SQLite identifier in double quotes (a quote inside doubled)."""
    return '"' + name.replace('"', '""') + '"'


# --- writing --------------------------------------------------------------------------


def encode(geom) -> bytes | None:
    """A shapely geometry as a GeoPackage blob (EPSG:4326, little-endian, xy envelope)."""
    if geom is None:
        return None
    wkb = shapely.to_wkb(geom, byte_order=1, output_dimension=2)
    if geom.is_empty:
        return b"GP\x00" + bytes([0x01 | 0x10]) + struct.pack("<i", 4326) + wkb
    minx, miny, maxx, maxy = geom.bounds
    return (
        b"GP\x00\x03" + struct.pack("<i", 4326) + struct.pack("<4d", minx, maxx, miny, maxy) + wkb
    )


def encode_many(geoms: list) -> list:
    """:func:`encode` for many geometries at once: the WKB and the headers are built by
    shapely and numpy a column at a time (the same bytes as :func:`encode`)."""
    arr = np.asarray(geoms, dtype=object)
    plain = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    out = [None if ok else encode(g) for g, ok in zip(geoms, plain, strict=True)]
    if plain.any():
        good = arr[plain]
        if (shapely.get_type_id(good) == 0).all():  # points: built whole by numpy
            for i, blob in zip(np.flatnonzero(plain), _point_blobs(good), strict=True):
                out[i] = blob
            return out
        wkb = shapely.to_wkb(good, byte_order=1, output_dimension=2)
        header = np.zeros(
            len(good),
            dtype=[("magic", "S4"), ("srs", "<i4"), ("env", "<f8", (4,))],
        )
        header["magic"] = b"GP\x00\x03"
        header["srs"] = 4326
        bounds = shapely.bounds(good)  # minx, miny, maxx, maxy
        header["env"] = bounds[:, [0, 2, 1, 3]]  # stored as minx, maxx, miny, maxy
        raw = header.tobytes()
        for k, (i, w) in enumerate(zip(np.flatnonzero(plain), wkb, strict=True)):
            out[i] = raw[k * 40 : (k + 1) * 40] + w
    return out


_POINT_BLOB = np.dtype(
    [
        ("magic", "S4"),
        ("srs", "<i4"),
        ("env", "<f8", (4,)),  # minx, maxx, miny, maxy
        ("order", "u1"),  # WKB: little-endian
        ("type", "<u4"),  # WKB: Point
        ("xy", "<f8", (2,)),
    ]
)  # packed: 61 bytes, the same bytes as encode() writes for a 2-D point


def _point_blobs(points: np.ndarray) -> list[bytes]:
    """GeoPackage blobs of non-empty points, as :func:`encode` makes them, a column at a
    time."""
    x, y = shapely.get_x(points), shapely.get_y(points)
    blobs = np.zeros(len(points), dtype=_POINT_BLOB)
    blobs["magic"] = b"GP\x00\x03"
    blobs["srs"] = 4326
    blobs["env"] = np.column_stack([x, x, y, y])
    blobs["order"] = 1
    blobs["type"] = 1
    blobs["xy"] = np.column_stack([x, y])
    return blobs.view(np.dtype((np.void, _POINT_BLOB.itemsize))).tolist()


# --- reading --------------------------------------------------------------------------


class BlobError(ValueError):
    """Bytes that are not a GeoPackage geometry blob this module reads."""


def wkb_start(blob) -> int:
    """Where the WKB of a GeoPackage blob begins (after its header and envelope); raises
    :class:`BlobError` for bytes that are not a standard GeoPackage blob (an extended
    geometry, an unknown envelope)."""
    if not isinstance(blob, bytes | bytearray | memoryview) or len(blob) < 8:
        raise BlobError("a geometry that is not a GeoPackage geometry blob")
    if bytes(blob[:2]) != b"GP":
        raise BlobError("a geometry that is not a GeoPackage geometry blob")
    flags = blob[3]
    code = (flags >> 1) & 0x07
    if flags & 0x20 or code not in ENVELOPE_BYTES:
        raise BlobError("a GeoPackage geometry of an unsupported (extended) kind")
    return 8 + ENVELOPE_BYTES[code]


def decode(blob):
    """A GeoPackage blob as a shapely geometry (None for None); :class:`BlobError` for
    bytes that are not a blob or hold WKB that cannot be read."""
    if blob is None:
        return None
    start = wkb_start(blob)
    try:
        return shapely.from_wkb(bytes(blob[start:]))
    except (shapely.errors.GEOSException, ValueError, struct.error):
        raise BlobError("a damaged geometry (its WKB cannot be read)") from None


def envelope(blob: bytes) -> tuple[float, float, float, float]:
    """A blob's bounding box as minx, maxx, miny, maxy: from its envelope when it has one,
    else from its geometry."""
    start = wkb_start(blob)
    if start >= 40:
        order = "<" if blob[3] & 1 else ">"
        return struct.unpack(order + "4d", blob[8:40])
    minx, miny, maxx, maxy = decode(blob).bounds
    return minx, maxx, miny, maxy


def is_empty(blob) -> int | None:
    """1 when a blob's flags say its geometry is empty, 0 when not (None for None)."""
    return None if blob is None else int(bool(blob[3] & 0x10))
