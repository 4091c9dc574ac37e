"""Liveness and readiness: is the process up, and can it reach what it depends on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from reelhouse.platform.deps import RuntimeDep
from reelhouse.platform.runtime import Runtime

router = APIRouter(tags=["health"])
logger = logging.getLogger("reelhouse.health")
CHECK_TIMEOUT_S = 3.0
BROKER_DEFAULT_PORTS = {"redis": 6379, "rediss": 6379, "amqp": 5672, "amqps": 5671}


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Check(BaseModel):
    name: str
    state: Literal["ok", "failing"]
    detail: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: list[Check]


@router.get("/health")
async def liveness() -> Liveness:
    return Liveness()


@router.get("/health/ready", responses={503: {"model": Readiness}})
async def readiness(runtime: RuntimeDep) -> JSONResponse:
    """Each dependency with its state; 503 while any of them fails."""
    checks = [
        await _check("database", _database(runtime)),
        await _check("storage", _storage(runtime)),
    ]
    if runtime.settings.redis_url:
        checks.append(await _check("events", _event_bus(runtime)))
    if runtime.settings.broker_url:
        checks.append(await _check("broker", _broker(runtime.settings.broker_url)))
    ready = all(check.state == "ok" for check in checks)
    body = Readiness(status="ready" if ready else "not_ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


async def _check(name: str, probe: Coroutine[Any, Any, str]) -> Check:
    try:
        detail = await asyncio.wait_for(probe, CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure of a dependency is its state, not an error of ours
        # The route answers anyone, so the message (paths, hosts) goes to the log, not the answer.
        logger.warning("readiness check %s failing", name, exc_info=True)
        return Check(name=name, state="failing", detail=type(exc).__name__)
    return Check(name=name, state="ok", detail=detail)


async def _database(runtime: Runtime) -> str:
    async with runtime.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return runtime.engine.dialect.name


async def _storage(runtime: Runtime) -> str:
    await runtime.storage.check()
    # Not the storage's own description: it names the absolute data path or the bucket.
    return f"{runtime.settings.storage_backend} storage usable"


async def _event_bus(runtime: Runtime) -> str:
    if not await runtime.event_bus.is_ready():
        raise ConnectionError("Redis does not answer PING")
    return "redis pub/sub"


async def _broker(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or BROKER_DEFAULT_PORTS.get(parts.scheme, 5672)
    _reader, writer = await asyncio.open_connection(host, port)
    writer.close()
    await writer.wait_closed()
    return f"{parts.scheme} broker reachable"
