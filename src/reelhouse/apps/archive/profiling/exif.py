"""EXIF as JSON: tag names for numbers, floats for rationals, text for bytes that are text."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

ORIENTATION_TAG = 0x0112
EXIF_TIME = "%Y:%m:%d %H:%M:%S"
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
_QUARTER_HOUR = timedelta(minutes=15)
# Zones run from UTC-12 to UTC+14.
_MAX_OFFSET_QUARTERS = 14 * 4
# UserComment starts with an 8-byte character code; only ASCII can be read without guessing.
_ASCII_COMMENT = b"ASCII\x00\x00\x00"
_POINTER_TAGS = frozenset({ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo, ExifTags.IFD.Interop})


def exif_facts(exif: Image.Exif) -> dict[str, Any]:
    """Tag name -> JSON value for the main and Exif IFDs, with "GPSInfo" as a nested dict.

    Bytes that are not printable text (maker notes, binary tables) are dropped.
    """
    tags = {**exif, **exif.get_ifd(ExifTags.IFD.Exif)}
    facts = _named(tags, ExifTags.TAGS, skip=_POINTER_TAGS)
    gps = _named(exif.get_ifd(ExifTags.IFD.GPSInfo), ExifTags.GPSTAGS, skip=frozenset())
    if gps:
        facts["GPSInfo"] = gps
    return facts


def gps_position(gps: dict[str, Any]) -> dict[str, float] | None:
    """Latitude and longitude in signed decimal degrees, and altitude in metres when given."""
    try:
        position = {
            "latitude": _degrees(gps["GPSLatitude"], gps.get("GPSLatitudeRef", "")),
            "longitude": _degrees(gps["GPSLongitude"], gps.get("GPSLongitudeRef", "")),
        }
    except (KeyError, TypeError, ValueError):
        return None
    altitude = gps.get("GPSAltitude")
    if isinstance(altitude, float):
        position["altitude_m"] = -altitude if gps.get("GPSAltitudeRef") == 1 else altitude
    return position


def taken_at(facts: dict[str, Any]) -> tuple[datetime, bool] | None:
    """When a photo was taken, from EXIF facts, and whether that time is local.

    EXIF times carry no zone. ``OffsetTimeOriginal`` (or ``OffsetTime``) gives it; otherwise a
    GPS time (always UTC) within a day's zones of the camera's clock gives the offset. Without
    either the camera's wall-clock time is answered as if UTC, with ``True``: it is local.
    """
    for time_tag, offset_tag in (
        ("DateTimeOriginal", "OffsetTimeOriginal"),
        ("DateTime", "OffsetTime"),
    ):
        raw = facts.get(time_tag)
        try:
            wall = datetime.strptime(str(raw).strip(), EXIF_TIME)
        except ValueError:
            continue
        offset = _offset(facts.get(offset_tag)) or _offset_from_gps(wall, facts.get("GPSInfo"))
        if offset is not None:
            return wall.replace(tzinfo=offset), False
        return wall.replace(tzinfo=UTC), True
    return None


def _offset(raw: Any) -> timezone | None:
    match = _OFFSET.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def _offset_from_gps(wall: datetime, gps: Any) -> timezone | None:
    """The zone that puts the camera's clock at the GPS time, to the quarter hour; None when
    they lie further apart than any zone (a stale fix, a clock set wrong)."""
    if not isinstance(gps, dict):
        return None
    try:
        day = datetime.strptime(str(gps["GPSDateStamp"]), "%Y:%m:%d")
        hours, minutes, seconds = (float(part) for part in gps["GPSTimeStamp"])
    except (KeyError, TypeError, ValueError):
        return None
    utc = day + timedelta(hours=hours, minutes=minutes, seconds=seconds)
    quarters = round((wall - utc) / _QUARTER_HOUR)
    if abs(quarters) > _MAX_OFFSET_QUARTERS:
        return None
    return timezone(quarters * _QUARTER_HOUR)


def _degrees(value: list[float], ref: str) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    signed = degrees + minutes / 60 + seconds / 3600
    return -signed if ref.upper() in ("S", "W") else signed


def _named(tags: dict[int, Any], names: dict[int, str], skip: frozenset[int]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for tag, raw in tags.items():
        if tag in skip:
            continue
        value = _json_value(raw)
        if value is not None:
            facts[names.get(tag, f"Tag{tag:#06x}")] = value
    return facts


def _json_value(raw: Any) -> Any:
    if isinstance(raw, IFDRational):
        number = float(raw)
        return None if math.isnan(number) or math.isinf(number) else number
    if isinstance(raw, bytes):
        return _text(raw)
    if isinstance(raw, str):
        return raw.rstrip("\x00 ")
    if isinstance(raw, tuple | list):
        values = [_json_value(item) for item in raw]
        return None if any(value is None for value in values) else values
    if isinstance(raw, int | float):
        return raw
    return None


def _text(raw: bytes) -> str | int | None:
    if len(raw) == 1:
        return raw[0]
    raw = raw.removeprefix(_ASCII_COMMENT)
    try:
        text = raw.rstrip(b"\x00 ").decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if text.replace("\n", " ").replace("\t", " ").isprintable() else None
