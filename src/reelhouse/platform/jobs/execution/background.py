"""The job machinery one process runs: the local pool, the sweeper and the scheduler."""

from __future__ import annotations

import asyncio
import logging
import signal

from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.jobs.execution.dispatch import LocalDispatcher
from reelhouse.platform.jobs.execution.executor import LocalExecutor
from reelhouse.platform.jobs.execution.runner import JobRunner
from reelhouse.platform.jobs.execution.scheduler import PeriodicScheduler
from reelhouse.platform.jobs.execution.sweeper import JobSweeper
from reelhouse.platform.loops import Duty
from reelhouse.platform.runtime import Runtime
from reelhouse.settings import Settings

logger = logging.getLogger("reelhouse.jobs")


class JobBackground:
    def __init__(self, runtime: Runtime, *, run_jobs: bool, schedule: bool) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.schedule = schedule
        self.runner: JobRunner | None = None
        self.executor: LocalExecutor | None = None
        if run_jobs:
            self.runner = JobRunner(
                settings,
                runtime.session_factory,
                runtime.event_bus,
                runtime.dispatcher,
                runtime.storage,
                process_modules=runtime.apps.process_modules,
            )
            dispatcher = runtime.dispatcher
            self.executor = LocalExecutor(
                self.runner,
                runtime.session_factory,
                dispatcher if isinstance(dispatcher, LocalDispatcher) else None,
                concurrency=settings.job_workers,
                poll_seconds=settings.job_poll_seconds,
            )
        self.sweeper = JobSweeper(
            settings, runtime.session_factory, runtime.event_bus, runtime.dispatcher
        )
        self.scheduler = PeriodicScheduler(
            runtime.session_factory,
            runtime.event_bus,
            runtime.dispatcher,
            settings.scheduler_tick_seconds,
        )
        self._duties = [Duty("job-sweeper", self.sweeper.sweep, settings.job_sweep_seconds)]
        if schedule:
            self._duties.append(
                Duty("scheduler", self.scheduler.tick, settings.scheduler_tick_seconds)
            )

    async def start(self) -> None:
        for duty in self._duties:
            duty.start()
        if self.runner is not None and self.executor is not None:
            await self.runner.start()
            await self.executor.start()

    async def stop(self) -> None:
        if self.executor is not None:
            await self.executor.stop()
        if self.runner is not None:
            await self.runner.stop()
        for duty in self._duties:
            await duty.stop()


async def run_local_worker(settings: Settings) -> None:
    """``reelhouse worker --executor local``: the pool and the sweeper, until SIGTERM or SIGINT."""
    apps = InstalledApps.load(settings.apps)
    runtime = await Runtime.open(settings, apps, serves_subscribers=False)
    background = JobBackground(runtime, run_jobs=True, schedule=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await background.start()
        logger.info(
            "local worker started",
            extra={"worker_id": background.runner and background.runner.worker_id},
        )
        await stop.wait()
    finally:
        await background.stop()
        await runtime.close()
