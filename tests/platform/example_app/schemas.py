"""Bodies of the example app's routes."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class NoteCreate(BaseModel):
    text: str = Field(min_length=1, max_length=1000)


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    text: str
    summary: str | None
    profiled_by_pid: int | None


class NoteCreated(BaseModel):
    note: NoteRead
    job_id: uuid.UUID


class NotesSummary(BaseModel):
    notes: int
