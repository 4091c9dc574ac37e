"""Structural checks that catch truncated containers FFmpeg would open without complaint.

FFmpeg reads what is there: an MP4 cut after its moov box opens and reports the full duration,
and a WAV cut short plays its first part. Their box and chunk sizes say how long they should be.
"""

from __future__ import annotations

import struct
from pathlib import Path

from reelhouse.platform.profiling import ProfileFailed

_BOX_HEADER = struct.Struct(">I4s")
_LARGE_SIZE = struct.Struct(">Q")
_RIFF_HEADER = struct.Struct("<4sI4s")
# Streaming writers leave the RIFF size at 0 or all ones when they cannot go back to fill it in.
_UNKNOWN_RIFF_SIZES = (0, 0xFFFFFFFF)


def check_iso_boxes(path: Path) -> None:
    """Raise ProfileFailed unless every top-level box of an MP4/MOV fits and a moov box exists."""
    size = path.stat().st_size
    seen: set[bytes] = set()
    offset = 0
    with path.open("rb") as file:
        while offset < size:
            file.seek(offset)
            header = file.read(16)
            if len(header) < _BOX_HEADER.size:
                raise ProfileFailed(f"truncated: the box header at byte {offset} is cut off")
            box_size, box_type = _BOX_HEADER.unpack_from(header)
            if box_size == 1 and len(header) == 16:
                (box_size,) = _LARGE_SIZE.unpack_from(header, _BOX_HEADER.size)
            elif box_size == 0:
                box_size = size - offset
            if box_size < _BOX_HEADER.size:
                raise ProfileFailed(f"corrupt: the box at byte {offset} declares {box_size} bytes")
            if offset + box_size > size:
                name = box_type.decode("latin-1")
                raise ProfileFailed(
                    f"truncated: the {name!r} box ends at byte {offset + box_size}, "
                    f"the file has {size} bytes"
                )
            seen.add(box_type)
            offset += box_size
    if b"moov" not in seen:
        raise ProfileFailed("no moov atom: the file is truncated or was never finalised")


def check_riff_size(path: Path) -> None:
    """Raise ProfileFailed when a RIFF file (WAV, AVI) is shorter than its header declares."""
    size = path.stat().st_size
    with path.open("rb") as file:
        header = file.read(_RIFF_HEADER.size)
    if len(header) < _RIFF_HEADER.size:
        raise ProfileFailed("truncated: the RIFF header is cut off")
    _tag, declared, _form = _RIFF_HEADER.unpack(header)
    if declared in _UNKNOWN_RIFF_SIZES:
        return
    if declared + 8 > size:
        raise ProfileFailed(
            f"truncated: the RIFF header declares {declared + 8} bytes, the file has {size}"
        )
