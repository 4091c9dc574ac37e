"""HTTP routes of tags: the catalog, and tags attached to assets."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from reelhouse.apps.archive.deps import CurrentAsset, TagServiceDep
from reelhouse.apps.archive.tags.schemas import TagCreate, TagRead, TagRef, TagWithCount
from reelhouse.platform.deps import MemberPrincipal
from reelhouse.platform.errors import NotFound, errors

router = APIRouter(tags=["tags"])


@router.get("/tags")
async def list_tags(tags: TagServiceDep) -> list[TagWithCount]:
    return [
        TagWithCount(id=tag.id, name=tag.name, created_at=tag.created_at, asset_count=count)
        for tag, count in await tags.catalog()
    ]


@router.post("/tags", status_code=201)
async def create_tag(body: TagCreate, tags: TagServiceDep, _member: MemberPrincipal) -> TagRead:
    tag, _created = await tags.ensure(body.name)
    return TagRead.model_validate(tag)


@router.post("/assets/{asset_id}/tags", status_code=201, responses=errors(NotFound))
async def attach_tag(
    asset: CurrentAsset, body: TagRef, tags: TagServiceDep, _member: MemberPrincipal
) -> TagRead:
    return TagRead.model_validate(await tags.attach(asset, body.tag_id, body.name))


@router.delete("/assets/{asset_id}/tags/{tag_id}", status_code=204, responses=errors(NotFound))
async def detach_tag(
    asset: CurrentAsset, tag_id: uuid.UUID, tags: TagServiceDep, _member: MemberPrincipal
) -> Response:
    await tags.detach(asset, tag_id)
    return Response(status_code=204)
