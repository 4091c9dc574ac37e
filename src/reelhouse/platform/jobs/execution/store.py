"""The executors' side of the jobs table: claim, beat, report, retry, release and finish.

These statements span organizations on purpose: a worker serves every organization, and each
statement is guarded by the status (and the claiming worker) it expects, so two processes can
never both move one job. The sweeper's statements are in ``recovery``; the two every job makes
(a claim by id, a successful end) are in ``direct``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    Text,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from reelhouse.platform.db import utcnow
from reelhouse.platform.jobs.context import ClaimedJob
from reelhouse.platform.jobs.models import Job, JobPriority, JobStatus

# The executors write through a plain connection (less overhead per job), the API through
# its unit of work; these statements serve both.
Database = AsyncSession | AsyncConnection
_CLAIMED_COLUMNS = (
    Job.id,
    Job.org_id,
    Job.type,
    Job.payload,
    Job.attempts,
    Job.max_attempts,
    Job.timeout_s,
    Job.subject_kind,
    Job.subject_id,
    Job.priority,
)


def _dialect_name(db: Database) -> str:
    bind = db.get_bind() if isinstance(db, AsyncSession) else db
    return bind.dialect.name


def _held_by(job: ClaimedJob, worker_id: str) -> ColumnElement[bool]:
    return (
        (Job.id == job.id)
        & (Job.status == JobStatus.running)
        & (Job.worker_id == worker_id)
        & (Job.attempts == job.attempt)
    )


def _claimed(rows: Sequence[Any]) -> list[ClaimedJob]:
    return [
        ClaimedJob(
            id=row.id,
            org_id=row.org_id,
            type=row.type,
            payload=row.payload or {},
            attempt=row.attempts,
            max_attempts=row.max_attempts,
            timeout_s=row.timeout_s,
            subject_kind=row.subject_kind,
            subject_id=row.subject_id,
            priority=JobPriority(row.priority),
        )
        for row in rows
    ]


def _start_values(worker_id: str, now: datetime) -> dict[str, Any]:
    return {
        "status": JobStatus.running,
        "worker_id": worker_id,
        "attempts": Job.attempts + 1,
        "started_at": now,
        "heartbeat_at": now,
        "finished_at": None,
        "progress": 0.0,
        "progress_message": None,
        "updated_at": now,
    }


async def claim_next(db: Database, worker_id: str, limit: int) -> list[ClaimedJob]:
    """Take up to ``limit`` due queued jobs, by priority then age."""
    now = utcnow()
    candidates = (
        select(Job.id)
        .where(Job.status == JobStatus.queued, Job.run_after <= now)
        .order_by(Job.priority_rank, Job.created_at)
        .limit(limit)
    )
    if _dialect_name(db) == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # A CTE is evaluated once; an IN (subquery ... LIMIT) may be re-run by PostgreSQL's planner
    # and take more rows than asked for.
    chosen = candidates.cte("chosen").prefix_with("MATERIALIZED", dialect="postgresql")
    statement = (
        update(Job)
        .where(Job.id.in_(select(chosen.c.id)), Job.status == JobStatus.queued)
        .values(_start_values(worker_id, now))
        .returning(*_CLAIMED_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    return _claimed((await db.execute(statement)).all())


async def beat(db: Database, worker_id: str, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bool]:
    """Refresh the heartbeat of the jobs still ours; answers each one's cancel request."""
    if not job_ids:
        return {}
    statement = (
        update(Job)
        .where(Job.id.in_(job_ids), Job.status == JobStatus.running, Job.worker_id == worker_id)
        .values(heartbeat_at=utcnow())
        .returning(Job.id, Job.cancel_requested)
        .execution_options(synchronize_session=False)
    )
    return {row.id: row.cancel_requested for row in (await db.execute(statement)).all()}


async def report_progress(
    db: Database, job: ClaimedJob, worker_id: str, fraction: float, message: str | None
) -> bool | None:
    """Store progress; answers whether cancellation was asked, or ``None`` if the job is lost."""
    statement = (
        update(Job)
        .where(_held_by(job, worker_id))
        .values(progress=fraction, progress_message=message, heartbeat_at=utcnow())
        .returning(Job.cancel_requested)
        .execution_options(synchronize_session=False)
    )
    row = (await db.execute(statement)).first()
    return None if row is None else bool(row.cancel_requested)


# Built once: ending jobs is the hot path of a busy worker, and building a statement per job
# costs more than running it. The guard of _held_by, with the job given as parameters.
_HELD_BY_PARAMETERS = (
    Job.id == bindparam("p_job_id"),
    Job.status == JobStatus.running,
    Job.worker_id == bindparam("p_worker_id"),
    Job.attempts == bindparam("p_attempt"),
)
_FINISH = (
    update(Job)
    .where(*_HELD_BY_PARAMETERS)
    .values(
        status=bindparam("p_new_status", type_=Job.__table__.c.status.type),
        finished_at=bindparam("p_now", type_=Job.__table__.c.finished_at.type),
        updated_at=bindparam("p_now", type_=Job.__table__.c.updated_at.type),
        result=bindparam("p_result", type_=Job.__table__.c.result.type),
        progress=func.coalesce(bindparam("p_progress", type_=Float()), Job.progress),
        error_type=bindparam("p_error_type", type_=String()),
        error_message=bindparam("p_error_message", type_=Text()),
        error_traceback=bindparam("p_error_traceback", type_=Text()),
    )
    .returning(Job.id)
    .execution_options(synchronize_session=False)
)


async def finish(
    db: Database,
    job: ClaimedJob,
    worker_id: str,
    status: JobStatus,
    *,
    result: Any = None,
    error: tuple[str, str, str | None] | None = None,
) -> bool:
    """End a job we hold; ``False`` when it was taken from us (then nothing is written)."""
    now = utcnow()
    succeeded = status == JobStatus.succeeded
    parameters = {
        "p_job_id": job.id,
        "p_worker_id": worker_id,
        "p_attempt": job.attempt,
        "p_new_status": status,
        "p_now": now,
        "p_result": result if succeeded else None,
        "p_progress": 1.0 if succeeded else None,
        "p_error_type": None if error is None else error[0],
        "p_error_message": None if error is None else error[1],
        "p_error_traceback": None if error is None else error[2],
    }
    outcome = await db.execute(_FINISH, parameters)
    return outcome.first() is not None


async def retry_later(
    db: Database,
    job: ClaimedJob,
    worker_id: str,
    run_after: datetime,
    error: tuple[str, str, str | None],
) -> bool:
    """Put a failed attempt back in the queue, due at ``run_after``."""
    outcome = await db.execute(
        update(Job)
        .where(_held_by(job, worker_id))
        .values(
            status=JobStatus.queued,
            worker_id=None,
            run_after=run_after,
            dispatched_at=None,
            error_type=error[0],
            error_message=error[1],
            error_traceback=error[2],
            updated_at=utcnow(),
        )
        .returning(Job.id)
    )
    return outcome.first() is not None


async def release(db: Database, job: ClaimedJob, worker_id: str) -> bool:
    """Give a job back to the queue on shutdown; the interrupted attempt does not count."""
    outcome = await db.execute(
        update(Job)
        .where(_held_by(job, worker_id))
        .values(
            status=JobStatus.queued,
            worker_id=None,
            attempts=Job.attempts - 1,
            dispatched_at=None,
            updated_at=utcnow(),
        )
        .returning(Job.id)
    )
    return outcome.first() is not None
