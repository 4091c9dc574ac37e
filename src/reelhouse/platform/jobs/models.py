"""The jobs table and the schedule of periodic jobs."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from reelhouse.platform.db import Base, enum_column, utcnow
from reelhouse.platform.repository import OrgOwned


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)


class JobPriority(enum.StrEnum):
    high = "high"
    default = "default"
    low = "low"

    @property
    def rank(self) -> int:
        """Claim order: lower first."""
        return {JobPriority.high: 0, JobPriority.default: 1, JobPriority.low: 2}[self]


class Job(OrgOwned):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "status", "priority_rank", "run_after", "created_at"),
        Index("ix_jobs_subject", "org_id", "subject_kind", "subject_id"),
    )

    type: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.queued)
    priority: Mapped[JobPriority] = mapped_column(enum_column(JobPriority))
    priority_rank: Mapped[int]
    progress: Mapped[float] = mapped_column(default=0.0)
    progress_message: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int]
    timeout_s: Mapped[float | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[Any | None] = mapped_column(JSON)
    error_type: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    # Kept for operators; never sent to API clients.
    error_traceback: Mapped[str | None] = mapped_column(Text)
    subject_kind: Mapped[str | None] = mapped_column(String(50))
    subject_id: Mapped[uuid.UUID | None]
    requested_by_user_id: Mapped[uuid.UUID | None]
    requested_by_api_key_id: Mapped[uuid.UUID | None]
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    worker_id: Mapped[str | None] = mapped_column(String(200))


class PeriodicSchedule(Base):
    """When each periodic job is next due; instance-wide, like the migration table.

    Advancing ``next_run_at`` with a compare-and-set is the lease: of several replicas that see
    the same tick due, exactly one moves it on and enqueues that tick's jobs.
    """

    __tablename__ = "periodic_schedules"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    next_run_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None]
