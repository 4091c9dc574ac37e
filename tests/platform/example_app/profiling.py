"""A profiler for a made-up kind of file (``.example``), registered on import as the manifest asks
every profiling process to do. It tells which process read the file."""

from __future__ import annotations

import os
from pathlib import Path

from reelhouse.platform.profiling import Profile, register_profiler

EXTENSION = ".example"


def _is_example(path: Path, _head: bytes) -> bool:
    return path.suffix == EXTENSION


def profile_example(path: Path) -> Profile:
    text = path.read_text(encoding="utf-8")
    return Profile(
        "example", "text/x-example", None, {"words": len(text.split()), "pid": os.getpid()}
    )


register_profiler("example", _is_example, profile_example, priority=10, kinds=["example"])
