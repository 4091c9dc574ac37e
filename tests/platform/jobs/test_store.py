"""The executors' statements on a real database: many jobs claimed and ended at once, each
guarded."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from reelhouse.platform.db import create_engine, create_session_factory, unit_of_work, utcnow
from reelhouse.platform.jobs.execution.direct import open_direct_writes
from reelhouse.platform.jobs.models import Job, JobStatus
from reelhouse.settings import Settings
from tests.jobs_helpers import enqueue, org_of, serving, wait_for_job


async def test_successes_ended_together_spare_a_job_taken_meanwhile(
    settings: Settings, counter: str
) -> None:
    async with serving(settings, job_workers=0) as (idle, http, headers):
        org_id = await org_of(http, headers)
        job_ids = [
            uuid.UUID(await enqueue(idle, org_id, "tests.count", counter=counter)) for _ in range(5)
        ]
    engine = create_engine(settings.resolved_database_url)
    writes = open_direct_writes(settings.resolved_database_url, None)
    try:
        # The fifth job is not due yet (a retry waiting out its backoff): its claim must wait.
        not_due = job_ids.pop()
        async with engine.begin() as db:
            await db.execute(
                update(Job).where(Job.id == not_due).values(run_after=utcnow() + timedelta(hours=1))
            )
        before = utcnow()
        claimed = {job.id: job for job in await writes.claim([*job_ids, not_due], "worker-a")}
        assert set(claimed) == set(job_ids)
        assert {job.attempt for job in claimed.values()} == {1}
        assert await writes.claim(job_ids, "worker-b") == []
        # The sweeper gave the third job to another worker, which is running it now.
        taken = job_ids[2]
        async with engine.begin() as db:
            await db.execute(
                update(Job)
                .where(Job.id == taken)
                .values(worker_id="worker-b", attempts=Job.attempts + 1)
            )
        results = [{"n": 0}, None, {"n": 2}, {"nested": {"list": [1, 2]}}]
        ended = await writes.succeed(
            "worker-a",
            [(claimed[job_id], result) for job_id, result in zip(job_ids, results, strict=True)],
        )
        assert ended == set(job_ids) - {taken}
        async with unit_of_work(create_session_factory(engine)) as session:
            rows = {
                job.id: job
                for job in (
                    await session.execute(select(Job).where(Job.id.in_([*job_ids, not_due])))
                ).scalars()
            }
    finally:
        await writes.close()
        await engine.dispose()
    after = utcnow()
    assert (rows[not_due].status, rows[not_due].attempts) == (JobStatus.queued, 0)
    for job_id, result in zip(job_ids, results, strict=True):
        row = rows[job_id]
        if job_id == taken:
            assert (row.status, row.worker_id, row.result) == (JobStatus.running, "worker-b", None)
            continue
        assert (row.status, row.worker_id, row.attempts) == (JobStatus.succeeded, "worker-a", 1)
        assert row.result == result
        assert row.progress == 1.0
        # Written by the driver, read back by the ORM: the same instants, in UTC.
        assert row.started_at is not None
        assert row.finished_at is not None
        assert before <= row.started_at <= row.finished_at <= after


async def test_a_stopping_worker_lets_short_jobs_finish_and_hands_long_ones_back(
    settings: Settings,
) -> None:
    async with serving(settings, job_stop_grace_seconds=1.5) as (graceful, http, headers):
        org_id = await org_of(http, headers)
        short = await enqueue(graceful, org_id, "platform.echo", message="short", delay=0.5)
        long = await enqueue(graceful, org_id, "platform.echo", message="long", delay=30)
        for job_id in (short, long):
            await wait_for_job(http, headers, job_id, "running")
    engine = create_engine(settings.resolved_database_url)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            rows = {
                str(job.id): job
                for job in (await session.execute(select(Job))).scalars()
                if str(job.id) in (short, long)
            }
    finally:
        await engine.dispose()
    assert rows[short].status == JobStatus.succeeded
    assert (rows[long].status, rows[long].attempts) == (JobStatus.queued, 0)
