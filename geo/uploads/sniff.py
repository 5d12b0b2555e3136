"""What an uploaded file is, from its first bytes: the one format sniffer of the gate.

:func:`sniff` never trusts a file name and never raises: it says what the bytes are
(:class:`Head`), and each reader (event files, zone boundaries) turns what it cannot take
into a refusal in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.uploads.common import UploadError

#: Files people pick by mistake, known by their first bytes: what to call them.
SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\xd0\xcf\x11\xe0": "an old Microsoft Office file",
    b"\x00\x00\x27\x0a": "a bare .shp file (upload the .shp, .shx, .dbf and .prj zipped together)",
}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BLANK = "\ufeff \t\r\n\x0b\x0c"


@dataclass(frozen=True)
class Head:
    """What the first bytes of a file say it is.

    ``kind``: 'empty', 'zip' (a zip archive: XLSX, zipped Shapefile, KMZ), 'sqlite' (a
    GeoPackage, perhaps), 'known' (a file of a kind no reader takes: ``what`` names it),
    'binary' (of no known kind), or for text 'json', 'xml' or 'text' (``start`` holds its
    first characters); ``utf16`` says the text is UTF-16.
    """

    kind: str
    what: str = ""
    start: str = ""
    utf16: bool = False


def sniff(data: bytes, sample: int = 4096) -> Head:
    """What ``data`` (a whole file, or its first bytes) is; text is judged on its first
    ``sample`` bytes, and any NUL byte among them makes it binary."""
    if not data.strip():
        return Head("empty")
    if data.startswith(b"PK\x03\x04"):
        return Head("zip")
    if data.startswith(b"SQLite format 3\x00"):
        return Head("sqlite")
    for magic, what in SIGNATURES.items():
        if data.startswith(magic):
            return Head("known", what=what)
    head = data[:sample]
    if head.startswith(_UTF16_BOMS):
        return _text(head.decode("utf-16", errors="replace"), utf16=True)
    if b"\x00" in head:
        return Head("binary")
    return _text(head.decode("utf-8", errors="replace"), utf16=False)


def _text(head: str, utf16: bool) -> Head:
    start = head.lstrip(_BLANK)
    kind = "json" if start[:1] in ("{", "[") else "xml" if start[:1] == "<" else "text"
    return Head(kind, start=start[:20], utf16=utf16)


def decode_text(data: bytes, name: str) -> str:
    """A text file's content: UTF-16 when it starts with a UTF-16 mark, else UTF-8."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UploadError(f"'{name}' is damaged UTF-16 text; save it as UTF-8") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError(
            f"'{name}' is not UTF-8 text (byte {exc.start}); save it as UTF-8 and retry"
        ) from None
