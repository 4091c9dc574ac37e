"""The long-lived resources of one running service, opened and closed by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from reelhouse.platform.db import create_engine, create_session_factory
from reelhouse.platform.events import EventBus, create_event_bus
from reelhouse.platform.jobs.dispatch import Dispatcher, LocalDispatcher
from reelhouse.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    event_bus: EventBus
    dispatcher: Dispatcher

    @classmethod
    async def open(cls, settings: Settings) -> Runtime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.resolved_database_url)
        event_bus = create_event_bus(settings.redis_url)
        await event_bus.start()
        return cls(
            settings, engine, create_session_factory(engine), event_bus, _dispatcher(settings)
        )

    async def close(self) -> None:
        await self.event_bus.close()
        await self.engine.dispose()


def _dispatcher(settings: Settings) -> Dispatcher:
    if settings.job_executor == "celery":
        from reelhouse.platform.jobs.celery_app import create_celery
        from reelhouse.platform.jobs.dispatch import CeleryDispatcher

        assert settings.broker_url is not None
        return CeleryDispatcher(create_celery(settings.broker_url))
    return LocalDispatcher()
