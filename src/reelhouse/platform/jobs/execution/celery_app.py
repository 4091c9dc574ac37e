"""Celery as a delivery channel: a message only says "run job N"; the jobs table keeps the state.

``reelhouse worker --executor celery`` starts a Celery worker on the queues PREFIX.high,
PREFIX.default and PREFIX.low (``REELHOUSE_CELERY_QUEUE_PREFIX``, ``reelhouse`` by default).
Each worker process keeps one event loop in a thread, where jobs run as they do in the local pool.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from celery import Celery
from kombu import Queue

from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.db import create_engine, create_session_factory
from reelhouse.platform.events import EventBus, create_event_bus
from reelhouse.platform.jobs.execution.dispatch import (
    DEFAULT_QUEUE_PREFIX,
    RUN_JOB_TASK,
    CeleryDispatcher,
    queue_name,
)
from reelhouse.platform.jobs.execution.redis_transport import TRANSPORT_PATH
from reelhouse.platform.jobs.execution.runner import JobRunner
from reelhouse.platform.jobs.execution.sweeper import JobSweeper
from reelhouse.platform.jobs.models import JobPriority
from reelhouse.platform.loops import Duty
from reelhouse.platform.runtime import storage_from_settings
from reelhouse.settings import Settings


def create_celery(broker_url: str, queue_prefix: str = DEFAULT_QUEUE_PREFIX) -> Celery:
    app = Celery("reelhouse", broker=broker_url, set_as_current=False)
    if TRANSPORT_PATH is not None and urlsplit(broker_url).scheme in ("redis", "rediss"):
        app.conf.broker_transport = TRANSPORT_PATH
    app.conf.update(
        task_queues=[Queue(queue_name(queue_prefix, priority)) for priority in JobPriority],
        task_default_queue=queue_name(queue_prefix, JobPriority.default),
        # A message is acknowledged once its job ran, so a killed worker's job is redelivered.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        # On Redis, drain high before default before low.
        broker_transport_options={"queue_order_strategy": "priority"},
        worker_hijack_root_logger=False,
    )
    app.task(name=RUN_JOB_TASK, acks_late=True)(run_job)
    return app


@dataclass
class _WorkerProcess:
    """The per-process half of a Celery worker: a loop thread running the job runner."""

    pid: int
    loop: asyncio.AbstractEventLoop
    runner: JobRunner
    bus: EventBus


_state: _WorkerProcess | None = None
_state_lock = threading.Lock()


def _worker_process() -> _WorkerProcess:
    """Built lazily in each (forked) worker process, never inherited from the parent."""
    global _state
    with _state_lock:
        if _state is None or _state.pid != os.getpid():
            _state = _start_worker_process(Settings())
        return _state


def _start_worker_process(settings: Settings) -> _WorkerProcess:
    apps = InstalledApps.load(settings.apps)
    apps.import_for_jobs(settings.extra_task_modules)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="reelhouse-jobs", daemon=True).start()

    async def open_runner() -> tuple[JobRunner, EventBus]:
        engine = create_engine(settings.resolved_database_url)
        session_factory = create_session_factory(engine)
        bus = create_event_bus(settings.redis_url, listen=False)
        await bus.start()
        assert settings.broker_url is not None
        dispatcher = celery_dispatcher(settings)
        runner = JobRunner(
            settings,
            session_factory,
            bus,
            dispatcher,
            storage_from_settings(settings),
            process_modules=apps.process_modules,
        )
        await runner.start()
        sweeper = JobSweeper(settings, session_factory, bus, dispatcher)
        Duty("job-sweeper", sweeper.sweep, settings.job_sweep_seconds).start()
        return runner, bus

    runner, bus = asyncio.run_coroutine_threadsafe(open_runner(), loop).result()
    return _WorkerProcess(os.getpid(), loop, runner, bus)


def run_job(job_id: str) -> bool:
    """The Celery task: claim the job (if still queued) and run it to its end."""
    process = _worker_process()
    future = asyncio.run_coroutine_threadsafe(
        process.runner.claim_and_run(uuid.UUID(job_id)), process.loop
    )
    return future.result()


def worker_queues(queue_prefix: str) -> str:
    """The queues a worker consumes, highest priority first."""
    return ",".join(queue_name(queue_prefix, priority) for priority in JobPriority)


def celery_dispatcher(settings: Settings) -> CeleryDispatcher:
    """The dispatcher that sends to this deployment's queues."""
    assert settings.broker_url is not None
    return CeleryDispatcher(
        create_celery(settings.broker_url, settings.celery_queue_prefix),
        settings.celery_queue_prefix,
    )


def celery_from_settings() -> Celery:
    """The app ``celery -A reelhouse.platform.jobs.execution.celery_app:celery_from_settings``
    loads."""
    settings = Settings()
    if settings.broker_url is None:
        raise RuntimeError("REELHOUSE_BROKER_URL is not set: the Celery executor needs a broker")
    return create_celery(settings.broker_url, settings.celery_queue_prefix)
