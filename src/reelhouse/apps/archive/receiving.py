"""Receive an upload as it streams in: to a temporary file, hashed on the way, never in memory."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from reelhouse.platform.errors import InvalidInput, ReelhouseError

WRITE_BUFFER_BYTES = 4 * 1024 * 1024
FILE_FIELD = "file"


@dataclass(frozen=True)
class ReceivedFile:
    path: Path
    filename: str
    size: int
    sha256: str


class _FilePart:
    """Collects the ``file`` field of a multipart body into a temp file and a running hash."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0
        self.filename: str | None = None
        self.buffer = bytearray()
        self.writing: asyncio.Future[None] | None = None
        self._header_field = b""
        self._headers: dict[bytes, bytes] = {}
        self._in_file = False
        self.seen_file = False
        self.complete = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        name = self._header_field.lower()
        self._headers[name] = self._headers.get(name, b"") + data[start:end]

    def on_header_end(self) -> None:
        self._header_field = b""

    def on_headers_finished(self) -> None:
        _disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._in_file = options.get(b"name") == FILE_FIELD.encode() and not self.seen_file
        if self._in_file:
            self.seen_file = True
            raw_name = options.get(b"filename", b"upload")
            self.filename = Path(raw_name.decode("utf-8", "replace").replace("\\", "/")).name
        self._headers = {}

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.size += end - start
            self.buffer += memoryview(data)[start:end]

    def on_part_end(self) -> None:
        self._in_file = False

    def on_end(self) -> None:
        self.complete = True


class TooLarge(ReelhouseError):
    status_code = 413
    slug = "too-large"
    title = "Content too large"


async def receive_multipart_file(
    content_type: str,
    body: AsyncIterator[bytes],
    directory: Path,
    max_bytes: int | None = None,
    too_large_hint: str = "",
) -> ReceivedFile:
    """Stream the ``file`` field of a multipart body to ``directory``; removed on any failure."""
    _kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise InvalidInput("expected multipart/form-data with a boundary", field="file")
    descriptor, name = await asyncio.to_thread(_temp_file, directory)
    path = Path(name)
    part: _FilePart | None = None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            part = _FilePart(handle)
            parser = MultipartParser(boundary, callbacks=_callbacks(part))  # type: ignore[arg-type]
            try:
                async for chunk in body:
                    parser.write(chunk)
                    if max_bytes is not None and part.size > max_bytes:
                        raise TooLarge(f"more than {max_bytes} bytes. {too_large_hint}".strip())
                    if len(part.buffer) >= WRITE_BUFFER_BYTES:
                        await _flush(part)
                parser.finalize()
            except MultipartParseError as exc:
                raise InvalidInput(f"malformed multipart body: {exc}", field="file") from exc
            await _flush(part, last=True)
        if not part.complete:
            raise InvalidInput("the upload was cut off before its end", field="file")
        if not part.seen_file or part.filename is None:
            raise InvalidInput("the form has no field named 'file'", field="file")
        return ReceivedFile(path, part.filename or "upload", part.size, part.digest.hexdigest())
    except BaseException:
        # Whatever stopped the upload (a client gone, a bad body), no half file stays behind.
        if part is not None and part.writing is not None:
            with contextlib.suppress(BaseException):
                await part.writing
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise


def _temp_file(directory: Path) -> tuple[int, str]:
    directory.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")


async def _flush(part: _FilePart, *, last: bool = False) -> None:
    """Hash and write the buffered block in a thread while the next one is received.

    Hashing on the event loop would cost it about a second per GiB; one block in flight keeps
    the order (the hash is sequential) and bounds memory to two blocks.
    """
    if part.writing is not None:
        await part.writing
        part.writing = None
    if part.buffer:
        block, part.buffer = part.buffer, bytearray()
        part.writing = asyncio.ensure_future(
            asyncio.to_thread(_hash_and_write, part.digest, part.handle, block)
        )
    if last and part.writing is not None:
        await part.writing
        part.writing = None


def _hash_and_write(digest: Any, handle: IO[bytes], block: bytearray) -> None:
    digest.update(block)
    handle.write(block)


def _callbacks(part: _FilePart) -> dict[str, object]:
    return {
        "on_header_field": part.on_header_field,
        "on_header_value": part.on_header_value,
        "on_header_end": part.on_header_end,
        "on_headers_finished": part.on_headers_finished,
        "on_part_data": part.on_part_data,
        "on_part_end": part.on_part_end,
        "on_end": part.on_end,
    }
