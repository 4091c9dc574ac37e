"""Delivering "run job N" once its row is committed: wake the local pool, or send to Celery."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from reelhouse.platform.db import utcnow
from reelhouse.platform.jobs.models import JobPriority

if TYPE_CHECKING:
    from celery import Celery

RUN_JOB_TASK = "reelhouse.run_job"
DEFAULT_QUEUE_PREFIX = "reelhouse"


def queue_name(prefix: str, priority: JobPriority) -> str:
    """The broker queue of a priority in the deployment whose queues start with ``prefix``."""
    return f"{prefix}.{priority.value}"


@dataclass(frozen=True)
class Delivery:
    job_id: uuid.UUID
    priority: JobPriority
    due_at: datetime | None = None


class Dispatcher(Protocol):
    async def dispatch(self, deliveries: Sequence[Delivery]) -> None: ...


class LocalDispatcher:
    """The local pool polls the table; a dispatch only wakes the pools of this process early."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, wake: Callable[[], None]) -> None:
        self._listeners.append(wake)

    def remove_listener(self, wake: Callable[[], None]) -> None:
        self._listeners.remove(wake)

    async def dispatch(self, deliveries: Sequence[Delivery]) -> None:
        for wake in self._listeners:
            wake()


class CeleryDispatcher:
    """Sends one small Celery message per job, on this deployment's queue of its priority."""

    def __init__(self, celery_app: Celery, queue_prefix: str = DEFAULT_QUEUE_PREFIX) -> None:
        self._celery = celery_app
        self._queue_prefix = queue_prefix

    async def dispatch(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            await asyncio.to_thread(self._send, deliveries)

    def _send(self, deliveries: Sequence[Delivery]) -> None:
        now = utcnow()
        with self._celery.producer_or_acquire() as producer:
            for delivery in deliveries:
                countdown = None
                if delivery.due_at is not None and delivery.due_at > now:
                    countdown = (delivery.due_at - now).total_seconds()
                self._celery.send_task(
                    RUN_JOB_TASK,
                    args=[str(delivery.job_id)],
                    queue=queue_name(self._queue_prefix, delivery.priority),
                    countdown=countdown,
                    producer=producer,
                )
