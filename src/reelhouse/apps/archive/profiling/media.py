"""Video and audio facts with PyAV: what ffprobe reports, and proof that the file decodes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.stream import Disposition, Stream
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from reelhouse.apps.archive.profiling.containers import check_iso_boxes, check_riff_size
from reelhouse.platform.profiling import (
    HEAD_SIZE,
    Profile,
    ProfileFailed,
    guess_media_type,
)

_UNKNOWN = "application/octet-stream"
# Media subtypes for files whose extension says nothing, by FFmpeg demuxer name.
_FORMAT_SUBTYPES = {
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
    "matroska,webm": "x-matroska",
    "avi": "x-msvideo",
    "mpegts": "mp2t",
    "wav": "wav",
    "mp3": "mpeg",
    "flac": "flac",
    "ogg": "ogg",
}
# Top-level boxes an MP4 or QuickTime file may start with.
_ISO_FIRST_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
# Enough for any decoder's delay before its first frame; a file needing more is not playable.
_MAX_PACKETS_BEFORE_FRAME = 500


def profile_media(path: Path) -> Profile:
    """The container and stream facts of a video or audio file, after one frame has decoded.

    A file with a (non cover-art) video stream is kind "video", otherwise "audio".
    """
    _check_structure(path)
    with av.open(str(path), metadata_errors="replace") as container:
        primary = primary_stream(container)
        if primary is None:
            raise ProfileFailed("no video or audio stream")
        duration_s = _duration_s(container)
        metadata: dict[str, Any] = {
            "format": container.format.name,
            "format_long_name": container.format.long_name,
            "duration_s": duration_s,
            "bit_rate": container.bit_rate or None,
            "size": path.stat().st_size,
            "tags": dict(container.metadata),
            "streams": [_describe_stream(stream) for stream in container.streams],
        }
        first = _decode_first_frame(container, primary)
        if isinstance(first, VideoFrame):
            # Phones store portrait video as landscape frames plus a display rotation.
            metadata["streams"][primary.index]["rotation"] = first.rotation
    kind = "video" if isinstance(primary, VideoStream) else "audio"
    return Profile(kind, _media_type(path, kind, metadata["format"]), duration_s, metadata)


def _check_structure(path: Path) -> None:
    with path.open("rb") as file:
        head = file.read(HEAD_SIZE)
    if head[4:8] in _ISO_FIRST_BOXES:
        check_iso_boxes(path)
    elif head.startswith(b"RIFF"):
        check_riff_size(path)


def primary_stream(container: InputContainer) -> VideoStream | AudioStream | None:
    """The first video stream that is not cover art, else the first audio stream."""
    # A cover image in an MP3 or M4A is a video stream too; it does not make the file a video.
    for video in container.streams.video:
        if not video.disposition & Disposition.attached_pic:
            return video
    return container.streams.audio[0] if container.streams.audio else None


def _duration_s(container: InputContainer) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    durations = [_seconds(stream.duration, stream.time_base) for stream in container.streams]
    known = [duration for duration in durations if duration is not None]
    return max(known, default=None)


def _seconds(ticks: int | None, time_base: Fraction | None) -> float | None:
    if ticks is None or time_base is None:
        return None
    return float(ticks * time_base)


def _describe_stream(stream: Stream) -> dict[str, Any]:
    context = stream.codec_context
    facts: dict[str, Any] = {
        "index": stream.index,
        "type": stream.type,
        "codec": context.name if context is not None else None,
        "codec_long_name": context.codec.long_name if context is not None else None,
        "profile": stream.profile,
        "bit_rate": (context.bit_rate or None) if context is not None else None,
        "duration_s": _seconds(stream.duration, stream.time_base),
        "frames": stream.frames or None,
        "language": stream.language,
        "tags": dict(stream.metadata),
    }
    if isinstance(stream, VideoStream):
        facts |= {
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "frame_rate": float(stream.average_rate) if stream.average_rate else None,
            "pixel_format": stream.codec_context.pix_fmt,
            "attached_picture": bool(stream.disposition & Disposition.attached_pic),
        }
    elif isinstance(stream, AudioStream):
        facts |= {
            "sample_rate": stream.codec_context.sample_rate,
            "channels": stream.codec_context.layout.nb_channels,
            "channel_layout": stream.codec_context.layout.name,
            "sample_format": stream.codec_context.format.name,
        }
    return facts


def _decode_first_frame(
    container: InputContainer, stream: VideoStream | AudioStream
) -> VideoFrame | AudioFrame:
    # Headers can be intact while the data is not; only a decoded frame proves the file plays.
    for count, packet in enumerate(container.demux(stream)):
        for frame in packet.decode():
            if isinstance(frame, VideoFrame | AudioFrame):
                return frame
        if count >= _MAX_PACKETS_BEFORE_FRAME:
            break
    raise ProfileFailed(f"no frame of stream {stream.index} ({stream.type}) could be decoded")


def _media_type(path: Path, kind: str, format_name: str) -> str:
    subtype = _FORMAT_SUBTYPES.get(format_name)
    media_type = guess_media_type(path, f"{kind}/{subtype}" if subtype else _UNKNOWN)
    top, _, rest = media_type.partition("/")
    # An .mp4 holding only sound is audio/mp4, a .3gp holding pictures video/3gpp.
    return f"{kind}/{rest}" if top in ("video", "audio") else media_type
