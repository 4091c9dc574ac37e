"""The long-lived resources of one running service, opened and closed by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.db import create_engine, create_session_factory
from reelhouse.platform.events import EventBus, create_event_bus
from reelhouse.platform.jobs.execution.dispatch import Dispatcher, LocalDispatcher
from reelhouse.platform.storage import Storage, create_storage
from reelhouse.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    event_bus: EventBus
    dispatcher: Dispatcher
    storage: Storage
    apps: InstalledApps

    @classmethod
    async def open(
        cls, settings: Settings, apps: InstalledApps, *, serves_subscribers: bool = True
    ) -> Runtime:
        """Open them; a worker (no WebSockets) passes ``serves_subscribers=False``."""
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Every process that enqueues or runs jobs knows every job type and profiler.
        apps.import_for_jobs(settings.extra_task_modules)
        engine = create_engine(settings.resolved_database_url)
        event_bus = create_event_bus(settings.redis_url, listen=serves_subscribers)
        await event_bus.start()
        return cls(
            settings,
            engine,
            create_session_factory(engine),
            event_bus,
            _dispatcher(settings),
            storage_from_settings(settings),
            apps,
        )

    async def close(self) -> None:
        await self.event_bus.close()
        await self.engine.dispose()


def storage_from_settings(settings: Settings) -> Storage:
    """The storage the settings name; each process opens one, with its runtime."""

    def secret(value: SecretStr | None) -> str | None:
        return None if value is None else value.get_secret_value()

    return create_storage(
        settings.storage_backend,
        root=settings.data_dir / "objects",
        bucket=settings.s3_bucket,
        region=settings.s3_region,
        endpoint_url=settings.s3_endpoint_url,
        access_key=secret(settings.s3_access_key),
        secret_key=secret(settings.s3_secret_key),
        prefix=settings.s3_prefix,
    )


def _dispatcher(settings: Settings) -> Dispatcher:
    if settings.job_executor == "celery":
        from reelhouse.platform.jobs.execution.celery_app import celery_dispatcher

        return celery_dispatcher(settings)
    return LocalDispatcher()
