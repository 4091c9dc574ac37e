"""The staged bytes of uploads on this machine: written at any offset, each range durable
before it is recorded as received."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

from reelhouse.apps.archive.assets.receiving import WRITE_BUFFER_BYTES


def temp_file(directory: Path) -> tuple[int, str]:
    directory.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=directory, prefix="commit-", suffix=".download")


def _open_staged(path: Path) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_CREAT without O_TRUNC: the first range to arrive creates the file, the others keep it.
    return os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+b")


async def write_at(
    path: Path, start: int, room: int, chunks: AsyncIterator[bytes]
) -> tuple[int, bool]:
    """Write ``chunks`` from ``start``, ``room`` bytes at most; answers (bytes written, overran)."""
    handle = await asyncio.to_thread(_open_staged, path)
    written, pending, overran = 0, bytearray(), False
    try:
        await asyncio.to_thread(handle.seek, start)
        async for chunk in chunks:
            piece = chunk[: room - written - len(pending)]
            pending += piece
            if len(piece) < len(chunk):
                overran = True
                break
            if len(pending) >= WRITE_BUFFER_BYTES:
                await asyncio.to_thread(handle.write, bytes(pending))
                written, pending = written + len(pending), bytearray()
        await asyncio.to_thread(handle.write, bytes(pending))
        written += len(pending)
    finally:
        # Ranges are recorded as received once this returns: they must survive a crash.
        await asyncio.to_thread(_sync_and_close, handle)
    return written, overran


def _sync_and_close(handle: IO[bytes]) -> None:
    with handle:
        handle.flush()
        os.fsync(handle.fileno())
