"""Outputs: thumbnails and sidecars derived from assets, listed, read and checked."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import httpx
from fastapi import FastAPI
from PIL import Image

from reelhouse.platform.storage import content_key
from reelhouse.settings import Settings
from tests.apps.archive.test_assets import settled, upload
from tests.conftest import create_organization
from tests.jobs_helpers import enqueue, org_of, wait_for_job
from tests.media_samples import jpeg_with_exif, mp4_bytes, parquet_bytes, png_bytes


async def test_images_and_videos_get_two_thumbnails(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    photo = (await upload(client, admin_headers, "photo.jpg", jpeg_with_exif())).json()["id"]
    clip = (await upload(client, admin_headers, "clip.mp4", mp4_bytes())).json()["id"]
    table = (await upload(client, admin_headers, "t.parquet", parquet_bytes())).json()["id"]
    for asset_id in (photo, clip, table):
        await settled(client, admin_headers, asset_id)

    photo_thumbs = (await client.get(f"/assets/{photo}/thumbnails", headers=admin_headers)).json()[
        "items"
    ]
    clip_thumbs = (await client.get(f"/assets/{clip}/thumbnails", headers=admin_headers)).json()[
        "items"
    ]
    table_thumbs = (await client.get(f"/assets/{table}/thumbnails", headers=admin_headers)).json()[
        "items"
    ]
    largest = await client.get(
        photo_thumbs[-1]["content_url"].removeprefix("/api/v1"), headers=admin_headers
    )
    listed = (await client.get("/outputs?role=thumbnail", headers=admin_headers)).json()

    assert [t["facts"]["longest_side"] for t in photo_thumbs] == [128, 512]
    assert [t["facts"]["longest_side"] for t in clip_thumbs] == [128, 512]
    assert table_thumbs == []
    assert {t["role"] for t in photo_thumbs} == {"thumbnail"}
    assert largest.status_code == 200
    with Image.open(io.BytesIO(largest.content)) as image:
        assert max(image.size) == 512
    assert listed["total"] == 4


async def test_a_sidecar_holds_the_full_probe_result(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    asset_id = (await upload(client, admin_headers, "clip.mp4", mp4_bytes())).json()["id"]
    asset = await settled(client, admin_headers, asset_id)
    before = await client.get(f"/assets/{asset_id}/sidecar", headers=admin_headers)

    asked = await client.post(f"/assets/{asset_id}/sidecar", headers=admin_headers)
    job = await wait_for_job(client, admin_headers, asked.json()["id"])
    again = await client.post(f"/assets/{asset_id}/sidecar", headers=admin_headers)
    await wait_for_job(client, admin_headers, again.json()["id"])
    sidecar = (await client.get(f"/assets/{asset_id}/sidecar", headers=admin_headers)).json()
    outputs = (
        await client.get(f"/outputs?asset_id={asset_id}&role=sidecar", headers=admin_headers)
    ).json()

    assert before.status_code == 404
    assert job["status"] == "succeeded"
    assert sidecar["sha256"] == asset["sha256"]
    assert sidecar["facts"] == asset["facts"]
    assert outputs["total"] == 1, "writing the sidecar again replaces it"
    assert outputs["items"][0]["format"] == "json"


async def test_output_actions_verify_and_refresh(
    client: httpx.AsyncClient, admin_headers: dict[str, str], settings: Settings
) -> None:
    photo = (await upload(client, admin_headers, "photo.jpg", jpeg_with_exif())).json()["id"]
    await settled(client, admin_headers, photo)
    output = (await client.get(f"/assets/{photo}/thumbnails", headers=admin_headers)).json()[
        "items"
    ][0]

    verified = await client.post(
        f"/outputs/{output['id']}/actions",
        json={"action": "verify_checksum"},
        headers=admin_headers,
    )
    await wait_for_job(client, admin_headers, verified.json()["job_id"])
    stored = next(p for p in (settings.data_dir / "objects").rglob(output["sha256"]))
    stored.write_bytes(b"bit rot")
    corrupted = await client.post(
        f"/outputs/{output['id']}/actions",
        json={"action": "verify_checksum"},
        headers=admin_headers,
    )
    await wait_for_job(client, admin_headers, corrupted.json()["job_id"])
    first = (
        await client.get(f"/output-actions/{verified.json()['id']}", headers=admin_headers)
    ).json()
    history = (await client.get(f"/outputs/{output['id']}/actions", headers=admin_headers)).json()[
        "items"
    ]
    after = (await client.get(f"/outputs/{output['id']}", headers=admin_headers)).json()
    unknown = await client.post(
        f"/outputs/{output['id']}/actions", json={"action": "explode"}, headers=admin_headers
    )

    assert first["status"] == "succeeded"
    assert first["result"]["availability"] == "available"
    assert [a["result"]["availability"] for a in history] == ["corrupt", "available"]
    assert after["availability"] == "corrupt"
    assert after["checked_at"] is not None
    assert unknown.status_code == 422


async def test_another_organizations_outputs_answer_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    photo = (await upload(client, admin_headers, "photo.jpg", jpeg_with_exif())).json()["id"]
    await settled(client, admin_headers, photo)
    output = (await client.get(f"/assets/{photo}/thumbnails", headers=admin_headers)).json()[
        "items"
    ][0]
    org_b = await create_organization(client, admin_headers, "OrgB")

    answers = [
        await client.get(f"/outputs/{output['id']}", headers=org_b.headers),
        await client.get(f"/outputs/{output['id']}/content", headers=org_b.headers),
        await client.post(
            f"/outputs/{output['id']}/actions",
            json={"action": "verify_checksum"},
            headers=org_b.headers,
        ),
        await client.get(f"/assets/{photo}/thumbnails", headers=org_b.headers),
    ]

    assert [answer.status_code for answer in answers] == [404] * 4
    assert (await client.get("/outputs", headers=org_b.headers)).json()["total"] == 0


async def test_the_orphan_scan_reports_objects_nothing_refers_to(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    kept = (await upload(client, admin_headers, "kept.png", png_bytes(color=(7, 7, 7)))).json()
    await settled(client, admin_headers, kept["id"])
    stray = tmp_path / "stray.bin"
    stray.write_bytes(b"left behind by a crash between storing and committing")
    stray_key = content_key(hashlib.sha256(stray.read_bytes()).hexdigest())
    await app.state.runtime.storage.put_file(stray_key, stray)

    job_id = await enqueue(app, await org_of(client, admin_headers), "archive.scan_orphans")
    done = await wait_for_job(client, admin_headers, job_id)

    assert done["status"] == "succeeded"
    assert done["result"]["keys"] == [stray_key]
    assert done["result"]["checked"] == 4, "the image, its two thumbnails and the stray"
