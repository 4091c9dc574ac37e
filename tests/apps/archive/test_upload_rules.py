"""What an upload may be: one file, a name without control characters, at least one byte."""

from __future__ import annotations

import httpx

from tests.apps.archive.test_assets import upload
from tests.media_samples import png_bytes


async def test_a_form_with_two_file_fields_answers_422_and_keeps_neither(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    files = [("file", ("a.png", png_bytes())), ("file", ("b.png", png_bytes(color=(1, 2, 3))))]

    answer = await client.post("/assets/upload", files=files, headers=admin_headers)

    assert answer.status_code == 422
    assert answer.json()["field"] == "file"
    assert (await client.get("/assets", headers=admin_headers)).json()["total"] == 0


async def test_control_characters_are_stripped_from_a_file_name(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    # Written by hand: httpx would percent-encode the LF and tab a hostile client sends raw.
    body = (
        b'--edge\r\nContent-Disposition: form-data; name="file"; filename="evil\nSet-Cookie:'
        b'\t x.png"\r\nContent-Type: image/png\r\n\r\n' + png_bytes() + b"\r\n--edge--\r\n"
    )
    uploaded = await client.post(
        "/assets/upload",
        content=body,
        headers=admin_headers | {"content-type": "multipart/form-data; boundary=edge"},
    )
    started = await client.post(
        "/ingest/init", json={"filename": "clip\r\n\t.mp4", "size": 10}, headers=admin_headers
    )

    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["name"] == "evilSet-Cookie: x.png"
    upload_id = started.json()["upload_id"]
    assert (await client.get(f"/ingest/{upload_id}", headers=admin_headers)).json()[
        "filename"
    ] == "clip.mp4"


async def test_an_empty_file_is_refused_by_upload_as_by_ingest(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    uploaded = await upload(client, admin_headers, "empty.png", b"")
    started = await client.post(
        "/ingest/init", json={"filename": "empty.png", "size": 0}, headers=admin_headers
    )

    assert [uploaded.status_code, started.status_code] == [422, 422]
    assert [uploaded.json()["field"], started.json()["field"]] == ["file", "size"]
    assert (await client.get("/assets", headers=admin_headers)).json()["total"] == 0
