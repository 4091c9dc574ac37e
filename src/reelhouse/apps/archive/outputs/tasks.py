"""Job handlers of outputs: the actions asked on them."""

from __future__ import annotations

import uuid
from typing import Any

from reelhouse.apps.archive.assets.server_files import sha256_of
from reelhouse.apps.archive.objects.readable import readable_copy
from reelhouse.apps.archive.outputs.models import Availability
from reelhouse.apps.archive.outputs.service import ACTION_TASK, OutputService
from reelhouse.platform.jobs import JobContext, JobFailed, task
from reelhouse.platform.profiling import ProfileFailed, profile_file


@task(ACTION_TASK, max_attempts=2, timeout=3600)
async def run_output_action(ctx: JobContext) -> dict[str, Any]:
    """``verify_checksum`` re-hashes the stored bytes; ``refresh_metadata`` reads them again."""
    async with ctx.scope() as scope:
        outputs = OutputService(scope)
        action = await outputs.get_action(uuid.UUID(ctx.payload["action_id"]))
        output = await outputs.get(action.output_id)
        output_id, name, key, expected = output.id, action.action, output.storage_key, output.sha256
        filename = output.name
    if not await ctx.storage.exists(key):
        await _mark(ctx, output_id, availability=Availability.missing)
        return {"availability": "missing"}
    async with readable_copy(ctx.storage, key, None, filename) as local:
        if name == "verify_checksum":
            actual = await ctx.run_in_process(sha256_of, local)
            state = Availability.available if actual == expected else Availability.corrupt
            await _mark(ctx, output_id, availability=state)
            return {"availability": state.value, "expected": expected, "actual": actual}
        try:
            profile = await ctx.run_in_process(profile_file, local)
        except ProfileFailed as exc:
            await _mark(ctx, output_id, availability=Availability.corrupt)
            raise JobFailed(str(exc)) from exc
    await _mark(ctx, output_id, availability=Availability.available, facts=profile.metadata)
    return {"availability": "available", "facts": profile.metadata}


async def _mark(ctx: JobContext, output_id: uuid.UUID, **values: Any) -> None:
    async with ctx.scope() as scope:
        outputs = OutputService(scope)
        await outputs.mark_checked(await outputs.get(output_id), **values)
