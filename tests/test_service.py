"""The service as a whole: health, readiness, OpenAPI, problem+json errors, request ids."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from reelhouse.app import create_app
from reelhouse.platform.logging import JsonFormatter
from reelhouse.settings import Settings
from tests.apps.archive.test_assets import settled, upload
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login
from tests.jobs_helpers import reelhouse_process, worker_env
from tests.media_samples import png_bytes
from tests.platform.test_redis_events import wait_until_ready
from tests.services import free_port


async def test_liveness_and_readiness(client: httpx.AsyncClient) -> None:
    live = await client.get("/health")
    ready = await client.get("/health/ready")

    assert live.json() == {"status": "ok"}
    assert ready.status_code == 200
    checks = {check["name"]: check["state"] for check in ready.json()["checks"]}
    assert checks == {"database": "ok", "storage": "ok"}


async def test_readiness_reports_an_unreachable_broker_as_503(settings: Settings) -> None:
    unreachable = settings.model_copy(update={"broker_url": "amqp://guest:guest@127.0.0.1:9/"})
    app = create_app(unreachable)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            ready = await http.get("/api/v1/health/ready")

    assert ready.status_code == 503
    checks = {check["name"]: check for check in ready.json()["checks"]}
    assert checks["broker"]["state"] == "failing"
    assert checks["database"]["state"] == "ok"


async def test_openapi_documents_the_routes_and_the_token_flow(client: httpx.AsyncClient) -> None:
    docs = await client.get("http://test/docs")
    document = (await client.get("http://test/openapi.json")).json()

    assert docs.status_code == 200
    assert "/api/v1/auth/token" in document["paths"]
    assert "/api/v1/users/{user_id}" in document["paths"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"


async def test_unknown_route_is_problem_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no-such-thing")

    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "urn:reelhouse:problem:not-found"


async def test_unexpected_error_is_a_bare_500_with_a_request_id_in_the_log(app: FastAPI) -> None:
    @app.get("/api/v1/explode")
    async def explode() -> None:
        raise RuntimeError("secret internals: /etc/passwd")

    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(JsonFormatter())
    reelhouse_logger = logging.getLogger("reelhouse")
    reelhouse_logger.addHandler(handler)
    reelhouse_logger.setLevel(logging.INFO)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            answer = await http.get("/api/v1/explode", headers={"X-Request-ID": "req-42"})
    finally:
        reelhouse_logger.removeHandler(handler)

    assert answer.status_code == 500
    assert answer.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "request_id": "req-42",
    }
    assert "secret internals" not in answer.text
    assert answer.headers["x-request-id"] == "req-42"
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    error = next(line for line in lines if line["logger"] == "reelhouse.errors")
    access = next(line for line in lines if line["logger"] == "reelhouse.access")
    assert error["request_id"] == access["request_id"] == "req-42"
    assert "secret internals" in error["exception"]
    assert access["status"] == 500
    assert access["route"].endswith("/explode")
    assert access["duration_ms"] >= 0


def test_settings_refuse_a_weak_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 32 characters"):
        Settings(data_dir=tmp_path, secret_key="short")


def test_generated_secret_is_kept_private_and_stable(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).jwt_secret
    second = Settings(data_dir=tmp_path).jwt_secret

    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


async def test_a_server_that_ran_jobs_in_worker_processes_stops_without_leaking(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = worker_env(
        settings,
        REELHOUSE_ADMIN_EMAIL=ADMIN_EMAIL,
        REELHOUSE_ADMIN_PASSWORD=ADMIN_PASSWORD,
        REELHOUSE_JOB_PROCESS_WORKERS="2",
    )
    with reelhouse_process(["serve", "--port", str(port)], env, log) as server:
        await wait_until_ready(f"http://127.0.0.1:{port}", log, server)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/v1") as http:
            headers = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            photo = (await upload(http, headers, "p.png", png_bytes(color=(7, 7, 7)))).json()
            indexed = await settled(http, headers, photo["id"])
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    # The resource tracker, which prints the warning, outlives the server by a moment.
    await asyncio.sleep(1)

    assert indexed["status"] == "indexed", "profiled in a worker process"
    # uvicorn re-raises the signal it stopped on, once stopped.
    assert server.returncode in (0, -signal.SIGTERM)
    assert "leaked semaphore" not in log.read_text()
    assert "Traceback" not in log.read_text()
