"""The loop every background duty of the job machinery runs in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger("reelhouse.jobs")
STOP_GRACE_SECONDS = 10.0


class Duty:
    """Runs ``step`` every ``interval_seconds``; a failing step is logged and tried again later.

    It stops between steps, never in the middle of one: a task cancelled inside a database
    call can leave its connection neither used nor returned to the pool.
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[Any]],
        interval_seconds: float,
        *,
        sleep_first: bool = False,
    ) -> None:
        self.name = name
        self._step = step
        self._interval = interval_seconds
        self._sleep_first = sleep_first
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        await stop_gracefully(self._task, self._stopping.set)

    async def _run(self) -> None:
        if self._sleep_first:
            await self._pause()
        while not self._stopping.is_set():
            try:
                await self._step()
            except Exception:
                logger.exception(
                    "background duty failed; will try again", extra={"duty": self.name}
                )
            await self._pause()

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self._interval)


async def stop_gracefully(task: asyncio.Task[Any] | None, ask_to_stop: Callable[[], None]) -> None:
    """Ask a loop to stop and wait for it; cancel it only if it does not stop in time."""
    if task is None:
        return
    ask_to_stop()
    try:
        await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_SECONDS)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
