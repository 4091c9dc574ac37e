"""Uploads over a real socket, through the HTTP protocol ``reelhouse serve`` runs."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Callable

import httpx

from reelhouse.settings import Settings

BOUNDARY = "reelhouse-http-test"
WAIT_S = 20.0


def multipart_head(filename: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


async def uneven_chunks(data: bytes) -> AsyncIterator[bytes]:
    """The body in pieces of many sizes, some smaller than a socket read and some larger."""
    sizes = [1, 7, 65_535, 65_537, 300_001, 1_048_576, 4_000_000]
    offset = 0
    for number in range(len(data)):
        if offset >= len(data):
            return
        size = sizes[number % len(sizes)]
        yield data[offset : offset + size]
        offset += size


async def test_a_large_upload_over_http_arrives_whole(
    live_server: str, admin_headers: dict[str, str]
) -> None:
    content = os.urandom(24 * 1024 * 1024 + 123)
    body = multipart_head("big.bin") + content + f"\r\n--{BOUNDARY}--\r\n".encode()
    async with httpx.AsyncClient(base_url=f"http://{live_server}/api/v1", timeout=60) as http:
        created = await http.post(
            "/assets/upload",
            content=uneven_chunks(body),
            headers={
                **admin_headers,
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Content-Length": str(len(body)),
            },
        )
        assert created.status_code == 201, created.text
        stored = await http.get(f"/assets/{created.json()['id']}/content", headers=admin_headers)

    assert created.json()["size"] == len(content)
    assert created.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored.content == content


async def test_a_client_gone_midway_leaves_no_asset_and_no_file(
    live_server: str, admin_headers: dict[str, str], settings: Settings, client: httpx.AsyncClient
) -> None:
    host, port = live_server.split(":")
    head = multipart_head("cut.bin")
    declared = len(head) + 8 * 1024 * 1024
    _reader, writer = await asyncio.open_connection(host, int(port))
    request_head = (
        f"POST /api/v1/assets/upload HTTP/1.1\r\nHost: {live_server}\r\n"
        f"Authorization: {admin_headers['Authorization']}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    writer.write(request_head + head + os.urandom(3 * 1024 * 1024))
    await writer.drain()
    staging = settings.data_dir / "tmp"
    # The server has begun writing the upload before the client leaves.
    await until(lambda: staging.exists() and any(staging.iterdir()))
    writer.close()
    await writer.wait_closed()

    await until(lambda: not any(staging.iterdir()))
    assert (await client.get("/assets", headers=admin_headers)).json()["total"] == 0


async def until(condition: Callable[[], bool]) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the server did not get there in time")
        await asyncio.sleep(0.02)
