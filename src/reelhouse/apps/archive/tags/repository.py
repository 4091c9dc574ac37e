"""Queries of tags and of the assets that carry them, inside one organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, select

from reelhouse.apps.archive.tags.models import AssetTag, Tag
from reelhouse.platform.pagination import PageRequest
from reelhouse.platform.repository import Repository

SORTABLE = ("name", "created_at")


class TagRepository(Repository[Tag]):
    model = Tag
    kind = "tag"

    async def by_name(self, name: str) -> Tag | None:
        return (await self.session.execute(self.select().where(Tag.name == name))).scalar()

    async def with_counts(self, page: PageRequest) -> tuple[list[tuple[Tag, int]], int]:
        """One page of tags, each with the number of assets that carry it, and the total."""
        column_name, descending = page.sort_key(SORTABLE)
        column = getattr(Tag, column_name)
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
            .order_by(column.desc() if descending else column.asc(), Tag.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        total = await self.session.scalar(
            select(func.count()).select_from(Tag).where(Tag.org_id == self.org_id)
        )
        return [(tag, int(count)) for tag, count in rows.all()], int(total or 0)


class AssetTagRepository(Repository[AssetTag]):
    model = AssetTag
    kind = "tag of asset"

    async def detach_everywhere(self, tag_id: uuid.UUID) -> None:
        """Take the tag off every asset of the organization."""
        await self.session.execute(
            delete(AssetTag).where(AssetTag.org_id == self.org_id, AssetTag.tag_id == tag_id)
        )

    async def find(self, asset_id: uuid.UUID, tag_id: uuid.UUID) -> AssetTag | None:
        statement = self.select().where(AssetTag.asset_id == asset_id, AssetTag.tag_id == tag_id)
        return (await self.session.execute(statement)).scalar()

    def assets_tagged(self, name: str) -> Select[Any]:
        """The ids of the assets that carry the tag ``name``, as a subquery to filter by."""
        return (
            select(AssetTag.asset_id)
            .join(Tag, Tag.id == AssetTag.tag_id)
            .where(AssetTag.org_id == self.org_id, Tag.name == name)
        )

    async def names_by_asset(self, asset_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
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
