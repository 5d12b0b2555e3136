"""Zip archives from uploads (zipped Shapefiles, KMZ), read with every limit enforced.

Nothing in an archive's headers is trusted: the number of members is counted, every name
is checked before anything is read, and the uncompressed size is counted while reading,
so a zip bomb stops at the limit however small its headers say it is. Archives inside
archives are refused. Members are only ever read into memory, never written to disk.
"""

from __future__ import annotations

import io
import lzma
import posixpath
import zipfile
import zlib
from dataclasses import dataclass

from geo.uploads.common import UploadError, env_limit

_NESTED = (".zip", ".kmz", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz")
_NESTED_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BZh", b"\xfd7zXZ")
_READ_STEP = 1 << 16


@dataclass(frozen=True)
class Limits:
    members: int
    unzipped_bytes: int

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            members=env_limit("ZONEWATCH_MAX_ZIP_MEMBERS", 1000),
            unzipped_bytes=env_limit("ZONEWATCH_MAX_UNZIPPED_MB", 200) * 1024 * 1024,
        )


def _check_name(raw: str, archive: str) -> str:
    name = raw.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise UploadError(
            f"'{archive}' holds a member named '{raw[:80]}' that points outside the archive; "
            "ZoneWatch refuses such archives. Zip the files again from their folder"
        )
    return "/".join(parts)


class SafeZip:
    """The members of an uploaded zip, checked; :meth:`read` enforces the size limit."""

    def __init__(self, data: bytes, archive_name: str, limits: Limits | None = None):
        self.archive = archive_name
        self.limits = limits or Limits.from_env()
        self._read_so_far = 0
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise UploadError(
                f"'{archive_name}' is a damaged zip archive ({type(exc).__name__}); "
                "zip the files again and retry"
            ) from None
        if len(infos) > self.limits.members:
            raise UploadError(
                f"'{archive_name}' holds {len(infos):,} members, over the limit of "
                f"{self.limits.members:,} (ZONEWATCH_MAX_ZIP_MEMBERS); a boundary archive needs "
                "only the files of one layer (.shp, .shx, .dbf, .prj, .cpg) or one .kml"
            )
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = _check_name(info.filename, archive_name)
            if info.is_dir() or not name:
                continue
            if info.flag_bits & 0x1:
                raise UploadError(
                    f"'{archive_name}' is encrypted (password-protected); zip it without a "
                    "password and retry"
                )
            if name in self.members:
                raise UploadError(
                    f"'{archive_name}' holds two members named '{name[:80]}'; zip the files "
                    "again from their folder"
                )
            if name.lower().endswith(_NESTED):
                raise UploadError(
                    f"'{archive_name}' holds another archive ('{name[:80]}'); archives inside "
                    "archives are not read. Unpack it and upload the boundary files themselves"
                )
            self.members[name] = info

    def names(self) -> list[str]:
        return list(self.members)

    def read(self, name: str) -> bytes:
        """One member's bytes; refuses when all members read so far pass the limit."""
        info = self.members[name]
        out = io.BytesIO()
        try:
            with self._zip.open(info) as member:
                while chunk := member.read(_READ_STEP):
                    self._read_so_far += len(chunk)
                    if self._read_so_far > self.limits.unzipped_bytes:
                        raise UploadError(
                            f"'{self.archive}' unpacks to more than "
                            f"{self.limits.unzipped_bytes // 1048576} MB "
                            "(ZONEWATCH_MAX_UNZIPPED_MB); it is refused as a possible zip "
                            "bomb. Upload a smaller archive or raise the limit"
                        )
                    out.write(chunk)
        except UploadError:
            raise
        except (
            zipfile.BadZipFile,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
            zlib.error,
            lzma.LZMAError,
        ) as exc:
            raise UploadError(
                f"'{self.archive}': member '{name[:80]}' cannot be unpacked (the archive is "
                f"damaged: {type(exc).__name__}); zip the files again and retry"
            ) from None
        data = out.getvalue()
        if data.startswith(_NESTED_MAGIC):
            raise UploadError(
                f"'{self.archive}' holds another archive ('{name[:80]}'); archives inside "
                "archives are not read. Unpack it and upload the boundary files themselves"
            )
        return data


def folder_and_stem(name: str) -> tuple[str, str, str]:
    """('folder', 'stem', '.ext') of a member name, the extension in lower case."""
    folder, base = posixpath.split(name)
    stem, ext = posixpath.splitext(base)
    return folder, stem, ext.lower()
