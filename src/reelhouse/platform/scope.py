"""What one request or one job works within, and from which every service is built."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.platform.auth.principal import Principal
from reelhouse.platform.events import EventBus
from reelhouse.platform.jobs.execution.dispatch import Dispatcher
from reelhouse.platform.jobs.service import JobService
from reelhouse.platform.storage import Storage
from reelhouse.settings import Settings


@dataclass(frozen=True, kw_only=True)
class Scope:
    """One unit of work inside one organization: a route's or a job's.

    ``actor`` is who asked: a user or an API key, or ``None`` for a job working on its own.
    Services take a scope and nothing else, so a route and a job build them the same way.
    """

    session: AsyncSession
    org_id: uuid.UUID
    actor: Principal | None
    bus: EventBus
    dispatcher: Dispatcher
    storage: Storage
    settings: Settings

    @cached_property
    def jobs(self) -> JobService:
        """Jobs asked for in this unit of work, delivered once it commits."""
        return JobService(
            session=self.session, org_id=self.org_id, bus=self.bus, dispatcher=self.dispatcher
        )
