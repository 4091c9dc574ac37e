"""Nothing stays stuck: requeue or fail jobs whose worker died, re-send undelivered ones."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelhouse.platform.db import unit_of_work, utcnow
from reelhouse.platform.events import EventBus
from reelhouse.platform.jobs.execution import recovery
from reelhouse.platform.jobs.execution.dispatch import Delivery, Dispatcher
from reelhouse.platform.jobs.models import JobStatus
from reelhouse.platform.jobs.service import JOBS_TOPIC, job_event
from reelhouse.settings import Settings

logger = logging.getLogger("reelhouse.jobs")


class JobSweeper:
    """Runs in every server and worker; each of its writes is guarded, so several never collide."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        event_bus: EventBus,
        dispatcher: Dispatcher,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.event_bus = event_bus
        self.dispatcher = dispatcher

    async def sweep(self) -> None:
        await self.recover_stale()
        await self.redeliver()

    async def recover_stale(self) -> None:
        now = utcnow()
        beat_before = now - timedelta(seconds=self.settings.job_stale_after_seconds)
        async with unit_of_work(self.session_factory) as session:
            stale = await recovery.stale_running(session, beat_before)
        for job in stale:
            backoff = self.settings.job_retry_base_seconds * 2 ** max(job.attempts - 1, 0)
            due_at = utcnow() + timedelta(seconds=backoff)
            async with unit_of_work(self.session_factory) as session:
                new_status = await recovery.recover(session, job, beat_before, due_at)
            if new_status is None:
                continue
            logger.warning(
                "recovered a job whose worker stopped",
                extra={"job_id": str(job.id), "status": new_status.value},
            )
            event = job_event(
                f"job.{new_status.value}",
                job.id,
                job.org_id,
                type=job.type,
                status=new_status.value,
                attempt=job.attempts,
                error_type="WorkerLost",
            )
            await self.event_bus.publish(JOBS_TOPIC, event)
            if new_status == JobStatus.queued:
                await self.dispatcher.dispatch([Delivery(job.id, job.priority, due_at)])

    async def redeliver(self) -> None:
        """Queued jobs no executor took (broker down, server restarted) are sent again."""
        delivered_before = utcnow() - timedelta(seconds=self.settings.job_redeliver_after_seconds)
        async with unit_of_work(self.session_factory) as session:
            pending = await recovery.undelivered(session, delivered_before)
        if not pending:
            return
        try:
            await self.dispatcher.dispatch(
                [Delivery(job_id, priority) for job_id, priority in pending]
            )
        except Exception as error:
            # Marked as sent all the same: they are tried again one redelivery period later.
            logger.warning(
                "could not redeliver queued jobs; the broker may be down",
                extra={"jobs": len(pending), "error": repr(error)},
            )
