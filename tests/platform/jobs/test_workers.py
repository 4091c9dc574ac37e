"""Jobs and separate worker processes: started late, or killed in the middle of a job."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from reelhouse.app import create_app
from reelhouse.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login
from tests.jobs_helpers import (
    enqueue,
    org_of,
    reelhouse_process,
    runs_counted,
    wait_for_job,
    worker_env,
)

LOCAL_WORKER = ["worker", "--executor", "local", "--concurrency", "2"]


@dataclass
class ApiOnly:
    """A server that runs no jobs itself, its admin logged in, and the settings workers share."""

    app: FastAPI
    http: httpx.AsyncClient
    headers: dict[str, str]
    settings: Settings
    org_id: uuid.UUID

    def worker(self, log: Path) -> AbstractContextManager[subprocess.Popen[bytes]]:
        return reelhouse_process(LOCAL_WORKER, worker_env(self.settings), log)

    async def enqueue(self, job_type: str, **payload: object) -> str:
        return await enqueue(self.app, self.org_id, job_type, **payload)


@pytest.fixture
async def api_only(settings: Settings) -> AsyncIterator[ApiOnly]:
    api_settings = settings.model_copy(update={"job_workers": 0})
    app = create_app(api_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            headers = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            yield ApiOnly(app, http, headers, api_settings, await org_of(http, headers))


async def test_a_job_queued_while_no_executor_runs_is_executed_when_one_starts(
    api_only: ApiOnly, tmp_path: Path, counter: str
) -> None:
    job_id = await api_only.enqueue("tests.count", counter=counter)
    await asyncio.sleep(1.0)
    waiting = (await api_only.http.get(f"/jobs/{job_id}", headers=api_only.headers)).json()

    with api_only.worker(tmp_path / "worker.log"):
        done = await wait_for_job(api_only.http, api_only.headers, job_id)

    assert waiting["status"] == "queued"
    assert done["status"] == "succeeded", (tmp_path / "worker.log").read_text()
    assert await runs_counted(counter) == {job_id: 1}


async def test_a_job_whose_worker_is_killed_runs_again_elsewhere_and_succeeds_once(
    api_only: ApiOnly, tmp_path: Path, counter: str
) -> None:
    with api_only.worker(tmp_path / "a.log") as first:
        job_id = await api_only.enqueue("tests.sleepy", counter=counter, seconds=60)
        await wait_for_job(api_only.http, api_only.headers, job_id, "running")
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    with api_only.worker(tmp_path / "b.log"):
        done = await wait_for_job(api_only.http, api_only.headers, job_id)

    assert done["status"] == "succeeded", (tmp_path / "b.log").read_text()
    assert done["attempts"] == 2
    assert done["result"] == {"completions": 1, "attempt": 2}
    assert await runs_counted(counter) == {job_id: 1}


async def test_a_killed_job_out_of_attempts_fails_with_the_reason(
    api_only: ApiOnly, tmp_path: Path
) -> None:
    with api_only.worker(tmp_path / "a.log") as worker:
        job_id = await api_only.enqueue("tests.sleepy_once")
        await wait_for_job(api_only.http, api_only.headers, job_id, "running")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    done = await wait_for_job(api_only.http, api_only.headers, job_id)

    assert done["status"] == "failed"
    assert done["attempts"] == 1
    assert done["error"]["type"] == "WorkerLost"
    assert "stopped sending heartbeats" in done["error"]["message"]
