"""WS /ws/events: the events of chosen topics, for the caller's organization only."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.auth.principal import Principal, authenticate
from reelhouse.platform.deps import get_runtime
from reelhouse.platform.errors import Unauthorized
from reelhouse.platform.events import Subscription

router = APIRouter(tags=["events"])
AUTH_TIMEOUT_S = 10.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_BAD_REQUEST = 4400
# Standard code 1013, "try again later": the client fell too far behind and was dropped.
CLOSE_TOO_SLOW = 1013


@router.websocket("/ws/events")
async def event_stream(
    websocket: WebSocket,
    topics: Annotated[str, Query(description="Comma-separated topics; * and ? match patterns")],
    token: str | None = None,
) -> None:
    """Authenticate by ``?token=`` or a first message ``{"token": ...}``, then stream events."""
    await websocket.accept()
    patterns = [topic.strip() for topic in topics.split(",") if topic.strip()]
    if not patterns:
        await websocket.close(CLOSE_BAD_REQUEST, "no topics asked for")
        return
    principal = await _authenticate_socket(websocket, token)
    if principal is None:
        return
    runtime = get_runtime(websocket)
    subscription = runtime.event_bus.subscribe(
        patterns, principal.org_id, runtime.settings.ws_queue_size
    )
    try:
        await websocket.send_json(
            {"event": "connected", "topics": patterns, "org_id": str(principal.org_id)}
        )
        await _pump(websocket, subscription, _may_receive(principal, runtime.apps))
    finally:
        subscription.close()


async def _authenticate_socket(websocket: WebSocket, token: str | None) -> Principal | None:
    runtime = get_runtime(websocket)
    try:
        credential = token or await _first_message_token(websocket)
        async with runtime.session_factory() as session:
            principal = await authenticate(session, credential, runtime.settings.jwt_secret)
            await session.commit()
    except (Unauthorized, TimeoutError) as exc:
        reason = exc.detail if isinstance(exc, Unauthorized) else "no token in time"
        await websocket.close(CLOSE_UNAUTHORIZED, reason)
        return None
    except WebSocketDisconnect:
        return None
    return principal


async def _first_message_token(websocket: WebSocket) -> str:
    raw = await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_S)
    try:
        token = json.loads(raw).get("token")
    except (ValueError, AttributeError) as exc:
        raise Unauthorized('first message must be {"token": "..."}') from exc
    if not isinstance(token, str) or not token:
        raise Unauthorized('first message must be {"token": "..."}')
    return token


def _may_receive(principal: Principal, apps: InstalledApps) -> Callable[[str], bool]:
    """Whether the principal's role may see a topic's events, as the manifest declaring the
    topic says; a topic no manifest declares is open to every role of the organization."""

    def allowed(topic: str) -> bool:
        required = apps.role_for_topic(topic)
        return required is None or principal.role.includes(required)

    return allowed


async def _pump(
    websocket: WebSocket, subscription: Subscription, may_receive: Callable[[str], bool]
) -> None:
    """Send events until the client leaves or falls behind; client messages are ignored."""

    async def drain_client() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    client = asyncio.create_task(drain_client())
    try:
        while not client.done():
            next_event = asyncio.ensure_future(subscription.next())
            await asyncio.wait({next_event, client}, return_when=asyncio.FIRST_COMPLETED)
            if not next_event.done():
                next_event.cancel()
                return
            item = next_event.result()
            if item is None:
                await websocket.close(CLOSE_TOO_SLOW, "too slow: events were dropped")
                return
            topic, event = item
            if may_receive(topic):
                await websocket.send_json(event.to_json(topic))
    except WebSocketDisconnect:
        return
    finally:
        client.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await client
