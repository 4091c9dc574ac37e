"""The sweeper's side of the jobs table: find jobs whose worker went silent or that no
executor took, and put them back in the queue (or fail them, attempts spent).

Like the executors' statements in ``store``, these span organizations on purpose and each is
guarded by the state it expects, so a sweeper racing a worker or another sweeper moves a job once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from reelhouse.platform.db import utcnow
from reelhouse.platform.jobs.execution.store import Database
from reelhouse.platform.jobs.models import Job, JobPriority, JobStatus


@dataclass(frozen=True)
class RecoveredJob:
    id: uuid.UUID
    org_id: uuid.UUID
    type: str
    status: JobStatus
    attempts: int
    max_attempts: int
    priority: JobPriority


async def stale_running(db: Database, beat_before: datetime) -> list[RecoveredJob]:
    rows = await db.execute(
        select(
            Job.id, Job.org_id, Job.type, Job.status, Job.attempts, Job.max_attempts, Job.priority
        )
        .where(Job.status == JobStatus.running, Job.heartbeat_at < beat_before)
        .limit(500)
    )
    return [RecoveredJob(*row) for row in rows.all()]


async def recover(
    db: Database, job: RecoveredJob, beat_before: datetime, run_after: datetime
) -> JobStatus | None:
    """Requeue (or fail, attempts spent) a job whose worker stopped beating; ``None`` if raced."""
    exhausted = job.attempts >= job.max_attempts
    reason = f"the worker stopped sending heartbeats (attempt {job.attempts} of {job.max_attempts})"
    new_status = JobStatus.failed if exhausted else JobStatus.queued
    now = utcnow()
    values: dict[str, Any] = {
        "status": new_status,
        "worker_id": None,
        "error_type": "WorkerLost",
        "error_message": reason,
        "error_traceback": None,
        "updated_at": now,
    }
    values.update(
        {"finished_at": now, "progress_message": None}
        if exhausted
        else {"run_after": run_after, "dispatched_at": None}
    )
    outcome = await db.execute(
        update(Job)
        .where(
            Job.id == job.id,
            Job.status == JobStatus.running,
            Job.attempts == job.attempts,
            Job.heartbeat_at < beat_before,
        )
        .values(values)
        .returning(Job.id)
    )
    return new_status if outcome.first() is not None else None


async def undelivered(
    db: Database, delivered_before: datetime, limit: int = 500
) -> list[tuple[uuid.UUID, JobPriority]]:
    """Queued, due jobs that no executor took since ``delivered_before``; marked as re-sent."""
    now = utcnow()
    last_sent = func.coalesce(Job.dispatched_at, Job.created_at)
    rows = (
        await db.execute(
            select(Job.id, Job.priority)
            .where(
                Job.status == JobStatus.queued, Job.run_after <= now, last_sent < delivered_before
            )
            .order_by(Job.priority_rank, Job.created_at)
            .limit(limit)
        )
    ).all()
    if rows:
        await db.execute(
            update(Job).where(Job.id.in_([row.id for row in rows])).values(dispatched_at=now)
        )
    return [(row.id, JobPriority(row.priority)) for row in rows]
