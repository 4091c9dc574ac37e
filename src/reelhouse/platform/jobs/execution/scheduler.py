"""Periodic jobs: each tick enqueues its jobs exactly once, however many replicas run this."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelhouse.platform.auth.models import Organization
from reelhouse.platform.db import unit_of_work, utcnow
from reelhouse.platform.events import EventBus
from reelhouse.platform.jobs.execution.dispatch import Dispatcher
from reelhouse.platform.jobs.models import PeriodicSchedule
from reelhouse.platform.jobs.registry import PeriodicSpec, periodic_specs
from reelhouse.platform.jobs.service import JobService

logger = logging.getLogger("reelhouse.jobs")


class PeriodicScheduler:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        event_bus: EventBus,
        dispatcher: Dispatcher,
        tick_seconds: float,
        specs: Sequence[PeriodicSpec] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.event_bus = event_bus
        self.dispatcher = dispatcher
        self.tick_seconds = tick_seconds
        self._specs = specs

    async def tick(self) -> int:
        """Enqueue every periodic job that is due; answers how many schedules this replica won."""
        won = 0
        for spec in periodic_specs() if self._specs is None else self._specs:
            due_at = await self._due(spec)
            if due_at is not None and await self._advance_and_enqueue(spec, due_at):
                won += 1
        return won

    async def _due(self, spec: PeriodicSpec) -> datetime | None:
        now = utcnow()
        async with unit_of_work(self.session_factory) as session:
            next_run_at = await session.scalar(
                select(PeriodicSchedule.next_run_at).where(PeriodicSchedule.name == spec.task)
            )
        if next_run_at is None:
            await self._create(spec, now)
            return None
        return next_run_at if next_run_at <= now else None

    async def _create(self, spec: PeriodicSpec, now: datetime) -> None:
        try:
            async with unit_of_work(self.session_factory) as session:
                session.add(PeriodicSchedule(name=spec.task, next_run_at=spec.next_after(now)))
        except IntegrityError:
            logger.debug("another replica created the schedule first", extra={"task": spec.task})

    async def _advance_and_enqueue(self, spec: PeriodicSpec, due_at: datetime) -> bool:
        # A missed stretch (every replica down) runs once, then goes on from now: no backlog.
        next_run_at = spec.next_after(max(due_at, utcnow()))
        async with unit_of_work(self.session_factory) as session:
            advanced = await session.execute(
                update(PeriodicSchedule)
                .where(PeriodicSchedule.name == spec.task, PeriodicSchedule.next_run_at == due_at)
                .values(next_run_at=next_run_at, last_run_at=due_at)
                .returning(PeriodicSchedule.id)
            )
            if advanced.first() is None:
                return False
            # Periodic work is per organization, so every job row keeps an owner.
            organizations = select(Organization.id).order_by(Organization.created_at)
            if spec.instance_wide:
                organizations = organizations.limit(1)
            org_ids = (await session.scalars(organizations)).all()
            for org_id in org_ids:
                jobs = JobService(
                    session=session, org_id=org_id, bus=self.event_bus, dispatcher=self.dispatcher
                )
                await jobs.enqueue(spec.task, {"scheduled_for": due_at.isoformat()})
        return True
