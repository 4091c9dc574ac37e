"""The archive's own profilers: video, audio, image, Parquet and CSV, and files whose content
contradicts their name. Importing registers them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from reelhouse.apps.archive.profiling.image import profile_image
from reelhouse.apps.archive.profiling.media import profile_media
from reelhouse.apps.archive.profiling.signatures import (
    contradicts_name,
    family_of,
    named_otherwise,
)
from reelhouse.apps.archive.profiling.tabular import profile_csv, profile_parquet
from reelhouse.platform.profiling import HEAD_SIZE, Profile, guess_media_type, register_profiler

UNKNOWN_MEDIA_TYPE = "application/octet-stream"


def is_video(path: Path, head: bytes) -> bool:
    return family_of(path, head) == "video"


def is_audio(path: Path, head: bytes) -> bool:
    return family_of(path, head) == "audio"


def is_image(path: Path, head: bytes) -> bool:
    return family_of(path, head) == "image"


def is_parquet(path: Path, head: bytes) -> bool:
    return family_of(path, head) == "parquet"


def is_csv(path: Path, head: bytes) -> bool:
    return family_of(path, head) == "csv"


def profile_misnamed(path: Path) -> Profile:
    """A file whose content is not what its name says: kind "other", typed by its content."""
    mismatch = {
        "by_name": guess_media_type(path),
        "by_content": UNKNOWN_MEDIA_TYPE,
        "reason": f"the first bytes are not those of a {path.suffix.lower()} file",
    }
    metadata = {"size": path.stat().st_size, "media_type_mismatch": mismatch}
    return Profile("other", UNKNOWN_MEDIA_TYPE, None, metadata)


def profile_audiovisual(path: Path) -> Profile:
    return _noting_name(path, profile_media(path))


def profile_picture(path: Path) -> Profile:
    return _noting_name(path, profile_image(path))


def profile_table(path: Path) -> Profile:
    return _noting_name(path, profile_parquet(path))


def _noting_name(path: Path, profile: Profile) -> Profile:
    """``profile``, with the mismatch recorded when the file's name promised another family."""
    with path.open("rb") as file:
        head = file.read(HEAD_SIZE)
    if not named_otherwise(path, head):
        return profile
    mismatch = {
        "by_name": guess_media_type(path),
        "by_content": profile.media_type,
        "reason": f"the first bytes are those of {profile.kind} content, not of a "
        f"{path.suffix.lower()} file",
    }
    return dataclasses.replace(
        profile, metadata={**profile.metadata, "media_type_mismatch": mismatch}
    )


# Above every other: a name that lies must not send the file to the profiler it names.
register_profiler("misnamed", contradicts_name, profile_misnamed, priority=100, kinds=["other"])
# A container named as a video may hold sound alone, and the other way round.
register_profiler("video", is_video, profile_audiovisual, kinds=["video", "audio"])
register_profiler("audio", is_audio, profile_audiovisual, kinds=["video", "audio"])
register_profiler("image", is_image, profile_picture, kinds=["image"])
register_profiler("parquet", is_parquet, profile_table, kinds=["tabular"])
register_profiler("csv", is_csv, profile_csv, kinds=["tabular"])
