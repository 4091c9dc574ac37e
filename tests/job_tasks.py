"""Job handlers the tests enqueue; workers started by tests import this module too.

Handlers that count their runs do so in Redis, so that runs in other processes are counted.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as redis_asyncio

from reelhouse.platform.jobs.context import JobContext, JobFailed
from reelhouse.platform.jobs.registry import task
from tests.services import REDIS_URL


async def count_run(key: str, field: str) -> int:
    client = redis_asyncio.Redis.from_url(REDIS_URL)
    try:
        return int(await client.hincrby(key, field, 1))
    finally:
        await client.aclose()


@task("tests.count", max_attempts=3, api_enqueue=True)
async def count(ctx: JobContext) -> dict[str, Any]:
    runs = await count_run(ctx.payload["counter"], str(ctx.job_id))
    return {"runs": runs}


@task("tests.sleepy", max_attempts=3)
async def sleepy(ctx: JobContext) -> dict[str, Any]:
    """Hangs on its first attempt (to be killed there), finishes at once on later ones."""
    if ctx.attempt == 1:
        for _ in range(int(ctx.payload.get("seconds", 60) * 10)):
            await asyncio.sleep(0.1)
    completions = await count_run(ctx.payload["counter"], str(ctx.job_id))
    return {"completions": completions, "attempt": ctx.attempt}


@task("tests.sleepy_once", max_attempts=1)
async def sleepy_once(ctx: JobContext) -> None:
    await asyncio.sleep(60)


@task("tests.flaky", max_attempts=3)
async def flaky(ctx: JobContext) -> dict[str, int]:
    if ctx.attempt < ctx.payload["succeed_on"]:
        raise ConnectionError(f"the camera server hung up (attempt {ctx.attempt})")
    return {"attempt": ctx.attempt}


@task("tests.fails_until_fixed", max_attempts=1)
async def fails_until_fixed(ctx: JobContext) -> str:
    if await count_run(ctx.payload["counter"], "calls") == 1:
        raise RuntimeError("the input share was not mounted")
    return "fixed"


@task("tests.corrupt_input", max_attempts=5)
async def corrupt_input(ctx: JobContext) -> None:
    raise JobFailed("moov atom not found: the file is truncated")


@task("tests.too_slow", max_attempts=1, timeout=0.3)
async def too_slow(ctx: JobContext) -> None:
    await asyncio.sleep(10)


@task("tests.long_progress", max_attempts=1)
async def long_progress(ctx: JobContext) -> None:
    for step in range(600):
        await asyncio.sleep(0.05)
        await ctx.progress((step + 1) / 600, f"frame {step + 1}")


@task("tests.sum_of_squares", max_attempts=1)
async def sum_of_squares_task(ctx: JobContext) -> dict[str, int]:
    total = await ctx.run_in_process(sum_of_squares, ctx.payload["n"])
    return {"total": total}


def sum_of_squares(n: int) -> int:
    return sum(number * number for number in range(n))


@task("tests.noop", max_attempts=1, priority="low")
async def noop(ctx: JobContext) -> None:
    return None
