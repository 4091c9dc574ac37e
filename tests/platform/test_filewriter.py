"""The upload writer: the bytes and the SHA-256 it gives, past the page cache or through it."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import random
from pathlib import Path

import pytest

from reelhouse.platform import filewriter
from reelhouse.platform.filewriter import HashingFileWriter


def pieces_of(content: bytes, seed: int) -> list[bytes | memoryview]:
    """``content`` cut at random places, half of the pieces as views into a bigger buffer."""
    chooser = random.Random(seed)
    pieces: list[bytes | memoryview] = []
    offset = 0
    while offset < len(content):
        size = chooser.choice([1, 511, 4096, 65_536, 262_145, 3_000_001])
        piece = content[offset : offset + size]
        pieces.append(memoryview(b"xx" + piece + b"yy")[2:-2] if chooser.random() < 0.5 else piece)
        offset += size
    return pieces


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "buffered"])
@pytest.mark.parametrize("size", [0, 1, 4096, 20 * 1024 * 1024 + 123])
async def test_writes_every_byte_in_order_and_hashes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direct: bool, size: int
) -> None:
    # A small staging buffer makes even the mid-sized cases cross it many times.
    monkeypatch.setattr(filewriter, "STAGING_BYTES", 64 * 1024)
    content = random.Random(size).randbytes(size)
    path = tmp_path / "out.bin"
    writer = HashingFileWriter(os.open(path, os.O_WRONLY | os.O_CREAT), direct=direct)
    pieces = pieces_of(content, size)
    for start in range(0, len(pieces), 3):
        await writer.write(pieces[start : start + 3])
    digest = await writer.finish()
    assert digest == hashlib.sha256(content).hexdigest()
    assert path.read_bytes() == content


async def test_large_blocks_bypass_the_page_cache_where_the_file_system_allows(
    tmp_path: Path,
) -> None:
    descriptor = os.open(tmp_path / "out.bin", os.O_WRONLY | os.O_CREAT)
    writer = HashingFileWriter(os.dup(descriptor))
    try:
        direct = bool(fcntl.fcntl(descriptor, fcntl.F_GETFL) & filewriter.O_DIRECT)
        if filewriter.O_DIRECT and not direct:
            pytest.skip(f"{tmp_path} refuses O_DIRECT; the buffered path is tested above")
        assert direct == bool(filewriter.O_DIRECT)
        await writer.write([os.urandom(filewriter.STAGING_BYTES + 5)])
        assert (await writer.finish()) != ""
    finally:
        os.close(descriptor)
    assert (tmp_path / "out.bin").stat().st_size == filewriter.STAGING_BYTES + 5


async def test_an_abandoned_writer_closes_its_file_after_the_blocks_in_flight(
    tmp_path: Path,
) -> None:
    descriptor = os.open(tmp_path / "out.bin", os.O_WRONLY | os.O_CREAT)
    inode = os.fstat(descriptor).st_ino
    writer = HashingFileWriter(descriptor)
    await writer.write([os.urandom(1024 * 1024)] * 4)

    async def cancelled_midway() -> None:
        await writer.write([os.urandom(1024 * 1024)] * 4)
        await writer.write([os.urandom(1024 * 1024)] * 4)
        await asyncio.sleep(10)

    task = asyncio.create_task(cancelled_midway())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await writer.abandon()
    try:
        reopened = os.fstat(descriptor).st_ino
    except OSError:
        reopened = None
    assert reopened != inode, "the descriptor is still open"
