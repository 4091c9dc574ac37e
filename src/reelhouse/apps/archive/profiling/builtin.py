"""The archive's own profilers: video, audio, image, Parquet and CSV. Importing registers them."""

from __future__ import annotations

from pathlib import Path

from reelhouse.apps.archive.profiling.image import profile_image
from reelhouse.apps.archive.profiling.media import profile_media
from reelhouse.apps.archive.profiling.signatures import family_of
from reelhouse.apps.archive.profiling.tabular import profile_csv, profile_parquet
from reelhouse.platform.profiling import register_profiler


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


register_profiler("video", is_video, profile_media)
register_profiler("audio", is_audio, profile_media)
register_profiler("image", is_image, profile_image)
register_profiler("parquet", is_parquet, profile_parquet)
register_profiler("csv", is_csv, profile_csv)
