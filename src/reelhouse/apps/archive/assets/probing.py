"""Probing a file on request, without making an asset of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from reelhouse.apps.archive.assets.receiving import TooLarge, receive_multipart_file
from reelhouse.apps.archive.assets.schemas import ProbeResult
from reelhouse.apps.archive.assets.server_files import ImportRoots, parse_roots
from reelhouse.apps.archive.objects.readable import MAX_SUFFIX_LENGTH
from reelhouse.apps.archive.settings import ArchiveSettings
from reelhouse.platform.errors import InvalidInput
from reelhouse.platform.profiling import ProfileFailed, profile_file
from reelhouse.platform.scope import Scope

LARGER_FILES_HINT = (
    "Larger files: upload them as assets (POST /api/v1/assets/upload) and read their facts."
)


class ProbeService:
    def __init__(self, scope: Scope) -> None:
        self.settings = scope.settings.app(ArchiveSettings)
        self.scratch_dir = scope.settings.data_dir / "tmp"

    async def probe_upload(self, content_type: str, body: AsyncIterator[bytes]) -> ProbeResult:
        """The facts of the ``file`` field of a multipart body, up to
        ``REELHOUSE_PROBE_MAX_BYTES``; the file is dropped afterwards."""
        received = await receive_multipart_file(
            content_type,
            body,
            self.scratch_dir,
            max_bytes=self.settings.probe_max_bytes,
            too_large_hint=LARGER_FILES_HINT,
            durable=False,
        )
        # Profilers that know a file by its extension only (CSV) need the name's extension.
        local = await asyncio.to_thread(_with_suffix_of, received.path, received.filename)
        try:
            return await probe_at(local, received.filename)
        finally:
            await asyncio.to_thread(local.unlink, True)

    async def probe_path(self, raw_path: str) -> ProbeResult:
        """The facts of a server file below the import roots."""
        server = ImportRoots(parse_roots(self.settings.import_roots)).regular_file(raw_path)
        limit = self.settings.probe_max_bytes
        if server.size > limit:
            raise TooLarge(f"{server.size} bytes is more than {limit}. {LARGER_FILES_HINT}")
        return await probe_at(server.path, server.path.name)


def _with_suffix_of(path: Path, name: str) -> Path:
    """``path`` renamed to end in the extension of ``name`` (one no profiler could know stays
    off)."""
    suffix = Path(name).suffix
    if not suffix or len(suffix) > MAX_SUFFIX_LENGTH:
        return path
    renamed = path.with_name(path.stem + suffix)
    path.rename(renamed)
    return renamed


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
