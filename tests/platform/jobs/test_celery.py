"""The Celery executor against the real Redis and RabbitMQ brokers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from reelhouse.app import create_app
from reelhouse.platform.jobs.execution.celery_app import create_celery
from reelhouse.platform.jobs.execution.redis_transport import Transport as RedisTransport
from reelhouse.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Database, login
from tests.jobs_helpers import org_of, reelhouse_process, runs_counted, wait_for_job, worker_env
from tests.platform.test_redis_events import wait_until_ready
from tests.services import REDIS_URL, free_port, require_service

BROKERS = {
    "redis": "redis://127.0.0.1:6379/14",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}
CELERY_WORKER = ["worker", "--executor", "celery", "--pool", "threads", "--concurrency", "4"]


@pytest.fixture(params=sorted(BROKERS))
def broker_url(request: pytest.FixtureRequest) -> str:
    url = BROKERS[request.param]
    require_service("RabbitMQ" if request.param == "rabbitmq" else "Redis", url)
    return url


@pytest.fixture
async def celery_app(settings: Settings, broker_url: str) -> AsyncIterator[FastAPI]:
    require_service("Redis", REDIS_URL)
    app = create_app(
        settings.model_copy(
            update={"job_executor": "celery", "broker_url": broker_url, "redis_url": REDIS_URL}
        )
    )
    async with app.router.lifespan_context(app):
        yield app


async def test_celery_workers_run_jobs_asked_for_through_the_api(
    celery_app: FastAPI, settings: Settings, broker_url: str, tmp_path: Path, counter: str
) -> None:
    env = worker_env(settings, REELHOUSE_BROKER_URL=broker_url, REELHOUSE_REDIS_URL=REDIS_URL)
    transport = httpx.ASGITransport(app=celery_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        headers = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        # What a WebSocket on this server hears of the jobs the worker runs.
        heard = celery_app.state.runtime.event_bus.subscribe(
            ["jobs"], await org_of(http, headers), 256
        )
        with reelhouse_process(CELERY_WORKER, env, tmp_path / "celery.log"):
            asked = [
                await http.post(
                    "/jobs",
                    json={"type": "tests.count", "payload": {"counter": counter}, "priority": p},
                    headers=headers,
                )
                for p in ("high", "default", "low") * 4
            ]
            done = [await wait_for_job(http, headers, job.json()["id"]) for job in asked]
        ready = (await http.get("/health/ready")).json()

    assert {job["status"] for job in done} == {"succeeded"}, (tmp_path / "celery.log").read_text()
    assert await runs_counted(counter) == {job["id"]: 1 for job in done}
    succeeded_events: set[str] = set()
    while len(succeeded_events) < len(done):
        topic_event = await asyncio.wait_for(heard.next(), 10)
        assert topic_event is not None
        if topic_event[1].event == "job.succeeded":
            succeeded_events.add(str(topic_event[1].subject.id))
    assert succeeded_events == {job["id"] for job in done}
    assert {check["name"]: check["state"] for check in ready["checks"]}["broker"] == "ok"


# Specified on PostgreSQL: several machines sharing one database is what it is for.
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_two_servers_and_two_celery_workers_run_500_jobs_exactly_once(
    database: Database, settings: Settings, tmp_path: Path, counter: str
) -> None:
    require_service("Redis", REDIS_URL)
    broker = BROKERS["redis"]
    env = worker_env(
        settings,
        REELHOUSE_BROKER_URL=broker,
        REELHOUSE_REDIS_URL=REDIS_URL,
        REELHOUSE_JOB_EXECUTOR="celery",
        REELHOUSE_ADMIN_EMAIL=ADMIN_EMAIL,
        REELHOUSE_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    ports = [free_port(), free_port()]
    with ExitStack() as processes:
        for number, port in enumerate(ports):
            processes.enter_context(
                reelhouse_process(
                    ["serve", "--port", str(port)], env, tmp_path / f"server{number}.log"
                )
            )
            processes.enter_context(
                reelhouse_process(CELERY_WORKER, env, tmp_path / f"worker{number}.log")
            )
        servers = [
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30)
            for port in ports
        ]
        try:
            for number, port in enumerate(ports):
                await wait_until_ready(f"http://127.0.0.1:{port}", tmp_path / f"server{number}.log")
            headers = await login(servers[0], ADMIN_EMAIL, ADMIN_PASSWORD)
            job_ids = await _ask_for_jobs(servers, headers, counter, total=500)
            succeeded = await _wait_for_all(servers[1], headers, expected=500)
        finally:
            for server in servers:
                await server.aclose()

    assert succeeded == 500
    assert len(set(job_ids)) == 500
    assert await runs_counted(counter) == dict.fromkeys(job_ids, 1)


async def _ask_for_jobs(
    servers: list[httpx.AsyncClient], headers: dict[str, str], counter: str, total: int
) -> list[str]:
    async def ask(number: int) -> str:
        response = await servers[number % 2].post(
            "/jobs", json={"type": "tests.count", "payload": {"counter": counter}}, headers=headers
        )
        assert response.status_code == 201, response.text
        job_id: str = response.json()["id"]
        return job_id

    job_ids: list[str] = []
    for start in range(0, total, 25):
        job_ids += await asyncio.gather(*(ask(n) for n in range(start, min(start + 25, total))))
    return job_ids


async def _wait_for_all(server: httpx.AsyncClient, headers: dict[str, str], expected: int) -> int:
    for _ in range(1200):
        listed = await server.get("/jobs?status=succeeded&limit=1", headers=headers)
        if listed.json()["total"] >= expected:
            return int(listed.json()["total"])
        await asyncio.sleep(0.1)
    unfinished = await server.get("/jobs?status=queued&status=running&limit=5", headers=headers)
    raise AssertionError(f"jobs left unfinished: {unfinished.json()}")


def test_a_redis_broker_channel_keeps_one_client_across_commands() -> None:
    require_service("Redis", BROKERS["redis"])
    app = create_celery(BROKERS["redis"])
    with app.connection_for_write() as connection:
        queue = connection.SimpleQueue(f"reelhouse.test.{uuid.uuid4().hex}")
        channel = queue.channel
        queue.put({"n": 1})
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is second
        # kombu replaces its pool after a fork or a lost connection: the client follows it.
        channel._disconnect_pools()
        with channel.conn_or_acquire() as after_reset:
            assert after_reset is not first
            assert after_reset.connection_pool is channel.pool
        queue.put({"n": 2})
        received = [queue.get(timeout=5) for _ in range(2)]
        for message in received:
            message.ack()
        queue.queue.delete()
        queue.close()

    assert isinstance(connection.transport, RedisTransport)
    assert [message.payload for message in received] == [{"n": 1}, {"n": 2}]
