"""The archive through HTTP: upload real files, see them probed, find, read, tag and delete."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from reelhouse.app import create_app
from reelhouse.apps.archive.assets.models import Asset, AssetStatus
from reelhouse.apps.archive.settings import ArchiveSettings
from reelhouse.platform.db import unit_of_work
from reelhouse.platform.jobs.models import Job, JobStatus
from reelhouse.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, create_organization, create_user, login
from tests.jobs_helpers import enqueue, org_of, wait_for_job
from tests.media_samples import (
    VIDEO_FPS,
    VIDEO_SECONDS,
    VIDEO_SIZE,
    jpeg_taken_at,
    jpeg_with_exif,
    mp4_bytes,
    parquet_bytes,
    png_bytes,
    wav_bytes,
)
from tests.s3_server import make_bucket, settings_on_s3

WAIT_S = 60.0


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, content: bytes
) -> httpx.Response:
    return await client.post("/assets/upload", files={"file": (name, content)}, headers=headers)


async def settled(
    client: httpx.AsyncClient, headers: dict[str, str], asset_id: str
) -> dict[str, Any]:
    """The asset once its indexing ended, one way or the other."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while True:
        asset: dict[str, Any] = (await client.get(f"/assets/{asset_id}", headers=headers)).json()
        if asset["status"] in ("indexed", "failed"):
            return asset
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"asset stayed {asset['status']}")
        await asyncio.sleep(0.05)


async def test_uploaded_files_are_probed_by_type(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    files = {
        "clip.mp4": mp4_bytes(),
        "tone.wav": wav_bytes(seconds=1.0, rate=16_000),
        "photo.jpg": jpeg_with_exif(make="Reelhouse Cam"),
        "red.png": png_bytes(size=(40, 30)),
        "speeds.parquet": parquet_bytes(rows=100),
        # Known by its extension only: stored under its content's hash, it must keep that.
        "speeds.csv": b"t,speed\n0,1.5\n1,2.5\n2,3.0\n",
    }
    uploaded = {}
    for name, content in files.items():
        answer = await upload(client, admin_headers, name, content)
        assert answer.status_code == 201, answer.text
        assert answer.json()["duplicate"] is False
        assert answer.json()["sha256"] == hashlib.sha256(content).hexdigest()
        uploaded[name] = answer.json()["id"]

    assets = {
        name: await settled(client, admin_headers, asset_id) for name, asset_id in uploaded.items()
    }

    assert {name: asset["status"] for name, asset in assets.items()} == dict.fromkeys(
        files, "indexed"
    )
    video, audio = assets["clip.mp4"], assets["tone.wav"]
    assert video["kind"] == "video"
    assert video["duration_s"] == pytest.approx(VIDEO_SECONDS, abs=0.2)
    stream = next(s for s in video["facts"]["streams"] if s["type"] == "video")
    assert (stream["width"], stream["height"]) == VIDEO_SIZE
    assert stream["frame_rate"] == pytest.approx(VIDEO_FPS, abs=0.01)
    assert audio["kind"] == "audio"
    assert audio["duration_s"] == pytest.approx(1.0, abs=0.05)
    assert (
        next(s for s in audio["facts"]["streams"] if s["type"] == "audio")["sample_rate"] == 16_000
    )
    assert assets["photo.jpg"]["kind"] == "image"
    assert assets["photo.jpg"]["facts"]["exif"]["Make"] == "Reelhouse Cam"
    assert assets["photo.jpg"]["facts"]["orientation"] == 6
    assert (assets["red.png"]["facts"]["width"], assets["red.png"]["facts"]["height"]) == (40, 30)
    assert assets["speeds.parquet"]["kind"] == "tabular"
    assert assets["speeds.parquet"]["facts"]["num_rows"] == 100
    assert assets["speeds.csv"]["kind"] == "tabular"
    assert assets["speeds.csv"]["facts"]["num_rows"] == 3


async def test_the_same_content_twice_is_one_asset_and_one_object(
    client: httpx.AsyncClient, admin_headers: dict[str, str], settings: Settings
) -> None:
    content = png_bytes(color=(1, 2, 3))
    first = await upload(client, admin_headers, "a.png", content)
    second = await upload(client, admin_headers, "copy-of-a.png", content)

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["index_job_id"] is None
    objects = [
        p
        for p in (settings.data_dir / "objects").rglob("*")
        if p.is_file() and not p.name.startswith(".")
    ]
    assert len(objects) == 1
    assert objects[0].read_bytes() == content
    listed = (await client.get("/assets", headers=admin_headers)).json()
    assert listed["total"] == 1


async def test_a_truncated_file_fails_its_asset_and_the_next_one_indexes(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    whole = mp4_bytes()
    broken = await upload(client, admin_headers, "broken.mp4", whole[: len(whole) * 2 // 5])
    jpeg = jpeg_with_exif()
    cut = await upload(client, admin_headers, "cut.jpg", jpeg[: len(jpeg) // 2])
    fine = await upload(client, admin_headers, "fine.png", png_bytes())

    failed_video = await settled(client, admin_headers, broken.json()["id"])
    failed_image = await settled(client, admin_headers, cut.json()["id"])
    indexed = await settled(client, admin_headers, fine.json()["id"])

    assert failed_video["status"] == failed_image["status"] == "failed"
    assert failed_video["error"]
    assert failed_image["error"]
    assert indexed["status"] == "indexed"
    job = (
        await client.get(f"/jobs?subject_id={broken.json()['id']}", headers=admin_headers)
    ).json()
    assert job["items"][0]["status"] == "failed"
    assert job["items"][0]["error"]["message"] == failed_video["error"]


async def test_content_is_read_whole_and_by_range(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = parquet_bytes(rows=500)
    asset_id = (await upload(client, admin_headers, "t.parquet", content)).json()["id"]

    whole = await client.get(f"/assets/{asset_id}/content", headers=admin_headers)
    middle = await client.get(
        f"/assets/{asset_id}/content", headers={**admin_headers, "Range": "bytes=10-99"}
    )
    tail = await client.get(
        f"/assets/{asset_id}/content", headers={**admin_headers, "Range": "bytes=-16"}
    )
    outside = await client.get(
        f"/assets/{asset_id}/content",
        headers={**admin_headers, "Range": f"bytes={len(content) + 5}-"},
    )

    assert whole.status_code == 200
    assert whole.content == content
    assert middle.status_code == 206
    assert middle.content == content[10:100]
    assert middle.headers["content-range"] == f"bytes 10-99/{len(content)}"
    assert tail.content == content[-16:]
    assert outside.status_code == 416


async def test_bad_and_interrupted_uploads_leave_nothing(
    client: httpx.AsyncClient, admin_headers: dict[str, str], settings: Settings
) -> None:
    boundary = "reelhouse-test-boundary"
    cut_body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + b"\x00" * 50_000
    cut = await client.post(
        "/assets/upload",
        content=cut_body,
        headers={**admin_headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    no_file = await client.post(
        "/assets/upload", data={"other": "x"}, files={"nope": ("a", b"a")}, headers=admin_headers
    )
    not_multipart = await client.post("/assets/upload", content=b"raw", headers=admin_headers)

    assert cut.status_code == 422
    assert "cut off" in cut.json()["detail"]
    assert no_file.status_code == not_multipart.status_code == 422
    assert (await client.get("/assets", headers=admin_headers)).json()["total"] == 0
    leftovers = (
        list((settings.data_dir / "tmp").glob("*")) if (settings.data_dir / "tmp").exists() else []
    )
    assert leftovers == []


async def test_tags_and_filters_find_assets(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    video = (await upload(client, admin_headers, "drive.mp4", mp4_bytes())).json()["id"]
    image = (await upload(client, admin_headers, "still.png", png_bytes())).json()["id"]
    await settled(client, admin_headers, video)
    await settled(client, admin_headers, image)

    tagged = await client.post(
        f"/assets/{video}/tags", json={"name": "  Night   Drive "}, headers=admin_headers
    )
    created = await client.post("/tags", json={"name": "NIGHT drive"}, headers=admin_headers)
    await client.post(
        f"/assets/{image}/tags", json={"tag_id": tagged.json()["id"]}, headers=admin_headers
    )
    catalog = (await client.get("/tags", headers=admin_headers)).json()
    by_tag = (await client.get("/assets?tag=Night Drive", headers=admin_headers)).json()
    videos = (await client.get("/assets?kind=video", headers=admin_headers)).json()
    long_ones = (await client.get("/assets?duration_min=1.5", headers=admin_headers)).json()
    by_text = (await client.get("/assets?q=STILL", headers=admin_headers)).json()
    small = (await client.get("/assets?size_max=1000&sort=size", headers=admin_headers)).json()
    await client.delete(f"/assets/{image}/tags/{tagged.json()['id']}", headers=admin_headers)
    after = (await client.get(f"/assets/{image}", headers=admin_headers)).json()

    assert tagged.json()["name"] == "night drive"
    assert created.json()["id"] == tagged.json()["id"]
    assert catalog["items"] == [{**catalog["items"][0], "name": "night drive", "asset_count": 2}]
    assert {a["id"] for a in by_tag["items"]} == {video, image}
    assert [a["id"] for a in videos["items"]] == [video]
    assert [a["id"] for a in long_ones["items"]] == [video]
    assert [a["id"] for a in by_text["items"]] == [image]
    assert [a["id"] for a in small["items"]] == [image]
    assert after["tags"] == []


async def test_deleting_removes_the_object_when_nothing_refers_to_it(
    client: httpx.AsyncClient, admin_headers: dict[str, str], settings: Settings
) -> None:
    asset_id = (await upload(client, admin_headers, "gone.png", png_bytes(color=(9, 9, 9)))).json()[
        "id"
    ]
    await settled(client, admin_headers, asset_id)
    viewer = await create_user(client, admin_headers, "viewer@example.org", role="viewer")

    refused = await client.delete(f"/assets/{asset_id}", headers=viewer)
    deleted = await client.delete(f"/assets/{asset_id}", headers=admin_headers)

    assert refused.status_code == 403
    assert deleted.status_code == 204
    assert (await client.get(f"/assets/{asset_id}", headers=admin_headers)).status_code == 404
    deletions = (
        await client.get("/jobs?type=archive.delete_content", headers=admin_headers)
    ).json()
    assert deletions["total"] == 3, "the image and its two thumbnails"
    for job in deletions["items"]:
        assert (await wait_for_job(client, admin_headers, job["id"]))["status"] == "succeeded"
    objects = [
        p
        for p in (settings.data_dir / "objects").rglob("*")
        if p.is_file() and not p.name.startswith(".")
    ]
    assert objects == []


async def test_another_organizations_assets_tags_and_content_answer_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = png_bytes(color=(4, 5, 6))
    asset_id = (await upload(client, admin_headers, "mine.png", content)).json()["id"]
    tag_id = (await client.post("/tags", json={"name": "private"}, headers=admin_headers)).json()[
        "id"
    ]
    org_b = await create_organization(client, admin_headers, "OrgB")

    answers = [
        await client.get(f"/assets/{asset_id}", headers=org_b.headers),
        await client.get(f"/assets/{asset_id}/content", headers=org_b.headers),
        await client.delete(f"/assets/{asset_id}", headers=org_b.headers),
        await client.post(f"/assets/{asset_id}/tags", json={"name": "x"}, headers=org_b.headers),
        await client.post(f"/assets/{asset_id}/index", headers=org_b.headers),
    ]
    their_tags = (await client.get("/tags", headers=org_b.headers)).json()
    their_upload = await upload(client, org_b.headers, "theirs.png", content)

    assert [answer.status_code for answer in answers] == [404] * 5
    assert their_tags["items"] == []
    assert tag_id not in str(their_tags)
    assert their_upload.status_code == 201, (
        "the same bytes in another organization are its own asset"
    )
    assert their_upload.json()["id"] != asset_id
    assert (await client.get("/assets", headers=org_b.headers)).json()["total"] == 1


async def test_on_s3_content_is_uploaded_probed_and_served_by_redirect(
    settings: Settings, moto_endpoint: str
) -> None:
    bucket = make_bucket(moto_endpoint)
    on_s3 = settings_on_s3(settings, moto_endpoint, bucket)
    app = create_app(on_s3)
    content = jpeg_with_exif(make="Bucket Cam")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            headers = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            asset_id = (await upload(http, headers, "cam.jpg", content)).json()["id"]
            asset = await settled(http, headers, asset_id)
            redirect = await http.get(f"/assets/{asset_id}/content", headers=headers)
            ready = (await http.get("/health/ready")).json()
    async with httpx.AsyncClient() as outside:
        fetched = await outside.get(redirect.headers["location"])

    assert asset["status"] == "indexed"
    assert asset["facts"]["exif"]["Make"] == "Bucket Cam"
    assert redirect.status_code == 302
    assert fetched.content == content
    assert {c["name"]: c["state"] for c in ready["checks"]}["storage"] == "ok"
    assert not list((settings.data_dir / "objects").rglob("*.jpg"))


async def test_probe_answers_facts_without_making_an_asset(
    client: httpx.AsyncClient, admin_headers: dict[str, str], app: Any
) -> None:
    probed = await client.post(
        "/ingest/probe", files={"file": ("tone.wav", wav_bytes(rate=8000))}, headers=admin_headers
    )
    corrupt = await client.post(
        "/ingest/probe", files={"file": ("x.png", png_bytes()[:30])}, headers=admin_headers
    )
    app.state.runtime.settings.app(ArchiveSettings).probe_max_bytes = 1000
    too_big = await client.post(
        "/ingest/probe", files={"file": ("big.wav", wav_bytes())}, headers=admin_headers
    )

    assert probed.status_code == 200, probed.text
    assert probed.json()["kind"] == "audio"
    assert probed.json()["duration_s"] == pytest.approx(1.0, abs=0.05)
    assert corrupt.status_code == 422
    assert too_big.status_code == 413
    assert "POST /api/v1/assets/upload" in too_big.json()["detail"]
    assert (await client.get("/assets", headers=admin_headers)).json()["total"] == 0


async def test_reindex_all_asks_for_one_index_job_per_asset(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for color in ((1, 1, 1), (2, 2, 2)):
        asset_id = (await upload(client, admin_headers, "c.png", png_bytes(color=color))).json()[
            "id"
        ]
        await settled(client, admin_headers, asset_id)

    asked = await client.post("/assets/reindex-all", headers=admin_headers)
    done = await wait_for_job(client, admin_headers, asked.json()["id"])
    index_jobs = (await client.get("/jobs?type=archive.index", headers=admin_headers)).json()

    assert done["status"] == "succeeded"
    assert done["result"] == {"assets": 2}
    assert index_jobs["total"] == 4


async def test_recording_time_and_metadata_text_are_searchable(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    old = (
        await upload(client, admin_headers, "a.jpg", jpeg_taken_at("2021:06:01 08:30:00"))
    ).json()
    new = (
        await upload(client, admin_headers, "b.jpg", jpeg_taken_at("2025:01:02 10:00:00"))
    ).json()
    await settled(client, admin_headers, old["id"])
    await settled(client, admin_headers, new["id"])

    early = await client.get(
        "/assets", params={"recorded_before": "2022-01-01T00:00:00Z"}, headers=admin_headers
    )
    by_camera = await client.get("/assets", params={"q": "dated cam"}, headers=admin_headers)

    assert [a["id"] for a in early.json()["items"]] == [old["id"]]
    assert early.json()["items"][0]["recorded_at"].startswith("2021-06-01T08:30:00")
    assert by_camera.json()["total"] == 2


async def test_an_asset_whose_index_job_died_does_not_stay_indexing(
    app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    uploaded = (await upload(client, admin_headers, "lost.png", png_bytes(color=(8, 8, 8)))).json()
    await settled(client, admin_headers, uploaded["id"])
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    async with unit_of_work(app.state.runtime.session_factory) as session:
        # As the sweeper leaves things when a worker dies on the job's last attempt.
        await session.execute(
            update(Asset)
            .where(Asset.id == uuid.UUID(uploaded["id"]))
            .values(status=AssetStatus.indexing, updated_at=long_ago)
        )
        await session.execute(
            update(Job)
            .where(Job.id == uuid.UUID(uploaded["index_job_id"]))
            .values(status=JobStatus.failed, error_message="the worker stopped sending heartbeats")
        )

    job_id = await enqueue(app, await org_of(client, admin_headers), "archive.reconcile_indexing")
    done = await wait_for_job(client, admin_headers, job_id)
    asset = (await client.get(f"/assets/{uploaded['id']}", headers=admin_headers)).json()

    assert done["result"] == {"failed": 1}
    assert asset["status"] == "failed"
    assert "heartbeats" in asset["error"]
