"""The example app's job: profile the note's text in the process pool and store the summary."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

from reelhouse.platform.jobs import JobContext, task
from reelhouse.platform.profiling import profile_file
from tests.platform.example_app.profiling import EXTENSION
from tests.platform.example_app.service import SUMMARIZE_TASK, NoteService


@task(SUMMARIZE_TASK, max_attempts=1, timeout=60)
async def summarize(ctx: JobContext) -> dict[str, Any]:
    note_id = uuid.UUID(ctx.payload["note_id"])
    async with ctx.scope() as scope:
        text = (await NoteService(scope).get(note_id)).text
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"note{EXTENSION}"
        path.write_text(text, encoding="utf-8")
        profile = await ctx.run_in_process(profile_file, path)
    async with ctx.scope() as scope:
        note = await NoteService(scope).summarized(
            note_id, profile.metadata["words"], profile.metadata["pid"]
        )
        return {"summary": note.summary, "kind": profile.kind}
