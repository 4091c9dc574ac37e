"""What a job handler receives: its job, a scope to build services in, and ways to report,
check and publish."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.platform.events import Event, EventBus, Subject
from reelhouse.platform.jobs.execution.dispatch import Dispatcher
from reelhouse.platform.jobs.models import JobPriority
from reelhouse.platform.scope import Scope
from reelhouse.platform.storage import Storage
from reelhouse.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds: the attempt number guards every later write."""

    id: uuid.UUID
    org_id: uuid.UUID
    type: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    timeout_s: float | None
    subject_kind: str | None
    subject_id: uuid.UUID | None
    priority: JobPriority

    @property
    def subject(self) -> Subject | None:
        if self.subject_kind is None or self.subject_id is None:
            return None
        return Subject(self.subject_kind, self.subject_id)


SuccessfulEnd = tuple[ClaimedJob, Any]
"""A job ending as succeeded, with its result."""
ErrorInfo = tuple[str, str, str | None]
"""An attempt's error: its type, its message and its traceback."""


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
        storage: Storage,
        unit_of_work: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        report: Callable[[float, str | None], Awaitable[bool | None]],
        process_pool: Callable[[], Executor],
    ) -> None:
        self.job = job
        self.settings = settings
        self.event_bus = event_bus
        self.dispatcher = dispatcher
        self.storage = storage
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

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[Scope]:
        """A unit of work in the job's organization, to build services in; it commits when the
        block ends. The job works on its own behalf: the scope has no actor."""
        async with self._unit_of_work() as session:
            yield Scope(
                session=session,
                org_id=self.org_id,
                actor=None,
                bus=self.event_bus,
                dispatcher=self.dispatcher,
                storage=self.storage,
                settings=self.settings,
            )

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
