"""Image facts with Pillow: size, mode, format, EXIF and orientation, after every pixel decoded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from reelhouse.apps.archive.profiling.exif import (
    ORIENTATION_TAG,
    exif_facts,
    gps_position,
    taken_at,
)
from reelhouse.platform.profiling import Profile, guess_media_type

# JPEG can decode at 1/2, 1/4 or 1/8 scale: the whole stream is still read, so a cut-off file
# is still caught, in an eighth of the memory.
_JPEG_CHECK_SCALE = 8


def profile_image(path: Path) -> Profile:
    """Width, height, mode, format, EXIF (GPS included) and orientation of an image."""
    _check_decodes(path)
    with Image.open(path) as image:
        exif = image.getexif()
        tags = exif_facts(exif)
        orientation = exif.get(ORIENTATION_TAG)
        metadata: dict[str, Any] = {
            "width": image.width,
            "height": image.height,
            "mode": image.mode,
            "format": image.format,
            "frames": getattr(image, "n_frames", 1),
            "orientation": orientation if isinstance(orientation, int) else None,
            "dpi": _dpi(image),
            "exif": tags,
            "gps": gps_position(tags.get("GPSInfo", {})),
            "size": path.stat().st_size,
        }
        taken = taken_at(tags)
        if taken is not None:
            metadata["taken_at"] = taken[0].isoformat()
            metadata["recorded_at_is_local"] = taken[1]
        media_type = image.get_format_mimetype() or guess_media_type(path)
    return Profile("image", media_type, None, metadata)


def _check_decodes(path: Path) -> None:
    # With ImageFile.LOAD_TRUNCATED_IMAGES left False, load() raises on a cut-off file.
    # verify() is not enough for JPEG (it never reads the scan data) but is for PNG, whose
    # chunk checksums it reads to the end without holding the pixels; it must come first.
    with Image.open(path) as image:
        if image.format == "PNG":
            image.verify()
            return
        if image.format == "JPEG":
            scaled = (
                max(1, image.width // _JPEG_CHECK_SCALE),
                max(1, image.height // _JPEG_CHECK_SCALE),
            )
            image.draft(None, scaled)
        image.load()


def _dpi(image: Image.Image) -> list[float] | None:
    dpi = image.info.get("dpi")
    if not isinstance(dpi, tuple) or len(dpi) != 2:
        return None
    return [float(dpi[0]), float(dpi[1])]
