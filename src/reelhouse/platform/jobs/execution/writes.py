"""How an executor moves the jobs it runs: one interface, a plain store and a fast one behind it.

Every statement spans organizations on purpose (a worker serves them all) and is guarded by the
status, and the worker and attempt, it expects, so two processes can never both move one job.
``SqlJobWrites`` (``store``) says each one once through SQLAlchemy. ``FastJobWrites`` (``direct``)
is the same store with the two statements every job makes, its claim by id and its successful end,
sent through the driver itself: they bound a busy worker's rate. One contract test suite runs
against both.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from reelhouse.platform.jobs.context import ClaimedJob, ErrorInfo, SuccessfulEnd
from reelhouse.platform.jobs.execution.direct import FastJobWrites
from reelhouse.platform.jobs.execution.store import SqlJobWrites
from reelhouse.platform.jobs.models import JobStatus

__all__ = ["FastJobWrites", "JobWrites", "SqlJobWrites", "open_job_writes"]


class JobWrites(Protocol):
    async def claim_next(self, worker_id: str, limit: int) -> list[ClaimedJob]:
        """Take up to ``limit`` due queued jobs, by priority then age."""
        ...

    async def claim(self, job_ids: Sequence[uuid.UUID], worker_id: str) -> list[ClaimedJob]:
        """Take the named jobs that are queued and due; the others are left as they are."""
        ...

    async def beat(self, worker_id: str, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bool]:
        """Refresh the heartbeat of the jobs still ours; answers each one's cancel request."""
        ...

    async def report_progress(
        self, job: ClaimedJob, worker_id: str, fraction: float, message: str | None
    ) -> bool | None:
        """Store progress; answers whether cancellation was asked, ``None`` if the job is lost."""
        ...

    async def succeed(self, worker_id: str, ends: Sequence[SuccessfulEnd]) -> set[uuid.UUID]:
        """End jobs this worker holds as succeeded, each with its result; answers the ids that
        were still ours (a job taken from us meanwhile is not touched)."""
        ...

    async def finish(
        self,
        job: ClaimedJob,
        worker_id: str,
        status: JobStatus,
        *,
        result: Any = None,
        error: ErrorInfo | None = None,
    ) -> bool:
        """End a job we hold; ``False`` when it was taken from us (then nothing is written)."""
        ...

    async def retry_later(
        self, job: ClaimedJob, worker_id: str, run_after: datetime, error: ErrorInfo
    ) -> bool:
        """Put a failed attempt back in the queue, due at ``run_after``."""
        ...

    async def release(self, job: ClaimedJob, worker_id: str) -> bool:
        """Give a job back to the queue on shutdown; the interrupted attempt does not count."""
        ...

    async def close(self) -> None: ...


def open_job_writes(
    database_url: str, write_lock: asyncio.Lock | None, *, fast: bool = True
) -> JobWrites:
    """The writes of one executor to the database of an async SQLAlchemy URL; connects on first
    use. ``write_lock`` queues this process's writes to SQLite, which takes one writer at a time."""
    kind = FastJobWrites if fast else SqlJobWrites
    return kind(database_url, write_lock)
