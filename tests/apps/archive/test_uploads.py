"""Resumable uploads through HTTP: ranges in any order, cut-off transfers resumed, commits."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from reelhouse.app import API_PREFIX, create_app
from reelhouse.apps.archive.uploads.service import UploadService, staging_dir
from reelhouse.platform.db import unit_of_work, utcnow
from reelhouse.platform.scope import Scope
from reelhouse.settings import Settings
from tests.apps.archive.test_assets import settled
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, create_organization, create_user, login
from tests.media_samples import mp4_bytes, png_bytes
from tests.s3_server import settings_on_s3


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def start(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, **fields: object
) -> str:
    body = {"filename": "clip.mp4", "size": len(content), **fields}
    answer = await client.post("/ingest/init", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    upload_id: str = answer.json()["upload_id"]
    return upload_id


async def send(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    upload_id: str,
    content: bytes,
    start: int,
    end: int,
) -> httpx.Response:
    span = {"Content-Range": f"bytes {start}-{end}/{len(content)}"}
    return await client.put(
        f"/ingest/{upload_id}/content", content=content[start : end + 1], headers=headers | span
    )


async def state(client: httpx.AsyncClient, headers: dict[str, str], upload_id: str) -> dict:
    answer = await client.get(f"/ingest/{upload_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def commit(
    client: httpx.AsyncClient, headers: dict[str, str], upload_id: str
) -> httpx.Response:
    return await client.post("/ingest/commit", json={"upload_id": upload_id}, headers=headers)


async def test_a_video_sent_in_ranges_out_of_order_becomes_an_indexed_asset(
    client: httpx.AsyncClient, admin_headers: dict[str, str], settings: Settings
) -> None:
    content = mp4_bytes()
    size, third = len(content), len(content) // 3
    upload_id = await start(client, admin_headers, content)

    tail = await send(client, admin_headers, upload_id, content, 2 * third, size - 1)
    head = await send(client, admin_headers, upload_id, content, 0, third - 1)
    waiting = await state(client, admin_headers, upload_id)
    early = await commit(client, admin_headers, upload_id)
    await send(client, admin_headers, upload_id, content, third, 2 * third - 1)
    whole = await state(client, admin_headers, upload_id)
    committed = await commit(client, admin_headers, upload_id)
    asset = await settled(client, admin_headers, committed.json()["id"])
    stored = await client.get(f"/assets/{asset['id']}/content", headers=admin_headers)

    assert tail.status_code == head.status_code == 200
    assert waiting["received"] == [[0, third - 1], [2 * third, size - 1]]
    assert waiting["missing"] == [[third, 2 * third - 1]]
    assert waiting["complete"] is False
    assert early.status_code == 409
    assert early.json()["missing"] == [[third, 2 * third - 1]]
    assert whole["complete"] is True
    assert whole["bytes_received"] == size
    assert committed.status_code == 201, committed.text
    assert committed.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert (asset["status"], asset["kind"], asset["name"]) == ("indexed", "video", "clip.mp4")
    assert stored.content == content
    after = await state(client, admin_headers, upload_id)
    assert (after["status"], after["asset_id"]) == ("committed", asset["id"])
    assert not (staging_dir(settings) / f"{upload_id}.part").exists()


async def test_a_transfer_cut_off_midway_resumes_from_the_bytes_that_arrived(
    client: httpx.AsyncClient, admin_headers: dict[str, str], live_server: str
) -> None:
    content = mp4_bytes()
    size, first = len(content), 1000
    upload_id = await start(client, admin_headers, content)
    await send(client, admin_headers, upload_id, content, 0, first - 1)

    async def cut_off() -> AsyncIterator[bytes]:
        yield content[first : first + 500]
        # Time for the server to read those bytes: uvicorn drops a body still unread at a drop.
        await asyncio.sleep(1.0)
        raise ConnectionResetError("the network went away")

    span = {"Content-Range": f"bytes {first}-{size - 1}/{size}"}
    async with httpx.AsyncClient(base_url=f"http://{live_server}{API_PREFIX}") as http:
        with pytest.raises(ConnectionResetError):
            await http.put(
                f"/ingest/{upload_id}/content", content=cut_off(), headers=admin_headers | span
            )
    deadline = asyncio.get_running_loop().time() + 10
    kept = await state(client, admin_headers, upload_id)
    while kept["bytes_received"] == first and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        kept = await state(client, admin_headers, upload_id)
    arrived = kept["bytes_received"]
    assets_before = (await client.get("/assets", headers=admin_headers)).json()["total"]
    resumed = await send(client, admin_headers, upload_id, content, arrived, size - 1)
    committed = await commit(client, admin_headers, upload_id)

    assert arrived == first + 500
    assert kept["received"] == [[0, arrived - 1]]
    assert kept["missing"] == [[arrived, size - 1]]
    assert assets_before == 0
    assert resumed.json()["complete"] is True
    assert committed.status_code == 201, committed.text
    assert committed.json()["sha256"] == hashlib.sha256(content).hexdigest()


async def test_a_wrong_sha256_keeps_the_upload_open_so_the_bad_range_can_be_sent_again(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = png_bytes()
    half = len(content) // 2
    damaged = content[:half] + bytes(b ^ 0xFF for b in content[half:])
    digest = hashlib.sha256(content).hexdigest()
    upload_id = await start(client, admin_headers, content, sha256=digest)
    await send(client, admin_headers, upload_id, damaged, 0, len(content) - 1)

    refused = await commit(client, admin_headers, upload_id)
    kept = await state(client, admin_headers, upload_id)
    fixed = await send(client, admin_headers, upload_id, content, half, len(content) - 1)
    committed = await commit(client, admin_headers, upload_id)

    assert refused.status_code == 422
    assert refused.json()["field"] == "sha256"
    assert (kept["status"], kept["complete"]) == ("mismatched", True)
    assert fixed.status_code == 200, fixed.text
    assert committed.status_code == 201, committed.text
    assert committed.json()["sha256"] == digest


async def test_overlapping_ranges_with_other_bytes_answer_409_and_the_same_bytes_are_a_retry(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = png_bytes()
    half = len(content) // 2
    upload_id = await start(client, admin_headers, content)
    await send(client, admin_headers, upload_id, content, 0, half)
    other = content[: half - 10] + b"\x00" * 20 + content[half + 10 :]

    retried = await send(client, admin_headers, upload_id, content, half - 10, len(content) - 1)
    clashing = await send(client, admin_headers, upload_id, other, 0, len(content) - 1)
    committed = await commit(client, admin_headers, upload_id)

    assert retried.status_code == 200, retried.text
    assert clashing.status_code == 409
    assert clashing.json()["field"] == "content-range"
    assert committed.status_code == 201, committed.text
    assert committed.json()["sha256"] == hashlib.sha256(content).hexdigest()


async def test_the_same_content_committed_twice_answers_the_asset_held(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = png_bytes(color=(9, 8, 7))
    digest = hashlib.sha256(content).hexdigest()
    answers = []
    for name in ("a.png", "copy-of-a.png"):
        upload_id = await start(client, admin_headers, content, filename=name, sha256=digest)
        whole = await client.put(
            f"/ingest/{upload_id}/content", content=content, headers=admin_headers
        )
        assert whole.json()["complete"] is True
        answers.append(await commit(client, admin_headers, upload_id))

    assert [answer.status_code for answer in answers] == [201, 200]
    assert answers[1].json()["duplicate"] is True
    assert answers[1].json()["id"] == answers[0].json()["id"]
    assert (await client.get("/assets", headers=admin_headers)).json()["total"] == 1


async def test_another_organization_cannot_see_or_touch_an_upload(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = png_bytes()
    upload_id = await start(client, admin_headers, content)
    other = await create_organization(client, admin_headers, "Elsewhere")
    viewer = await create_user(client, admin_headers, "viewer@example.org", role="viewer")

    answers = [
        await client.get(f"/ingest/{upload_id}", headers=other.headers),
        await send(client, other.headers, upload_id, content, 0, len(content) - 1),
        await commit(client, other.headers, upload_id),
        await client.get(f"/ingest/{uuid.uuid4()}", headers=admin_headers),
    ]
    seen_by_viewer = await client.get(f"/ingest/{upload_id}", headers=viewer)
    sent_by_viewer = await send(client, viewer, upload_id, content, 0, len(content) - 1)

    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
    assert seen_by_viewer.status_code == 200
    assert sent_by_viewer.status_code == 403
    assert (await state(client, admin_headers, upload_id))["bytes_received"] == 0


async def test_bad_ranges_are_refused_and_a_short_body_keeps_what_arrived(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = png_bytes()
    size = len(content)
    upload_id = await start(client, admin_headers, content, filename="../../etc/shot.png")
    url = f"/ingest/{upload_id}/content"

    malformed = await client.put(
        url, content=content, headers=admin_headers | {"Content-Range": "bytes=0-9"}
    )
    past_the_end = await send(client, admin_headers, upload_id, content + b"xx", size, size + 1)
    wrong_total = await client.put(
        url, content=content[:10], headers=admin_headers | {"Content-Range": "bytes 0-9/5"}
    )
    short = await client.put(
        url,
        content=content[:60],
        headers=admin_headers | {"Content-Range": "bytes 0-99/" + str(size)},
    )
    inits = [
        await client.post("/ingest/init", json=body, headers=admin_headers)
        for body in (
            {"filename": "a.png", "size": 0},
            {"filename": "a.png", "size": 10, "sha256": "not-hex"},
            {"filename": "  ", "size": 10},
        )
    ]

    assert [r.status_code for r in (malformed, past_the_end, wrong_total, short)] == [422] * 4
    assert {r.json()["field"] for r in (malformed, past_the_end, wrong_total, short)} == {
        "content-range"
    }
    assert short.json()["received"] == [[0, 59]]
    upload = await state(client, admin_headers, upload_id)
    assert (upload["filename"], upload["received"]) == ("shot.png", [[0, 59]])
    assert [r.status_code for r in inits] == [422] * 3
    assert [r.json()["field"] for r in inits] == ["size", "sha256", "filename"]


async def test_expired_uploads_are_closed_and_their_staged_bytes_removed(
    client: httpx.AsyncClient, admin_headers: dict[str, str], app: FastAPI, settings: Settings
) -> None:
    content = png_bytes()
    upload_id = await start(client, admin_headers, content)
    await send(client, admin_headers, upload_id, content, 0, 99)
    staged = staging_dir(settings) / f"{upload_id}.part"
    assert staged.exists()
    runtime = app.state.runtime
    org_id = (await client.get("/auth/me", headers=admin_headers)).json()["organization"]["id"]

    async with unit_of_work(runtime.session_factory) as session:
        scope = Scope(
            session=session,
            org_id=uuid.UUID(org_id),
            actor=None,
            bus=runtime.event_bus,
            dispatcher=runtime.dispatcher,
            storage=runtime.storage,
            settings=settings,
        )
        expired = await UploadService(scope).expire_stale(utcnow() + timedelta(hours=25))

    assert expired == 1
    assert not staged.exists()
    assert (await state(client, admin_headers, upload_id))["status"] == "expired"
    late = await send(client, admin_headers, upload_id, content, 100, len(content) - 1)
    assert late.status_code == 409


async def test_on_s3_the_client_puts_the_file_to_a_presigned_url(
    settings: Settings, moto_endpoint: str
) -> None:
    on_s3 = settings_on_s3(settings, moto_endpoint)
    content = mp4_bytes()
    async with serving(on_s3) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            headers = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            started = await http.post(
                "/ingest/init", json={"filename": "clip.mp4", "size": len(content)}, headers=headers
            )
            upload_id = started.json()["upload_id"]
            before = await state(http, headers, upload_id)
            async with httpx.AsyncClient() as outside:
                put = await outside.put(started.json()["upload_url"], content=content)
            after = await state(http, headers, upload_id)
            committed = await commit(http, headers, upload_id)
            asset = await settled(http, headers, committed.json()["id"])
            storage = application.state.runtime.storage
            staged_left = await storage.exists(f"uploads/{upload_id}")

    assert started.json()["upload_url"].startswith(moto_endpoint)
    assert put.status_code == 200
    assert (before["complete"], after["complete"]) == (False, True)
    assert committed.status_code == 201, committed.text
    assert (asset["status"], asset["kind"]) == ("indexed", "video")
    assert staged_left is False
