"""Queries of assets and tags, inside one organization."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.apps.archive.models import Asset, AssetTag, Output, Tag
from reelhouse.platform.events import EventBus
from reelhouse.platform.jobs.dispatch import Dispatcher
from reelhouse.platform.jobs.service import JobService
from reelhouse.platform.repository import Repository

logger = logging.getLogger("reelhouse.archive")
CONTENT_PREFIX = "sha256/"
DELETE_CONTENT_TASK = "archive.delete_content"


async def content_in_use(session: AsyncSession, storage_key: str) -> bool:
    """Whether any asset or output still points at stored bytes (after this unit's changes).

    Deliberately across organizations: identical bytes are stored once for everyone, so an
    object may go only when nothing of any organization refers to it.
    """
    await session.flush()
    for column in (Asset.storage_key, Output.storage_key):
        used = await session.scalar(select(func.count()).where(column == storage_key))
        if used:
            return True
    return False


async def delete_content_later(
    session: AsyncSession, org_id: uuid.UUID, bus: EventBus, dispatcher: Dispatcher, key: str
) -> None:
    """Remove stored bytes, as a job asked for in this unit of work (so never if it rolls back);
    the job checks again that nothing refers to them and retries a failing deletion."""
    jobs = JobService(session, org_id, bus, dispatcher)
    await jobs.enqueue(DELETE_CONTENT_TASK, {"storage_key": key})


class AssetRepository(Repository[Asset]):
    model = Asset
    kind = "asset"

    async def by_sha256(self, sha256: str) -> Asset | None:
        return (await self.session.execute(self.select().where(Asset.sha256 == sha256))).scalar()

    async def tag_names(self, asset_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        """The tags of each asset, in one query for a whole page."""
        if not asset_ids:
            return {}
        rows = await self.session.execute(
            select(AssetTag.asset_id, Tag.name)
            .join(Tag, Tag.id == AssetTag.tag_id)
            .where(AssetTag.org_id == self.org_id, AssetTag.asset_id.in_(asset_ids))
            .order_by(Tag.name)
        )
        names: dict[uuid.UUID, list[str]] = {asset_id: [] for asset_id in asset_ids}
        for asset_id, name in rows.all():
            names[asset_id].append(name)
        return names


class TagRepository(Repository[Tag]):
    model = Tag
    kind = "tag"

    async def by_name(self, name: str) -> Tag | None:
        return (await self.session.execute(self.select().where(Tag.name == name))).scalar()

    async def with_counts(self) -> list[tuple[Tag, int]]:
        counts = (
            select(AssetTag.tag_id, func.count().label("assets"))
            .where(AssetTag.org_id == self.org_id)
            .group_by(AssetTag.tag_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(Tag, func.coalesce(counts.c.assets, 0))
            .outerjoin(counts, counts.c.tag_id == Tag.id)
            .where(Tag.org_id == self.org_id)
            .order_by(Tag.name)
        )
        return [(tag, int(count)) for tag, count in rows.all()]


class AssetTagRepository(Repository[AssetTag]):
    model = AssetTag
    kind = "tag of asset"

    async def find(self, asset_id: uuid.UUID, tag_id: uuid.UUID) -> AssetTag | None:
        statement = self.select().where(AssetTag.asset_id == asset_id, AssetTag.tag_id == tag_id)
        return (await self.session.execute(statement)).scalar()
