"""JPEG thumbnails of images and videos, oriented the way a viewer shows them."""

from __future__ import annotations

from pathlib import Path

import av
from PIL import Image, ImageOps

from reelhouse.apps.archive.profiling.media import primary_stream
from reelhouse.platform.profiling import ProfileFailed

THUMBNAIL_SIZES = (128, 512)
VIDEO_POSITION = 0.1
JPEG_QUALITY = 85


def make_thumbnails(
    path: Path,
    kind: str,
    duration_s: float | None,
    out_dir: Path,
    sizes: tuple[int, ...] = THUMBNAIL_SIZES,
) -> list[Path]:
    """Write ``out_dir/thumbnail-<size>.jpg`` for each size, longest side = size, aspect kept.

    Videos show the frame at 10% of their duration. Kinds with no picture get no thumbnail
    (an empty list); a picture that cannot be read raises ProfileFailed.
    """
    if kind not in ("image", "video"):
        return []
    try:
        picture = _image(path, max(sizes)) if kind == "image" else _video_frame(path, duration_s)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for size in sizes:
            target = out_dir / f"thumbnail-{size}.jpg"
            _fit(picture, size).save(target, "JPEG", quality=JPEG_QUALITY, optimize=True)
            written.append(target)
    except ProfileFailed:
        raise
    except Exception as exc:
        raise ProfileFailed(f"cannot make a thumbnail of {kind}: {exc}") from exc
    return written


def _image(path: Path, largest: int) -> Image.Image:
    with Image.open(path) as image:
        # A JPEG decodes at the smallest scale still larger than the largest thumbnail.
        image.draft(None, (largest, largest))
        return _rgb(ImageOps.exif_transpose(image))


def _video_frame(path: Path, duration_s: float | None) -> Image.Image:
    with av.open(str(path)) as container:
        stream = primary_stream(container)
        if stream is None or stream.type != "video":
            raise ProfileFailed("no video stream to take a thumbnail from")
        start_s = float((stream.start_time or 0) * stream.time_base) if stream.time_base else 0.0
        target_s = start_s + (duration_s or 0.0) * VIDEO_POSITION
        if target_s > start_s and stream.time_base:
            container.seek(int(target_s / stream.time_base), stream=stream, backward=True)
        chosen = None
        # The seek lands on the keyframe before the target; decode on to the target itself.
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is None or frame.time >= target_s:
                break
        if chosen is None:
            raise ProfileFailed("no video frame could be decoded")
        picture = Image.fromarray(chosen.to_ndarray(format="rgb24"))
        return picture.rotate(chosen.rotation, expand=True) if chosen.rotation else picture


def _rgb(image: Image.Image) -> Image.Image:
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if not transparent:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    flattened = Image.new("RGB", rgba.size, "white")
    flattened.paste(rgba, mask=rgba.getchannel("A"))
    return flattened


def _fit(image: Image.Image, size: int) -> Image.Image:
    scale = size / max(image.width, image.height)
    width = max(1, round(image.width * scale))
    height = max(1, round(image.height * scale))
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
