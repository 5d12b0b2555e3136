"""One format sniffer for every upload (geo/uploads/sniff.py): what the first bytes say a
file is; the event and zone readers each refuse what they cannot take in their own words."""

from __future__ import annotations

import io

import pytest

from geo.uploads import UploadError, read_event_file
from geo.uploads.sniff import sniff
from geo.uploads.zones import read_zone_file


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", "empty"),
        (b" \r\n\t", "empty"),
        (b"PK\x03\x04rest", "zip"),
        (b"SQLite format 3\x00rest", "sqlite"),
        (b"%PDF-1.7 text only", "known"),
        (b"\x89PNG\r\n\x1a\n", "known"),
        (b"abc\x00def", "binary"),
        (b'\xef\xbb\xbf \n{"type": "Feature"}', "json"),
        (b"[1, 2]", "json"),
        (b"\n<?xml version='1.0'?><kml/>", "xml"),
        ("\ufeff<kml/>".encode("utf-16"), "xml"),
        (b"date,latitude\n2017-05-01,35.9\n", "text"),
    ],
)
def test_sniff_says_what_the_first_bytes_are(data, kind):
    assert sniff(data).kind == kind


def test_sniff_names_known_files_and_utf16_text():
    assert sniff(b"%PDF-1.7").what == "a PDF document"
    found = sniff('{"type": "Feature"}'.encode("utf-16"))
    assert (found.kind, found.utf16) == ("json", True)
    assert sniff(b"x" * 5000 + b"\x00").kind == "text"  # a NUL past the sample
    assert sniff(b"x" * 5000 + b"\x00", sample=65536).kind == "binary"


def _event_error(data: bytes) -> str:
    with pytest.raises(UploadError) as err:
        list(read_event_file(io.BytesIO(data), "f.csv"))
    return str(err.value)


def _zone_error(data: bytes) -> str:
    with pytest.raises(UploadError) as err:
        read_zone_file(data, "f.geojson")
    return str(err.value)


@pytest.mark.parametrize(
    ("data", "event", "zone"),
    [
        (b"  ", "is empty; choose a CSV, XLSX or GeoJSON file", "is empty; choose a boundary"),
        (b"SQLite format 3\x00", "is a binary file, not a CSV", "not a readable GeoPackage"),
        (b"\x89PNG\r\n\x1a\n\x00", "is a binary file, not a CSV", "is a PNG image, not a"),
        (b"ab\x00cd", "is a binary file, not a CSV", "binary file of unknown type"),
        ("date\n".encode("utf-16"), "is UTF-16 text; save it as CSV UTF-8", "neither GeoJSON"),
    ],
)
def test_each_reader_refuses_in_its_own_words(data, event, zone):
    assert event in _event_error(data)
    assert zone in _zone_error(data)
