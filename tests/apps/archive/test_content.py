"""Content routes as HTTP clients expect them: any filename, HEAD, validators, conditional and
range requests, and server files that are deleted or changed behind Reelhouse's back."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelhouse.app import create_app
from reelhouse.apps.archive.settings import ArchiveSettings
from reelhouse.settings import Settings
from tests.apps.archive.test_assets import settled, upload
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login
from tests.jobs_helpers import enqueue, org_of, wait_for_job
from tests.media_samples import jpeg_with_exif, parquet_bytes, png_bytes
from tests.s3_server import settings_on_s3

PROBLEM_JSON = "application/problem+json"


@dataclass
class Served:
    http: httpx.AsyncClient
    headers: dict[str, str]
    root: Path
    app: Any


async def serving(settings: Settings, root: Path) -> AsyncIterator[Served]:
    root.mkdir(exist_ok=True)
    app = create_app(settings.with_app_settings(ArchiveSettings(import_roots=str(root))))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            yield Served(http, await login(http, ADMIN_EMAIL, ADMIN_PASSWORD), root, app)


@pytest.fixture
async def server(settings: Settings, tmp_path: Path) -> AsyncIterator[Served]:
    """An instance with an import root, for files registered in place."""
    async for served in serving(settings, tmp_path / "recordings"):
        yield served


async def stored(client: httpx.AsyncClient, headers: dict[str, str], content: bytes) -> str:
    asset_id: str = (await upload(client, headers, "table.parquet", content)).json()["id"]
    return asset_id


async def registered(server: Served, name: str, content: bytes) -> dict[str, Any]:
    path = server.root / name
    path.write_bytes(content)
    answer = await server.http.post(
        "/assets/register", json={"path": str(path)}, headers=server.headers
    )
    assert answer.status_code in (200, 201), answer.text
    return await settled(server.http, server.headers, answer.json()["id"])


async def reconcile(server: Served) -> dict[str, Any]:
    org_id = await org_of(server.http, server.headers)
    job_id = await enqueue(server.app, org_id, "archive.reconcile_locations")
    done = await wait_for_job(server.http, server.headers, job_id)
    assert done["status"] == "succeeded", done
    result: dict[str, Any] = done["result"]
    return result


async def test_a_name_outside_latin_1_is_served_with_an_rfc_5987_filename(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = jpeg_with_exif(make="Kanji Cam")
    asset_id = (await upload(client, admin_headers, "写真 1.jpg", content)).json()["id"]

    answer = await client.get(f"/assets/{asset_id}/content", headers=admin_headers)

    assert answer.status_code == 200, answer.text
    assert answer.content == content
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("inline; ")
    assert 'filename="__ 1.jpg"' in disposition
    assert "filename*=UTF-8''%E5%86%99%E7%9C%9F%201.jpg" in disposition


async def test_head_answers_the_headers_of_get_without_a_body(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = parquet_bytes(rows=300)
    asset_id = await stored(client, admin_headers, content)
    url = f"/assets/{asset_id}/content"

    whole = await client.head(url, headers=admin_headers)
    part = await client.head(url, headers={**admin_headers, "Range": "bytes=0-9"})
    got = await client.get(url, headers=admin_headers)

    assert whole.status_code == 200
    assert whole.content == b""
    assert whole.headers["content-length"] == str(len(content))
    assert whole.headers["etag"] == got.headers["etag"]
    assert whole.headers["last-modified"] == got.headers["last-modified"]
    assert whole.headers["accept-ranges"] == "bytes"
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 0-9/{len(content)}"
    assert part.headers["content-length"] == "10"


async def test_a_client_holding_the_current_etag_or_date_gets_304(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = parquet_bytes(rows=310)
    asset_id = await stored(client, admin_headers, content)
    url = f"/assets/{asset_id}/content"
    first = await client.get(url, headers=admin_headers)
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    current = await client.get(url, headers={**admin_headers, "If-None-Match": etag})
    weak = await client.get(url, headers={**admin_headers, "If-None-Match": f'"x", W/{etag}'})
    stale = await client.get(url, headers={**admin_headers, "If-None-Match": '"other"'})
    dated = await client.get(url, headers={**admin_headers, "If-Modified-Since": modified})
    # If-None-Match decides alone when both are sent (RFC 9110 section 13.2.2).
    both = await client.get(
        url, headers={**admin_headers, "If-None-Match": '"other"', "If-Modified-Since": modified}
    )

    assert (
        etag
        == f'"{(await client.get(f"/assets/{asset_id}", headers=admin_headers)).json()["sha256"]}"'
    )
    assert [current.status_code, weak.status_code, dated.status_code] == [304, 304, 304]
    assert current.content == b""
    assert current.headers["etag"] == etag
    assert stale.status_code == both.status_code == 200
    assert stale.content == content


async def test_if_range_applies_the_range_only_while_the_validator_matches(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = parquet_bytes(rows=320)
    asset_id = await stored(client, admin_headers, content)
    url = f"/assets/{asset_id}/content"
    first = await client.get(url, headers=admin_headers)
    ranged = {**admin_headers, "Range": "bytes=5-14"}

    same = await client.get(url, headers={**ranged, "If-Range": first.headers["etag"]})
    dated = await client.get(url, headers={**ranged, "If-Range": first.headers["last-modified"]})
    other = await client.get(url, headers={**ranged, "If-Range": '"an-older-version"'})
    weak = await client.get(url, headers={**ranged, "If-Range": f"W/{first.headers['etag']}"})
    older = await client.get(url, headers={**ranged, "If-Range": "Mon, 01 Jan 2001 00:00:00 GMT"})

    assert same.status_code == dated.status_code == 206
    assert same.content == content[5:15]
    assert [other.status_code, weak.status_code, older.status_code] == [200, 200, 200]
    assert other.content == content


async def test_an_unsatisfiable_range_answers_416_with_the_size(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = parquet_bytes(rows=330)
    asset_id = await stored(client, admin_headers, content)
    url = f"/assets/{asset_id}/content"

    past = await client.get(url, headers={**admin_headers, "Range": f"bytes={len(content)}-"})
    empty_suffix = await client.get(url, headers={**admin_headers, "Range": "bytes=-0"})

    assert past.status_code == empty_suffix.status_code == 416
    assert past.headers["content-range"] == f"bytes */{len(content)}"
    assert past.headers["content-type"] == PROBLEM_JSON
    assert past.json()["size"] == len(content)


async def test_a_malformed_or_multi_range_header_is_ignored_with_the_whole_file(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = parquet_bytes(rows=340)
    asset_id = await stored(client, admin_headers, content)
    url = f"/assets/{asset_id}/content"

    answers = [
        await client.get(url, headers={**admin_headers, "Range": header})
        for header in ("bytes=0-1,5-6", "bytes=abc", "items=0-5", "bytes=9-3", "bytes=-", "0-5")
    ]

    assert [answer.status_code for answer in answers] == [200] * 6
    assert all(answer.content == content for answer in answers)
    assert all("content-range" not in answer.headers for answer in answers)


async def test_thumbnails_and_outputs_follow_the_same_conventions(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    asset = (await upload(client, admin_headers, "still.png", png_bytes(color=(9, 99, 199)))).json()
    await settled(client, admin_headers, asset["id"])
    listed = (await client.get(f"/assets/{asset['id']}/thumbnails", headers=admin_headers)).json()
    thumbnail = (listed["items"] if isinstance(listed, dict) else listed)[0]
    url = f"/outputs/{thumbnail['id']}/content"

    whole = await client.get(url, headers=admin_headers)
    head = await client.head(url, headers=admin_headers)
    part = await client.get(url, headers={**admin_headers, "Range": "bytes=-4"})
    current = await client.get(
        url, headers={**admin_headers, "If-None-Match": whole.headers["etag"]}
    )
    past = await client.get(url, headers={**admin_headers, "Range": f"bytes={thumbnail['size']}-"})

    assert whole.status_code == 200
    assert whole.headers["etag"] == f'"{thumbnail["sha256"]}"'
    assert whole.headers["content-type"] == "image/jpeg"
    assert "filename*=UTF-8''" in whole.headers["content-disposition"]
    assert head.status_code == 200
    assert head.headers["content-length"] == str(thumbnail["size"])
    assert part.status_code == 206
    assert part.content == whole.content[-4:]
    assert current.status_code == 304
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{thumbnail['size']}"


async def test_on_s3_head_and_conditional_requests_answer_before_any_redirect(
    settings: Settings, moto_endpoint: str
) -> None:
    on_s3 = settings_on_s3(settings, moto_endpoint)
    content = jpeg_with_exif(make="Bucket Kanji")
    app = create_app(on_s3)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            headers = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            asset = (await upload(http, headers, "写真.jpg", content)).json()
            url = f"/assets/{asset['id']}/content"
            head = await http.head(url, headers=headers)
            redirect = await http.get(url, headers=headers)
            current = await http.get(
                url, headers={**headers, "If-None-Match": head.headers["etag"]}
            )
            past = await http.get(url, headers={**headers, "Range": f"bytes={len(content)}-"})
    async with httpx.AsyncClient() as outside:
        fetched = await outside.get(redirect.headers["location"])

    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(content))
    assert head.headers["etag"] == f'"{asset["sha256"]}"'
    assert redirect.status_code == 302
    assert redirect.headers["etag"] == head.headers["etag"]
    assert current.status_code == 304
    assert past.status_code == 416
    assert fetched.content == content
    assert "%E5%86%99%E7%9C%9F.jpg" in fetched.headers["content-disposition"]


async def test_a_deleted_server_file_answers_410_and_is_marked_missing(server: Served) -> None:
    asset = await registered(server, "gone.png", png_bytes(color=(10, 20, 30)))
    (server.root / "gone.png").unlink()

    answer = await server.http.get(f"/assets/{asset['id']}/content", headers=server.headers)
    head = await server.http.head(f"/assets/{asset['id']}/content", headers=server.headers)
    after = (await server.http.get(f"/assets/{asset['id']}", headers=server.headers)).json()
    listed = await server.http.get("/assets?status=missing", headers=server.headers)

    assert answer.status_code == 410, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["paths"] == [str((server.root / "gone.png").resolve())]
    assert head.status_code == 410
    assert after["status"] == "missing"
    assert after["error"]
    assert after["locations"][0]["state"] == "missing"
    assert [item["id"] for item in listed.json()["items"]] == [asset["id"]]


async def test_a_server_file_changed_on_disk_answers_409_and_is_marked_changed(
    server: Served,
) -> None:
    asset = await registered(server, "edited.png", png_bytes(color=(40, 50, 60)))
    with (server.root / "edited.png").open("ab") as file:
        file.write(b"appended later")

    answer = await server.http.get(f"/assets/{asset['id']}/content", headers=server.headers)
    after = (await server.http.get(f"/assets/{asset['id']}", headers=server.headers)).json()
    listed = await server.http.get("/assets?status=changed", headers=server.headers)

    assert answer.status_code == 409, answer.text
    assert answer.json()["type"].endswith("asset-changed")
    assert after["status"] == "changed"
    assert after["locations"][0]["state"] == "changed"
    assert listed.json()["total"] == 1


async def test_the_periodic_reconciliation_notices_a_file_gone_and_back_unchanged(
    server: Served, tmp_path: Path
) -> None:
    asset = await registered(server, "moved.png", png_bytes(color=(70, 80, 90)))
    source, aside = server.root / "moved.png", tmp_path / "aside.png"
    os.rename(source, aside)

    gone = await reconcile(server)
    while_gone = (await server.http.get(f"/assets/{asset['id']}", headers=server.headers)).json()
    os.rename(aside, source)
    back = await reconcile(server)
    after = (await server.http.get(f"/assets/{asset['id']}", headers=server.headers)).json()
    content = await server.http.get(f"/assets/{asset['id']}/content", headers=server.headers)

    assert gone == {"assets": 1, "missing": 1, "changed": 0}
    assert while_gone["status"] == "missing"
    assert back == {"assets": 1, "missing": 0, "changed": 0}
    assert after["status"] == "indexed"
    assert after["error"] is None
    assert after["locations"][0]["state"] == "present"
    assert content.status_code == 200
    assert content.content == source.read_bytes()


async def test_registering_the_same_content_at_another_path_records_a_second_location(
    server: Served,
) -> None:
    first = await registered(server, "a.png", png_bytes(color=(1, 2, 3)))
    shutil.copy(server.root / "a.png", server.root / "copy-of-a.png")

    again = await server.http.post(
        "/assets/register",
        json={"path": str(server.root / "copy-of-a.png")},
        headers=server.headers,
    )
    asset = (await server.http.get(f"/assets/{first['id']}", headers=server.headers)).json()
    deleted = await server.http.delete(f"/assets/{first['id']}", headers=server.headers)
    anew = await server.http.post(
        "/assets/register", json={"path": str(server.root / "a.png")}, headers=server.headers
    )

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert [location["path"] for location in asset["locations"]] == [
        str((server.root / name).resolve()) for name in ("a.png", "copy-of-a.png")
    ]
    assert {location["state"] for location in asset["locations"]} == {"present"}
    assert asset["locations"][1]["size"] == first["size"]
    assert deleted.status_code == 204
    assert anew.status_code == 201, "the deleted asset's locations went with it"
    assert [location["path"] for location in anew.json()["locations"]] == [
        str((server.root / "a.png").resolve())
    ]


async def test_a_deleted_copy_does_not_make_the_asset_missing_while_another_is_intact(
    server: Served,
) -> None:
    first = await registered(server, "b.png", png_bytes(color=(4, 5, 6)))
    shutil.copy(server.root / "b.png", server.root / "copy-of-b.png")
    await server.http.post(
        "/assets/register",
        json={"path": str(server.root / "copy-of-b.png")},
        headers=server.headers,
    )
    expected = (server.root / "b.png").read_bytes()
    (server.root / "b.png").unlink()

    answer = await server.http.get(f"/assets/{first['id']}/content", headers=server.headers)
    checked = await reconcile(server)
    asset = (await server.http.get(f"/assets/{first['id']}", headers=server.headers)).json()

    assert answer.status_code == 200, answer.text
    assert answer.content == expected
    assert checked == {"assets": 1, "missing": 0, "changed": 0}
    assert asset["status"] == "indexed"
    assert [location["state"] for location in asset["locations"]] == ["missing", "present"]
