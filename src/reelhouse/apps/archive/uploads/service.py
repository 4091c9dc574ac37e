"""Resumable uploads: bytes arrive in ranges, in any order and over many requests, then commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from reelhouse.apps.archive.assets.models import AssetSource
from reelhouse.apps.archive.assets.receiving import ReceivedFile, clean_filename
from reelhouse.apps.archive.assets.server_files import sha256_of
from reelhouse.apps.archive.assets.service import AssetService, Intake
from reelhouse.apps.archive.uploads.models import Upload, UploadStatus
from reelhouse.apps.archive.uploads.ranges import CONTENT_RANGE, merge_range, missing_ranges
from reelhouse.apps.archive.uploads.repository import UploadRepository
from reelhouse.apps.archive.uploads.staging import HeldBytesDiffer, temp_file, write_at
from reelhouse.platform.db import after_commit, utcnow
from reelhouse.platform.errors import Conflict, InvalidInput
from reelhouse.platform.scope import Scope
from reelhouse.platform.storage import SHA256_HEX
from reelhouse.settings import Settings

logger = logging.getLogger("reelhouse.archive")
EXPIRE_TASK = "archive.expire_uploads"
MAX_UPLOAD_BYTES = 1 << 40
DEFAULT_EXPIRY = timedelta(hours=24)
# S3 refuses presigned URLs valid for longer than a week.
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600
STAGING_PREFIX = "uploads/"
OPEN_STATUSES = (UploadStatus.open, UploadStatus.mismatched)


class InvalidButKept(InvalidInput):
    """Bad input found after its effects were recorded: those stand, and the answer is still 422.

    Routes answer it instead of raising it, so the request's unit of work commits what it kept.
    """


@dataclass(frozen=True)
class UploadProgress:
    upload: Upload
    received: list[list[int]]
    bytes_received: int
    missing: list[list[int]]
    complete: bool


def staging_dir(settings: Settings) -> Path:
    """Where uploads staged on this machine keep their bytes until they commit."""
    return settings.data_dir / "uploads"


class UploadService:
    def __init__(self, scope: Scope) -> None:
        self.session = scope.session
        self.storage = scope.storage
        self.staging_dir = staging_dir(scope.settings)
        self.actor = scope.actor
        # Committed files are taken in exactly as a direct upload is.
        self.assets = AssetService(scope)
        self.uploads = UploadRepository(scope.session, scope.org_id)

    async def get(self, upload_id: uuid.UUID) -> Upload:
        return await self.uploads.get(upload_id)

    async def init(
        self,
        filename: str,
        size: int,
        expected_sha256: str | None,
        expires_in: timedelta = DEFAULT_EXPIRY,
    ) -> tuple[Upload, str | None]:
        """Open an upload; on S3 also answer the presigned URL to PUT the whole file to."""
        name = clean_filename(filename)
        if not name or len(name) > 500:
            raise InvalidInput("a file name of 1 to 500 characters is needed", field="filename")
        if not 0 < size <= MAX_UPLOAD_BYTES:
            raise InvalidInput(f"size must be 1 to {MAX_UPLOAD_BYTES} bytes", field="size")
        digest = None if expected_sha256 is None else expected_sha256.lower()
        if digest is not None and not SHA256_HEX.fullmatch(digest):
            raise InvalidInput("sha256 must be 64 hexadecimal characters", field="sha256")
        upload_id = uuid.uuid4()
        key = f"{STAGING_PREFIX}{upload_id}"
        seconds = min(int(expires_in.total_seconds()), MAX_PRESIGNED_SECONDS)
        url = await self.storage.presigned_put(key, expires_seconds=seconds)
        upload = await self.uploads.create(
            id=upload_id,
            filename=name,
            size=size,
            expected_sha256=digest,
            status=UploadStatus.open,
            received=[],
            staging_key=key if url is not None else f"{upload_id}.part",
            expires_at=utcnow() + expires_in,
            asset_id=None,
            created_by_user_id=None if self.actor is None else self.actor.user_id,
        )
        return upload, url

    async def write_range(
        self,
        upload: Upload,
        start: int,
        total: int | None,
        chunks: AsyncIterator[bytes],
        *,
        end: int | None = None,
    ) -> Upload:
        """Write a body at ``start`` of the staged file and record the bytes that landed.

        ``end`` (inclusive, default the last byte) is where the body says it stops: a body that
        stops short or runs past it keeps what was written and raises ``InvalidButKept``.
        """
        self._require_open(upload)
        if _staged_in_storage(upload):
            raise Conflict("this upload goes to its presigned URL, not through the API")
        if total is not None and total != upload.size:
            raise InvalidInput(
                f"the total {total} is not the {upload.size} bytes declared", field=CONTENT_RANGE
            )
        last = upload.size - 1 if end is None else end
        if not 0 <= start <= last < upload.size:
            raise InvalidInput(
                f"bytes {start}-{last} fall outside the {upload.size} bytes declared",
                field=CONTENT_RANGE,
            )
        path = self.staging_dir / upload.staging_key
        # After a failed hash check the client resends the ranges it suspects, with other bytes.
        held = upload.received if upload.status != UploadStatus.mismatched else []
        try:
            written, overran = await write_at(path, start, last - start + 1, chunks, held)
        except HeldBytesDiffer as differ:
            raise Conflict(
                f"bytes {start}-{last} overlap bytes received before and differ from them at "
                f"byte {differ.offset}; nothing of this body was recorded",
                field=CONTENT_RANGE,
                received=upload.received,
            ) from differ
        if written:
            await self.uploads.lock(upload)
            self._require_open(upload)
            upload.received = merge_range(upload.received, start, start + written - 1)
            await self.session.flush()
        if overran or written != last - start + 1:
            raise InvalidButKept(
                f"bytes {start}-{last} were declared but {'more' if overran else written} "
                "arrived; what arrived is kept",
                field=CONTENT_RANGE,
                received=upload.received,
            )
        return upload

    async def status(self, upload: Upload) -> UploadProgress:
        """What has arrived and what is missing; on S3 the staged object tells, whole or not."""
        received = upload.received
        if _staged_in_storage(upload) and upload.status in OPEN_STATUSES:
            staged = await self.storage.size(upload.staging_key)
            received = [[0, upload.size - 1]] if staged == upload.size else []
        missing = missing_ranges(received, upload.size)
        count = sum(last - first + 1 for first, last in received)
        return UploadProgress(upload, received, count, missing, complete=not missing)

    async def commit(self, upload: Upload) -> Intake:
        """Make the asset of a fully received upload; content held already answers its asset.

        Content that does not hash to the expected SHA-256 leaves the upload open, its bytes
        kept and marked ``mismatched`` (ranges may then be sent again with other bytes), and
        raises ``InvalidButKept``.
        """
        await self.uploads.lock(upload)
        self._require_open(upload)
        progress = await self.status(upload)
        if not progress.complete:
            raise Conflict(
                f"{progress.bytes_received} of {upload.size} bytes received",
                missing=progress.missing,
            )
        path = await self._local_copy(upload)
        try:
            sha256 = await asyncio.to_thread(sha256_of, path)
            if upload.expected_sha256 is not None and sha256 != upload.expected_sha256:
                upload.status = UploadStatus.mismatched
                await self.session.flush()
                raise InvalidButKept(
                    f"the content hashes to {sha256}, not to the {upload.expected_sha256} expected;"
                    " the upload stays open: send the wrong ranges again and commit",
                    field="sha256",
                    sha256=sha256,
                )
            intake = await self.assets.take_upload(
                ReceivedFile(path, upload.filename, upload.size, sha256), AssetSource.ingest
            )
        finally:
            if _staged_in_storage(upload):
                await asyncio.to_thread(path.unlink, missing_ok=True)
        if _staged_in_storage(upload):
            self._remove_staged_after_commit(upload)
        upload.status, upload.asset_id = UploadStatus.committed, intake.asset.id
        upload.received = progress.received
        await self.session.flush()
        return intake

    async def expire_stale(self, now: datetime) -> int:
        """Close every open upload past its expiry, removing its staged bytes; answers how many."""
        stale = await self.uploads.stale(now)
        for upload in stale:
            self._discard(upload)
        await self.session.flush()
        return len(stale)

    async def _local_copy(self, upload: Upload) -> Path:
        """A local file of the staged bytes: the staged file itself, or a download from S3."""
        if not _staged_in_storage(upload):
            path = self.staging_dir / upload.staging_key
            if not await asyncio.to_thread(path.is_file):
                raise Conflict("the staged bytes of this upload are gone; start a new upload")
            return path
        descriptor, name = await asyncio.to_thread(temp_file, self.staging_dir)
        os.close(descriptor)
        try:
            await self.storage.download_to(upload.staging_key, Path(name))
        except BaseException:
            # Whatever stopped the download (a cancelled request too), no partial copy stays.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
            raise
        return Path(name)

    def _require_open(self, upload: Upload) -> None:
        if upload.status == UploadStatus.committed:
            raise Conflict("this upload is committed already", asset_id=str(upload.asset_id))
        if upload.status == UploadStatus.expired or upload.expires_at <= utcnow():
            raise Conflict("this upload has expired; start a new one")

    def _discard(self, upload: Upload) -> None:
        upload.status = UploadStatus.expired
        self._remove_staged_after_commit(upload)

    def _remove_staged_after_commit(self, upload: Upload) -> None:
        # After the commit only: a rolled-back request leaves the upload and its bytes as they were.
        storage, key = self.storage, upload.staging_key
        path = None if _staged_in_storage(upload) else self.staging_dir / key

        async def remove() -> None:
            try:
                if path is not None:
                    await asyncio.to_thread(path.unlink, missing_ok=True)
                else:
                    await storage.delete(key)
            except Exception:
                logger.exception("could not remove staged upload bytes", extra={"key": key})

        after_commit(self.session, remove)


def _staged_in_storage(upload: Upload) -> bool:
    return upload.staging_key.startswith(STAGING_PREFIX)
