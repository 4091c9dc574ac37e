"""Request and response bodies of the job routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from reelhouse.platform.jobs.models import Job, JobPriority, JobStatus


class SubjectRef(BaseModel):
    kind: str = Field(min_length=1, max_length=50)
    id: uuid.UUID


class JobError(BaseModel):
    type: str
    message: str


class JobRead(BaseModel):
    id: uuid.UUID
    type: str
    status: JobStatus
    priority: JobPriority
    progress: float
    progress_message: str | None
    attempts: int
    max_attempts: int
    payload: dict[str, Any]
    result: Any | None
    error: JobError | None
    subject: SubjectRef | None
    cancel_requested: bool
    requested_by_user_id: uuid.UUID | None
    requested_by_api_key_id: uuid.UUID | None
    created_at: datetime
    run_after: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobRead:
        """The job as clients see it: the traceback stays on the server."""
        error = None
        if job.error_type is not None:
            error = JobError(type=job.error_type, message=job.error_message or "")
        subject = None
        if job.subject_kind is not None and job.subject_id is not None:
            subject = SubjectRef(kind=job.subject_kind, id=job.subject_id)
        return cls(
            id=job.id,
            type=job.type,
            status=job.status,
            priority=job.priority,
            progress=job.progress,
            progress_message=job.progress_message,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            payload=job.payload,
            result=job.result,
            error=error,
            subject=subject,
            cancel_requested=job.cancel_requested,
            requested_by_user_id=job.requested_by_user_id,
            requested_by_api_key_id=job.requested_by_api_key_id,
            created_at=job.created_at,
            run_after=job.run_after,
            started_at=job.started_at,
            finished_at=job.finished_at,
            heartbeat_at=job.heartbeat_at,
        )


class JobCreate(BaseModel):
    """Enqueue a job type that allows it (diagnostics and maintenance tasks)."""

    type: str = Field(min_length=1, max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict)
    priority: JobPriority | None = None
    subject: SubjectRef | None = None


class JobSummary(BaseModel):
    by_status: dict[str, int]
    by_type: dict[str, int]
    last_finished_at: datetime | None
