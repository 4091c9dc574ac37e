"""Jobs per second and enqueue-to-start latency: Reelhouse's executors against plain Celery.

    python bench/jobs.py [--quick] [--database sqlite|postgresql]

Three runs on this machine, one after the other, with the same no-op handler:
- the local executor (in-process pool claiming from the jobs table), on SQLite: the embedded
  default it serves;
- the Celery executor (a Celery worker delivering "run job N", the jobs table keeping state), on
  PostgreSQL, as deployed: Celery is for work spread over machines, which share a database
  server, not a SQLite file; events go through Redis so that workers' events reach the servers;
- plain Celery: ``delay()`` on a bare task, on the same Redis broker and the same worker pool.
``--database`` runs both executors on the one named instead.
Throughput: N jobs enqueued in batches while the executor runs, timed until the last one ends.
Latency: jobs enqueued one at a time, 5 ms apart; start time minus enqueue time.
The three run in rounds (3; 1 with ``--quick``), in alternating order, and each side's median
round is reported: a shared 2-core VM speeds up and slows down by tens of percent over a minute,
and one round each would credit that drift to whichever side it fell on.
The last line compares the Celery path with plain Celery (target: at least half its rate); the
line before it gives the local executor's rate (target: at least 1,000 jobs/s on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import redis

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from sqlalchemy import func, select

from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.auth.organizations import ensure_first_admin
from reelhouse.platform.db import unit_of_work
from reelhouse.platform.jobs.execution.background import JobBackground
from reelhouse.platform.jobs.models import Job, JobStatus
from reelhouse.platform.jobs.service import JobService
from reelhouse.platform.migrations import upgrade
from reelhouse.platform.runtime import Runtime
from reelhouse.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/13"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
NOOP = "platform.echo"
BATCH = 250
LATENCY_JOBS = 200
WORKER_CONCURRENCY = "8"


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(name: str, total: int, seconds: float, latencies: Sequence[float]) -> dict[str, Any]:
    return {
        "run": name,
        "jobs": total,
        "jobs_per_s": round(total / seconds, 1),
        "latency_p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


# --- Reelhouse -------------------------------------------------------------------------------


async def fresh_database(kind: str, folder: Path) -> tuple[str, Callable[[], Awaitable[None]]]:
    if kind == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)

        async def nothing_to_drop() -> None:
            return None

        return f"sqlite+aiosqlite:///{folder / 'bench.db'}", nothing_to_drop
    name = f"reelhouse_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()

    async def drop() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()

    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", drop


async def organization(runtime: Runtime) -> uuid.UUID:
    async with unit_of_work(runtime.session_factory) as session:
        first = await ensure_first_admin(
            session,
            organization_name="Bench",
            admin_email="bench@example.org",
            admin_password="benchmark",
        )
    assert first is not None
    return first.organization.id


async def enqueue_batch(runtime: Runtime, org_id: uuid.UUID, count: int) -> None:
    async with unit_of_work(runtime.session_factory) as session:
        jobs = JobService(
            session=session, org_id=org_id, bus=runtime.event_bus, dispatcher=runtime.dispatcher
        )
        for _ in range(count):
            await jobs.enqueue(NOOP)


async def count_finished(runtime: Runtime) -> int:
    async with unit_of_work(runtime.session_factory) as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Job).where(Job.status == JobStatus.succeeded)
            )
            or 0
        )


async def wait_for(runtime: Runtime, expected: int, timeout: float = 600) -> None:
    deadline = time.perf_counter() + timeout
    while await count_finished(runtime) < expected:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"only {await count_finished(runtime)} of {expected} jobs ended")
        await asyncio.sleep(0.02)


async def start_latencies(runtime: Runtime) -> list[float]:
    async with unit_of_work(runtime.session_factory) as session:
        rows = await session.execute(
            select(Job.created_at, Job.started_at)
            .order_by(Job.created_at.desc())
            .limit(LATENCY_JOBS)
        )
        return [(started - created).total_seconds() for created, started in rows.all()]


async def measure_reelhouse(
    name: str, settings: Settings, total: int, run_jobs_here: bool
) -> dict[str, Any]:
    apps = InstalledApps.load(settings.apps)
    await upgrade(settings.resolved_database_url, apps)
    runtime = await Runtime.open(settings, apps)
    background = JobBackground(runtime, run_jobs=run_jobs_here, schedule=False)
    try:
        org_id = await organization(runtime)
        await background.start()
        await enqueue_batch(runtime, org_id, 20)
        await wait_for(runtime, 20)
        started = time.perf_counter()
        for offset in range(0, total, BATCH):
            await enqueue_batch(runtime, org_id, min(BATCH, total - offset))
        await wait_for(runtime, 20 + total)
        seconds = time.perf_counter() - started
        for _ in range(LATENCY_JOBS):
            await enqueue_batch(runtime, org_id, 1)
            await asyncio.sleep(0.005)
        await wait_for(runtime, 20 + total + LATENCY_JOBS)
        measured = summary(name, total, seconds, await start_latencies(runtime))
        return {**measured, "database": "sqlite" if settings.is_sqlite else "postgresql"}
    finally:
        await background.stop()
        await runtime.close()


@contextmanager
def background_process(args: list[str], env: dict[str, str], cwd: Path) -> Iterator[None]:
    process = subprocess.Popen(
        args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def reelhouse_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "REELHOUSE_DATABASE_URL": settings.resolved_database_url,
        "REELHOUSE_DATA_DIR": str(settings.data_dir),
        "REELHOUSE_BROKER_URL": REDIS_URL,
        "REELHOUSE_REDIS_URL": REDIS_URL,
        "REELHOUSE_JOB_EXECUTOR": "celery",
        "REELHOUSE_LOG_LEVEL": "WARNING",
    }


# --- plain Celery ----------------------------------------------------------------------------

PLAIN_APP = textwrap.dedent(
    f"""
    import time
    import redis
    from celery import Celery

    app = Celery("plain", broker="{REDIS_URL}")
    app.conf.task_ignore_result = True
    results = redis.Redis.from_url("{REDIS_URL}")

    @app.task(name="plain.noop")
    def noop(sent_at):
        results.rpush("plain-bench", time.time() - sent_at)
    """
)


def measure_plain_celery(total: int, folder: Path) -> dict[str, Any]:
    (folder / "plain_celery_app.py").write_text(PLAIN_APP)
    sys.path.insert(0, str(folder))
    from plain_celery_app import noop  # type: ignore[import-not-found]

    results = redis.Redis.from_url(REDIS_URL)
    results.delete("plain-bench")
    worker = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "plain_celery_app",
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        WORKER_CONCURRENCY,
        "--loglevel",
        "WARNING",
    ]
    with background_process(worker, {**os.environ, "PYTHONPATH": str(folder)}, folder):

        def wait_until(count: int) -> None:
            deadline = time.perf_counter() + 600
            while results.llen("plain-bench") < count:
                if time.perf_counter() > deadline:
                    raise TimeoutError("plain Celery did not finish")
                time.sleep(0.02)

        for _ in range(20):
            noop.delay(time.time())
        wait_until(20)
        started = time.perf_counter()
        for _ in range(total):
            noop.delay(time.time())
        wait_until(20 + total)
        seconds = time.perf_counter() - started
        results.delete("plain-bench")
        for _ in range(LATENCY_JOBS):
            noop.delay(time.time())
            time.sleep(0.005)
        wait_until(LATENCY_JOBS)
        latencies = [float(value) for value in results.lrange("plain-bench", 0, -1)]
    results.delete("plain-bench")
    return summary("plain celery", total, seconds, latencies)


async def measure_local(database: str, folder: Path, total: int) -> dict[str, Any]:
    url, drop = await fresh_database(database, folder)
    settings = Settings(data_dir=folder, database_url=url, job_workers=64)
    try:
        return await measure_reelhouse("reelhouse local", settings, total, True)
    finally:
        await drop()


async def measure_celery(database: str, folder: Path, total: int) -> dict[str, Any]:
    url, drop = await fresh_database(database, folder)
    # As the README deploys it: events through Redis, so workers' events reach the servers.
    settings = Settings(
        data_dir=folder,
        database_url=url,
        job_executor="celery",
        broker_url=REDIS_URL,
        redis_url=REDIS_URL,
    )
    worker = [
        sys.executable,
        "-m",
        "reelhouse",
        "worker",
        "--executor",
        "celery",
        "--pool",
        "threads",
        "--concurrency",
        WORKER_CONCURRENCY,
    ]
    try:
        await upgrade(settings.resolved_database_url, InstalledApps.load(settings.apps))
        with background_process(worker, reelhouse_env(settings), REPO):
            return await measure_reelhouse("reelhouse celery", settings, total, False)
    finally:
        await drop()


def median_run(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The run of median throughput (an odd number of rounds has one)."""
    return sorted(runs, key=lambda run: run["jobs_per_s"])[len(runs) // 2]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 jobs, one round")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default=None,
        help="run both executors on this database (default: local on SQLite, Celery on PostgreSQL)",
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 3; 1 quick)")
    arguments = parser.parse_args()
    total = 500 if arguments.quick else 5000
    rounds = arguments.rounds or (1 if arguments.quick else 3)
    redis.Redis.from_url(REDIS_URL).flushdb()
    runs: dict[str, list[dict[str, Any]]] = {"local": [], "celery": [], "plain": []}
    with tempfile.TemporaryDirectory(prefix="reelhouse-bench-") as tmp:
        folder = Path(tmp)
        for round_number in range(rounds):
            # Alternating order, so that a machine speeding up or slowing down during the run
            # does not favour whichever side always comes last.
            sides = ["local", "celery", "plain"]
            for side in sides if round_number % 2 == 0 else sides[::-1]:
                place = folder / f"{side}-{round_number}"
                if side == "local":
                    run = await measure_local(arguments.database or "sqlite", place, total)
                elif side == "celery":
                    run = await measure_celery(arguments.database or "postgresql", place, total)
                else:
                    place.mkdir()
                    run = measure_plain_celery(total, place)
                runs[side].append(run)
                print(json.dumps({**run, "round": round_number}))
    local, ours, peer = (median_run(runs[side]) for side in ("local", "celery", "plain"))
    print(
        json.dumps(
            {
                "bench": "jobs.local",
                "unit": "jobs/s",
                "ours": local["jobs_per_s"],
                "peer": peer["jobs_per_s"],
                "ratio": round(local["jobs_per_s"] / peer["jobs_per_s"], 3),
                "target": "ours >= 1000 jobs/s",
                "database": local["database"],
            }
        )
    )
    print(
        json.dumps(
            {
                "bench": "jobs",
                "unit": "jobs/s",
                "ours": ours["jobs_per_s"],
                "peer": peer["jobs_per_s"],
                "ratio": round(ours["jobs_per_s"] / peer["jobs_per_s"], 3),
                "target": 0.5,
                "rounds": rounds,
                "database": ours["database"],
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
