"""WS /api/v1/ws/events: each organization hears its own events, live, and only those."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from reelhouse.platform.db import unit_of_work
from reelhouse.platform.events import Event, publish_after_commit
from tests.conftest import create_organization, create_user

RECEIVE_TIMEOUT_S = 10


async def receive(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), RECEIVE_TIMEOUT_S))
    return message


async def drain(socket: ClientConnection) -> None:
    while True:
        await receive(socket)


def bearer(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def add_user(client: httpx.AsyncClient, headers: dict[str, str], email: str) -> None:
    created = await client.post(
        "/users", json={"email": email, "password": "password1"}, headers=headers
    )
    assert created.status_code == 201, created.text


async def test_two_organizations_each_receive_only_their_own_events(
    client: httpx.AsyncClient, admin_headers: dict[str, str], live_server: str
) -> None:
    org_b = await create_organization(client, admin_headers, "OrgB")
    url = f"ws://{live_server}/api/v1/ws/events?topics=users"
    async with (
        connect(f"{url}&token={bearer(admin_headers)}") as socket_a,
        connect(url) as socket_b,
    ):
        await socket_b.send(json.dumps({"token": bearer(org_b.headers)}))
        connected_a, connected_b = await receive(socket_a), await receive(socket_b)
        assert connected_a["event"] == connected_b["event"] == "connected"
        assert connected_b["org_id"] == org_b.org_id

        await add_user(client, admin_headers, "a1@example.org")
        await add_user(client, org_b.headers, "b1@example.org")
        await add_user(client, admin_headers, "a2@example.org")
        await add_user(client, org_b.headers, "b2@example.org")

        heard_a = [await receive(socket_a), await receive(socket_a)]
        heard_b = [await receive(socket_b), await receive(socket_b)]

    assert [event["data"]["email"] for event in heard_a] == ["a1@example.org", "a2@example.org"]
    assert [event["data"]["email"] for event in heard_b] == ["b1@example.org", "b2@example.org"]
    assert {event["org_id"] for event in heard_b} == {org_b.org_id}
    assert heard_a[0]["event"] == "user.created"
    assert heard_a[0]["topic"] == "users"
    assert heard_a[0]["subject"]["kind"] == "user"


async def test_a_topic_reaches_only_the_roles_its_manifest_allows(
    client: httpx.AsyncClient, admin_headers: dict[str, str], live_server: str
) -> None:
    viewer = await create_user(client, admin_headers, "viewer@example.org", role="viewer")
    url = f"ws://{live_server}/api/v1/ws/events?topics=users,jobs"
    async with (
        connect(f"{url}&token={bearer(admin_headers)}") as admin_socket,
        connect(f"{url}&token={bearer(viewer)}") as viewer_socket,
    ):
        await receive(admin_socket), await receive(viewer_socket)
        await add_user(client, admin_headers, "new@example.org")
        # A job's event after the user's: what the viewer hears first shows what it was spared.
        echo = await client.post("/jobs", json={"type": "platform.echo"}, headers=admin_headers)
        assert echo.status_code == 201, echo.text

        admin_first = await receive(admin_socket)
        viewer_first = await receive(viewer_socket)

    assert (admin_first["topic"], admin_first["event"]) == ("users", "user.created")
    assert admin_first["data"]["email"] == "new@example.org"
    assert viewer_first["topic"] == "jobs"
    assert viewer_first["subject"]["id"] == echo.json()["id"]


async def test_topics_select_what_a_socket_hears(
    client: httpx.AsyncClient, admin_headers: dict[str, str], live_server: str
) -> None:
    url = f"ws://{live_server}/api/v1/ws/events?topics=api_*&token={bearer(admin_headers)}"
    async with connect(url) as socket:
        await receive(socket)
        await add_user(client, admin_headers, "unheard@example.org")
        created = await client.post("/api-keys", json={"name": "rig"}, headers=admin_headers)

        heard = await receive(socket)

    assert heard["event"] == "api_key.created"
    assert heard["subject"]["id"] == created.json()["id"]
    assert "key" not in heard["data"]


@pytest.mark.parametrize(
    ("query", "first_message"),
    [("&token=forged.jwt.value", None), ("", {"token": "rh_not_a_key"}), ("", {"nope": 1})],
)
async def test_socket_without_a_valid_token_is_closed_4401(
    live_server: str, query: str, first_message: dict[str, Any] | None
) -> None:
    async with connect(f"ws://{live_server}/api/v1/ws/events?topics=users{query}") as socket:
        if first_message is not None:
            await socket.send(json.dumps(first_message))
        with pytest.raises(ConnectionClosed) as closed:
            await receive(socket)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_events_wait_for_the_commit_and_vanish_on_rollback(app: FastAPI) -> None:
    runtime = app.state.runtime
    org_id = uuid.uuid4()
    subscription = runtime.event_bus.subscribe(["users"], org_id, 8)
    rolled_back = Event(event="user.created", org_id=org_id, data={"n": 1})
    committed = Event(event="user.created", org_id=org_id, data={"n": 2})

    async def failing_request() -> None:
        async with unit_of_work(runtime.session_factory) as session:
            publish_after_commit(session, runtime.event_bus, "users", rolled_back)
            raise RuntimeError("the request failed after its change was made")

    with pytest.raises(RuntimeError):
        await failing_request()
    async with unit_of_work(runtime.session_factory) as session:
        publish_after_commit(session, runtime.event_bus, "users", committed)

    topic, heard = await asyncio.wait_for(subscription.next(), RECEIVE_TIMEOUT_S)
    subscription.close()
    assert (topic, heard.data) == ("users", {"n": 2})


async def test_a_slow_client_is_dropped_with_1013(
    app: FastAPI, admin_headers: dict[str, str], client: httpx.AsyncClient, live_server: str
) -> None:
    org_id = uuid.UUID(
        (await client.get("/auth/me", headers=admin_headers)).json()["organization"]["id"]
    )
    bus = app.state.runtime.event_bus
    url = f"ws://{live_server}/api/v1/ws/events?topics=flood&token={bearer(admin_headers)}"
    async with connect(url) as socket:
        await receive(socket)
        # Published without yielding to the loop: the socket's queue (8) overflows at once.
        for number in range(50):
            await bus.publish("flood", Event(event="tick", org_id=org_id, data={"n": number}))
        with pytest.raises(ConnectionClosed) as closed:
            await drain(socket)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
