"""Job handlers of stored objects: delete what nothing refers to, report orphans."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from reelhouse.apps.archive.objects.service import (
    DELETE_CONTENT_TASK,
    ORPHAN_SCAN_TASK,
    StoredObjectService,
)
from reelhouse.platform.jobs import JobContext, periodic, task


@task(DELETE_CONTENT_TASK, max_attempts=5, timeout=600)
async def delete_content(ctx: JobContext) -> dict[str, Any]:
    """Remove stored bytes nothing refers to any more. A deletion that keeps failing ends as a
    failed job: the dead letter, listed among the blockers and retried with the job's retry."""
    key = ctx.payload["storage_key"]
    async with ctx.scope() as scope:
        if await StoredObjectService(scope).in_use(key):
            return {"kept": key, "reason": "referred to again"}
    await ctx.storage.delete(key)
    return {"deleted": key}


@task(ORPHAN_SCAN_TASK, max_attempts=1, timeout=24 * 3600)
async def scan_orphans(ctx: JobContext) -> dict[str, Any]:
    """Report stored objects that no asset or output of any organization refers to."""
    orphans: list[str] = []
    checked = 0
    async with ctx.scope() as scope:
        async for key, orphaned in StoredObjectService(scope).orphans():
            checked += 1
            if orphaned:
                orphans.append(key)
    return {"checked": checked, "orphans": len(orphans), "keys": orphans[:1000]}


periodic(ORPHAN_SCAN_TASK, every=timedelta(hours=6), instance_wide=True)
