"""The plain store of job writes: each executor statement said once, through SQLAlchemy.

``JobWrites`` (``writes``) says what each one does and guards. They run in autocommit, one
guarded statement each, with no BEGIN and COMMIT round trips; the sweeper's statements, which
span every worker, are in ``recovery``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    Text,
    Update,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from reelhouse.platform.db import create_engine, utcnow
from reelhouse.platform.jobs.context import ClaimedJob, ErrorInfo, SuccessfulEnd
from reelhouse.platform.jobs.execution.held_connection import HeldConnection
from reelhouse.platform.jobs.models import Job, JobPriority, JobStatus

# The sweeper writes through a session too; the statements here run on a connection.
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


class SqlJobWrites:
    """``JobWrites`` through SQLAlchemy, on an engine of its own: no ping before each use (a
    write that meets a dropped connection fails and the next one reconnects), and no wait behind
    API requests."""

    def __init__(self, database_url: str, write_lock: asyncio.Lock | None) -> None:
        engine = create_engine(database_url, pre_ping=False)
        self._engine = engine
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._is_postgresql = engine.dialect.name == "postgresql"
        # SQLite takes one writer at a time and makes the others sleep-poll for its lock; in one
        # process, queueing our own writes behind an asyncio lock spares those sleeps.
        self._write_lock = write_lock
        # The local pool's claims, the hot path of a busy pool, on a connection kept open.
        self._claiming = HeldConnection(self._autocommit, write_lock=write_lock)

    @contextlib.asynccontextmanager
    async def _statement(self) -> AsyncIterator[AsyncConnection]:
        async with (
            self._write_lock or contextlib.nullcontext(),
            self._autocommit.connect() as connection,
        ):
            yield connection

    async def claim_next(self, worker_id: str, limit: int) -> list[ClaimedJob]:
        now = utcnow()
        candidates = (
            select(Job.id)
            .where(Job.status == JobStatus.queued, Job.run_after <= now)
            .order_by(Job.priority_rank, Job.created_at)
            .limit(limit)
        )
        if self._is_postgresql:
            candidates = candidates.with_for_update(skip_locked=True)
        # A CTE is evaluated once; an IN (subquery ... LIMIT) may be re-run by PostgreSQL's
        # planner and take more rows than asked for.
        chosen = candidates.cte("chosen").prefix_with("MATERIALIZED", dialect="postgresql")
        statement = _start(worker_id, now).where(Job.id.in_(select(chosen.c.id)))
        async with self._claiming.use() as db:
            return _claimed((await db.execute(statement)).all())

    async def claim(self, job_ids: Sequence[uuid.UUID], worker_id: str) -> list[ClaimedJob]:
        if not job_ids:
            return []
        now = utcnow()
        statement = _start(worker_id, now).where(Job.id.in_(job_ids), Job.run_after <= now)
        async with self._statement() as db:
            return _claimed((await db.execute(statement)).all())

    async def beat(self, worker_id: str, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bool]:
        if not job_ids:
            return {}
        statement = (
            update(Job)
            .where(Job.id.in_(job_ids), Job.status == JobStatus.running, Job.worker_id == worker_id)
            .values(heartbeat_at=utcnow())
            .returning(Job.id, Job.cancel_requested)
            .execution_options(synchronize_session=False)
        )
        async with self._statement() as db:
            return {row.id: row.cancel_requested for row in (await db.execute(statement)).all()}

    async def report_progress(
        self, job: ClaimedJob, worker_id: str, fraction: float, message: str | None
    ) -> bool | None:
        statement = (
            update(Job)
            .where(_held_by(job, worker_id))
            .values(progress=fraction, progress_message=message, heartbeat_at=utcnow())
            .returning(Job.cancel_requested)
            .execution_options(synchronize_session=False)
        )
        async with self._statement() as db:
            row = (await db.execute(statement)).first()
        return None if row is None else bool(row.cancel_requested)

    async def succeed(self, worker_id: str, ends: Sequence[SuccessfulEnd]) -> set[uuid.UUID]:
        ended = set()
        for job, result in ends:
            if await self.finish(job, worker_id, JobStatus.succeeded, result=result):
                ended.add(job.id)
        return ended

    async def finish(
        self,
        job: ClaimedJob,
        worker_id: str,
        status: JobStatus,
        *,
        result: Any = None,
        error: ErrorInfo | None = None,
    ) -> bool:
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
        async with self._statement() as db:
            outcome = await db.execute(_FINISH, parameters)
            return outcome.first() is not None

    async def retry_later(
        self, job: ClaimedJob, worker_id: str, run_after: datetime, error: ErrorInfo
    ) -> bool:
        statement = (
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
        async with self._statement() as db:
            return (await db.execute(statement)).first() is not None

    async def release(self, job: ClaimedJob, worker_id: str) -> bool:
        statement = (
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
        async with self._statement() as db:
            return (await db.execute(statement)).first() is not None

    async def close(self) -> None:
        await self._claiming.close()
        await self._engine.dispose()


def _start(worker_id: str, now: datetime) -> Update:
    """The claim of queued jobs by this worker, to be narrowed to the jobs it takes."""
    return (
        update(Job)
        .where(Job.status == JobStatus.queued)
        .values(_start_values(worker_id, now))
        .returning(*_CLAIMED_COLUMNS)
        .execution_options(synchronize_session=False)
    )


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
        # What a running job said of itself ("decoding 3/9") is no longer true once it ended.
        progress_message=None,
        error_type=bindparam("p_error_type", type_=String()),
        error_message=bindparam("p_error_message", type_=Text()),
        error_traceback=bindparam("p_error_traceback", type_=Text()),
    )
    .returning(Job.id)
    .execution_options(synchronize_session=False)
)
