"""A stopping worker's writes: what ends in its grace ends, the rest goes back to the queue."""

from __future__ import annotations

from sqlalchemy import select

from reelhouse.platform.db import create_engine, create_session_factory, unit_of_work
from reelhouse.platform.jobs.models import Job, JobStatus
from reelhouse.settings import Settings
from tests.jobs_helpers import enqueue, org_of, serving, wait_for_job


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
