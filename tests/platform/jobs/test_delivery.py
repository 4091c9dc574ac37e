"""Delivering jobs to Celery: a broker that is down loses no job and fails no request, and each
deployment sends on queues of its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis_asyncio

from reelhouse.settings import Settings
from tests.jobs_helpers import reelhouse_process, runs_counted, serving, wait_for_job, worker_env
from tests.platform.jobs.test_celery import BROKERS, CELERY_WORKER
from tests.services import REDIS_URL, free_port, require_service


@contextlib.asynccontextmanager
async def forwarding(port: int, to_port: int) -> AsyncIterator[None]:
    """The broker coming back: ``port`` opens and carries every connection to ``to_port``."""
    writers: list[asyncio.StreamWriter] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        writer.close()

    async def carry(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", to_port)
        writers.extend((writer, upstream_writer))
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    server = await asyncio.start_server(carry, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await asyncio.sleep(0.1)


async def test_with_the_broker_down_a_job_is_stored_answered_201_and_runs_once_it_is_back(
    settings: Settings, tmp_path: Path, counter: str, caplog: pytest.LogCaptureFixture
) -> None:
    require_service("Redis", BROKERS["redis"])
    port = free_port()
    down = f"redis://127.0.0.1:{port}/14"
    env = worker_env(settings, REELHOUSE_BROKER_URL=BROKERS["redis"], REELHOUSE_REDIS_URL=REDIS_URL)
    caplog.set_level(logging.WARNING, logger="reelhouse.jobs")
    async with serving(
        settings, job_executor="celery", broker_url=down, job_redeliver_after_seconds=0.5
    ) as (_app, http, headers):
        asked = await http.post(
            "/jobs", json={"type": "tests.count", "payload": {"counter": counter}}, headers=headers
        )
        listed = (await http.get("/jobs?type=tests.count", headers=headers)).json()
        async with forwarding(port, 6379):
            with reelhouse_process(CELERY_WORKER, env, tmp_path / "celery.log"):
                done = await wait_for_job(http, headers, asked.json()["id"])

    assert asked.status_code == 201, asked.text
    assert listed["total"] == 1, "one job, stored before the delivery failed"
    assert any("could not deliver jobs" in r.getMessage() for r in caplog.records)
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)
    assert done["status"] == "succeeded", (tmp_path / "celery.log").read_text()
    assert await runs_counted(counter) == {done["id"]: 1}, "redelivered, yet run once"


async def test_jobs_are_sent_on_the_queues_of_the_deployments_prefix(settings: Settings) -> None:
    require_service("Redis", BROKERS["redis"])
    ours, theirs = f"rh-ours-{uuid.uuid4().hex[:8]}", f"rh-theirs-{uuid.uuid4().hex[:8]}"
    async with serving(
        settings,
        job_executor="celery",
        broker_url=BROKERS["redis"],
        celery_queue_prefix=ours,
        job_workers=0,
    ) as (_app, http, headers):
        asked = await http.post(
            "/jobs",
            json={"type": "tests.count", "payload": {"counter": "unused"}, "priority": "high"},
            headers=headers,
        )

    broker = redis_asyncio.Redis.from_url(BROKERS["redis"])
    try:
        queued = {name: await broker.llen(name) for name in (f"{ours}.high", f"{theirs}.high")}
        await broker.delete(f"{ours}.high")
    finally:
        await broker.aclose()
    assert asked.status_code == 201
    assert queued == {f"{ours}.high": 1, f"{theirs}.high": 0}


def test_the_queue_prefix_is_a_plain_name() -> None:
    with pytest.raises(ValueError, match="celery_queue_prefix"):
        Settings(celery_queue_prefix="a b")
    assert Settings().celery_queue_prefix == "reelhouse"
