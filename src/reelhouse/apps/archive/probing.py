"""Probing a file on request, without making an asset of it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from reelhouse.apps.archive.profiling.registry import ProfileFailed, profile_file
from reelhouse.platform.errors import InvalidInput


class ProbeResult(BaseModel):
    name: str
    kind: str
    media_type: str
    duration_s: float | None
    facts: dict[str, Any]


async def probe_at(path: Path, name: str) -> ProbeResult:
    """The facts of a file; one that cannot be read is refused with the reason (422)."""
    try:
        # PyAV, Pillow and pyarrow do their work outside the GIL, so a thread is enough here.
        profile = await asyncio.to_thread(profile_file, path)
    except ProfileFailed as exc:
        raise InvalidInput(str(exc), field="file") from exc
    return ProbeResult(
        name=name,
        kind=profile.kind,
        media_type=profile.media_type,
        duration_s=profile.duration_s,
        facts=profile.metadata,
    )
