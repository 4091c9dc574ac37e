"""The staged bytes of uploads on this machine: written at any offset, each range durable
before it is recorded as received."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Sequence
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


class HeldBytesDiffer(Exception):
    """A body would overwrite bytes received before with different ones."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"byte {offset} differs from the one received before")
        self.offset = offset


async def write_at(
    path: Path,
    start: int,
    room: int,
    chunks: AsyncIterator[bytes],
    held: Sequence[Sequence[int]] = (),
) -> tuple[int, bool]:
    """Write ``chunks`` from ``start``, ``room`` bytes at most; answers (bytes written, overran).

    Where the body covers ``held`` ranges ([first, last] received before) its bytes must be the
    same; a difference raises ``HeldBytesDiffer`` before anything of that block is written.
    """
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
                await asyncio.to_thread(_write_checked, handle, start + written, pending, held)
                written, pending = written + len(pending), bytearray()
        await asyncio.to_thread(_write_checked, handle, start + written, pending, held)
        written += len(pending)
    finally:
        # Ranges are recorded as received once this returns: they must survive a crash.
        await asyncio.to_thread(_sync_and_close, handle)
    return written, overran


def _write_checked(
    handle: IO[bytes], position: int, block: bytearray, held: Sequence[Sequence[int]]
) -> None:
    end = position + len(block) - 1
    for first, last in held:
        low, high = max(first, position), min(last, end)
        if low > high:
            continue
        before = os.pread(handle.fileno(), high - low + 1, low)
        incoming = block[low - position : high - position + 1]
        if before != incoming:
            differs = next(
                (i for i, (a, b) in enumerate(zip(before, incoming, strict=False)) if a != b),
                min(len(before), len(incoming)),
            )
            raise HeldBytesDiffer(low + differs)
    handle.write(bytes(block))


def _sync_and_close(handle: IO[bytes]) -> None:
    with handle:
        handle.flush()
        os.fsync(handle.fileno())
