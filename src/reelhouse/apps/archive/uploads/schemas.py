"""Request and response bodies of the resumable upload routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from reelhouse.apps.archive.uploads.models import UploadStatus
from reelhouse.apps.archive.uploads.service import UploadProgress


class IngestStart(BaseModel):
    filename: str = Field(description="Only the base name is kept")
    size: int = Field(description="The whole file's size in bytes")
    sha256: str | None = Field(default=None, description="Checked at commit when given")


class IngestStarted(BaseModel):
    upload_id: uuid.UUID
    upload_url: str = Field(description="Where to PUT the bytes: this API, or S3 directly")
    method: Literal["PUT"] = "PUT"
    expires_at: datetime
    received: list[list[int]]


class IngestCommit(BaseModel):
    upload_id: uuid.UUID


class UploadRead(BaseModel):
    upload_id: uuid.UUID
    filename: str
    size: int
    status: UploadStatus
    received: list[list[int]] = Field(description="Byte ranges held, [[start, end_inclusive]]")
    bytes_received: int
    missing: list[list[int]] = Field(description="Byte ranges still to send")
    complete: bool
    expires_at: datetime
    asset_id: uuid.UUID | None

    @classmethod
    def of(cls, progress: UploadProgress) -> UploadRead:
        upload = progress.upload
        return cls(
            upload_id=upload.id,
            filename=upload.filename,
            size=upload.size,
            status=upload.status,
            received=progress.received,
            bytes_received=progress.bytes_received,
            missing=progress.missing,
            complete=progress.complete,
            expires_at=upload.expires_at,
            asset_id=upload.asset_id,
        )
