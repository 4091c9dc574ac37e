"""Queries of uploads, inside one organization."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reelhouse.apps.archive.uploads.models import Upload, UploadStatus
from reelhouse.platform.repository import Repository


class UploadRepository(Repository[Upload]):
    model = Upload
    kind = "upload"

    async def stale(self, now: datetime) -> Sequence[Upload]:
        return await self.list(
            self.select().where(
                Upload.status.in_((UploadStatus.open, UploadStatus.mismatched)),
                Upload.expires_at <= now,
            )
        )

    async def lock(self, upload: Upload) -> Upload:
        """The upload read again, locked until the commit: concurrent merges see each other."""
        await self.session.refresh(upload, with_for_update=True)
        return upload
