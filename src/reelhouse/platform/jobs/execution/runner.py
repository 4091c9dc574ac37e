"""Runs claimed jobs: context, heartbeats, timeouts, cancellation, retries and the final state."""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import random
import signal
import socket
import traceback
import uuid
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelhouse.platform.apps import import_modules
from reelhouse.platform.db import unit_of_work, utcnow
from reelhouse.platform.events import EventBus
from reelhouse.platform.jobs.context import (
    ClaimedJob,
    ErrorInfo,
    JobCancelled,
    JobContext,
    JobFailed,
    JobLost,
)
from reelhouse.platform.jobs.execution.dispatch import Delivery, Dispatcher
from reelhouse.platform.jobs.execution.writes import open_job_writes
from reelhouse.platform.jobs.models import JobStatus
from reelhouse.platform.jobs.registry import get_task
from reelhouse.platform.jobs.service import JOBS_TOPIC, job_event
from reelhouse.platform.loops import Duty, WriteBatcher
from reelhouse.platform.storage import Storage
from reelhouse.settings import Settings

logger = logging.getLogger("reelhouse.jobs")
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class _Ending:
    job: ClaimedJob
    status: JobStatus
    result: Any
    error: ErrorInfo | None


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class JobRunner:
    """Runs jobs this process claimed, beating their heartbeats until each one ends."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        event_bus: EventBus,
        dispatcher: Dispatcher,
        storage: Storage,
        *,
        process_modules: Sequence[str] = (),
    ) -> None:
        """``process_modules`` are imported by every spawned worker process before its first job
        (the task and profiler modules of every installed app)."""
        self.settings = settings
        self.storage = storage
        self.process_modules = list(process_modules)
        self.session_factory = session_factory
        self.event_bus = event_bus
        self.dispatcher = dispatcher
        self.worker_id = new_worker_id()
        self._running: dict[uuid.UUID, tuple[ClaimedJob, asyncio.Task[Any]]] = {}
        self._stop_reasons: dict[uuid.UUID, str] = {}
        self._heartbeat = Duty(
            "job-heartbeat", self.beat, settings.job_heartbeat_seconds, sleep_first=True
        )
        self._process_pool: ProcessPoolExecutor | None = None
        self.writes = open_job_writes(
            settings.resolved_database_url,
            asyncio.Lock() if settings.is_sqlite else None,
            fast=settings.job_fast_writes,
        )
        # A broker's deliveries and every success are written in batches.
        self._endings = WriteBatcher[_Ending, bool]("job-ends", self._write_ends)
        self._claims = WriteBatcher[uuid.UUID, ClaimedJob | None]("job-claims", self._write_claims)

    @property
    def running_count(self) -> int:
        return len(self._running)

    async def start(self) -> None:
        await self._endings.start()
        await self._claims.start()
        self._heartbeat.start()

    async def stop(self) -> None:
        """Let jobs about to end finish, then hand the others back to the queue without spending
        an attempt."""
        grace = self.settings.job_stop_grace_seconds
        if self._running and grace > 0:
            # A job cancelled in the middle of its own database work is the one shutdown hazard;
            # most jobs of a busy worker end within this grace.
            await asyncio.wait([task for _job, task in self._running.values()], timeout=grace)
        for job_id, (_job, task) in list(self._running.items()):
            self._stop_reasons[job_id] = "shutdown"
            task.cancel()
        if self._running:
            await asyncio.gather(
                *(task for _job, task in self._running.values()), return_exceptions=True
            )
        await self._claims.stop()
        await self._endings.stop()
        await self._heartbeat.stop()
        await self.writes.close()
        if self._process_pool is not None:
            # Waited for (off the loop): a pool left to the interpreter's exit is torn down
            # after the resource tracker gave up on its queues' semaphores ("5 leaked
            # semaphore objects" at every stop).
            await asyncio.to_thread(self._process_pool.shutdown, wait=True, cancel_futures=True)
            self._process_pool = None

    def spawn(self, job: ClaimedJob) -> asyncio.Task[None]:
        """Run a claimed job in its own task, held (and heartbeated) until it ends."""
        task = asyncio.create_task(self._run(job), name=f"job-{job.id}")
        self._running[job.id] = (job, task)
        return task

    async def claim_and_run(self, job_id: uuid.UUID) -> bool:
        """Run one job a broker delivered; ``False`` when it was not ours to run."""
        job = await self._claims.submit(job_id)
        if job is None:
            return False
        await self.spawn(job)
        return True

    async def _run(self, job: ClaimedJob) -> None:
        await self._publish(job, "job.started", status="running", attempt=job.attempt)
        try:
            await self._execute(job)
        finally:
            self._running.pop(job.id, None)
            self._stop_reasons.pop(job.id, None)

    async def _execute(self, job: ClaimedJob) -> None:
        spec = get_task(job.type)
        try:
            if spec is None:
                raise JobFailed(f"no handler is registered for job type {job.type!r}")
            # A deadline on this task rather than wait_for's task per job.
            async with asyncio.timeout(job.timeout_s or None):
                result = await spec.handler(self._context(job))
            await self._end(job, JobStatus.succeeded, result=_as_json(result))
        except JobCancelled:
            await self._end(
                job, JobStatus.cancelled, error=("Cancelled", "cancelled on request", None)
            )
        except JobLost:
            logger.warning("job taken from this worker", extra={"job_id": str(job.id)})
        except JobFailed as exc:
            await self._end(job, JobStatus.failed, error=_error_info(exc))
        except TimeoutError as exc:
            message = f"the job ran past its timeout of {job.timeout_s} s"
            await self._fail_or_retry(job, ("JobTimeout", message, _traceback(exc)))
        except asyncio.CancelledError:
            await self._stopped(job)
        except Exception as exc:
            logger.exception("job handler failed", extra={"job_id": str(job.id), "type": job.type})
            await self._fail_or_retry(job, _error_info(exc))

    async def _stopped(self, job: ClaimedJob) -> None:
        reason = self._stop_reasons.get(job.id)
        if reason == "cancel":
            await self._end(
                job, JobStatus.cancelled, error=("Cancelled", "cancelled on request", None)
            )
        elif reason == "shutdown":
            await self.writes.release(job, self.worker_id)
        elif reason is None:
            raise asyncio.CancelledError

    async def _fail_or_retry(self, job: ClaimedJob, error: ErrorInfo) -> None:
        if job.attempt >= job.max_attempts:
            await self._end(job, JobStatus.failed, error=error)
            return
        backoff = self.settings.job_retry_base_seconds * 2 ** (job.attempt - 1)
        delay = min(timedelta(seconds=backoff * random.uniform(1.0, 1.2)), MAX_BACKOFF)  # noqa: S311
        due_at = utcnow() + delay
        requeued = await self.writes.retry_later(job, self.worker_id, due_at, error)
        if requeued:
            await self._publish(
                job,
                "job.queued",
                status="queued",
                attempt=job.attempt,
                retry_at=due_at.isoformat(),
                error=error[1],
            )
            await self.dispatcher.dispatch([Delivery(job.id, job.priority, due_at)])

    async def _end(
        self,
        job: ClaimedJob,
        status: JobStatus,
        *,
        result: Any = None,
        error: ErrorInfo | None = None,
    ) -> None:
        ended = await self._endings.submit(_Ending(job, status, result, error))
        if not ended:
            logger.warning("job ended elsewhere first", extra={"job_id": str(job.id)})
            return
        details: dict[str, Any] = {"status": status.value, "attempt": job.attempt}
        if error is not None:
            details.update(error_type=error[0], error=error[1])
        await self._publish(job, f"job.{status.value}", **details)

    async def _write_ends(self, ends: Sequence[_Ending]) -> list[bool]:
        # Successes, nearly all ends of a busy worker, share their statement.
        successes = [(end.job, end.result) for end in ends if end.status == JobStatus.succeeded]
        still_ours = await self.writes.succeed(self.worker_id, successes)
        outcomes = []
        for end in ends:
            if end.status == JobStatus.succeeded:
                outcomes.append(end.job.id in still_ours)
                continue
            outcomes.append(
                await self.writes.finish(
                    end.job, self.worker_id, end.status, result=end.result, error=end.error
                )
            )
        return outcomes

    async def _write_claims(self, job_ids: Sequence[uuid.UUID]) -> list[ClaimedJob | None]:
        claimed = {job.id: job for job in await self.writes.claim(job_ids, self.worker_id)}
        # A job redelivered while its first message waits comes twice in one batch: only the
        # first asker runs it.
        return [claimed.pop(job_id, None) for job_id in job_ids]

    def _context(self, job: ClaimedJob) -> JobContext:
        async def report(fraction: float, message: str | None) -> bool | None:
            cancel = await self.writes.report_progress(job, self.worker_id, fraction, message)
            if cancel is False:
                await self._publish(job, "job.progress", progress=fraction, message=message)
            return cancel

        return JobContext(
            job,
            settings=self.settings,
            event_bus=self.event_bus,
            dispatcher=self.dispatcher,
            storage=self.storage,
            unit_of_work=lambda: unit_of_work(self.session_factory),
            report=report,
            process_pool=self._pool,
        )

    def _pool(self) -> Executor:
        if self._process_pool is None:
            self._process_pool = spawn_process_pool(
                self.process_modules, self.settings.job_process_workers or None
            )
        return self._process_pool

    async def _publish(self, job: ClaimedJob, name: str, **data: Any) -> None:
        subject = job.subject
        data.update(type=job.type)
        if subject is not None:
            data["subject"] = {"kind": subject.kind, "id": str(subject.id)}
        await self.event_bus.publish(JOBS_TOPIC, job_event(name, job.id, job.org_id, **data))

    async def beat(self) -> None:
        """Refresh heartbeats; stop jobs cancelled meanwhile, or taken from us."""
        held = list(self._running)
        alive = await self.writes.beat(self.worker_id, held)
        for job_id in held:
            entry = self._running.get(job_id)
            if entry is None:
                continue
            if job_id not in alive:
                self._stop_reasons[job_id] = "lost"
                entry[1].cancel()
            elif alive[job_id]:
                self._stop_reasons[job_id] = "cancel"
                entry[1].cancel()


def spawn_process_pool(modules: Sequence[str], max_workers: int | None) -> ProcessPoolExecutor:
    """A pool of worker processes, each importing ``modules`` (what registers job types and
    profilers) before its first call."""
    # Spawned, not forked: a fork of a process with an event loop and threads is unsafe.
    return ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_pool_worker,
        initargs=(list(modules),),
    )


def _start_pool_worker(modules: list[str]) -> None:
    # Ctrl+C reaches the whole process group; the server shuts its pool down itself, so a
    # worker process interrupted mid-wait would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import_modules(modules)


def _as_json(result: Any) -> Any:
    try:
        json.dumps(result)
    except (TypeError, ValueError) as exc:
        raise JobFailed(f"the handler returned something that is not JSON: {exc}") from exc
    return result


def _traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def _error_info(exc: BaseException) -> ErrorInfo:
    return type(exc).__name__, str(exc) or type(exc).__name__, _traceback(exc)
