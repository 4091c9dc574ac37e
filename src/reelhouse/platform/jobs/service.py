"""Asking for jobs and managing them, inside one organization."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.platform.auth.principal import Principal
from reelhouse.platform.counting import count_by, newest, per_day
from reelhouse.platform.db import Base, after_commit, utcnow
from reelhouse.platform.errors import Conflict, InvalidInput, NotFound
from reelhouse.platform.events import Event, EventBus, Subject, publish_after_commit
from reelhouse.platform.jobs.execution.dispatch import Delivery, Dispatcher
from reelhouse.platform.jobs.models import Job, JobPriority, JobStatus
from reelhouse.platform.jobs.registry import get_task
from reelhouse.platform.jobs.schemas import JobSummary
from reelhouse.platform.pagination import PageRequest, TimeRange, within
from reelhouse.platform.repository import OrgOwned, Repository

logger = logging.getLogger("reelhouse.jobs")

_DELIVERIES_KEY = "reelhouse.job_deliveries"
JOB_SORTS = ("-created_at", "finished_at", "started_at", "type", "status")
JOBS_TOPIC = "jobs"


def job_event(name: str, job_id: uuid.UUID, org_id: uuid.UUID, **data: Any) -> Event:
    return Event(event=name, org_id=org_id, subject=Subject("job", job_id), data=data)


def subject_model(kind: str) -> type[OrgOwned] | None:
    """The table a subject kind names: its plural (``asset`` rows live in ``assets``), the
    convention of every ``Subject`` the apps make; only tables owned by an organization."""
    for mapper in Base.registry.mappers:
        model = mapper.class_
        if issubclass(model, OrgOwned) and model.__tablename__ == f"{kind}s":
            return model
    return None


class JobRepository(Repository[Job]):
    model = Job
    kind = "job"


@dataclass(frozen=True)
class JobFilters:
    types: Sequence[str] = ()
    statuses: Sequence[JobStatus] = ()
    subject_kind: str | None = None
    subject_id: uuid.UUID | None = None
    created: TimeRange = field(default_factory=TimeRange)


class JobService:
    def __init__(
        self, *, session: AsyncSession, org_id: uuid.UUID, bus: EventBus, dispatcher: Dispatcher
    ) -> None:
        self.session = session
        self.org_id = org_id
        self.bus = bus
        self.dispatcher = dispatcher
        self.jobs = JobRepository(session, org_id)

    async def enqueue(
        self,
        job_type: str,
        payload: dict[str, Any] | None = None,
        *,
        subject: Subject | None = None,
        priority: JobPriority | None = None,
        requested_by: Principal | None = None,
        run_after: datetime | None = None,
    ) -> Job:
        """Add a job in the caller's transaction; it is delivered only once that commits."""
        spec = get_task(job_type)
        if spec is None:
            raise InvalidInput(f"no job type {job_type!r} is registered", field="type")
        chosen = priority or spec.priority
        # Added, not flushed: a request asking for many jobs writes them in one batch.
        job = self.jobs.add(
            type=job_type,
            payload=payload or {},
            status=JobStatus.queued,
            priority=chosen,
            priority_rank=chosen.rank,
            max_attempts=spec.max_attempts,
            timeout_s=spec.timeout,
            subject_kind=None if subject is None else subject.kind,
            subject_id=None if subject is None else subject.id,
            requested_by_user_id=None if requested_by is None else requested_by.user_id,
            requested_by_api_key_id=None if requested_by is None else requested_by.api_key_id,
            run_after=run_after or utcnow(),
            progress=0.0,
            progress_message=None,
            attempts=0,
            result=None,
            error_type=None,
            error_message=None,
            cancel_requested=False,
            started_at=None,
            finished_at=None,
            heartbeat_at=None,
        )
        self._deliver_after_commit(Delivery(job.id, chosen, run_after))
        self._publish(job, "job.queued")
        return job

    async def enqueue_on_request(
        self,
        job_type: str,
        payload: dict[str, Any],
        *,
        subject: Subject | None,
        priority: JobPriority | None,
        requested_by: Principal,
    ) -> Job:
        """Enqueue for a client, which may only ask for job types declared ``api_enqueue``."""
        spec = get_task(job_type)
        if spec is None or not spec.api_enqueue:
            raise InvalidInput(
                f"job type {job_type!r} cannot be enqueued through the API", field="type"
            )
        if subject is not None:
            await self._require_own_subject(subject)
        return await self.enqueue(
            job_type, payload, subject=subject, priority=priority, requested_by=requested_by
        )

    async def _require_own_subject(self, subject: Subject) -> None:
        """A client's subject must be a row of its own organization; another's does not exist."""
        model = subject_model(subject.kind)
        if model is None:
            raise InvalidInput(f"no subject kind {subject.kind!r}", field="subject.kind")
        found = await self.session.scalar(
            select(exists().where(model.id == subject.id, model.org_id == self.org_id))
        )
        if not found:
            raise NotFound(subject.kind, subject.id)

    async def get(self, job_id: uuid.UUID) -> Job:
        return await self.jobs.get(job_id)

    async def list(self, page: PageRequest, filters: JobFilters) -> tuple[Sequence[Job], int]:
        statement = within(
            self.jobs.select(), Job.created_at, filters.created.start, filters.created.end
        )
        if filters.types:
            statement = statement.where(Job.type.in_(filters.types))
        if filters.statuses:
            statement = statement.where(Job.status.in_(filters.statuses))
        if filters.subject_kind is not None:
            statement = statement.where(Job.subject_kind == filters.subject_kind)
        if filters.subject_id is not None:
            statement = statement.where(Job.subject_id == filters.subject_id)
        return await self.jobs.paginate(statement, page, sortable=JOB_SORTS)

    async def cancel(self, job: Job) -> Job:
        """A queued job is cancelled at once; a running one at its next progress report."""
        await self.session.refresh(job)
        if job.status.is_final:
            raise Conflict(f"job {job.id} is already {job.status.value}")
        if job.status == JobStatus.queued:
            now = utcnow()
            await self.jobs.update(
                job,
                status=JobStatus.cancelled,
                finished_at=now,
                progress_message=None,
                error_type="Cancelled",
                error_message="cancelled on request",
            )
            self._publish(job, "job.cancelled")
        else:
            await self.jobs.update(job, cancel_requested=True)
            self._publish(job, "job.cancel_requested")
        return job

    async def retry(self, job: Job, requested_by: Principal) -> Job:
        """Run a failed or cancelled job again, with its attempts counted afresh."""
        if job.status not in (JobStatus.failed, JobStatus.cancelled):
            raise Conflict(
                f"only failed or cancelled jobs can be retried; this one is {job.status.value}"
            )
        await self.jobs.update(
            job,
            status=JobStatus.queued,
            attempts=0,
            progress=0.0,
            progress_message=None,
            result=None,
            error_type=None,
            error_message=None,
            error_traceback=None,
            cancel_requested=False,
            started_at=None,
            finished_at=None,
            heartbeat_at=None,
            dispatched_at=None,
            worker_id=None,
            run_after=utcnow(),
            requested_by_user_id=requested_by.user_id,
            requested_by_api_key_id=requested_by.api_key_id,
        )
        self._deliver_after_commit(Delivery(job.id, job.priority))
        self._publish(job, "job.queued")
        return job

    async def latest_for(self, subject: Subject, job_type: str) -> Job | None:
        """The newest job of ``job_type`` asked for ``subject``."""
        found = await self.jobs.list(
            self.jobs.select()
            .where(
                Job.type == job_type,
                Job.subject_kind == subject.kind,
                Job.subject_id == subject.id,
            )
            .order_by(Job.created_at.desc())
            .limit(1)
        )
        return found[0] if found else None

    async def summary(self) -> JobSummary:
        return JobSummary(
            by_status=await count_by(self.jobs, Job.status),
            by_type=await count_by(self.jobs, Job.type),
            last_finished_at=await newest(self.jobs, Job.finished_at),
        )

    async def created_per_day(self, days: int) -> dict[str, int]:
        return await per_day(self.jobs, days)

    async def failed(self, limit: int) -> Sequence[Job]:
        """The latest failed jobs, newest first."""
        return await self.jobs.latest(Job.status == JobStatus.failed, Job.finished_at, limit)

    def _deliver_after_commit(self, delivery: Delivery) -> None:
        # One dispatch per transaction however many jobs it asked for.
        pending: list[Delivery] | None = self.session.info.get(_DELIVERIES_KEY)
        if pending is None:
            pending = self.session.info[_DELIVERIES_KEY] = []
            session, dispatcher = self.session, self.dispatcher

            async def deliver() -> None:
                session.info.pop(_DELIVERIES_KEY, None)
                try:
                    await dispatcher.dispatch(pending)
                except Exception as error:
                    # The jobs are stored: answering an error now would make a retrying
                    # client ask for them twice. The sweeper sends them once the broker is back.
                    logger.warning(
                        "could not deliver jobs; the sweeper will send them again",
                        extra={"job_ids": [str(d.job_id) for d in pending], "error": repr(error)},
                    )

            after_commit(self.session, deliver)
        pending.append(delivery)

    def _publish(self, job: Job, name: str) -> None:
        data: dict[str, Any] = {"type": job.type, "status": job.status.value}
        if job.subject_kind is not None and job.subject_id is not None:
            data["subject"] = {"kind": job.subject_kind, "id": str(job.subject_id)}
        event = job_event(name, job.id, job.org_id, **data)
        publish_after_commit(self.session, self.bus, JOBS_TOPIC, event)
