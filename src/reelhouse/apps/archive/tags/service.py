"""Tags: a catalog of normalized names, attached to assets."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from reelhouse.apps.archive.assets.models import Asset
from reelhouse.apps.archive.tags.models import Tag
from reelhouse.apps.archive.tags.repository import AssetTagRepository, TagRepository
from reelhouse.platform.errors import Conflict, InvalidInput
from reelhouse.platform.events import Event, Subject, publish_after_commit
from reelhouse.platform.pagination import PageRequest
from reelhouse.platform.scope import Scope

# Tags describe assets: who may hear of assets hears of their tags.
TAGS_TOPIC = "assets"


class TagNameTaken(Conflict):
    slug = "tag-name-taken"
    title = "Tag name taken"


class TagService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.session = scope.session
        self.tags = TagRepository(scope.session, scope.org_id)
        self.links = AssetTagRepository(scope.session, scope.org_id)

    async def catalog(self, page: PageRequest) -> tuple[list[tuple[Tag, int]], int]:
        """One page of tags with the number of assets that carry each, and the total."""
        return await self.tags.with_counts(page)

    async def get(self, tag_id: uuid.UUID) -> Tag:
        return await self.tags.get(tag_id)

    async def ensure(self, name: str) -> tuple[Tag, bool]:
        """The tag of this (normalized) name, created if needed; answers whether it was new."""
        existing = await self.tags.by_name(name)
        if existing is not None:
            return existing, False
        try:
            async with self.session.begin_nested():
                tag = await self.tags.create(name=name)
        except IntegrityError:
            raced = await self.tags.by_name(name)
            if raced is None:
                raise
            return raced, False
        self._publish("tag.created", tag)
        return tag, True

    async def rename(self, tag_id: uuid.UUID, name: str) -> Tag:
        """Give the tag a new (normalized) name; one another tag holds is a conflict."""
        tag = await self.tags.get(tag_id)
        if name == tag.name:
            return tag
        holder = await self.tags.by_name(name)
        if holder is not None:
            raise TagNameTaken(f"a tag named {name!r} exists", field="name", tag_id=str(holder.id))
        try:
            async with self.session.begin_nested():
                await self.tags.update(tag, name=name)
        except IntegrityError as exc:
            raise TagNameTaken(f"a tag named {name!r} exists", field="name") from exc
        self._publish("tag.renamed", tag)
        return tag

    async def delete(self, tag_id: uuid.UUID) -> None:
        """Remove the tag from the catalog and from every asset that carried it."""
        tag = await self.tags.get(tag_id)
        await self.links.detach_everywhere(tag.id)
        await self.tags.delete(tag)
        self._publish("tag.deleted", tag)

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

    def _publish(self, name: str, tag: Tag) -> None:
        event = Event(
            event=name, org_id=tag.org_id, subject=Subject("tag", tag.id), data={"name": tag.name}
        )
        publish_after_commit(self.session, self.scope.bus, TAGS_TOPIC, event)
