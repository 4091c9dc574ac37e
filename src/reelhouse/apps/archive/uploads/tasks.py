"""Job handlers of uploads: expiring the ones left open."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from reelhouse.apps.archive.uploads.service import EXPIRE_TASK, UploadService
from reelhouse.platform.db import utcnow
from reelhouse.platform.jobs import JobContext, periodic, task


@task(EXPIRE_TASK, max_attempts=1)
async def expire_uploads(ctx: JobContext) -> dict[str, Any]:
    """Close this organization's uploads past their expiry and free their staged bytes."""
    async with ctx.scope() as scope:
        expired = await UploadService(scope).expire_stale(utcnow())
    return {"expired": expired}


periodic(EXPIRE_TASK, every=timedelta(minutes=10))
