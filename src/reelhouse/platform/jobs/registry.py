"""The task registry: apps declare job handlers and periodic jobs with decorators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from croniter import croniter

from reelhouse.platform.jobs.models import JobPriority

if TYPE_CHECKING:
    from reelhouse.platform.jobs.context import JobContext

Handler = Callable[["JobContext"], Awaitable[Any]]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    handler: Handler
    priority: JobPriority
    max_attempts: int
    timeout: float | None
    # Whether clients may enqueue it with POST /api/v1/jobs (diagnostics, maintenance).
    api_enqueue: bool


@dataclass(frozen=True)
class PeriodicSpec:
    """A task enqueued for every organization at each tick of an interval or a cron line.

    An ``instance_wide`` task (one that looks after what all organizations share, such as
    stored objects) is enqueued once, owned by the instance's first organization.
    """

    task: str
    every: timedelta | None = None
    cron: str | None = None
    instance_wide: bool = False

    def next_after(self, moment: datetime) -> datetime:
        if self.every is not None:
            return moment + self.every
        assert self.cron is not None
        upcoming: datetime = croniter(self.cron, moment).get_next(datetime)
        return upcoming


_tasks: dict[str, TaskSpec] = {}
_periodic: dict[str, PeriodicSpec] = {}


def task(
    name: str,
    *,
    priority: JobPriority | str = JobPriority.default,
    max_attempts: int = 3,
    timeout: float | None = None,
    api_enqueue: bool = False,
) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the job type ``name``. Handlers must be safe to run twice."""

    def register(handler: Handler) -> Handler:
        if name in _tasks and _tasks[name].handler is not handler:
            raise ValueError(f"task {name!r} is registered twice")
        _tasks[name] = TaskSpec(
            name, handler, JobPriority(priority), max_attempts, timeout, api_enqueue
        )
        return handler

    return register


def periodic(
    task_name: str,
    *,
    every: timedelta | None = None,
    cron: str | None = None,
    instance_wide: bool = False,
) -> None:
    """Enqueue ``task_name`` for every organization (or once) on an interval or cron line."""
    if (every is None) == (cron is None):
        raise ValueError("give exactly one of every= or cron=")
    if cron is not None and not croniter.is_valid(cron):
        raise ValueError(f"invalid cron line {cron!r}")
    _periodic[task_name] = PeriodicSpec(task_name, every, cron, instance_wide)


def get_task(name: str) -> TaskSpec | None:
    return _tasks.get(name)


def periodic_specs() -> list[PeriodicSpec]:
    return list(_periodic.values())
