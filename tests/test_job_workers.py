"""Jobs and separate worker processes: started late, or killed in the middle of a job."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
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


async def _api_without_executor(settings: Settings) -> tuple[FastAPI, Settings]:
    api_only = settings.model_copy(update={"job_workers": 0})
    return create_app(api_only), api_only


async def test_a_job_queued_while_no_executor_runs_is_executed_when_one_starts(
    settings: Settings,
    tmp_path: Path,
    counter: str,
) -> None:
    app, api_only = await _api_without_executor(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            headers = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            job_id = await enqueue(app, await org_of(http, headers), "tests.count", counter=counter)
            await asyncio.sleep(1.0)
            waiting = (await http.get(f"/jobs/{job_id}", headers=headers)).json()

            with reelhouse_process(LOCAL_WORKER, worker_env(api_only), tmp_path / "worker.log"):
                done = await wait_for_job(http, headers, job_id)

    assert waiting["status"] == "queued"
    assert done["status"] == "succeeded", (tmp_path / "worker.log").read_text()
    assert await runs_counted(counter) == {job_id: 1}


async def _running_on_a_worker(
    http: httpx.AsyncClient, headers: dict[str, str], job_id: str
) -> dict[str, object]:
    return await wait_for_job(http, headers, job_id, "running")


async def test_a_job_whose_worker_is_killed_runs_again_elsewhere_and_succeeds_once(
    settings: Settings,
    tmp_path: Path,
    counter: str,
) -> None:
    app, api_only = await _api_without_executor(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            headers = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            org_id = await org_of(http, headers)
            with reelhouse_process(LOCAL_WORKER, worker_env(api_only), tmp_path / "a.log") as first:
                job_id = await enqueue(app, org_id, "tests.sleepy", counter=counter, seconds=60)
                await _running_on_a_worker(http, headers, job_id)
                os.kill(first.pid, signal.SIGKILL)
                first.wait()
            with reelhouse_process(LOCAL_WORKER, worker_env(api_only), tmp_path / "b.log"):
                done = await wait_for_job(http, headers, job_id)

    assert done["status"] == "succeeded", (tmp_path / "b.log").read_text()
    assert done["attempts"] == 2
    assert done["result"] == {"completions": 1, "attempt": 2}
    assert await runs_counted(counter) == {job_id: 1}


async def test_a_killed_job_out_of_attempts_fails_with_the_reason(
    settings: Settings, tmp_path: Path
) -> None:
    app, api_only = await _api_without_executor(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            headers = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            with reelhouse_process(
                LOCAL_WORKER, worker_env(api_only), tmp_path / "a.log"
            ) as worker:
                job_id = await enqueue(app, await org_of(http, headers), "tests.sleepy_once")
                await _running_on_a_worker(http, headers, job_id)
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait()
            done = await wait_for_job(http, headers, job_id)

    assert done["status"] == "failed"
    assert done["attempts"] == 1
    assert done["error"]["type"] == "WorkerLost"
    assert "stopped sending heartbeats" in done["error"]["message"]
