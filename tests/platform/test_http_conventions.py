"""HTTP conventions every route keeps: bounded paging, 405 with ``Allow``, one list envelope."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.apps.archive.test_assets import settled, upload
from tests.media_samples import png_bytes

LISTS = ["/users", "/assets", "/outputs", "/jobs", "/api-keys", "/organizations"]


@pytest.mark.parametrize("path", LISTS)
async def test_an_offset_past_any_database_integer_answers_422_not_500(
    client: httpx.AsyncClient, admin_headers: dict[str, str], path: str
) -> None:
    huge = 2**63

    offset = await client.get(f"{path}?offset={huge}", headers=admin_headers)
    limit = await client.get(f"{path}?limit={huge}", headers=admin_headers)
    largest = await client.get(f"{path}?offset={2**53 - 1}", headers=admin_headers)

    assert offset.status_code == 422, offset.text
    assert offset.json()["field"] == "query.offset"
    assert limit.status_code == 422, limit.text
    assert largest.status_code == 200, largest.text
    assert largest.json()["items"] == []


async def test_a_post_only_path_asked_with_get_answers_405_with_allow(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    register = await client.get("/assets/register", headers=admin_headers)
    jobs = await client.delete("/jobs", headers=admin_headers)

    assert register.status_code == 405, register.text
    assert register.headers["allow"] == "POST"
    assert register.headers["content-type"] == "application/problem+json"
    assert jobs.status_code == 405
    assert jobs.headers["allow"] == "GET, POST"


async def test_an_id_that_is_no_uuid_is_no_route(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    answer = await client.get("/assets/not-an-id", headers=admin_headers)

    assert answer.status_code == 404


async def test_thumbnails_actions_and_blockers_answer_the_list_envelope(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    photo = (await upload(client, admin_headers, "p.png", png_bytes(color=(9, 9, 9)))).json()
    await settled(client, admin_headers, photo["id"])
    thumbnails = await client.get(
        f"/assets/{photo['id']}/thumbnails?limit=1", headers=admin_headers
    )
    output_id = thumbnails.json()["items"][0]["id"]
    await client.post(
        f"/outputs/{output_id}/actions", json={"action": "verify_checksum"}, headers=admin_headers
    )
    actions = await client.get(f"/outputs/{output_id}/actions", headers=admin_headers)
    blockers = await client.get("/dashboard/blockers", headers=admin_headers)

    assert thumbnails.json()["total"] == 2
    assert (thumbnails.json()["limit"], thumbnails.json()["offset"]) == (1, 0)
    assert len(thumbnails.json()["items"]) == 1
    assert actions.json()["total"] == 1
    assert actions.json()["items"][0]["action"] == "verify_checksum"
    assert blockers.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_an_asset_that_failed_to_index_is_one_blocker_not_two(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    broken = (await upload(client, admin_headers, "b.png", png_bytes(color=(5, 5, 5))[:40])).json()
    assert (await settled(client, admin_headers, broken["id"]))["status"] == "failed"
    failed_jobs = await client.get("/jobs?status=failed", headers=admin_headers)

    blockers = (await client.get("/dashboard/blockers", headers=admin_headers)).json()

    assert failed_jobs.json()["total"] == 1, "the asset's ingest job failed too"
    assert blockers["total"] == 1
    assert [(b["kind"], b["id"]) for b in blockers["items"]] == [("asset", broken["id"])]


async def _access_line(caplog: pytest.LogCaptureFixture, path: str) -> logging.LogRecord:
    """The access log line of the request to ``path``, once the server wrote it."""
    for _ in range(200):
        for record in caplog.records:
            if record.name == "reelhouse.access" and path in record.getMessage():
                return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"no access line for {path}")


async def test_a_client_that_leaves_mid_upload_is_logged_as_a_disconnect_not_a_500(
    live_server: str, admin_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    host, port = live_server.split(":")
    _reader, writer = await asyncio.open_connection(host, int(port))
    part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
    writer.write(
        b"POST /api/v1/assets/upload HTTP/1.1\r\nHost: test\r\n"
        + f"Authorization: {admin_headers['Authorization']}\r\n".encode()
        + b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 50000000\r\n\r\n"
        + part
        + b"x" * 300_000
    )
    await writer.drain()
    await asyncio.sleep(0.5)
    writer.close()

    access = await _access_line(caplog, "/api/v1/assets/upload")

    assert access.__dict__["status"] == 499, "nginx's 'client closed request', not a 500"
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    left = [r for r in caplog.records if "client disconnected" in r.getMessage()]
    assert left, [r.getMessage() for r in caplog.records]
    assert left[0].levelno == logging.INFO
    assert left[0].exc_info is None


async def test_a_websocket_is_logged_as_what_happened_to_it(
    live_server: str, admin_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = admin_headers["Authorization"].removeprefix("Bearer ")
    base = f"ws://{live_server}/api/v1/ws/events"
    async with connect(f"{base}?topics=jobs&token={token}") as socket:
        assert json.loads(await socket.recv())["event"] == "connected"
    good = await _access_line(caplog, "/api/v1/ws/events")
    caplog.clear()
    async with connect(f"{base}?topics=jobs&token=wrong") as refused:
        with pytest.raises(ConnectionClosed):
            await refused.recv()
    bad = await _access_line(caplog, "/api/v1/ws/events")

    assert (good.__dict__["status"], good.__dict__["close_code"]) == (101, 1000)
    assert (bad.__dict__["status"], bad.__dict__["close_code"]) == (101, 4401)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
