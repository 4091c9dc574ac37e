"""HTTP routes of jobs: list, read, cancel, retry, and enqueue the job types that allow it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from reelhouse.platform.deps import CreatedRange, MemberPrincipal, ScopeDep, sorted_page
from reelhouse.platform.errors import Conflict, InvalidInput, NotFound, errors
from reelhouse.platform.events import Subject
from reelhouse.platform.jobs.models import Job, JobStatus
from reelhouse.platform.jobs.schemas import JobCreate, JobRead
from reelhouse.platform.jobs.service import JOB_SORTS, JobFilters, JobService
from reelhouse.platform.pagination import Page, PageRequest

router = APIRouter(tags=["jobs"])


def get_job_service(scope: ScopeDep) -> JobService:
    return scope.jobs


JobServiceDep = Annotated[JobService, Depends(get_job_service)]


async def get_job_in_org(job_id: uuid.UUID, jobs: JobServiceDep) -> Job:
    return await jobs.get(job_id)


OrgJob = Annotated[Job, Depends(get_job_in_org)]


@router.get("/jobs")
async def list_jobs(
    jobs: JobServiceDep,
    page: Annotated[PageRequest, sorted_page(*JOB_SORTS)],
    created: CreatedRange,
    type: Annotated[list[str] | None, Query(description="One or more job types")] = None,
    status: Annotated[list[JobStatus] | None, Query()] = None,
    subject_kind: str | None = None,
    subject_id: uuid.UUID | None = None,
) -> Page[JobRead]:
    filters = JobFilters(type or (), status or (), subject_kind, subject_id, created)
    rows, total = await jobs.list(page, filters)
    return Page[JobRead].of([JobRead.of(row) for row in rows], total, page)


@router.post("/jobs", status_code=201, responses=errors(InvalidInput, NotFound))
async def enqueue_job(body: JobCreate, jobs: JobServiceDep, principal: MemberPrincipal) -> JobRead:
    subject = None if body.subject is None else Subject(body.subject.kind, body.subject.id)
    job = await jobs.enqueue_on_request(
        body.type, body.payload, subject=subject, priority=body.priority, requested_by=principal
    )
    return JobRead.of(job)


@router.get("/jobs/{job_id}", responses=errors(NotFound))
async def read_job(job: OrgJob) -> JobRead:
    return JobRead.of(job)


@router.post("/jobs/{job_id}/cancel", responses=errors(NotFound, Conflict))
async def cancel_job(job: OrgJob, jobs: JobServiceDep, _member: MemberPrincipal) -> JobRead:
    return JobRead.of(await jobs.cancel(job))


@router.post("/jobs/{job_id}/retry", responses=errors(NotFound, Conflict))
async def retry_job(job: OrgJob, jobs: JobServiceDep, principal: MemberPrincipal) -> JobRead:
    return JobRead.of(await jobs.retry(job, principal))
