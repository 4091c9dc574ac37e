"""Stored objects: content-addressed bytes that assets and outputs of any organization share."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import func, select

from reelhouse.apps.archive.assets.models import Asset
from reelhouse.apps.archive.outputs.models import Output
from reelhouse.platform.scope import Scope

CONTENT_PREFIX = "sha256/"
DELETE_CONTENT_TASK = "archive.delete_content"
ORPHAN_SCAN_TASK = "archive.scan_orphans"


class StoredObjectService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.session = scope.session

    async def in_use(self, storage_key: str) -> bool:
        """Whether any asset or output still points at stored bytes (after this unit's changes).

        Deliberately across organizations: identical bytes are stored once for everyone, so an
        object may go only when nothing of any organization refers to it.
        """
        await self.session.flush()
        for column in (Asset.storage_key, Output.storage_key):
            used = await self.session.scalar(select(func.count()).where(column == storage_key))
            if used:
                return True
        return False

    async def release(self, storage_key: str) -> None:
        """Remove stored bytes once nothing refers to them, as a job asked for in this unit of
        work (so never if it rolls back); the job checks again and retries a failing deletion."""
        if not await self.in_use(storage_key):
            await self.scope.jobs.enqueue(DELETE_CONTENT_TASK, {"storage_key": storage_key})

    async def orphans(self) -> AsyncIterator[tuple[str, bool]]:
        """Every stored object's key, and whether nothing refers to it."""
        async for key in self.scope.storage.list_keys(CONTENT_PREFIX):
            yield key, not await self.in_use(key)
