"""A file's family from its first bytes, or from its extension when those say nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Family = Literal["video", "audio", "image", "parquet", "csv"]

_AUDIO_MP4_BRANDS = (b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ")
_IMAGE_MP4_BRANDS = (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis")
_TS_SYNC_BYTE = b"\x47"
_MEDIA_GROUP: dict[Family, str] = {"video": "media", "audio": "media"}
_RIFF_FORMS: dict[bytes, Family] = {b"WAVE": "audio", b"AVI ": "video", b"WEBP": "image"}
_EXTENSIONS: dict[Family, frozenset[str]] = {
    "video": frozenset(
        {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".mpg", ".mpeg"}
        | {".flv", ".wmv", ".3gp", ".ogv"}
    ),
    "audio": frozenset(
        {".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma", ".aif"}
        | {".aiff"}
    ),
    "image": frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff", ".bmp"}),
    "parquet": frozenset({".parquet", ".pq"}),
    "csv": frozenset({".csv", ".tsv"}),
}


def sniff(head: bytes) -> Family | None:
    """The family the magic number at the start of a file names, or None when it names none."""
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")):
        return "image"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image"
    if head.startswith(b"RIFF") and head[8:12] in _RIFF_FORMS:
        return _RIFF_FORMS[head[8:12]]
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_MP4_BRANDS:
        return "image"
    if head[4:8] == b"ftyp":
        return "audio" if head[8:12] in _AUDIO_MP4_BRANDS else "video"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video"
    if head.startswith((b"ID3", b"fLaC", b"OggS")):
        return "audio"
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio"
    if head.startswith(b"PAR1"):
        return "parquet"
    return None


def extension_family(path: Path, head: bytes = b"") -> Family | None:
    """The family a file's extension names, or None."""
    suffix = path.suffix.lower()
    # .ts is as often TypeScript as MPEG transport stream, whose packets start with 0x47.
    if suffix == ".ts":
        return "video" if head.startswith(_TS_SYNC_BYTE) else None
    return next((family for family, known in _EXTENSIONS.items() if suffix in known), None)


# Extensions of formats whose every file starts with a magic number ``sniff`` knows.
_SIGNED_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".m4a", ".mkv", ".webm", ".avi", ".wav", ".flac", ".ogg", ".oga", ".ogv"}
    | {".opus", ".aif", ".aiff", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff"}
    | {".parquet", ".pq"}
)


def contradicts_name(path: Path, head: bytes) -> bool:
    """The extension names a format with a magic number that the first bytes do not hold."""
    return path.suffix.lower() in _SIGNED_EXTENSIONS and sniff(head) is None


def named_otherwise(path: Path, head: bytes) -> bool:
    """The first bytes name one family and the extension another (a JPEG named ``.mp4``);
    video and audio count as one, as their containers are shared (an MP4 of sound only)."""
    sniffed, named = sniff(head), extension_family(path, head)
    if sniffed is None or named is None:
        return False
    return _MEDIA_GROUP.get(sniffed, sniffed) != _MEDIA_GROUP.get(named, named)


def family_of(path: Path, head: bytes) -> Family | None:
    """The magic number decides; the extension only when the first bytes are not recognised."""
    return sniff(head) or extension_family(path, head)
