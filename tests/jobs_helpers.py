"""Asking for jobs and waiting on them, as the tests of jobs do."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as redis_asyncio
from fastapi import FastAPI

from reelhouse.app import create_app
from reelhouse.platform.db import unit_of_work
from reelhouse.platform.jobs.service import JobService
from reelhouse.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login
from tests.services import REDIS_URL

REPO_ROOT = Path(__file__).resolve().parent.parent
WAIT_TIMEOUT_S = 30.0


async def enqueue(app: FastAPI, org_id: uuid.UUID, job_type: str, **payload: Any) -> str:
    """Enqueue as an app's service would, in a unit of work of its own."""
    runtime = app.state.runtime
    async with unit_of_work(runtime.session_factory) as session:
        jobs = JobService(
            session=session, org_id=org_id, bus=runtime.event_bus, dispatcher=runtime.dispatcher
        )
        job = await jobs.enqueue(job_type, payload)
    return str(job.id)


@asynccontextmanager
async def serving(
    settings: Settings, **changes: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, dict[str, str]]]:
    """An app of its own (``settings`` with ``changes``), running, with a client and the admin's
    headers; stopped on the way out, as a server is."""
    app = create_app(settings.model_copy(update=changes))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            yield app, http, await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)


async def org_of(client: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID((await client.get("/auth/me", headers=headers)).json()["organization"]["id"])


async def wait_for_job(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    job_id: str,
    *statuses: str,
    timeout: float = WAIT_TIMEOUT_S,
) -> dict[str, Any]:
    """Poll the job through the API until it reaches one of ``statuses``."""
    wanted = statuses or ("succeeded", "failed", "cancelled")
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        job: dict[str, Any] = (await client.get(f"/jobs/{job_id}", headers=headers)).json()
        if job["status"] in wanted:
            return job
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"job stayed {job['status']}, expected {wanted}: {job}")
        await asyncio.sleep(0.05)


async def runs_counted(key: str) -> dict[str, int]:
    """What handlers counted in the Redis hash ``key``: runs by job id."""
    client = redis_asyncio.Redis.from_url(REDIS_URL)
    try:
        counted = await client.hgetall(key)
    finally:
        await client.aclose()
    return {field.decode(): int(value) for field, value in counted.items()}


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a worker process sharing the test's database and timings."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "REELHOUSE_DATABASE_URL": settings.resolved_database_url,
        "REELHOUSE_DATA_DIR": str(settings.data_dir),
        "REELHOUSE_SECRET_KEY": settings.jwt_secret,
        "REELHOUSE_TASK_MODULES": settings.task_modules,
        "REELHOUSE_APPS": settings.apps,
        "REELHOUSE_AUTO_MIGRATE": "false",
        "REELHOUSE_LOG_FORMAT": "json",
        "REELHOUSE_JOB_POLL_SECONDS": str(settings.job_poll_seconds),
        "REELHOUSE_JOB_HEARTBEAT_SECONDS": str(settings.job_heartbeat_seconds),
        "REELHOUSE_JOB_STALE_AFTER_SECONDS": str(settings.job_stale_after_seconds),
        "REELHOUSE_JOB_SWEEP_SECONDS": str(settings.job_sweep_seconds),
        "REELHOUSE_JOB_RETRY_BASE_SECONDS": str(settings.job_retry_base_seconds),
        "REELHOUSE_CELERY_QUEUE_PREFIX": settings.celery_queue_prefix,
        **extra,
    }


@contextmanager
def reelhouse_process(
    args: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m reelhouse ARGS`` in the background, stopped (or found dead) afterwards."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "reelhouse", *args],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
