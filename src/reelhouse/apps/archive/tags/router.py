"""HTTP routes of tags: the catalog, and tags attached to assets."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from reelhouse.apps.archive.deps import CurrentAsset, TagServiceDep
from reelhouse.apps.archive.tags.repository import SORTABLE
from reelhouse.apps.archive.tags.schemas import (
    TagCreate,
    TagRead,
    TagRef,
    TagUpdate,
    TagWithCount,
)
from reelhouse.apps.archive.tags.service import TagNameTaken
from reelhouse.platform.deps import MemberPrincipal, sorted_page
from reelhouse.platform.errors import NotFound, errors
from reelhouse.platform.pagination import Page, PageRequest

router = APIRouter(tags=["tags"])


@router.get("/tags")
async def list_tags(
    tags: TagServiceDep, page: Annotated[PageRequest, sorted_page(*SORTABLE)]
) -> Page[TagWithCount]:
    """The catalog by name (``sort``: ``name``, ``created_at``), each tag with its asset count."""
    rows, total = await tags.catalog(page)
    items = [
        TagWithCount(id=tag.id, name=tag.name, created_at=tag.created_at, asset_count=count)
        for tag, count in rows
    ]
    return Page[TagWithCount].of(items, total, page)


@router.post(
    "/tags",
    status_code=201,
    response_model=TagRead,
    responses={200: {"model": TagRead, "description": "a tag of that name existed already"}},
)
async def create_tag(
    body: TagCreate, tags: TagServiceDep, _member: MemberPrincipal
) -> JSONResponse:
    """A new tag (201), or the one of the same normalized name (200)."""
    tag, created = await tags.ensure(body.name)
    read = TagRead.model_validate(tag).model_dump(mode="json")
    return JSONResponse(read, status_code=201 if created else 200)


@router.patch("/tags/{tag_id}", responses=errors(NotFound, TagNameTaken))
async def rename_tag(
    tag_id: uuid.UUID, body: TagUpdate, tags: TagServiceDep, _member: MemberPrincipal
) -> TagRead:
    """Rename a tag; the assets that carry it keep it."""
    return TagRead.model_validate(await tags.rename(tag_id, body.name))


@router.delete("/tags/{tag_id}", status_code=204, responses=errors(NotFound))
async def delete_tag(tag_id: uuid.UUID, tags: TagServiceDep, _member: MemberPrincipal) -> Response:
    """Remove a tag from the catalog and from every asset."""
    await tags.delete(tag_id)
    return Response(status_code=204)


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
