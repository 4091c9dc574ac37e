"""Request and response bodies of the tag routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def normalize_tag_name(value: str) -> str:
    """Tags compare lower-case with single spaces: "Night  Drive" and "night drive" are one tag."""
    name = " ".join(value.split()).lower()
    if not name:
        raise ValueError("a tag name needs at least one visible character")
    return name


TagName = Annotated[str, Field(max_length=100), AfterValidator(normalize_tag_name)]


class TagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime


class TagWithCount(TagRead):
    asset_count: int


class TagCreate(BaseModel):
    name: TagName


class TagUpdate(BaseModel):
    name: TagName


class TagRef(BaseModel):
    """A tag by id, or by name (created if it does not exist yet)."""

    tag_id: uuid.UUID | None = None
    name: TagName | None = None
