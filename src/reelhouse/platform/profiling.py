"""The profiler registry: apps declare how to recognise and read a kind of file.

An app names the modules that register its profilers in its manifest; every process that
profiles (servers, workers, the spawned pool) imports them.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

HEAD_SIZE = 64
# Types of recorded media that Python's own table lacks.
_MORE_MEDIA_TYPES = {
    ".m4v": "video/mp4",
    ".m4a": "audio/mp4",
    ".mkv": "video/x-matroska",
    ".mts": "video/mp2t",
    ".m2ts": "video/mp2t",
    ".ts": "video/mp2t",
    ".flv": "video/x-flv",
    ".wmv": "video/x-ms-wmv",
    ".ogv": "video/ogg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".flac": "audio/flac",
    ".wma": "audio/x-ms-wma",
    ".parquet": "application/vnd.apache.parquet",
}

Matcher = Callable[[Path, bytes], bool]
Profiler = Callable[[Path], "Profile"]


@dataclass(frozen=True)
class Profile:
    """The facts read from one file; ``metadata`` is JSON-able."""

    kind: str
    media_type: str
    duration_s: float | None
    metadata: dict[str, Any] = field(default_factory=dict)
    # When the recording began, where the file says so in a way its profiler knows best.
    recorded_at: datetime | None = None


class ProfileFailed(Exception):
    """A file could not be read: corrupt, truncated or unsupported. The message says why."""


@dataclass(frozen=True)
class ProfilerSpec:
    name: str
    matches: Matcher
    profile: Profiler
    priority: int
    kinds: frozenset[str] = frozenset()


_profilers: dict[str, ProfilerSpec] = {}


def register_profiler(
    name: str,
    matches: Matcher,
    profile: Profiler,
    priority: int = 0,
    kinds: Iterable[str] = (),
) -> None:
    """Make ``profile`` read the files ``matches`` recognises from their path and first 64 bytes.

    The highest priority wins; among equals, the earliest registered. ``kinds`` are the kinds its
    profiles may have, which filters accept.
    """
    known = _profilers.get(name)
    if known is not None and (known.matches, known.profile) != (matches, profile):
        raise ValueError(f"profiler {name!r} is registered twice")
    _profilers[name] = ProfilerSpec(name, matches, profile, priority, frozenset(kinds))


def known_kinds() -> frozenset[str]:
    """Every kind a registered profiler may give, and "other", the kind of unknown files."""
    return frozenset({"other"}).union(*(spec.kinds for spec in _profilers.values()))


def find_profiler(path: Path, head: bytes) -> ProfilerSpec | None:
    """The profiler that reads this file, or None when no registered one recognises it."""
    matching = [spec for spec in _profilers.values() if spec.matches(path, head)]
    return max(matching, key=lambda spec: spec.priority, default=None)


def profile_file(path: Path) -> Profile:
    """Read the facts of ``path``; a file no profiler knows is kind "other".

    Raises ProfileFailed, never anything else, when the file cannot be read.
    """
    try:
        with path.open("rb") as file:
            head = file.read(HEAD_SIZE)
        size = path.stat().st_size
    except OSError as exc:
        raise ProfileFailed(f"cannot read file: {_reason(exc)}") from exc
    spec = find_profiler(path, head)
    if spec is None:
        return Profile("other", guess_media_type(path), None, {"size": size})
    try:
        return spec.profile(path)
    except Exception as exc:
        raise ProfileFailed(f"cannot read {spec.name}: {_reason(exc)}") from exc


def guess_media_type(path: Path, default: str = "application/octet-stream") -> str:
    """The MIME type the file's extension suggests, or ``default``."""
    media_type, _encoding = _media_types().guess_type(path.name, strict=False)
    return media_type or default


@cache
def _media_types() -> mimetypes.MimeTypes:
    # Python's own table plus ours, never /etc/mime.types: the same answer on every machine.
    table = mimetypes.MimeTypes()
    for extension, media_type in _MORE_MEDIA_TYPES.items():
        table.add_type(media_type, extension, strict=False)
    return table


def _reason(exc: BaseException) -> str:
    strerror = getattr(exc, "strerror", None)
    if isinstance(strerror, str) and strerror:
        return strerror
    return str(exc) or type(exc).__name__
