"""Server files: registered in place or found by a scan, never from outside the import roots."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from reelhouse.app import create_app
from reelhouse.apps.archive.settings import ArchiveSettings
from reelhouse.settings import Settings
from tests.apps.archive.test_assets import settled, upload
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login
from tests.jobs_helpers import wait_for_job
from tests.media_samples import jpeg_with_exif, mp4_bytes, png_bytes


@dataclass
class ImportSetup:
    http: httpx.AsyncClient
    headers: dict[str, str]
    root: Path
    outside: Path


@pytest.fixture
async def importing(settings: Settings, tmp_path: Path) -> AsyncIterator[ImportSetup]:
    """An instance whose import root holds a few real files, with a secret folder beside it."""
    root, outside = tmp_path / "recordings", tmp_path / "private"
    (root / "day1" / "deep").mkdir(parents=True)
    outside.mkdir()
    (root / "drive.mp4").write_bytes(mp4_bytes())
    (root / "day1" / "still.png").write_bytes(png_bytes(color=(1, 200, 3)))
    (root / "day1" / "notes.txt").write_text("not media")
    jpeg = jpeg_with_exif()
    (root / "day1" / "deep" / "cut.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (outside / "secret.png").write_bytes(png_bytes(color=(250, 250, 250)))
    os.symlink(outside / "secret.png", root / "day1" / "escape.png")
    os.symlink(outside, root / "linked-folder")
    app = create_app(settings.with_app_settings(ArchiveSettings(import_roots=str(root))))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            headers = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            yield ImportSetup(http, headers, root, outside)


async def register(setup: ImportSetup, path: str) -> httpx.Response:
    return await setup.http.post("/assets/register", json={"path": path}, headers=setup.headers)


async def test_a_registered_file_is_referenced_in_place_probed_and_served(
    importing: ImportSetup, settings: Settings
) -> None:
    source = importing.root / "drive.mp4"

    registered = await register(importing, str(source))
    asset = await settled(importing.http, importing.headers, registered.json()["id"])
    middle = await importing.http.get(
        f"/assets/{asset['id']}/content", headers={**importing.headers, "Range": "bytes=100-199"}
    )
    again = await upload(importing.http, importing.headers, "copy.mp4", source.read_bytes())

    assert registered.status_code == 201, registered.text
    assert asset["status"] == "indexed"
    assert asset["kind"] == "video"
    assert asset["path"] == str(source.resolve())
    assert asset["source"] == "register"
    assert middle.content == source.read_bytes()[100:200]
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == asset["id"]
    stored = {p.name for p in (settings.data_dir / "objects").rglob("*") if p.is_file()}
    assert asset["sha256"] not in stored, "registered files are referenced, not copied"
    assert len(stored) == 2, "only its two thumbnails are stored"


@pytest.mark.parametrize(
    "path",
    [
        "{outside}/secret.png",
        "{root}/../private/secret.png",
        "{root}/day1/../../private/secret.png",
        "{root}/day1/escape.png",
        "{root}/linked-folder/secret.png",
        "/etc/passwd",
    ],
)
async def test_paths_leading_out_of_the_roots_answer_403(importing: ImportSetup, path: str) -> None:
    answer = await register(importing, path.format(root=importing.root, outside=importing.outside))

    assert answer.status_code == 403, answer.text
    assert answer.json()["type"] == "urn:reelhouse:problem:forbidden"
    assert answer.json()["field"] == "path"


async def test_bad_register_requests_name_the_problem(importing: ImportSetup) -> None:
    relative = await register(importing, "drive.mp4")
    missing = await register(importing, str(importing.root / "nope.mp4"))
    folder = await register(importing, str(importing.root / "day1"))
    scan_outside = await importing.http.post(
        "/assets/scan-directory", json={"path": str(importing.outside)}, headers=importing.headers
    )
    dialog = await importing.http.post("/assets/register-dialog", headers=importing.headers)

    assert relative.status_code == folder.status_code == 422
    assert missing.status_code == 404
    assert scan_outside.status_code == 403
    assert dialog.status_code == 501
    assert "REELHOUSE_DESKTOP" in dialog.json()["detail"]


async def test_a_scan_registers_matching_files_and_a_corrupt_one_fails_alone(
    importing: ImportSetup,
) -> None:
    asked = await importing.http.post(
        "/assets/scan-directory",
        json={"path": str(importing.root), "include": ["*.mp4", "*.png", "*.jpg"]},
        headers=importing.headers,
    )
    job = await wait_for_job(importing.http, importing.headers, asked.json()["id"], timeout=60)
    listed = (await importing.http.get("/assets?sort=name", headers=importing.headers)).json()
    assets = {
        item["name"]: await settled(importing.http, importing.headers, item["id"])
        for item in listed["items"]
    }

    assert asked.status_code == 202
    assert job["status"] == "succeeded", job
    assert job["result"]["found"] == 3
    assert job["result"]["registered"] == 3
    assert job["progress"] == 1.0
    assert sorted(assets) == ["cut.jpg", "drive.mp4", "still.png"]
    assert assets["cut.jpg"]["status"] == "failed"
    assert assets["cut.jpg"]["error"]
    assert assets["still.png"]["status"] == "indexed", assets["still.png"]["error"]
    assert assets["drive.mp4"]["status"] == "indexed", assets["drive.mp4"]["error"]
    assert {asset["source"] for asset in assets.values()} == {"scan"}
