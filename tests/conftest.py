"""Fixtures: every test runs on SQLite and again on PostgreSQL, through the real app."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis.asyncio as redis_asyncio
import uvicorn
from fastapi import FastAPI
from sqlalchemy import delete, inspect

from reelhouse.app import create_app
from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.db import Base, create_engine
from reelhouse.platform.http_protocol import PROTOCOL_PATH
from reelhouse.platform.migrations import upgrade
from reelhouse.settings import INSTALLED_APPS, Settings
from tests.s3_server import moto_endpoint  # noqa: F401 - a fixture for every test module
from tests.services import POSTGRES_ADMIN_URL, REDIS_URL, free_port, require_service

ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "first-admin-password"
SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"
# Celery queues of this run only: suites sharing one broker never take each other's jobs.
CELERY_QUEUE_PREFIX = f"reelhouse-test-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Database:
    backend: str
    url: str


@contextlib.asynccontextmanager
async def fresh_database(backend: str, directory: Path) -> AsyncIterator[Database]:
    """An empty database of its own, removed afterwards, so runs never see each other's rows."""
    if backend == "sqlite":
        yield Database(backend, f"sqlite+aiosqlite:///{directory / f'{uuid.uuid4().hex}.db'}")
        return
    require_service("PostgreSQL", POSTGRES_ADMIN_URL)
    name = f"reelhouse_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+asyncpg://"
        )
        yield Database(backend, f"{base}/{name}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """One migrated database per backend for the whole run."""
    async with fresh_database(request.param, tmp_path_factory.mktemp("db")) as db:
        await upgrade(db.url, InstalledApps.load(INSTALLED_APPS))
        yield db


@pytest.fixture
async def clean_database(database: Database) -> AsyncIterator[Database]:
    yield database
    engine = create_engine(database.url)
    async with engine.begin() as connection:
        # Only the tables of the installed apps: an app defined in a test has its own database.
        present = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in present:
                await connection.execute(delete(table))
    await engine.dispose()


@pytest.fixture
def settings(clean_database: Database, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=clean_database.url,
        auto_migrate=False,
        secret_key=SECRET_KEY,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        ws_queue_size=8,
        task_modules="tests.job_tasks",
        job_poll_seconds=0.1,
        job_heartbeat_seconds=0.2,
        job_stale_after_seconds=1.5,
        job_sweep_seconds=0.2,
        job_retry_base_seconds=0.05,
        job_process_workers=1,
        celery_queue_prefix=CELERY_QUEUE_PREFIX,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        yield http


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post("/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    return await login(client, ADMIN_EMAIL, ADMIN_PASSWORD)


@dataclass(frozen=True)
class OrgAdmin:
    org_id: str
    email: str
    headers: dict[str, str]


async def create_organization(
    client: httpx.AsyncClient, instance_admin: dict[str, str], name: str
) -> OrgAdmin:
    """A second organization, made by the instance admin, and its admin logged in."""
    email = f"admin@{name.lower()}.example.org"
    response = await client.post(
        "/organizations",
        json={"name": name, "admin_email": email, "admin_password": "org-admin-password"},
        headers=instance_admin,
    )
    assert response.status_code == 201, response.text
    headers = await login(client, email, "org-admin-password")
    return OrgAdmin(response.json()["organization"]["id"], email, headers)


async def create_user(
    client: httpx.AsyncClient, admin: dict[str, str], email: str, role: str = "member"
) -> dict[str, str]:
    """A user made through the API, answered with its logged-in headers."""
    response = await client.post(
        "/users", json={"email": email, "password": "user-password", "role": role}, headers=admin
    )
    assert response.status_code == 201, response.text
    return await login(client, email, "user-password")


@pytest.fixture
async def counter() -> AsyncIterator[str]:
    """A Redis hash in which test handlers count their runs, removed afterwards."""
    require_service("Redis", REDIS_URL)
    key = f"reelhouse-test:{uuid.uuid4().hex}"
    yield key
    client = redis_asyncio.Redis.from_url(REDIS_URL)
    await client.delete(key)
    await client.aclose()


@pytest.fixture
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """The same app served over real HTTP and WebSocket on a loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_config=None, http=PROTOCOL_PATH
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await task


_passed_by_backend: dict[str, int] = {"sqlite": 0, "postgresql": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        for backend in _passed_by_backend:
            if f"[{backend}" in report.nodeid:
                _passed_by_backend[backend] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI, a run that tested no database of one kind is a failed run, whatever passed."""
    if os.environ.get("CI", "").lower() != "true" or session.config.option.collectonly:
        return
    missing = [backend for backend, passed in _passed_by_backend.items() if passed == 0]
    if missing and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\nCI: no test passed on {', '.join(missing)}", file=sys.stderr)
