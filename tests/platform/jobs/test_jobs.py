"""Jobs through the API and the local executor: run, report, fail, retry, cancel."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from websockets.asyncio.client import connect

from reelhouse.platform.db import unit_of_work
from reelhouse.platform.jobs.models import Job
from reelhouse.platform.jobs.service import JobService
from reelhouse.settings import Settings
from tests.conftest import create_organization, create_user
from tests.jobs_helpers import enqueue, org_of, runs_counted, serving, wait_for_job
from tests.platform.test_events import bearer, receive


async def test_a_job_asked_for_through_the_api_runs_to_success(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    asked = await client.post(
        "/jobs",
        json={"type": "platform.echo", "payload": {"message": "hello"}},
        headers=admin_headers,
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "queued"

    done = await wait_for_job(client, admin_headers, asked.json()["id"])

    assert done["status"] == "succeeded"
    assert done["result"] == {"echo": "hello", "attempt": 1}
    assert done["progress"] == 1.0
    assert done["attempts"] == 1
    assert done["started_at"] <= done["finished_at"]
    assert done["requested_by_user_id"] is not None


async def test_only_api_enqueueable_job_types_are_accepted(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    unknown = await client.post("/jobs", json={"type": "no.such.task"}, headers=admin_headers)
    internal = await client.post("/jobs", json={"type": "tests.flaky"}, headers=admin_headers)

    assert unknown.status_code == internal.status_code == 422
    assert unknown.json()["field"] == "type"


async def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str], counter: str
) -> None:
    runtime = app.state.runtime
    org_id = await org_of(client, admin_headers)

    async def failing_request() -> None:
        async with unit_of_work(runtime.session_factory) as session:
            jobs = JobService(
                session=session, org_id=org_id, bus=runtime.event_bus, dispatcher=runtime.dispatcher
            )
            await jobs.enqueue("tests.count", {"counter": counter})
            raise RuntimeError("the request failed after asking for the job")

    with pytest.raises(RuntimeError):
        await failing_request()
    witness = await enqueue(app, org_id, "tests.count", counter=counter)
    await wait_for_job(client, admin_headers, witness)

    async with unit_of_work(runtime.session_factory) as session:
        stored = await session.scalar(select(func.count()).select_from(Job))
    assert stored == 1
    assert await runs_counted(counter) == {witness: 1}


async def test_progress_events_reach_a_websocket(
    client: httpx.AsyncClient, admin_headers: dict[str, str], live_server: str
) -> None:
    url = f"ws://{live_server}/api/v1/ws/events?topics=jobs&token={bearer(admin_headers)}"
    async with connect(url) as socket:
        await receive(socket)
        asked = await client.post(
            "/jobs",
            json={"type": "platform.echo", "payload": {"delay": 0.3}},
            headers=admin_headers,
        )
        heard = [await receive(socket)]
        while heard[-1]["event"] not in ("job.succeeded", "job.failed"):
            heard.append(await receive(socket))

    names = [event["event"] for event in heard]
    assert names[:2] == ["job.queued", "job.started"]
    assert names[-1] == "job.succeeded"
    progress = [event["data"]["progress"] for event in heard if event["event"] == "job.progress"]
    assert progress == pytest.approx([step / 10 for step in range(1, 11)])
    assert {event["subject"]["id"] for event in heard} == {asked.json()["id"]}


async def test_failing_attempts_are_retried_with_backoff_until_success(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    job_id = await enqueue(app, await org_of(client, admin_headers), "tests.flaky", succeed_on=3)

    done = await wait_for_job(client, admin_headers, job_id)

    assert done["status"] == "succeeded"
    assert done["attempts"] == 3
    assert done["result"] == {"attempt": 3}
    assert done["error"] is None


async def test_a_job_out_of_attempts_fails_with_a_readable_error(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    job_id = await enqueue(app, await org_of(client, admin_headers), "tests.flaky", succeed_on=99)

    done = await wait_for_job(client, admin_headers, job_id)

    assert done["status"] == "failed"
    assert done["attempts"] == 3
    assert done["error"] == {
        "type": "ConnectionError",
        "message": "the camera server hung up (attempt 3)",
    }
    assert "traceback" not in str(done).lower()
    runtime = app.state.runtime
    async with unit_of_work(runtime.session_factory) as session:
        stored = await session.get(Job, uuid.UUID(job_id))
    assert stored is not None
    assert stored.error_traceback is not None
    assert "ConnectionError" in stored.error_traceback


async def test_permanent_failures_and_timeouts_end_failed(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    org_id = await org_of(client, admin_headers)
    corrupt = await enqueue(app, org_id, "tests.corrupt_input")
    slow = await enqueue(app, org_id, "tests.too_slow")

    corrupt_done = await wait_for_job(client, admin_headers, corrupt)
    slow_done = await wait_for_job(client, admin_headers, slow)

    assert corrupt_done["status"] == "failed"
    assert corrupt_done["attempts"] == 1
    assert corrupt_done["error"]["message"] == "moov atom not found: the file is truncated"
    assert slow_done["status"] == "failed"
    assert slow_done["error"]["type"] == "JobTimeout"


async def test_retry_runs_a_failed_job_again(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str], counter: str
) -> None:
    job_id = await enqueue(
        app, await org_of(client, admin_headers), "tests.fails_until_fixed", counter=counter
    )
    failed = await wait_for_job(client, admin_headers, job_id)
    assert failed["status"] == "failed"

    retried = await client.post(f"/jobs/{job_id}/retry", headers=admin_headers)
    done = await wait_for_job(client, admin_headers, job_id)
    again = await client.post(f"/jobs/{job_id}/retry", headers=admin_headers)

    assert retried.status_code == 200
    assert retried.json()["status"] == "queued"
    assert done["status"] == "succeeded"
    assert done["result"] == "fixed"
    assert again.status_code == 409


async def test_a_running_job_is_cancelled_at_its_next_progress_check(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    job_id = await enqueue(app, await org_of(client, admin_headers), "tests.long_progress")
    while (await wait_for_job(client, admin_headers, job_id, "running"))["progress"] == 0:
        await asyncio.sleep(0.02)

    asked = await client.post(f"/jobs/{job_id}/cancel", headers=admin_headers)
    done = await wait_for_job(client, admin_headers, job_id)

    assert asked.status_code == 200
    assert asked.json()["cancel_requested"] is True
    assert done["status"] == "cancelled"
    assert 0 < done["progress"] < 1
    assert (await client.post(f"/jobs/{job_id}/cancel", headers=admin_headers)).status_code == 409


async def test_a_queued_job_is_cancelled_at_once_and_never_runs(
    settings: Settings, counter: str
) -> None:
    async with serving(settings, job_workers=0) as (idle, http, headers):
        job_id = await enqueue(idle, await org_of(http, headers), "tests.count", counter=counter)
        cancelled = await http.post(f"/jobs/{job_id}/cancel", headers=headers)

    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["finished_at"] is not None
    async with serving(settings) as (busy, http, headers):
        witness = await enqueue(busy, await org_of(http, headers), "tests.count", counter=counter)
        await wait_for_job(http, headers, witness)
        final = (await http.get(f"/jobs/{job_id}", headers=headers)).json()
    assert final["status"] == "cancelled"
    assert await runs_counted(counter) == {witness: 1}


async def test_jobs_start_by_priority_then_age(settings: Settings) -> None:
    async with serving(settings, job_workers=0) as (_idle, http, headers):
        org_id = await org_of(http, headers)
        order = []
        for priority in ("low", "default", "high", "default"):
            asked = await http.post(
                "/jobs", json={"type": "platform.echo", "priority": priority}, headers=headers
            )
            order.append((priority, asked.json()["id"]))
    async with serving(settings, job_workers=1) as (_single, http, headers):
        done = [await wait_for_job(http, headers, job_id) for _priority, job_id in order]

    started = sorted(zip(done, order, strict=True), key=lambda pair: pair[0]["started_at"])
    assert [priority for _job, (priority, _id) in started] == ["high", "default", "default", "low"]
    assert [job_id for _job, (_p, job_id) in started][1:3] == [order[1][1], order[3][1]]
    assert org_id is not None


async def test_cpu_heavy_work_runs_in_a_worker_process(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    job_id = await enqueue(
        app, await org_of(client, admin_headers), "tests.sum_of_squares", n=10_000
    )

    done = await wait_for_job(client, admin_headers, job_id, timeout=60)

    assert done["status"] == "succeeded", done
    assert done["result"] == {"total": sum(n * n for n in range(10_000))}


async def test_jobs_are_listed_filtered_and_private_to_their_organization(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    org_id = await org_of(client, admin_headers)
    echo = await client.post("/jobs", json={"type": "platform.echo"}, headers=admin_headers)
    broken = await enqueue(app, org_id, "tests.corrupt_input")
    await wait_for_job(client, admin_headers, echo.json()["id"])
    await wait_for_job(client, admin_headers, broken)
    org_b = await create_organization(client, admin_headers, "OrgB")
    viewer = await create_user(client, admin_headers, "viewer@example.org", role="viewer")

    failed = (await client.get("/jobs?status=failed", headers=admin_headers)).json()
    by_type = (await client.get("/jobs?type=platform.echo", headers=viewer)).json()
    theirs = await client.get(f"/jobs/{broken}", headers=org_b.headers)
    their_list = (await client.get("/jobs", headers=org_b.headers)).json()
    their_cancel = await client.post(f"/jobs/{broken}/retry", headers=org_b.headers)
    viewer_retry = await client.post(f"/jobs/{broken}/retry", headers=viewer)

    assert [job["id"] for job in failed["items"]] == [broken]
    assert [job["id"] for job in by_type["items"]] == [echo.json()["id"]]
    assert theirs.status_code == their_cancel.status_code == 404
    assert their_list["total"] == 0
    assert viewer_retry.status_code == 403
