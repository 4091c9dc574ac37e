"""Tags: a catalog of normalized names, attached to assets."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from reelhouse.apps.archive.assets.models import Asset
from reelhouse.apps.archive.tags.models import Tag
from reelhouse.apps.archive.tags.repository import AssetTagRepository, TagRepository
from reelhouse.platform.errors import InvalidInput
from reelhouse.platform.scope import Scope


class TagService:
    def __init__(self, scope: Scope) -> None:
        self.session = scope.session
        self.tags = TagRepository(scope.session, scope.org_id)
        self.links = AssetTagRepository(scope.session, scope.org_id)

    async def catalog(self) -> list[tuple[Tag, int]]:
        """Every tag with the number of assets that carry it."""
        return await self.tags.with_counts()

    async def get(self, tag_id: uuid.UUID) -> Tag:
        return await self.tags.get(tag_id)

    async def ensure(self, name: str) -> tuple[Tag, bool]:
        """The tag of this (normalized) name, created if needed; answers whether it was new."""
        existing = await self.tags.by_name(name)
        if existing is not None:
            return existing, False
        try:
            async with self.session.begin_nested():
                return await self.tags.create(name=name), True
        except IntegrityError:
            raced = await self.tags.by_name(name)
            if raced is None:
                raise
            return raced, False

    async def attach(self, asset: Asset, tag_id: uuid.UUID | None, name: str | None) -> Tag:
        if tag_id is None and name is None:
            raise InvalidInput("give tag_id or name", field="tag_id")
        tag = (
            await self.tags.get(tag_id) if tag_id is not None else (await self.ensure(str(name)))[0]
        )
        if await self.links.find(asset.id, tag.id) is None:
            await self.links.create(asset_id=asset.id, tag_id=tag.id)
        return tag

    async def detach(self, asset: Asset, tag_id: uuid.UUID) -> None:
        tag = await self.tags.get(tag_id)
        link = await self.links.find(asset.id, tag.id)
        if link is not None:
            await self.links.delete(link)
