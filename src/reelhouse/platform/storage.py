"""Content storage: objects under string keys, on a local folder or in an S3 bucket.

Keys are relative POSIX paths (``sha256/ab/cd/<hex>``) and follow the same rules on every backend,
so code that works on the local folder works on S3. Files go in whole, from a finished local file,
and come out as streams of bounded chunks, whole or by byte range.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal, Protocol
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ListObjectsV2OutputTypeDef

DEFAULT_CHUNK_SIZE = 1024 * 1024
TEMP_PREFIX = ".incoming-"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class Storage(Protocol):
    async def put_file(self, key: str, source: Path) -> None:
        """Store a finished local file under ``key``; ``source`` is gone once this returns."""

    async def exists(self, key: str) -> bool: ...

    async def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when there is no such object."""

    def read(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        """Bytes ``start``..``end`` inclusive (None: to the end), in chunks of ``chunk_size`` at
        most; a range past the end yields what exists of it. FileNotFoundError if absent."""

    async def delete(self, key: str) -> None:
        """Remove the object; removing an absent one is not an error."""

    async def download_to(self, key: str, destination: Path) -> None:
        """Copy the object into a local file. FileNotFoundError if absent."""

    def local_path(self, key: str) -> Path | None:
        """A path to read the object in place, or None where objects are not local files."""

    async def presigned_get(
        self, key: str, expires_seconds: int = 3600, filename: str | None = None
    ) -> str | None:
        """A URL to download the object directly, or None where the backend has none."""

    async def presigned_put(self, key: str, expires_seconds: int = 3600) -> str | None:
        """A URL to upload the object directly with a PUT, or None where the backend has none."""

    async def check(self) -> str:
        """Raise if the storage cannot be used; otherwise a short description of it."""

    def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Every key starting with ``prefix``, in no promised order."""


def content_key(sha256_hex: str) -> str:
    """The key of content by its SHA-256: ``sha256/ab/cd/<hex>``."""
    if not SHA256_HEX.fullmatch(sha256_hex):
        raise ValueError(f"not a lowercase hex SHA-256: {sha256_hex!r}")
    return f"sha256/{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}"


def validate_key(key: str) -> str:
    """The key itself if it is a relative POSIX path with no empty, ``.`` or ``..`` part."""
    # Rejecting rather than normalising keeps a key naming the same object on every backend.
    if "\0" in key or any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def _check_range(start: int, end: int | None, chunk_size: int) -> None:
    if start < 0 or (end is not None and end < start) or chunk_size <= 0:
        raise ValueError(f"invalid byte range {start}-{end} or chunk size {chunk_size}")


async def read_file(
    path: Path, start: int = 0, end: int | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> AsyncIterator[bytes]:
    """Bytes ``start``..``end`` (inclusive; ``None``: to the end) of a file, off the loop."""
    handle: IO[bytes] = await asyncio.to_thread(path.open, "rb")
    try:
        await asyncio.to_thread(handle.seek, start)
        remaining = sys.maxsize if end is None else end - start + 1
        while remaining > 0:
            chunk = await asyncio.to_thread(handle.read, min(chunk_size, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


class LocalStorage:
    """Objects as files under ``root``; every write lands in its final place atomically."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root.resolve()

    def local_path(self, key: str) -> Path:
        return self.root / validate_key(key)

    async def put_file(self, key: str, source: Path) -> None:
        await asyncio.to_thread(self._put_file, self.local_path(key), source)

    def _put_file(self, destination: Path, source: Path) -> None:
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, destination)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            _copy_atomically(source, destination)
            source.unlink()
        # The caller made the bytes durable; a crash must not lose the name that finds them.
        _sync_directory(destination.parent)

    async def exists(self, key: str) -> bool:
        return await self.size(key) is not None

    async def size(self, key: str) -> int | None:
        try:
            status = await asyncio.to_thread(self.local_path(key).stat)
        except FileNotFoundError:
            return None
        # A folder between keys is not an object, as a common prefix is not one on S3.
        return status.st_size if stat.S_ISREG(status.st_mode) else None

    async def read(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        _check_range(start, end, chunk_size)
        async for chunk in read_file(self.local_path(key), start, end, chunk_size):
            yield chunk

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.local_path(key).unlink, missing_ok=True)

    async def download_to(self, key: str, destination: Path) -> None:
        await asyncio.to_thread(_copy_atomically, self.local_path(key), destination)

    async def presigned_get(
        self, key: str, expires_seconds: int = 3600, filename: str | None = None
    ) -> None:
        validate_key(key)

    async def presigned_put(self, key: str, expires_seconds: int = 3600) -> None:
        validate_key(key)

    async def check(self) -> str:
        def write_probe() -> None:
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=TEMP_PREFIX):
                pass

        await asyncio.to_thread(write_probe)
        return f"local {self.root} writable"

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        folder = prefix.rpartition("/")[0]
        top = self.local_path(folder) if folder else self.root
        walk = os.walk(top)
        while (step := await asyncio.to_thread(next, walk, None)) is not None:
            directory, _folders, files = step
            for name in files:
                key = Path(directory, name).relative_to(self.root).as_posix()
                if not name.startswith(TEMP_PREFIX) and key.startswith(prefix):
                    yield key


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _copy_atomically(source: Path, destination: Path) -> None:
    # A reader of ``destination`` sees the whole file or none: copy beside it, then rename.
    descriptor, temporary = tempfile.mkstemp(dir=destination.parent, prefix=TEMP_PREFIX)
    try:
        with open(descriptor, "wb") as target, source.open("rb") as origin:
            shutil.copyfileobj(origin, target, DEFAULT_CHUNK_SIZE)
            target.flush()
            os.fsync(target.fileno())
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class S3Storage:
    """Objects in an S3 bucket (or an S3-compatible server), optionally under a key prefix.

    The boto3 client is synchronous and thread-safe, so each call runs in a worker thread.
    """

    def __init__(
        self,
        bucket: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        session = boto3.session.Session(
            aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
        )
        config = Config(signature_version="s3v4")
        if endpoint_url:
            # S3-compatible servers (MinIO, Ceph, moto) rarely have wildcard DNS for bucket hosts,
            # and many reject the CRC checksums botocore sends by default since 1.36.
            config = config.merge(
                Config(
                    s3={"addressing_style": "path"},
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                )
            )
        self._client: S3Client = session.client("s3", endpoint_url=endpoint_url, config=config)

    def _key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def local_path(self, key: str) -> None:
        validate_key(key)

    async def put_file(self, key: str, source: Path) -> None:
        def upload() -> None:
            # upload_file switches to a parallel multipart upload for large files.
            self._client.upload_file(str(source), self.bucket, self._key(key))
            source.unlink()

        await asyncio.to_thread(upload)

    async def exists(self, key: str) -> bool:
        return await self.size(key) is not None

    async def size(self, key: str) -> int | None:
        try:
            head = await asyncio.to_thread(
                self._client.head_object, Bucket=self.bucket, Key=self._key(key)
            )
        except ClientError as error:
            if _error_code(error) in MISSING_CODES:
                return None
            raise
        return head["ContentLength"]

    async def read(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        _check_range(start, end, chunk_size)
        body = await asyncio.to_thread(self._open_body, key, start, end)
        if body is None:
            return
        try:
            while chunk := await asyncio.to_thread(body.read, chunk_size):
                yield chunk
        finally:
            body.close()

    def _open_body(self, key: str, start: int, end: int | None) -> StreamingBody | None:
        span = f"bytes={start}-{'' if end is None else end}"
        try:
            with _missing_as_not_found(key):
                response = self._client.get_object(
                    Bucket=self.bucket, Key=self._key(key), Range=span
                )
        except ClientError as error:
            # A range past the end, including any range of an empty object, holds no bytes.
            if _error_code(error) == "InvalidRange":
                return None
            raise
        return response["Body"]

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=self._key(key))

    async def download_to(self, key: str, destination: Path) -> None:
        with _missing_as_not_found(key):
            await asyncio.to_thread(
                self._client.download_file, self.bucket, self._key(key), str(destination)
            )

    async def presigned_get(
        self, key: str, expires_seconds: int = 3600, filename: str | None = None
    ) -> str:
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        if filename is not None:
            params["ResponseContentDisposition"] = content_disposition(filename)
        return await self._presign("get_object", params, expires_seconds)

    async def presigned_put(self, key: str, expires_seconds: int = 3600) -> str:
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        return await self._presign("put_object", params, expires_seconds)

    async def _presign(
        self, operation: Literal["get_object", "put_object"], params: dict[str, str], expires: int
    ) -> str:
        # Signing is local, but resolving credentials may call the instance metadata service.
        return await asyncio.to_thread(
            self._client.generate_presigned_url, operation, params, expires
        )

    async def check(self) -> str:
        await asyncio.to_thread(self._client.head_bucket, Bucket=self.bucket)
        return f"s3 bucket {self.bucket} reachable"

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        paginator = self._client.get_paginator("list_objects_v2")
        pages: Iterator[ListObjectsV2OutputTypeDef] = iter(
            paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        )
        while (page := await asyncio.to_thread(next, pages, None)) is not None:
            for item in page.get("Contents", []):
                yield item["Key"].removeprefix(self.prefix)


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A disposition naming ``filename``, safe for any characters (RFC 6266): an ASCII
    ``filename`` for old clients and the exact name as UTF-8 in ``filename*`` (RFC 5987)."""
    # A name read from a file system may hold undecodable bytes (surrogate escapes).
    readable = filename.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in readable
    )
    encoded = quote(readable, safe="")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


@contextlib.contextmanager
def _missing_as_not_found(key: str) -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        if _error_code(error) in MISSING_CODES:
            raise FileNotFoundError(errno.ENOENT, "no such object", key) from error
        raise


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def create_storage(
    backend: str,
    *,
    root: Path | None = None,
    bucket: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    prefix: str = "",
) -> Storage:
    """The storage asked for: ``local`` (needs ``root``) or ``s3`` (needs ``bucket``)."""
    if backend == "local":
        if root is None:
            raise ValueError("local storage needs a root folder")
        return LocalStorage(root)
    if backend == "s3":
        if not bucket:
            raise ValueError("s3 storage needs a bucket")
        return S3Storage(
            bucket,
            region=region,
            endpoint_url=endpoint_url,
            access_key=access_key,
            secret_key=secret_key,
            prefix=prefix,
        )
    raise ValueError(f"unknown storage backend {backend!r}: expected 'local' or 's3'")
