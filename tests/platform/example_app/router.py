"""HTTP routes of the example app."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from reelhouse.platform.deps import MemberPrincipal, ScopeDep
from reelhouse.platform.errors import NotFound, errors
from tests.platform.example_app.schemas import NoteCreate, NoteCreated, NoteRead
from tests.platform.example_app.service import NoteService

router = APIRouter(prefix="/example", tags=["example"])


def get_note_service(scope: ScopeDep) -> NoteService:
    return NoteService(scope)


NoteServiceDep = Annotated[NoteService, Depends(get_note_service)]


@router.post("/notes", status_code=201)
async def write_note(
    body: NoteCreate, notes: NoteServiceDep, _member: MemberPrincipal
) -> NoteCreated:
    note, job = await notes.write(body.text)
    return NoteCreated(note=NoteRead.model_validate(note), job_id=job.id)


@router.get("/notes/{note_id}", responses=errors(NotFound))
async def read_note(note_id: uuid.UUID, notes: NoteServiceDep) -> NoteRead:
    return NoteRead.model_validate(await notes.get(note_id))
