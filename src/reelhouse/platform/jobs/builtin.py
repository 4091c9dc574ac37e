"""Tasks of the platform itself."""

from __future__ import annotations

import asyncio
from typing import Any

from reelhouse.platform.jobs.context import JobContext
from reelhouse.platform.jobs.registry import task

MAX_ECHO_DELAY_S = 60.0


@task("platform.echo", max_attempts=1, timeout=120, api_enqueue=True)
async def echo(ctx: JobContext) -> dict[str, Any]:
    """A diagnostic: proves the path from the API through an executor and back.

    Waits ``delay`` seconds (at most 60) in ten progress steps, then answers its payload.
    """
    delay = min(float(ctx.payload.get("delay", 0)), MAX_ECHO_DELAY_S)
    if delay > 0:
        for step in range(1, 11):
            await asyncio.sleep(delay / 10)
            await ctx.progress(step / 10, f"step {step} of 10")
    return {"echo": ctx.payload.get("message"), "attempt": ctx.attempt}
