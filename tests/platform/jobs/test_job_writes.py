"""One contract for both job stores, the plain SQLAlchemy one and the fast driver one, on a real
database: what each write takes, what it answers, and that it never moves a job it does not hold."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from reelhouse.platform.db import create_engine, unit_of_work, utcnow
from reelhouse.platform.jobs.context import ClaimedJob
from reelhouse.platform.jobs.execution.writes import JobWrites, open_job_writes
from reelhouse.platform.jobs.models import Job, JobPriority, JobStatus
from reelhouse.platform.jobs.service import JobService
from reelhouse.settings import Settings
from tests.jobs_helpers import org_of, serving


@pytest.fixture(params=["plain", "fast"])
async def writes(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[JobWrites]:
    opened = open_job_writes(settings.resolved_database_url, None, fast=request.param == "fast")
    yield opened
    await opened.close()


async def queued(settings: Settings, *priorities: JobPriority) -> list[uuid.UUID]:
    """Jobs queued in this order, none of them run (no worker in this process)."""
    async with serving(settings, job_workers=0) as (app, http, headers):
        org_id = await org_of(http, headers)
        runtime = app.state.runtime
        ids = []
        for priority in priorities:
            # One unit of work each, so that the created_at of each is later than the last's.
            async with unit_of_work(runtime.session_factory) as session:
                jobs = JobService(
                    session=session,
                    org_id=org_id,
                    bus=runtime.event_bus,
                    dispatcher=runtime.dispatcher,
                )
                job = await jobs.enqueue("platform.echo", {"message": "x"}, priority=priority)
            ids.append(job.id)
        return ids


async def change(settings: Settings, job_id: uuid.UUID, **values: Any) -> None:
    """Another process's write to one job: a sweeper, a cancel request, a backoff."""
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.begin() as db:
            await db.execute(update(Job).where(Job.id == job_id).values(**values))
    finally:
        await engine.dispose()


async def rows(settings: Settings, job_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as db:
            found = (await db.execute(select(Job.__table__).where(Job.id.in_(job_ids)))).all()
    finally:
        await engine.dispose()
    return {row.id: row for row in found}


async def test_claim_next_takes_due_jobs_by_priority_then_age(
    settings: Settings, writes: JobWrites
) -> None:
    old, high, low, young, waiting = await queued(
        settings,
        JobPriority.default,
        JobPriority.high,
        JobPriority.low,
        JobPriority.default,
        JobPriority.high,
    )
    await change(settings, waiting, run_after=utcnow() + timedelta(hours=1))
    first = await writes.claim_next("worker-a", 2)
    assert {job.id for job in first} == {high, old}
    rest = await writes.claim_next("worker-a", 10)
    assert {job.id for job in rest} == {young, low}
    assert await writes.claim_next("worker-b", 10) == []
    claimed = {job.id: job for job in [*first, *rest]}
    assert claimed[high].priority == JobPriority.high
    assert claimed[old].type == "platform.echo"
    assert claimed[old].payload == {"message": "x"}
    assert {job.attempt for job in claimed.values()} == {1}
    stored = await rows(settings, [old, high, low, young, waiting])
    for job_id in claimed:
        assert (stored[job_id].status, stored[job_id].worker_id) == (JobStatus.running, "worker-a")
        assert stored[job_id].started_at is not None
    assert (stored[waiting].status, stored[waiting].attempts) == (JobStatus.queued, 0)


async def test_claims_by_id_and_successes_spare_jobs_taken_meanwhile(
    settings: Settings, writes: JobWrites
) -> None:
    job_ids = await queued(settings, *[JobPriority.default] * 5)
    # The fifth is not due yet (a retry waiting out its backoff): its claim must wait.
    not_due = job_ids.pop()
    await change(settings, not_due, run_after=utcnow() + timedelta(hours=1))
    before = utcnow()
    claimed = {job.id: job for job in await writes.claim([*job_ids, not_due], "worker-a")}
    assert set(claimed) == set(job_ids)
    assert {job.attempt for job in claimed.values()} == {1}
    assert await writes.claim(job_ids, "worker-b") == []
    assert await writes.claim([], "worker-b") == []
    # The sweeper gave the third job to another worker, which runs it now.
    taken = job_ids[2]
    await change(settings, taken, worker_id="worker-b", attempts=Job.attempts + 1)
    results = [{"n": 0}, None, {"n": 2}, {"nested": {"list": [1, 2]}}]
    ended = await writes.succeed(
        "worker-a",
        [(claimed[job_id], result) for job_id, result in zip(job_ids, results, strict=True)],
    )
    assert ended == set(job_ids) - {taken}
    assert await writes.succeed("worker-a", []) == set()
    after = utcnow()
    stored = await rows(settings, [*job_ids, not_due])
    assert (stored[not_due].status, stored[not_due].attempts) == (JobStatus.queued, 0)
    for job_id, result in zip(job_ids, results, strict=True):
        row = stored[job_id]
        if job_id == taken:
            assert (row.status, row.worker_id, row.result) == (JobStatus.running, "worker-b", None)
            continue
        assert (row.status, row.worker_id, row.attempts) == (JobStatus.succeeded, "worker-a", 1)
        assert (row.result, row.progress) == (result, 1.0)
        # Written by either store, read back through SQLAlchemy: the same instants, in UTC.
        assert before <= row.started_at <= row.finished_at <= after


async def test_failures_retries_and_releases_move_only_jobs_still_held(
    settings: Settings, writes: JobWrites
) -> None:
    failing, retried, released, taken = await queued(settings, *[JobPriority.default] * 4)
    claimed = {job.id: job for job in await writes.claim_next("worker-a", 4)}
    error = ("ValueError", "bad frame 12", "Traceback ...")
    assert await writes.finish(claimed[failing], "worker-a", JobStatus.failed, error=error)
    assert not await writes.finish(claimed[failing], "worker-a", JobStatus.succeeded)
    due_at = utcnow() + timedelta(hours=1)
    assert await writes.retry_later(claimed[retried], "worker-a", due_at, error)
    assert await writes.claim([retried], "worker-a") == []
    assert await writes.release(claimed[released], "worker-a")
    await change(settings, taken, worker_id="worker-b", attempts=Job.attempts + 1)
    lost: ClaimedJob = claimed[taken]
    assert not await writes.finish(lost, "worker-a", JobStatus.cancelled)
    assert not await writes.retry_later(lost, "worker-a", due_at, error)
    assert not await writes.release(lost, "worker-a")
    assert not await writes.release(claimed[released], "worker-a")

    stored = await rows(settings, [failing, retried, released, taken])
    assert stored[failing].status == JobStatus.failed
    assert (stored[failing].error_type, stored[failing].error_message) == error[:2]
    assert stored[failing].error_traceback == error[2]
    assert stored[failing].finished_at is not None
    assert (stored[retried].status, stored[retried].worker_id) == (JobStatus.queued, None)
    assert stored[retried].attempts == 1
    assert stored[retried].error_message == "bad frame 12"
    assert stored[retried].run_after.replace(tzinfo=None) == due_at.replace(tzinfo=None)
    # Handed back on shutdown: the interrupted attempt does not count.
    assert (stored[released].status, stored[released].attempts) == (JobStatus.queued, 0)
    assert (stored[taken].status, stored[taken].worker_id) == (JobStatus.running, "worker-b")
    again = await writes.claim([released], "worker-c")
    assert [(job.id, job.attempt) for job in again] == [(released, 1)]


async def test_heartbeats_and_progress_answer_cancel_requests(
    settings: Settings, writes: JobWrites
) -> None:
    kept, cancelled, taken = await queued(settings, *[JobPriority.default] * 3)
    claimed = {job.id: job for job in await writes.claim([kept, cancelled, taken], "worker-a")}
    await change(settings, cancelled, cancel_requested=True)
    await change(settings, taken, worker_id="worker-b", attempts=Job.attempts + 1)
    await change(settings, kept, heartbeat_at=utcnow() - timedelta(minutes=5))
    assert await writes.beat("worker-a", [kept, cancelled, taken]) == {kept: False, cancelled: True}
    assert await writes.beat("worker-a", []) == {}
    assert await writes.report_progress(claimed[kept], "worker-a", 0.5, "half way") is False
    assert await writes.report_progress(claimed[cancelled], "worker-a", 0.1, None) is True
    assert await writes.report_progress(claimed[taken], "worker-a", 0.9, "lost") is None
    stored = await rows(settings, [kept, cancelled, taken])
    assert (stored[kept].progress, stored[kept].progress_message) == (0.5, "half way")
    heartbeat = stored[kept].heartbeat_at.replace(tzinfo=None)
    assert heartbeat > (utcnow() - timedelta(minutes=1)).replace(tzinfo=None)
    assert (stored[taken].progress, stored[taken].progress_message) == (0.0, None)


async def test_a_job_that_ended_keeps_no_progress_message_of_its_run(
    settings: Settings, writes: JobWrites
) -> None:
    succeeded, failed, cancelled = await queued(settings, *[JobPriority.default] * 3)
    claimed = {job.id: job for job in await writes.claim([succeeded, failed, cancelled], "w")}
    for job in claimed.values():
        await writes.report_progress(job, "w", 0.4, "decoding frame 40 of 100")

    await writes.succeed("w", [(claimed[succeeded], {"ok": True})])
    await writes.finish(claimed[failed], "w", JobStatus.failed, error=("E", "broke", None))
    await writes.finish(claimed[cancelled], "w", JobStatus.cancelled)

    stored = await rows(settings, [succeeded, failed, cancelled])
    assert {job_id: row.progress_message for job_id, row in stored.items()} == {
        succeeded: None,
        failed: None,
        cancelled: None,
    }
    assert stored[succeeded].progress == 1.0
    assert stored[failed].progress == 0.4, "how far the failed run got is kept"
