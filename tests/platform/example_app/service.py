"""Notes: written, then summarized by a job that profiles them in the worker process pool."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from reelhouse.platform.jobs.models import Job
from reelhouse.platform.repository import Repository
from reelhouse.platform.scope import Scope
from tests.platform.example_app.models import Note
from tests.platform.example_app.settings import ExampleSettings

SUMMARIZE_TASK = "example.summarize"


class NoteRepository(Repository[Note]):
    model = Note
    kind = "note"


class NoteService:
    def __init__(self, scope: Scope) -> None:
        self.notes = NoteRepository(scope.session, scope.org_id)
        self.jobs = scope.jobs
        self.settings = scope.settings.app(ExampleSettings)

    async def write(self, text: str) -> tuple[Note, Job]:
        note = await self.notes.create(text=text)
        job = await self.jobs.enqueue(SUMMARIZE_TASK, {"note_id": str(note.id)})
        return note, job

    async def get(self, note_id: uuid.UUID) -> Note:
        return await self.notes.get(note_id)

    async def summarized(self, note_id: uuid.UUID, words: int, pid: int) -> Note:
        note = await self.notes.get(note_id)
        return await self.notes.update(
            note, summary=f"{self.settings.greeting}: {words} words", profiled_by_pid=pid
        )

    async def count(self) -> int:
        total = await self.notes.session.scalar(
            select(func.count()).select_from(self.notes.select().subquery())
        )
        return int(total or 0)
