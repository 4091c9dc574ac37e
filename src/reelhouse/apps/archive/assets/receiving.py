"""Receive an upload as it streams in: to a temporary file, hashed on the way, never in memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from reelhouse.platform.errors import InvalidInput, ReelhouseError
from reelhouse.platform.filewriter import HashingFileWriter

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

    def __init__(self) -> None:
        self.size = 0
        self.filename: str | None = None
        self.pieces: list[bytes | memoryview] = []
        self.pending_bytes = 0
        self._header_field = b""
        self._headers: dict[bytes, bytes] = {}
        self._in_file = False
        self.seen_file = False
        self.file_fields = 0
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
        is_file = options.get(b"name") == FILE_FIELD.encode()
        if is_file and self.seen_file:
            self.file_fields += 1
        self._in_file = is_file and not self.seen_file
        if self._in_file:
            self.seen_file = True
            self.file_fields = 1
            raw_name = options.get(b"filename", b"upload")
            self.filename = clean_filename(raw_name.decode("utf-8", "replace")) or "upload"
        self._headers = {}

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file and end > start:
            self.size += end - start
            self.pending_bytes += end - start
            # A reference, not a copy: the chunk is immutable and the sink writes it as it is.
            self.pieces.append(
                data if start == 0 and end == len(data) else memoryview(data)[start:end]
            )

    def on_part_end(self) -> None:
        self._in_file = False

    def on_end(self) -> None:
        self.complete = True

    def take_pieces(self) -> list[bytes | memoryview]:
        pieces, self.pieces, self.pending_bytes = self.pieces, [], 0
        return pieces


def clean_filename(raw: str) -> str:
    """The base name of a client's file name, without control characters (CR and LF would
    split a header it is written into) or surrounding spaces."""
    printable = "".join(c for c in raw if unicodedata.category(c) != "Cc")
    return Path(printable.replace("\\", "/")).name.strip()


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
    *,
    durable: bool = True,
) -> ReceivedFile:
    """Stream the ``file`` field of a multipart body to ``directory``; removed on any failure.

    ``durable``: on disk when this returns (an upload to keep), or not (a file read and dropped).
    """
    _kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise InvalidInput("expected multipart/form-data with a boundary", field="file")
    descriptor, name = await asyncio.to_thread(_temp_file, directory)
    path = Path(name)
    writer = HashingFileWriter(descriptor, direct=durable)
    try:
        part = _FilePart()
        parser = MultipartParser(boundary, callbacks=_callbacks(part))  # type: ignore[arg-type]
        try:
            async for chunk in body:
                parser.write(chunk)
                if max_bytes is not None and part.size > max_bytes:
                    raise TooLarge(f"more than {max_bytes} bytes. {too_large_hint}".strip())
                if part.pending_bytes >= WRITE_BUFFER_BYTES:
                    await writer.write(part.take_pieces())
            parser.finalize()
        except MultipartParseError as exc:
            raise InvalidInput(f"malformed multipart body: {exc}", field="file") from exc
        await writer.write(part.take_pieces())
        sha256 = await writer.finish(sync=durable)
        if not part.complete:
            raise InvalidInput("the upload was cut off before its end", field="file")
        if not part.seen_file or part.filename is None:
            raise InvalidInput("the form has no field named 'file'", field="file")
        if part.file_fields > 1:
            raise InvalidInput(
                f"the form has {part.file_fields} fields named 'file'; send one file per request",
                field="file",
            )
        return ReceivedFile(path, part.filename, part.size, sha256)
    except BaseException:
        # Whatever stopped the upload (a client gone, a bad body), no half file stays behind.
        await writer.abandon()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise


def _temp_file(directory: Path) -> tuple[int, str]:
    directory.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")


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
