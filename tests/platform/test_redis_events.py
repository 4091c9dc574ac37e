"""The Redis bus: an event published in one process reaches a WebSocket served by another."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis_asyncio
from fastapi import FastAPI
from websockets.asyncio.client import connect

from reelhouse.app import create_app
from reelhouse.platform.events import REDIS_CHANNEL_PREFIX, Event, RedisEventBus
from reelhouse.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, SECRET_KEY, login
from tests.platform.test_events import bearer, receive
from tests.services import REDIS_URL, free_port, require_service

STARTUP_TIMEOUT_S = 30


@pytest.fixture
async def redis_app(settings: Settings) -> AsyncIterator[FastAPI]:
    require_service("Redis", REDIS_URL)
    app = create_app(settings.model_copy(update={"redis_url": REDIS_URL}))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def other_server(
    redis_app: FastAPI, settings: Settings, tmp_path: Path
) -> AsyncIterator[str]:
    """``reelhouse serve`` in its own process, on the same database and the same Redis."""
    port = free_port()
    env = {
        **os.environ,
        "REELHOUSE_DATABASE_URL": settings.resolved_database_url,
        "REELHOUSE_REDIS_URL": REDIS_URL,
        "REELHOUSE_SECRET_KEY": SECRET_KEY,
        "REELHOUSE_DATA_DIR": str(tmp_path / "other"),
        "REELHOUSE_AUTO_MIGRATE": "false",
        "REELHOUSE_LOG_FORMAT": "json",
    }
    log_path = tmp_path / "other-server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reelhouse", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            await wait_until_ready(f"http://127.0.0.1:{port}", log_path, process)
            yield f"127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=15)


async def wait_until_ready(
    base_url: str, log: Path, process: subprocess.Popen[bytes] | None = None
) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        for _ in range(STARTUP_TIMEOUT_S * 10):
            if process is not None and process.poll() is not None:
                pytest.fail(f"the second server exited: {log.read_text()}")
            try:
                ready = await http.get("/api/v1/health/ready")
                if ready.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"the second server never became ready: {log.read_text()}")


async def test_an_event_crosses_processes_through_redis(
    redis_app: FastAPI, other_server: str
) -> None:
    transport = httpx.ASGITransport(app=redis_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as client:
        admin = await login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        url = f"ws://{other_server}/api/v1/ws/events?topics=users&token={bearer(admin)}"
        async with connect(url) as socket:
            await receive(socket)
            created = await client.post(
                "/users",
                json={"email": "crossed@example.org", "password": "password1"},
                headers=admin,
            )

            heard = await receive(socket)

        ready = (await client.get("/health/ready")).json()

    assert heard["event"] == "user.created"
    assert heard["subject"]["id"] == created.json()["id"]
    assert json.dumps(heard["data"]).count("crossed@example.org") == 1
    assert {check["name"]: check["state"] for check in ready["checks"]}["events"] == "ok"


async def test_events_published_together_arrive_in_order_past_malformed_messages() -> None:
    require_service("Redis", REDIS_URL)
    org_id = uuid.uuid4()
    listener, publisher = RedisEventBus(REDIS_URL), RedisEventBus(REDIS_URL, listen=False)
    await listener.start()
    await publisher.start()
    raw = redis_asyncio.Redis.from_url(REDIS_URL)
    try:
        subscription = listener.subscribe(["jobs", "assets"], org_id, capacity=100)
        await raw.publish(REDIS_CHANNEL_PREFIX + "jobs", b"not json")
        await raw.publish(REDIS_CHANNEL_PREFIX + "jobs", b'{"topic": "jobs"}')
        sent = [
            (
                "jobs" if number % 3 else "assets",
                Event(f"thing.{number}", org_id, data={"n": number}),
            )
            for number in range(30)
        ]
        # Published concurrently, so that they leave in shared messages.
        await asyncio.gather(*(publisher.publish(topic, event) for topic, event in sent))
        heard = [await asyncio.wait_for(subscription.next(), 5) for _ in sent]
    finally:
        await raw.aclose()
        await publisher.close()
        await listener.close()

    def by_topic(events: list[tuple[str, Event]]) -> dict[str, list[tuple[str, Any]]]:
        grouped: dict[str, list[tuple[str, Any]]] = {}
        for topic, event in events:
            grouped.setdefault(topic, []).append((event.event, event.data))
        return grouped

    assert all(entry is not None for entry in heard)
    # Each topic's events arrive in the order they were published.
    assert by_topic([entry for entry in heard if entry is not None]) == by_topic(sent)


async def test_publishing_neither_waits_for_nor_fails_on_an_absent_redis(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = RedisEventBus(f"redis://127.0.0.1:{free_port()}/0", listen=False)
    await bus.start()
    for _ in range(3):
        await bus.publish("jobs", Event("job.started", uuid.uuid4()))
        await asyncio.sleep(0.02)
    await bus.close()

    assert caplog.text.count("events cannot reach Redis") == 1
