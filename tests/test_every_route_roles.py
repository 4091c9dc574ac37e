"""Roles across every route, read from the app's own route table: every route that writes demands a
role, a caller below a route's role answers 403 (as a user's token and as an API key), a caller
with no credential answers 401, and every WebSocket topic the apps publish states its role."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from reelhouse.platform.auth.models import Role
from reelhouse.platform.events import Event, Subscription
from reelhouse.platform.runtime import Runtime
from tests.conftest import create_user
from tests.jobs_helpers import org_of
from tests.route_table import (
    INSTANCE_ADMIN,
    Operation,
    operations,
    request_arguments,
    resources_of,
)

# Writes anyone may make: logging in is how a caller gets a credential at all.
OPEN_WRITES = {"POST /api/v1/auth/token"}
OPEN_READS = {"GET /api/v1/health", "GET /api/v1/health/ready"}
BELOW = {
    Role.member: ("viewer",),
    Role.admin: ("viewer", "member"),
    INSTANCE_ADMIN: ("viewer", "member", "admin"),
}


async def test_every_write_route_demands_a_role(app: FastAPI) -> None:
    unguarded = [
        str(operation)
        for operation in operations(app)
        if operation.method != "GET"
        and operation.required_role is None
        and str(operation) not in OPEN_WRITES
    ]

    assert not unguarded, f"writes any viewer may make: {unguarded}"


async def test_callers_below_a_routes_role_answer_403(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    ids = await resources_of(client, admin_headers, "roles")
    callers = {
        "admin": {
            "admin token": await create_user(client, admin_headers, "a@example.org", "admin")
        },
        "member": {"member token": await create_user(client, admin_headers, "m@example.org")},
        "viewer": {
            "viewer token": await create_user(client, admin_headers, "v@example.org", "viewer")
        },
    }
    for role in ("member", "viewer"):
        created = await client.post(
            "/api-keys", json={"name": f"{role} key", "role": role}, headers=admin_headers
        )
        callers[role][f"{role} API key"] = {"Authorization": f"Bearer {created.json()['key']}"}
    openapi = app.openapi()
    guarded = [operation for operation in operations(app) if operation.required_role]

    allowed = []
    for operation in guarded:
        for role in BELOW[operation.required_role]:
            for name, headers in callers[role].items():
                answer = await _call(client, operation, openapi, ids, headers)
                if answer.status_code != 403:
                    allowed.append(f"{operation} as {name}: {answer.status_code}")

    assert not allowed, "\n".join(allowed)
    assert {str(operation.required_role) for operation in guarded} >= {"member", "admin"}


async def test_every_route_but_the_open_ones_answers_401_without_a_credential(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    ids = await resources_of(client, admin_headers, "anonymous")
    openapi = app.openapi()

    answered = []
    for operation in operations(app):
        if str(operation) in OPEN_WRITES | OPEN_READS:
            continue
        answer = await _call(client, operation, openapi, ids, {})
        if answer.status_code != 401:
            answered.append(f"{operation}: {answer.status_code}")

    assert not answered, "\n".join(answered)


async def test_every_topic_the_apps_publish_states_its_role(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    runtime: Runtime = app.state.runtime
    heard = runtime.event_bus.subscribe(["*"], await org_of(client, admin_headers), 10_000)
    try:
        await resources_of(client, admin_headers, "topics")
        published = set()
        while item := await _next_or_none(heard):
            published.add(item[0])
    finally:
        heard.close()

    undeclared = {topic for topic in published if runtime.apps.role_for_topic(topic) is None}
    assert not undeclared, f"topics no manifest declares a role for: {undeclared}"
    assert {"assets", "users", "jobs"} <= published


async def _next_or_none(subscription: Subscription) -> tuple[str, Event] | None:
    try:
        return await asyncio.wait_for(subscription.next(), timeout=0.5)
    except TimeoutError:
        return None


async def _call(
    client: httpx.AsyncClient,
    operation: Operation,
    openapi: dict[str, object],
    ids: dict[str, str],
    headers: dict[str, str],
) -> httpx.Response:
    arguments = request_arguments(operation, openapi, headers)
    return await client.request(url=operation.url(ids), **arguments)
