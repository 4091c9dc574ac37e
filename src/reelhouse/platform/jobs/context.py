"""What a job handler receives: its payload, and ways to report, check and publish."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.platform.events import Event, EventBus, Subject
from reelhouse.platform.jobs.dispatch import Dispatcher
from reelhouse.platform.jobs.store import ClaimedJob
from reelhouse.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")


class JobCancelled(Exception):
    """Raised inside a handler when its job was cancelled; the runner ends it ``cancelled``."""


class JobFailed(Exception):
    """Raise to fail a job at once, without retries: its input will not get better."""


class JobLost(Exception):
    """The job was taken from this worker (requeued after a stale heartbeat): stop working."""


class JobContext:
    def __init__(
        self,
        job: ClaimedJob,
        *,
        settings: Settings,
        event_bus: EventBus,
        dispatcher: Dispatcher,
        unit_of_work: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        report: Callable[[float, str | None], Awaitable[bool | None]],
        process_pool: Callable[[], Executor],
    ) -> None:
        self.job = job
        self.settings = settings
        self.event_bus = event_bus
        self.dispatcher = dispatcher
        self._unit_of_work = unit_of_work
        self._report = report
        self._process_pool = process_pool

    @property
    def job_id(self) -> uuid.UUID:
        return self.job.id

    @property
    def org_id(self) -> uuid.UUID:
        return self.job.org_id

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    @property
    def attempt(self) -> int:
        return self.job.attempt

    @property
    def subject(self) -> Subject | None:
        return self.job.subject

    def unit_of_work(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session that commits when the block ends (and rolls back if it raises)."""
        return self._unit_of_work()

    async def progress(self, fraction: float, message: str | None = None) -> None:
        """Record progress (0..1) and publish it; raises ``JobCancelled`` if cancel was asked."""
        cancel_requested = await self._report(min(max(fraction, 0.0), 1.0), message)
        if cancel_requested is None:
            raise JobLost(f"job {self.job_id} was taken from this worker")
        if cancel_requested:
            raise JobCancelled(f"job {self.job_id} was cancelled")

    async def publish(self, topic: str, event: Event) -> None:
        await self.event_bus.publish(topic, event)

    async def run_in_process(
        self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run CPU-heavy work in a worker process, keeping this event loop (and the API) free."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._process_pool(), partial(function, *args, **kwargs))
