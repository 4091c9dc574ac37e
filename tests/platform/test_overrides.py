"""Overrides of third-party internals: each applies to the installed version, and a version whose
internals changed gets the stock path and one warning instead."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from reelhouse.platform.http_protocol import PROTOCOL_PATH, select_protocol
from reelhouse.platform.jobs.execution.redis_transport import TRANSPORT_PATH, select_transport
from reelhouse.platform.overrides import missing_internals

REQUEST = b"POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhello world"


class RecordingTransport(asyncio.Transport):
    """A connection whose peer is this test: it keeps what the server writes."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def test_the_http_protocol_keeps_a_body_chunk_as_httptools_made_it() -> None:
    received: list[bytes] = []

    async def echo_app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        received.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    config = uvicorn.Config(echo_app, http=PROTOCOL_PATH, log_config=None, lifespan="off")
    config.load()
    assert config.http_protocol_class is not HttpToolsProtocol
    protocol = config.http_protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(REQUEST)
    # uvicorn's own protocol keeps a bytearray here: the override is what makes it bytes.
    kept_as = type(protocol.cycle.body)
    for _ in range(100):
        if transport.written.endswith(b"ok"):
            break
        await asyncio.sleep(0.01)

    assert kept_as is bytes
    assert received == [b"hello world"]
    assert transport.written.startswith(b"HTTP/1.1 200 OK")


def test_changed_internals_fall_back_to_the_stock_path_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    changed = missing_internals(
        {
            (HttpToolsProtocol, "on_body"): frozenset({"cycle", "renamed_body"}),
            (HttpToolsProtocol, "on_removed_hook"): frozenset({"cycle"}),
        }
    )
    with caplog.at_level(logging.WARNING, logger="reelhouse.overrides"):
        protocol = select_protocol(changed)
        transport = select_transport(changed)

    assert changed == [
        "HttpToolsProtocol.on_body: renamed_body",
        "HttpToolsProtocol.on_removed_hook: gone",
    ]
    assert protocol is HttpToolsProtocol
    assert transport is None  # kombu's own Redis transport
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 2
    assert "uvicorn" in warnings[0]
    assert "renamed_body" in warnings[0]
    assert "kombu" in warnings[1]


def test_both_overrides_apply_to_the_installed_versions() -> None:
    assert select_protocol([]) is not HttpToolsProtocol
    # The transport's effect (one client across commands) is tested with a real broker in
    # tests/platform/jobs/test_celery.py.
    assert TRANSPORT_PATH is not None
