"""The local executor: a pool that claims queued rows from the jobs table and runs them."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelhouse.platform.jobs.execution.dispatch import LocalDispatcher
from reelhouse.platform.jobs.execution.runner import JobRunner
from reelhouse.platform.loops import stop_gracefully

logger = logging.getLogger("reelhouse.jobs")


class LocalExecutor:
    """Claims up to ``concurrency`` jobs at a time, by priority then age, and runs them.

    It polls the table, so a job queued while no executor ran is found when one starts; a
    dispatch in this process wakes it at once instead of at the next poll.
    """

    def __init__(
        self,
        runner: JobRunner,
        session_factory: async_sessionmaker[AsyncSession],
        dispatcher: LocalDispatcher | None,
        *,
        concurrency: int,
        poll_seconds: float,
    ) -> None:
        self.runner = runner
        self.session_factory = session_factory
        self.dispatcher = dispatcher
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.add_listener(self.wake)
        self._loop_task = asyncio.create_task(self._claim_forever(), name="local-executor")

    async def stop(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.remove_listener(self.wake)
        await stop_gracefully(self._loop_task, self._ask_to_stop)

    def _ask_to_stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _claim_forever(self) -> None:
        while not self._stopping:
            # Cleared before claiming, so a dispatch or a finished job during the claim is kept.
            self._wake.clear()
            free = self.concurrency - self.runner.running_count
            claimed = 0
            if free > 0:
                try:
                    claimed = await self._claim(free)
                except Exception:
                    logger.exception("claiming jobs failed; will try again")
            if free > 0 and claimed == free:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def _claim(self, free: int) -> int:
        jobs = await self.runner.writes.claim_next(self.runner.worker_id, free)
        for job in jobs:
            self.runner.spawn(job).add_done_callback(lambda _task: self._wake.set())
        return len(jobs)
