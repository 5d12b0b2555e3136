"""A feature's properties: their limits, and the English and Arabic names found in them."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable

from geo.uploads.common import UploadError
from geo.uploads.geometry import polygonal
from geo.uploads.model import MAX_NAME_CHARS, Limits, Refused, ZoneFeature

_NAME_KEYS = ("name_en", "name", "zone_name", "zone", "title", "label")
_NAME_PATTERNS = (
    r"adm\d_en",
    r"adm\d_name",  # HDX exports: adm1_name (English), adm1_name1 (first other language)
    r"name_?en(glish)?",
    r"admin\d?name_?en",
    r"shape_?name",
)
_AR_PATTERNS = (r"name_ar", r"adm\d_ar", r"name_?ar(abic)?", r"admin\d?name_?ar", r"adm\d_name1")
_ARABIC = re.compile(r"[\u0600-\u06ff]")


def _find_key(keys: Iterable[str], exact: tuple[str, ...], patterns: tuple[str, ...]) -> str:
    folded = {k.casefold(): k for k in keys}
    for want in exact:
        if want in folded:
            return folded[want]
    for pattern in patterns:
        for low, key in folded.items():
            if re.fullmatch(pattern, low):
                return key
    return ""


def check_name_field(name_field, records, file_name: str) -> None:
    if not name_field:
        return
    keys = {k for props, _ in records for k in props}
    if name_field not in keys:
        shown = ", ".join(sorted(str(k)[:40] for k in keys)[:20]) or "none"
        raise UploadError(
            f"'{file_name}' has no property '{name_field[:60]}'; its properties are: {shown}"
        )


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, allow_nan=True)
    return str(value)


def build_feature(number: int, props: dict, geom, limits: Limits, name_field: str | None):
    f = ZoneFeature(number)
    for key, value in props.items():
        key, text = str(key), _text(value)
        for what, length in (("name", len(key)), ("value", len(text))):
            if length > limits.property_chars:
                f.refuse(
                    f"a property {what} is {length:,} characters long, over the limit of "
                    f"{limits.property_chars:,} (ZONEWATCH_MAX_PROPERTY_CHARS)"
                )
                return f
        f.properties[key] = text
    en = name_field or _find_key(f.properties, _NAME_KEYS, _NAME_PATTERNS)
    ar = _find_key(f.properties, ("name_ar",), _AR_PATTERNS)
    f.name = " ".join(f.properties.get(en, "").split())
    f.name_ar = " ".join(f.properties.get(ar, "").split()) if ar != en else ""
    if f.name_ar and not _ARABIC.search(f.name_ar):
        f.name_ar = ""  # e.g. an adm1_name1 that holds another language
    if not f.name_ar and _ARABIC.search(f.name) and not re.search(r"[A-Za-z]", f.name):
        f.name_ar = f.name
    f.zone_id = f.properties.get("zone_id", "").strip()
    if len(f.name) > MAX_NAME_CHARS or len(f.name_ar) > MAX_NAME_CHARS:
        f.refuse(f"its name is longer than {MAX_NAME_CHARS} characters; shorten it")
        return f
    if isinstance(geom, Refused):
        f.refuse(str(geom))
        return f
    try:
        f.geometry = polygonal(geom, f, limits)
    except Refused as exc:
        f.refuse(str(exc))
    return f
