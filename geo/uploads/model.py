"""What the zone upload gate hands around: its limits, how its messages name the caller's
controls, each feature and the upload as read, and the refusal of a single feature."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from shapely.geometry import MultiPolygon

from geo.uploads.common import UploadError, env_limit

ACCEPTED_FORMATS = "GeoJSON, a zipped Shapefile, a GeoPackage, KML or KMZ"
MAX_NAME_CHARS = 200
#: How much of a feature's name its label in a message shows (a zone's full name, as the
#: shipped "Idlib de-escalation zone (Idlib and parts of Latakia, Hama and Aleppo)").
LABEL_CHARS = 100


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    """``text`` whole when it fits in ``limit`` characters, else cut at the last space
    before it (never inside a word, unless it is one word) and ended with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut.strip():
        cut = cut[: cut.rstrip().rfind(" ")]
    return cut.rstrip(" ,;:(-") + "…"


NO_NAME = "has no name"
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Limits:
    upload_bytes: int
    vertices: int
    property_chars: int
    features: int

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            upload_bytes=env_limit("ZONEWATCH_MAX_ZONE_UPLOAD_MB", 50) * 1024 * 1024,
            vertices=env_limit("ZONEWATCH_MAX_ZONE_VERTICES", 100_000),
            property_chars=env_limit("ZONEWATCH_MAX_PROPERTY_CHARS", 10_000),
            features=env_limit("ZONEWATCH_MAX_ZONES_PER_UPLOAD", 500),
        )

    @property
    def upload_mb(self) -> int:
        """The size limit of a boundary file, in MB (what an uploader should state)."""
        return self.upload_bytes // 1048576


@dataclass(frozen=True)
class Wording:
    """How a message tells the user to act, in the words of the interface in front of
    them: the page names its own controls, the CLI its options. Each is a phrase that
    completes 'To fix it, ...'."""

    give_name: str
    swap_xy: str


#: For a caller that does not say which interface it is: names both.
NEUTRAL = Wording(
    give_name="give it a name (on the Zones page, type one in its name box or choose the "
    "Name property; with zonewatch import-zones, give --zone NAME or --name-field FIELD)",
    swap_xy="read the file with latitude and longitude swapped (on the Zones page, tick "
    "'Swap latitude and longitude'; with zonewatch import-zones, give --swap-xy)",
)
CLI = Wording(
    give_name="give --zone NAME (a one-zone file) or --name-field FIELD (the property "
    "holding the names)",
    swap_xy="give --swap-xy to read it that way",
)


@dataclass
class ZoneFeature:
    """One feature of an uploaded file and what the gate made of it."""

    number: int  # 1-based, in file order
    properties: dict[str, str] = field(default_factory=dict)
    name: str = ""
    name_ar: str = ""
    zone_id: str = ""  # a 'zone_id' property, if the file has one
    geometry: MultiPolygon | None = None
    outcome: str = "accepted"  # accepted | repaired | refused
    messages: list[str] = field(default_factory=list)
    swap_would_help: bool = False
    area_km2: float = 0.0

    @property
    def label(self) -> str:
        """'feature 3 'Idlib de-escalation zone (...)'': the name whole up to
        :data:`LABEL_CHARS`, a longer one cut between words, ending in '…'."""
        return f"feature {self.number}" + (f" '{_short(self.name)}'" if self.name else "")

    def refuse(self, reason: str) -> None:
        self.outcome = "refused"
        self.geometry = None
        self.messages.append(reason)

    def repaired(self, how: str) -> None:
        if self.outcome != "refused":
            self.outcome = "repaired"
        self.messages.append(how)


@dataclass
class ZoneUpload:
    """What the gate read from one file. Nothing of it is stored yet."""

    file_name: str
    sha256: str
    format: str = ""
    layer: str = ""
    layers: list[str] = field(default_factory=list)
    crs: str = ""  # the declared CRS, if any, as 'EPSG:32637' or its name
    features: list[ZoneFeature] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_layer(self) -> bool:
        return len(self.layers) > 1 and not self.layer

    @property
    def accepted(self) -> list[ZoneFeature]:
        return [f for f in self.features if f.outcome != "refused"]

    @property
    def refused(self) -> list[ZoneFeature]:
        return [f for f in self.features if f.outcome == "refused"]

    @property
    def needs_names(self) -> list[ZoneFeature]:
        return [f for f in self.refused if not f.name and f.messages[-1].startswith(NO_NAME)]

    @property
    def swap_would_help(self) -> bool:
        return any(f.swap_would_help for f in self.features)

    def report_lines(self) -> list[str]:
        """One line per feature: 'feature 2 'Name': repaired: ...'."""
        lines = []
        for f in self.features:
            detail = "; ".join(f.messages)
            lines.append(f"{f.label}: {f.outcome}" + (f": {detail}" if detail else ""))
        return lines


def check_size(size: int, file_name: str, limits: Limits) -> None:
    """Refuse a file over the upload limit (before reading it, where the size is known)."""
    if size > limits.upload_bytes:
        raise UploadError(
            f"'{file_name}' is {size / 1048576:.1f} MB, over the "
            f"{limits.upload_bytes // 1048576} MB limit for boundary files "
            "(ZONEWATCH_MAX_ZONE_UPLOAD_MB); simplify the boundaries or raise the limit"
        )


class Refused(Exception):
    """A feature cannot be taken; the message is the reason."""


NOT_FINITE = (
    "has coordinates that are not finite numbers (NaN, Infinity or a number too large, "
    "such as 1e999); fix them in your GIS"
)


def too_many(count: int, limits: Limits) -> str:
    return (
        f"has {count:,} vertices or more, over the limit of {limits.vertices:,} per zone "
        "(ZONEWATCH_MAX_ZONE_VERTICES); simplify it in your GIS and retry"
    )


def choose_layer(upload: ZoneUpload, available, layer: str | None, name: str) -> str | None:
    """The layer to read: the one asked for, the only one, or None (the user must pick)."""
    upload.layers = sorted(available)
    if len(available) > 1 and not layer:
        return None
    chosen = layer or upload.layers[0]
    if chosen not in available:
        raise UploadError(
            f"'{name}' has no layer '{chosen[:60]}'; its layers are: {', '.join(upload.layers)}"
        )
    upload.layer = chosen
    return chosen
