"""Periodic jobs: every tick enqueues its jobs once, however many schedulers run."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from reelhouse.platform.db import unit_of_work
from reelhouse.platform.jobs.execution.scheduler import PeriodicScheduler
from reelhouse.platform.jobs.models import Job
from reelhouse.platform.jobs.registry import PeriodicSpec, periodic
from tests.conftest import create_organization


async def test_two_schedulers_enqueue_each_tick_once_per_organization(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await create_organization(client, admin_headers, "OrgB")
    runtime = app.state.runtime
    spec = PeriodicSpec("tests.noop", every=timedelta(milliseconds=400))
    replicas = [
        PeriodicScheduler(
            runtime.session_factory, runtime.event_bus, runtime.dispatcher, 0.02, specs=[spec]
        )
        for _ in range(2)
    ]

    wanted_ticks = 4
    wins = [0, 0]

    async def run(replica: int) -> None:
        # Until enough ticks fired, not for a fixed time: a loaded machine may tick late.
        deadline = asyncio.get_running_loop().time() + 30
        while sum(wins) < wanted_ticks and asyncio.get_running_loop().time() < deadline:
            wins[replica] += await replicas[replica].tick()
            await asyncio.sleep(0.02)

    await asyncio.gather(run(0), run(1))

    async with unit_of_work(runtime.session_factory) as session:
        jobs = (await session.scalars(select(Job).where(Job.type == "tests.noop"))).all()
    ticks = Counter(job.payload["scheduled_for"] for job in jobs)
    assert sum(wins) >= wanted_ticks
    assert len(ticks) == sum(wins), "each tick was won by one scheduler only"
    assert set(ticks.values()) == {2}, "one job per organization per tick"
    assert len({job.org_id for job in jobs}) == 2


def test_periodic_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        periodic("tests.noop")
    with pytest.raises(ValueError, match="invalid cron"):
        periodic("tests.noop", cron="every tuesday")
    nightly = PeriodicSpec("tests.noop", cron="30 2 * * *")
    from datetime import UTC, datetime

    assert nightly.next_after(datetime(2026, 11, 22, 12, 0, tzinfo=UTC)) == datetime(
        2026, 11, 23, 2, 30, tzinfo=UTC
    )
